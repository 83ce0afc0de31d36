import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEdgeAgent, type RunningEdgeAgent } from '../../../edge/edge-agent';
import {
  COUNTER_GRACE_SECONDS,
  COUNTER_REPORT_SCHEMA,
  PURGE_RESULT_SCHEMA,
  RESPONSE_TIME_BOUNDS_MS,
  type CounterPeriodReport,
} from '../../../functions/domain/edge-agent-contract';
import { bundleEdgeAgent } from '../../../infra/lambda-bundling';
import { eventually } from '../../support/edge-agent-program';
import { cacheFilePath, writeCacheEntry } from '../../support/nginx-cache-entry';

const PERIOD_S = 60;
const PERIOD = PERIOD_S * 1000;
const GRACE = COUNTER_GRACE_SECONDS * 1000;
/** 2026-12-01T10:00:00Z, a period start. */
const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);

/** A datagram exactly as nginx sends it (`nohostname`, EDGE_LOG_FORMAT). */
function datagram(atMs: number, address: string, cacheStatus = 'HIT', requestTime = '0.004'): string {
  return `<190>Dec  1 10:37:44 edge_agent: ${(atMs / 1000).toFixed(3)} ${address} ${cacheStatus} ${requestTime}`;
}

async function sendDatagrams(port: number, lines: string[]): Promise<void> {
  const socket = createSocket('udp4');
  try {
    for (const line of lines)
      await new Promise<void>((resolve, reject) =>
        socket.send(line, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
      );
  } finally {
    socket.close();
  }
}

const newCacheDir = () => mkdtempSync(join(tmpdir(), 'edge-agent-cache-'));

/** An agent on loopback, on free ports, with a fresh cache directory unless `options` says otherwise. */
const startTestAgent = (options: Partial<Parameters<typeof startEdgeAgent>[0]> = {}) =>
  startEdgeAgent({
    periodSeconds: PERIOD_S,
    maxTrackedClients: 10,
    cacheDir: newCacheDir(),
    syslogPort: 0,
    httpPort: 0,
    httpHost: '127.0.0.1',
    ...options,
  });

describe('startEdgeAgent: syslog listener and the counter over HTTP', () => {
  const clock = { ms: T0 };
  const completed: CounterPeriodReport[] = [];
  let running: RunningEdgeAgent;
  let base: string;

  beforeAll(async () => {
    running = await startTestAgent({
      maxTrackedClients: 1000,
      now: () => clock.ms,
      onPeriodComplete: (report) => completed.push(report),
    });
    base = `http://127.0.0.1:${running.httpPort}`;
  });
  afterAll(async () => {
    await running.stop();
  });

  it('counts datagrams on its UDP port and serves the complete periods, never an address', async () => {
    expect(running.syslogPort).toBeGreaterThan(0);
    await sendDatagrams(running.syslogPort, [
      datagram(T0 + 1000, '203.0.113.7'),
      datagram(T0 + 1000, '203.0.113.8', 'MISS', '0.120'),
      datagram(T0 + 2000, '203.0.113.7'),
      datagram(T0 + 3000, '2001:db8:1::7', '-', '0.004'),
      // Two lines in one datagram, and a malformed one.
      `${datagram(T0 + 4000, '198.51.100.1')}\n${datagram(T0 + 4000, '198.51.100.2')}\n`,
      'not a log line',
    ]);
    await eventually(
      () => running.counter.openTrackedClients() === 5,
      () => '5 tracked clients',
    );

    expect((await fetch(`${base}/periods/${T0 / 1000}`)).status).toBe(404);
    clock.ms = T0 + PERIOD + GRACE;

    const response = await fetch(`${base}/periods/${T0 / 1000}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const text = await response.text();
    const responseTimeBuckets = new Array<number>(RESPONSE_TIME_BOUNDS_MS.length + 1).fill(0);
    responseTimeBuckets[RESPONSE_TIME_BOUNDS_MS.indexOf(4)] = 5;
    responseTimeBuckets[RESPONSE_TIME_BOUNDS_MS.indexOf(120)] = 1;
    expect(JSON.parse(text)).toEqual({
      schema: COUNTER_REPORT_SCHEMA,
      periodSeconds: PERIOD_S,
      start: '2026-12-01T10:00:00.000Z',
      prefixes: { '203.0.113.0/24': 2, '2001:db8:1::/48': 1, '198.51.100.0/24': 2 },
      trackedClients: 5,
      maxTrackedClients: 1000,
      overflowRequests: 0,
      malformedLines: 1,
      lateLines: 0,
      traffic: { requests: 6, cacheHits: 4, cacheMisses: 1, responseTimeBuckets },
    });
    const all = await fetch(`${base}/periods`);
    expect(all.status).toBe(200);
    const allText = await all.text();
    expect(JSON.parse(allText)).toEqual({
      schema: COUNTER_REPORT_SCHEMA,
      periodSeconds: PERIOD_S,
      periods: [JSON.parse(text)],
    });
    for (const body of [text, allText]) expect(body).not.toMatch(/203\.0\.113\.[78]|198\.51\.100\.[12]|db8:1::7/);
  });

  it('completes periods on its own, without traffic or queries', async () => {
    clock.ms = T0 + 2 * PERIOD + GRACE;
    await eventually(
      () => completed.length === 2,
      () => 'the second period to complete',
    );
    expect(completed.map((report) => report.start)).toEqual(['2026-12-01T10:00:00.000Z', '2026-12-01T10:01:00.000Z']);
  });

  it('answers 404 with a reason for a period it cannot report, and for a path it does not serve', async () => {
    const reasonOf = async (path: string) => {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(404);
      return ((await response.json()) as { reason: string }).reason;
    };
    expect(await reasonOf(`/periods/${(T0 + 10 * PERIOD) / 1000}`)).toMatch(/^the period .* is not complete yet/);
    expect(await reasonOf(`/periods/${(T0 - PERIOD) / 1000}`)).toMatch(/began before the counter started/);
    expect(await reasonOf(`/periods/${T0 / 1000 + 1}`)).toMatch(/is not the start of a period/);
    expect(await reasonOf('/periods/yesterday')).toBe('not a period start: give it in whole seconds since the epoch');
    expect(await reasonOf('/metrics')).toBe(
      'not found: the agent serves GET /periods, GET /periods/<period start in epoch seconds>, GET /health and POST /purge',
    );

    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });
});

describe('startEdgeAgent: POST /purge', () => {
  const cacheDir = newCacheDir();
  let running: RunningEdgeAgent;
  let base: string;
  const purges: unknown[] = [];

  beforeAll(async () => {
    running = await startTestAgent({
      cacheDir,
      onPurge: ({ path, prefix, ...outcome }) =>
        purges.push({ path, prefix, result: 'result' in outcome && outcome.result }),
    });
    base = `http://127.0.0.1:${running.httpPort}`;
  });
  afterAll(async () => {
    await running.stop();
  });

  const post = (body: string, path = '/purge') =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('purges the entries of a path, in every variant, and answers what it purged', async () => {
    const keys = ['/a', '/a?x=1', '/a cookies=s=1', '/a/b', '/ab'];
    for (const key of keys) writeCacheEntry(cacheDir, key);

    const response = await post('{"path": "/a", "prefix": false}');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ schema: PURGE_RESULT_SCHEMA, purgedEntries: 3, scannedEntries: 5 });
    expect(keys.filter((key) => existsSync(cacheFilePath(cacheDir, key)))).toEqual(['/a/b', '/ab']);
    expect(purges).toEqual([
      { path: '/a', prefix: false, result: { schema: PURGE_RESULT_SCHEMA, purgedEntries: 3, scannedEntries: 5 } },
    ]);

    const prefix = await post('{"path": "/a", "prefix": true}');
    expect(await prefix.json()).toEqual({ schema: PURGE_RESULT_SCHEMA, purgedEntries: 2, scannedEntries: 2 });
  });

  it('answers 400 naming the field and the fix for a body that is not a purge request', async () => {
    const errorOf = async (body: string) => {
      const response = await post(body);
      expect(response.status).toBe(400);
      return ((await response.json()) as { error: string }).error;
    };
    expect(await errorOf('{"path": "images/logo.png", "prefix": false}')).toBe(
      'path "images/logo.png" does not start with "/": give the request\'s path without scheme or host, e.g. "/images/logo.png"',
    );
    expect(await errorOf('{"path": "/a", "prefix": "yes"}')).toMatch(/^prefix must be true or false/);
    expect(await errorOf('{"prefix": true}')).toMatch(/^path is missing or not a string/);
    expect(await errorOf('purge /a')).toBe('the body is not JSON: send {"path": "/images/logo.png", "prefix": false}');
  });

  it('answers 413 for a body larger than any purge request', async () => {
    const response = await post(JSON.stringify({ path: `/${'a'.repeat(70_000)}`, prefix: false }));
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: string }).error).toMatch(/^the body is larger than 65536 bytes/);
  });

  it('answers 500 with the fix when the cache directory is not there', async () => {
    const missing = join(tmpdir(), 'no-such-edge-cache');
    const failures: unknown[] = [];
    const agent = await startTestAgent({
      cacheDir: missing,
      onPurge: ({ path, prefix, ...outcome }) =>
        failures.push({ path, prefix, error: 'error' in outcome && outcome.error }),
    });
    try {
      const response = await fetch(`http://127.0.0.1:${agent.httpPort}/purge`, {
        method: 'POST',
        body: '{"path": "/a", "prefix": false}',
      });
      expect(response.status).toBe(500);
      const error = `the purge of /a failed: the cache directory ${missing} does not exist: set EDGE_CACHE_DIR to nginx's proxy_cache_path, mounted in the agent's container`;
      expect(await response.json()).toEqual({ error });
      expect(failures).toEqual([{ path: '/a', prefix: false, error }]);
    } finally {
      await agent.stop();
    }
  });

  it('answers 405 with the method it allows for another method on a path it serves', async () => {
    const cases: Array<[string, string, string]> = [
      ['GET', '/purge', 'POST'],
      ['PUT', '/purge', 'POST'],
      ['POST', '/periods', 'GET'],
      ['DELETE', `/periods/${T0 / 1000}`, 'GET'],
      ['POST', '/health', 'GET'],
    ];
    for (const [method, path, allowed] of cases) {
      const response = await fetch(`${base}${path}`, { method, ...(method === 'GET' ? {} : { body: '{}' }) });
      expect([method, path, response.status, response.headers.get('allow')]).toEqual([method, path, 405, allowed]);
      expect(((await response.json()) as { error: string }).error).toBe(
        `${path} answers ${allowed} only: the agent serves GET /periods, GET /periods/<period start in epoch seconds>, GET /health and POST /purge`,
      );
    }
    // HEAD too: nothing but GET reads the periods.
    const head = await new Promise<number>((resolve, reject) =>
      httpRequest(`${base}/periods`, { method: 'HEAD' }, (response) => {
        response.resume();
        resolve(response.statusCode!);
      })
        .on('error', reject)
        .end(),
    );
    expect(head).toBe(405);
  });
});

