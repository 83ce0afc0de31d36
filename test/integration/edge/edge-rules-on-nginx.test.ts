/**
 * The default edge's nginx configuration on real nginx, one test per rule: nginx runs exactly
 * what the edge ships (`nginxEdgeConfig`), with only the pod's runtime values replaced
 * (EdgePodRuntime: listen addresses, cache and log paths, the resolver, the CA bundle, the agent's
 * syslog address), in front of a local origin reached by name through a local DNS server.
 * The edge agent beside it is the built file the edge task ships.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../../sandbox/moto-server';
import type { AutoscalerConfig, AutoscalerConfigInput } from '../../../functions/domain/config';
import { PURGE_PATH, type PurgeRequest, type PurgeResult } from '../../../functions/domain/edge-agent-contract';
import { EDGE_POD_RUNTIME, nginxEdgeConfig, type EdgePodRuntime } from '../../../functions/domain/nginx-edge-config';
import { exampleConfig } from '../../support/config-fixtures';
import { startShippedAgent, type AgentProgram } from '../../support/edge-agent-program';
import { cacheFilePath } from '../../support/nginx-cache-entry';
import {
  checkNginxConfig,
  createNginxPrefix,
  describeWithNginx,
  startNginx,
  type NginxPrefix,
  type RunningNginx,
} from '../../support/nginx';
import { issueTestCertificate, type TestCertificates } from '../../support/test-certificates';
import { startTestOrigin, type TestOrigin } from '../../support/test-origin';
import { tinyDns, type TinyDns } from '../../support/tiny-dns';

const ORIGIN_NAME = 'origin.test';
const RECORD_NAME = 'edge.cdn.example.com';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  cache: string | undefined;
}

function get(port: number, path: string, headers: OutgoingHttpHeaders = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () =>
        resolve({
          status: response.statusCode!,
          headers: response.headers,
          body,
          cache: response.headers['x-cache-status'] as string | undefined,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Edge {
  port: number;
  redirectPort: number;
  prefix: NginxPrefix;
  nginx: RunningNginx;
  runtime: EdgePodRuntime;
  config: AutoscalerConfig;
}

/** The runtime values of a pod, replaced by what works on this machine: the only differences from what ships. */
async function testRuntime(prefix: NginxPrefix, dns: TinyDns, caFile: string, agentSyslogPort: number) {
  const runtime: EdgePodRuntime = {
    serveListen: [`127.0.0.1:${await freeLoopbackPort()}`],
    redirectListen: [`127.0.0.1:${await freeLoopbackPort()}`],
    accessLog: join(prefix.logDir, 'edge-access.log'),
    resolver: `127.0.0.1:${dns.port}`,
    cacheDir: prefix.cacheDir,
    trustedCertificates: caFile,
    agentSyslog: `127.0.0.1:${agentSyslogPort}`,
  };
  return runtime;
}

async function startEdge(
  binary: string,
  config: AutoscalerConfig,
  runtime: EdgePodRuntime,
  prefix: NginxPrefix,
): Promise<Edge> {
  const port = Number(runtime.serveListen[0]!.split(':')[1]);
  const redirectPort = Number(runtime.redirectListen[0]!.split(':')[1]);
  const nginx = await startNginx(binary, prefix, nginxEdgeConfig(config, runtime), `http://127.0.0.1:${port}/health`);
  return { port, redirectPort, prefix, nginx, runtime, config };
}

function edgeConfig(originUrl: string, mutate?: (edge: NonNullable<AutoscalerConfigInput['edge']>) => void) {
  return exampleConfig((raw) => {
    raw.dns.recordName = RECORD_NAME;
    raw.edge = { originUrl };
    mutate?.(raw.edge);
  });
}

/**
 * The TTL nginx stored with a cache entry: its file starts with nginx's binary header, whose valid_sec (offset 8) and date (offset 40) are 64-bit times.
 */
function storedTtlSeconds(cacheDir: string, key: string): number {
  const file = readFileSync(cacheFilePath(cacheDir, key));
  expect(file.toString('latin1')).toContain(`\nKEY: ${key}\n`);
  return Number(file.readBigInt64LE(8) - file.readBigInt64LE(40));
}

async function purge(agent: AgentProgram, body: PurgeRequest): Promise<PurgeResult> {
  const response = await fetch(`http://127.0.0.1:${agent.httpPort}${PURGE_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as PurgeResult;
}

describeWithNginx('the edge configuration on real nginx', (binary) => {
  let certificates: TestCertificates;
  let dns: TinyDns;
  let origin: TestOrigin;
  let agent: AgentProgram;
  let edge: Edge;

  beforeAll(async () => {
    certificates = issueTestCertificate(ORIGIN_NAME);
    dns = tinyDns(await freeLoopbackPort(), { [ORIGIN_NAME]: '127.0.0.1' });
    await dns.start();
    origin = await startTestOrigin({ port: await freeLoopbackPort() });
    const prefix = createNginxPrefix();
    agent = await startShippedAgent({ periodSeconds: 60, cacheDir: prefix.cacheDir });
    const config = edgeConfig(`http://${ORIGIN_NAME}:${origin.port}`);
    edge = await startEdge(
      binary,
      config,
      await testRuntime(prefix, dns, certificates.caFile, agent.syslogPort),
      prefix,
    );
  });

  afterAll(async () => {
    await edge?.nginx.stop();
    await agent?.stop();
    await origin?.stop();
    await dns?.stop();
  });

  describe('the shipped configuration', () => {
    it('passes nginx -t, and differs from the one tested only in the pod runtime values', () => {
      const shipped = nginxEdgeConfig(edge.config);
      expect(checkNginxConfig(binary, createNginxPrefix(), nginxEdgeConfig(edge.config, edge.runtime))).toMatchObject({
        status: 0,
      });
      const tested = new Set(nginxEdgeConfig(edge.config, edge.runtime).split('\n'));
      const differing = shipped.split('\n').filter((line) => !tested.has(line));
      const runtimeValues = Object.values(EDGE_POD_RUNTIME).flat();
      expect(differing.length).toBeGreaterThan(0);
      for (const line of differing) expect(runtimeValues.some((value) => line.includes(value))).toBe(true);
    });
  });

  describe('images: 24 h, keyed by URI only, stale, browser-cacheable', () => {
    it('misses, then hits for any query or cookie, and stores 24 h', async () => {
      expect((await get(edge.port, '/img/logo.png')).cache).toBe('MISS');
      const hit = await get(edge.port, '/img/logo.png?v=2', { cookie: 'a=1' });
      expect(hit).toMatchObject({ status: 200, cache: 'HIT', body: 'GET /img/logo.png #1 cookie=\n' });
      expect(origin.count('/img/logo.png')).toBe(1);
      expect(origin.count('/img/logo.png?v=2')).toBe(0);
      expect(storedTtlSeconds(edge.prefix.cacheDir, '/img/logo.png')).toBe(86_400);
    });

    it('tells browsers Cache-Control: public, max-age=86400 and Expires, in place of the origin headers', async () => {
      const answer = await get(edge.port, '/origin-cache-headers.png');
      expect(answer.headers['cache-control']).toBe('max-age=86400, public');
      const expires = Date.parse(answer.headers.expires!);
      expect(Math.abs(expires - (Date.now() + 86_400_000))).toBeLessThan(5_000);
    });
  });

  describe('CSS, JavaScript, fonts: 24 h, keyed by URI and query', () => {
    it('keeps one entry per query string, 24 h, browser-cacheable', async () => {
      expect((await get(edge.port, '/app.css?v=1')).cache).toBe('MISS');
      expect((await get(edge.port, '/app.css?v=1')).cache).toBe('HIT');
      expect((await get(edge.port, '/app.css?v=2')).cache).toBe('MISS');
      expect((await get(edge.port, '/fonts/a.woff2')).cache).toBe('MISS');
      expect((await get(edge.port, '/fonts/a.woff2')).headers['cache-control']).toBe('max-age=86400, public');
      expect(storedTtlSeconds(edge.prefix.cacheDir, '/app.css?v=1')).toBe(86_400);
    });
  });

  describe('HTML: 5 min, keyed by URI and cookies', () => {
    it("never gives one user's page to another", async () => {
      expect(await get(edge.port, '/page.html', { cookie: 'user=alice' })).toMatchObject({
        cache: 'MISS',
        body: 'GET /page.html #1 cookie=user=alice\n',
      });
      expect(await get(edge.port, '/page.html', { cookie: 'user=alice' })).toMatchObject({
        cache: 'HIT',
        body: 'GET /page.html #1 cookie=user=alice\n',
      });
      expect(await get(edge.port, '/page.html', { cookie: 'user=bob' })).toMatchObject({
        cache: 'MISS',
        body: 'GET /page.html #2 cookie=user=bob\n',
      });
      expect(await get(edge.port, '/page.html')).toMatchObject({ cache: 'MISS', body: 'GET /page.html #3 cookie=\n' });
      expect(storedTtlSeconds(edge.prefix.cacheDir, '/page.html cookies=user=alice')).toBe(300);
    });

    it('caches a page whose key holds a large cookie', async () => {
      const cookie = `prefs=${'x'.repeat(6000)}`;
      expect((await get(edge.port, '/large-cookie.html', { cookie })).cache).toBe('MISS');
      expect((await get(edge.port, '/large-cookie.html', { cookie })).cache).toBe('HIT');
    });

    it('covers every path no other rule matches, without browser caching headers', async () => {
      expect((await get(edge.port, '/about')).cache).toBe('MISS');
      const hit = await get(edge.port, '/about');
      expect(hit.cache).toBe('HIT');
      expect(hit.headers['cache-control']).toBeUndefined();
      expect(storedTtlSeconds(edge.prefix.cacheDir, '/about cookies=')).toBe(300);
    });
  });

  describe('/api/: 5 min, keyed by URI and arguments, never shared with credentials', () => {
    it('keeps one entry per argument list, 5 min', async () => {
      expect((await get(edge.port, '/api/items?page=1')).cache).toBe('MISS');
      expect((await get(edge.port, '/api/items?page=1')).cache).toBe('HIT');
      expect((await get(edge.port, '/api/items?page=2')).cache).toBe('MISS');
      expect(storedTtlSeconds(edge.prefix.cacheDir, '/api/items?page=1')).toBe(300);
    });

    it('sends a request with a session cookie to the origin and does not store its answer', async () => {
      expect((await get(edge.port, '/api/me')).cache).toBe('MISS');
      for (const cookie of ['session=s1', 'theme=dark; sessionid=s2', 'PHPSESSID=s3', 'JSESSIONID=s4']) {
        expect(await get(edge.port, '/api/me', { cookie })).toMatchObject({ cache: 'BYPASS' });
      }
      expect(origin.count('/api/me')).toBe(5);
      // The anonymous answer is still the one stored: no signed-in answer replaced it.
      expect(await get(edge.port, '/api/me')).toMatchObject({ cache: 'HIT', body: 'GET /api/me #1 cookie=\n' });
      // Other cookies are not sessions.
      expect((await get(edge.port, '/api/me', { cookie: 'theme=dark' })).cache).toBe('HIT');
    });
  });

  describe('video: 7 days, keyed by URI only', () => {
    it('misses, then hits for any query, and stores 7 days', async () => {
      expect((await get(edge.port, '/v/clip.mp4')).cache).toBe('MISS');
      expect((await get(edge.port, '/v/clip.mp4?t=30')).cache).toBe('HIT');
      expect((await get(edge.port, '/v/clip.mp4')).headers['cache-control']).toBe('max-age=604800, public');
      expect(storedTtlSeconds(edge.prefix.cacheDir, '/v/clip.mp4')).toBe(604_800);
    });
  });

  describe('/admin/ and /auth/: never cached', () => {
    it.each(['/admin/', '/admin', '/admin/logo.png', '/auth/login', '/auth'])(
      '%s goes to the origin every time',
      async (path) => {
        const first = await get(edge.port, path);
        const second = await get(edge.port, path);
        expect([first.status, second.status]).toEqual([200, 200]);
        expect([first.cache, second.cache]).toEqual([undefined, undefined]);
        expect(origin.count(path)).toBe(2);
      },
    );
  });

  describe('404: 1 min', () => {
    it('keeps a not-found answer for a minute', async () => {
      expect(await get(edge.port, '/missing.png')).toMatchObject({ status: 404, cache: 'MISS' });
      expect(await get(edge.port, '/missing.png')).toMatchObject({ status: 404, cache: 'HIT' });
      expect(storedTtlSeconds(edge.prefix.cacheDir, '/missing.png')).toBe(60);
    });
  });

  describe('Authorization: never from the cache, never into it', () => {
    it.each(['/auth-check/a.png', '/auth-check/a.css', '/auth-check/a.mp4', '/auth-check/a.html', '/api/auth-check'])(
      '%s with Authorization bypasses the cache and is not stored',
      async (path) => {
        const answer = await get(edge.port, path, { authorization: 'Bearer token-of-alice' });
        expect(answer).toMatchObject({ status: 200, cache: 'BYPASS' });
        expect(answer.headers['cache-control']).toBeUndefined(); // no "public" for a personal answer
        expect(answer.headers.expires).toBeUndefined();
        expect((await get(edge.port, path)).cache).toBe('MISS');
        expect(origin.count(path)).toBe(2);
      },
    );

    it('keeps answers the origin marks private or that set a cookie out of the cache', async () => {
      for (const path of ['/private/page.html', '/set-cookie/page.html']) {
        expect((await get(edge.port, path)).cache).toBe('MISS');
        expect((await get(edge.port, path)).cache).toBe('MISS');
      }
    });
  });

  describe('the rest of the edge', () => {
    it('answers /health itself', async () => {
      const before = origin.requests.length;
      expect(await get(edge.port, '/health')).toMatchObject({ status: 200, body: 'OK\n', cache: undefined });
      expect(origin.requests.length).toBe(before);
    });

    it('sends the origin its own Host and the client address, never what a client claims', async () => {
      await get(edge.port, '/forwarded.html', { 'x-forwarded-for': '203.0.113.9', host: 'spoofed.example' });
      const received = origin.requests.find((r) => r.url === '/forwarded.html')!;
      expect(received.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(received.headers.host).toBe(`${ORIGIN_NAME}:${origin.port}`);
      expect(received.headers['x-forwarded-proto']).toBe('https');
    });

    it('redirects plain HTTP to HTTPS on the record name', async () => {
      const answer = await get(edge.redirectPort, '/img/logo.png?v=1');
      expect(answer.status).toBe(301);
      expect(answer.headers.location).toBe(`https://${RECORD_NAME}/img/logo.png?v=1`);
    });

    it('serves neither the agent nor a purge on its public port', async () => {
      await get(edge.port, '/purge-me.png');
      const purgeThroughEdge = await get(edge.port, `${PURGE_PATH}/purge-me.png`);
      expect(purgeThroughEdge.body).toBe(`GET ${PURGE_PATH}/purge-me.png #1 cookie=\n`); // the origin answered
      expect((await get(edge.port, '/purge-me.png')).cache).toBe('HIT');
      expect((await get(edge.port, '/periods')).body).toBe('GET /periods #1 cookie=\n');
    });
  });

  describe('purge through the agent', () => {
    it('refreshes one path, every variant of it, and nothing else', async () => {
      await get(edge.port, '/news.html', { cookie: 'user=alice' });
      await get(edge.port, '/news.html', { cookie: 'user=bob' });
      await get(edge.port, '/news.html.bak');
      const result = await purge(agent, { path: '/news.html', prefix: false });
      expect(result.purgedEntries).toBe(2);
      expect(result.scannedEntries).toBeGreaterThanOrEqual(3);
      expect((await get(edge.port, '/news.html', { cookie: 'user=alice' })).cache).toBe('MISS');
      expect((await get(edge.port, '/news.html.bak')).cache).toBe('HIT');
    });

    it('refreshes every path under a prefix', async () => {
      for (const path of ['/gallery/1.png', '/gallery/2.png', '/gallery/sub/3.png', '/gallery-other/4.png']) {
        await get(edge.port, path);
      }
      expect((await purge(agent, { path: '/gallery/', prefix: true })).purgedEntries).toBe(3);
      expect((await get(edge.port, '/gallery/1.png')).cache).toBe('MISS');
      expect((await get(edge.port, '/gallery/sub/3.png')).cache).toBe('MISS');
      expect((await get(edge.port, '/gallery-other/4.png')).cache).toBe('HIT');
    });
  });
});