describe('startEdgeAgent: lifecycle', () => {
  it('stops listening on stop()', async () => {
    const agent = await startTestAgent();
    expect((await fetch(`http://127.0.0.1:${agent.httpPort}/health`)).status).toBe(200);
    await agent.stop();
    await expect(fetch(`http://127.0.0.1:${agent.httpPort}/health`)).rejects.toThrow();
  });

  it('fails to start on a port already in use', async () => {
    const running = await startTestAgent();
    try {
      await expect(startTestAgent({ syslogPort: running.syslogPort })).rejects.toThrow(/EADDRINUSE/);
      await expect(startTestAgent({ httpPort: running.httpPort })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await running.stop();
    }
  });
});

describe('the built agent as a program', () => {
  let script: string;

  beforeAll(async () => {
    script = join(mkdtempSync(join(tmpdir(), 'edge-agent-')), 'edge-agent.mjs');
    await bundleEdgeAgent(script);
  });

  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });

  it.each([
    [{}, 'DEMAND_PERIOD_SECONDS is not set; fix: set it to the period in seconds, e.g. 60'],
    [
      { DEMAND_PERIOD_SECONDS: '1.5', DEMAND_MAX_TRACKED_CLIENTS: '10' },
      'DEMAND_PERIOD_SECONDS is "1.5": it must be a whole number from 1 to 86400; fix: set it to the period in seconds, e.g. 60',
    ],
    [{ DEMAND_PERIOD_SECONDS: '60' }, 'DEMAND_MAX_TRACKED_CLIENTS is not set; fix: set it to a cap, e.g. 200000'],
    [
      { DEMAND_PERIOD_SECONDS: '60', DEMAND_MAX_TRACKED_CLIENTS: '-3' },
      'DEMAND_MAX_TRACKED_CLIENTS is "-3": it must be a whole number from 1 to 100000000; fix: set it to a cap, e.g. 200000',
    ],
    [
      { DEMAND_PERIOD_SECONDS: '60', DEMAND_MAX_TRACKED_CLIENTS: '10', DEMAND_HTTP_PORT: '70000' },
      'DEMAND_HTTP_PORT is "70000": it must be a whole number from 0 to 65535; fix: set it to a TCP port, e.g. 9145',
    ],
    [
      { DEMAND_PERIOD_SECONDS: '60', DEMAND_MAX_TRACKED_CLIENTS: '10', EDGE_CACHE_DIR: 'cache' },
      `EDGE_CACHE_DIR is "cache": it must be an absolute path; fix: set it to nginx's proxy_cache_path, e.g. /var/cache/nginx/edge`,
    ],
  ])('exits 1 naming the variable and the fix for %j', (env, message) => {
    const result = run(env);
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(`edge-agent: ${message}`);
  });

  it('logs where it listens and each purge, failed or not, and stops cleanly on SIGTERM', async () => {
    const cacheDir = newCacheDir();
    writeCacheEntry(cacheDir, '/img/logo.png?v=1');
    const child = spawn(process.execPath, [script], {
      env: {
        PATH: process.env.PATH ?? '',
        DEMAND_PERIOD_SECONDS: '60',
        DEMAND_MAX_TRACKED_CLIENTS: '10',
        DEMAND_SYSLOG_PORT: '0',
        DEMAND_HTTP_PORT: '0',
        EDGE_CACHE_DIR: cacheDir,
      },
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await eventually(
      () => stdout.includes('\n'),
      () => 'the listening line',
    );
    const listening = JSON.parse(stdout.split('\n')[0]!) as Record<string, unknown>;
    expect(listening).toMatchObject({
      level: 'info',
      message: 'listening',
      periodSeconds: 60,
      maxTrackedClients: 10,
      cacheDir,
    });
    const base = `http://127.0.0.1:${listening.httpPort as number}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const purge = await fetch(`${base}/purge`, { method: 'POST', body: '{"path": "/img/logo.png", "prefix": false}' });
    expect(await purge.json()).toEqual({ schema: PURGE_RESULT_SCHEMA, purgedEntries: 1, scannedEntries: 1 });
    await eventually(
      () => stdout.includes('"purged"'),
      () => 'the purge log line',
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({
      message: 'purged',
      path: '/img/logo.png',
      prefix: false,
      purgedEntries: 1,
      scannedEntries: 1,
    });
    // The cache volume gone: the purge fails, and says so in the log.
    rmSync(cacheDir, { recursive: true });
    expect((await fetch(`${base}/purge`, { method: 'POST', body: '{"path": "/", "prefix": true}' })).status).toBe(500);
    await eventually(
      () => stdout.includes('"purge failed"'),
      () => 'the failed purge log line',
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({
      level: 'error',
      message: 'purge failed',
      path: '/',
      prefix: true,
      error: expect.stringContaining(`the cache directory ${cacheDir} does not exist`),
    });

    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ message: 'stopped', signal: 'SIGTERM' });
  });
});