describeWithNginx('the edge on real nginx, with the origin failing', (binary) => {
  let certificates: TestCertificates;
  let dns: TinyDns;
  let origin: TestOrigin;
  let edge: Edge;
  const ttl = 1;

  beforeAll(async () => {
    certificates = issueTestCertificate(ORIGIN_NAME);
    dns = tinyDns(await freeLoopbackPort(), { [ORIGIN_NAME]: '127.0.0.1' });
    await dns.start();
    origin = await startTestOrigin({ port: await freeLoopbackPort(), slowMs: 5000 });
    const prefix = createNginxPrefix();
    const config = edgeConfig(`http://${ORIGIN_NAME}:${origin.port}`, (e) => {
      e.cache = {
        images: { ttlSeconds: ttl },
        assets: { ttlSeconds: ttl },
        video: { ttlSeconds: ttl },
        html: { ttlSeconds: ttl },
        api: { ttlSeconds: ttl },
      };
      e.origin = { connectTimeoutSeconds: 1, readTimeoutSeconds: 1 };
    });
    edge = await startEdge(binary, config, await testRuntime(prefix, dns, certificates.caFile, 9), prefix);
  });

  afterAll(async () => {
    await edge?.nginx.stop();
    await origin?.stop();
    await dns?.stop();
  });

  /** Caches `path`, then waits until its entry has expired. */
  async function cachedThenExpired(path: string) {
    expect((await get(edge.port, path)).cache).toBe('MISS');
    expect((await get(edge.port, path)).cache).toBe('HIT');
    await sleep((ttl + 1.1) * 1000);
  }

  it.each(['/stale/a.png', '/stale/a.css', '/stale/a.mp4', '/stale/a.html'])(
    '%s: a stale copy is served while the origin answers 500, 502 or is down',
    async (path) => {
      await cachedThenExpired(path);
      try {
        origin.failWith(500);
        expect(await get(edge.port, path)).toMatchObject({ status: 200, body: `GET ${path} #1 cookie=\n` });
        origin.failWith(502);
        expect(await get(edge.port, path)).toMatchObject({ status: 200, body: `GET ${path} #1 cookie=\n` });
        origin.failWith(undefined);
        await origin.stop();
        expect(await get(edge.port, path)).toMatchObject({
          status: 200,
          cache: 'STALE',
          body: `GET ${path} #1 cookie=\n`,
        });
      } finally {
        origin.failWith(undefined);
        await origin.start();
      }
    },
  );

  it('/api/ is never served stale: the origin failure reaches the client', async () => {
    const path = '/api/stale';
    await cachedThenExpired(path);
    try {
      origin.failWith(500);
      expect(await get(edge.port, path)).toMatchObject({ status: 500, cache: 'EXPIRED' });
      origin.failWith(undefined);
      await origin.stop();
      expect((await get(edge.port, path)).status).toBe(502);
    } finally {
      await origin.start();
    }
  });

  it('expires an entry after its TTL and stores the fresh answer', async () => {
    const path = '/api/fresh';
    await cachedThenExpired(path);
    expect(await get(edge.port, path)).toMatchObject({ cache: 'EXPIRED', body: `GET ${path} #2 cookie=\n` });
    expect(await get(edge.port, path)).toMatchObject({ cache: 'HIT', body: `GET ${path} #2 cookie=\n` });
  });

  it('gives up on an origin slower than the read timeout', async () => {
    const started = Date.now();
    expect((await get(edge.port, '/api/slow')).status).toBe(504);
    // Well before the origin's 5 s answer (a loaded machine delays this process, not nginx's 1 s timer).
    expect(Date.now() - started).toBeLessThan(4000);
  });
});

describeWithNginx('the edge on real nginx, reaching its origin', (binary) => {
  let certificates: TestCertificates;
  let untrusted: TestCertificates;
  let dns: TinyDns;
  let trustedOrigin: TestOrigin;
  let untrustedOrigin: TestOrigin;
  const edges: Edge[] = [];

  beforeAll(async () => {
    certificates = issueTestCertificate(ORIGIN_NAME);
    untrusted = issueTestCertificate(ORIGIN_NAME);
    // Not started yet: the cluster DNS does not answer when nginx starts.
    dns = tinyDns(await freeLoopbackPort(), { [ORIGIN_NAME]: '127.0.0.1' });
    trustedOrigin = await startTestOrigin({ port: await freeLoopbackPort(), tls: certificates });
    untrustedOrigin = await startTestOrigin({ port: await freeLoopbackPort(), tls: untrusted });
    for (const origin of [trustedOrigin, untrustedOrigin]) {
      const prefix = createNginxPrefix();
      const config = edgeConfig(`https://${ORIGIN_NAME}:${origin.port}`);
      // Both trust only the first CA, the way the pod trusts the system bundle.
      edges.push(await startEdge(binary, config, await testRuntime(prefix, dns, certificates.caFile, 9), prefix));
    }
  });

  afterAll(async () => {
    for (const edge of edges) await edge.nginx.stop();
    await trustedOrigin?.stop();
    await untrustedOrigin?.stop();
    await dns?.stop();
  });

  it('starts before DNS answers, and resolves the origin once it does', async () => {
    const [edge] = edges;
    expect((await get(edge!.port, '/health')).status).toBe(200);
    expect((await get(edge!.port, '/before-dns.html')).status).toBe(502);
    await dns.start();
    expect(await get(edge!.port, '/after-dns.html')).toMatchObject({ status: 200, cache: 'MISS' });
    expect(dns.answered).toContain(ORIGIN_NAME);
  });

  it("verifies the origin's certificate against the trusted CAs, with SNI", async () => {
    await dns.start();
    const [trustedEdge, untrustedEdge] = edges;
    expect((await get(trustedEdge!.port, '/tls.html')).status).toBe(200);
    const received = trustedOrigin.requests.find((r) => r.url === '/tls.html')!;
    expect(received.serverName).toBe(ORIGIN_NAME);

    expect((await get(untrustedEdge!.port, '/tls.html')).status).toBe(502);
    expect(untrustedOrigin.requests).toEqual([]);
    expect(untrustedEdge!.nginx.errorLog()).toMatch(/certificate verify/);
  });
});
