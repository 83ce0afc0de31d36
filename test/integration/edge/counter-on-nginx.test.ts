/**
 * The demand counter as it runs in an edge pod, with real nginx: nginx runs the server
 * configuration the edge ships (only what cannot work on a test machine replaced), and sends its
 * access log over local syslog to the built counter, run as a program from a ConfigMap-like
 * directory of symbolic links. Clients with chosen source addresses (every 127.x.y.z is local on
 * Linux, ::1 for IPv6) hit nginx, which proxies to a local origin.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { createServer, request, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COUNTER_REPORT_SCHEMA, AGENT_SYSLOG_PORT } from '../../../functions/domain/edge-agent-contract';
import { freeLoopbackPort } from '../../../cli/sandbox/moto-server';
import { EDGE_AGENT_FILE, nginxEdgeConfig } from '../../../functions/domain/edge-manifests';
import { shippedEdgeAgent } from '../../support/deployed-lambdas';
import {
  createNginxPrefix,
  describeWithNginx,
  startNginx,
  substituteOnce,
  type RunningNginx,
} from '../../support/nginx';

const PERIOD_SECONDS = 2;
const PERIOD_MS = PERIOD_SECONDS * 1000;

interface CounterProgram {
  process: ChildProcessWithoutNullStreams;
  stdout(): string;
  syslogPort: number;
  httpPort: number;
}

/**
 * The counter the synthesized edge task ships, laid out as a ConfigMap volume lays out its files (links to
 * `..data/`), run with node.
 */
async function startBuiltCounter(): Promise<CounterProgram> {
  const volume = mkdtempSync(join(tmpdir(), 'demand-counter-volume-'));
  const data = '..2026_12_01_10_00_00.000000001';
  mkdirSync(join(volume, data));
  copyFileSync(shippedEdgeAgent(), join(volume, data, EDGE_AGENT_FILE));
  symlinkSync(data, join(volume, '..data'));
  symlinkSync(join('..data', EDGE_AGENT_FILE), join(volume, EDGE_AGENT_FILE));

  const child = spawn(process.execPath, [join(volume, EDGE_AGENT_FILE)], {
    env: {
      PATH: process.env.PATH ?? '',
      DEMAND_PERIOD_SECONDS: String(PERIOD_SECONDS),
      DEMAND_MAX_TRACKED_CLIENTS: '1000',
      DEMAND_SYSLOG_PORT: '0',
      DEMAND_HTTP_PORT: '0',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await eventually(
    () => stdout.includes('\n'),
    () => `the counter to log where it listens (stderr: ${stderr})`,
  );
  const listening = JSON.parse(stdout.split('\n')[0]!) as { message: string; syslogPort: number; httpPort: number };
  expect(listening.message).toBe('listening');
  return { process: child, stdout: () => stdout, syslogPort: listening.syslogPort, httpPort: listening.httpPort };
}

async function eventually(check: () => boolean | Promise<boolean>, what: () => string, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface Answer {
  status: number;
  body: string;
  cacheStatus: string | undefined;
}

/** One request to nginx from the socket address `from`. */
function requestFrom(from: string, port: number, path: string, headers: OutgoingHttpHeaders = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const host = from.includes(':') ? '::1' : '127.0.0.1';
    const req = request({ host, port, path, localAddress: from, headers, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () =>
        resolve({ status: response.statusCode!, body, cacheStatus: response.headers['x-cache-status'] as string }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describeWithNginx('the demand counter beside real nginx running the edge configuration', (nginxBinary) => {
  let origin: Server;
  let counter: CounterProgram;
  let nginx: RunningNginx;
  let port: number;
  let shippedConfig: string;
  let testedConfig: string;
  let replacedLines: string[];

  beforeAll(async () => {
    origin = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('from the origin\n');
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    counter = await startBuiltCounter();

    const prefix = createNginxPrefix();
    port = await freeLoopbackPort();
    shippedConfig = nginxEdgeConfig(`http://127.0.0.1:${(origin.address() as AddressInfo).port}`, {
      countDemand: true,
    });
    // Only what cannot work here: port 80, the pod's cache and log paths, the cluster's DNS, the pod's counter port.
    const replacements: Array<[string, string]> = [
      ['    listen 80 default_server;', `    listen 127.0.0.1:${port} default_server;\n    listen [::1]:${port};`],
      ['proxy_cache_path /var/cache/nginx/edge ', `proxy_cache_path ${prefix.cacheDir} `],
      ['resolver kube-dns.kube-system.svc.cluster.local ', 'resolver 127.0.0.1 '],
      ['access_log /var/log/nginx/access.log ', `access_log ${prefix.logDir}/edge-access.log `],
      [`syslog:server=127.0.0.1:${AGENT_SYSLOG_PORT},`, `syslog:server=127.0.0.1:${counter.syslogPort},`],
    ];
    testedConfig = replacements.reduce((text, [from, to]) => substituteOnce(text, from, to), shippedConfig);
    replacedLines = shippedConfig.split('\n').filter((line) => replacements.some(([from]) => line.includes(from)));
    nginx = await startNginx(nginxBinary, prefix, testedConfig, `http://127.0.0.1:${port}/health`);
  });

  afterAll(async () => {
    await nginx?.stop();
    if (counter) {
      const exit = new Promise<number | null>((resolve) => counter.process.once('exit', (code) => resolve(code)));
      counter.process.kill('SIGTERM');
      expect(await exit).toBe(0);
    }
    await new Promise((resolve) => origin?.close(resolve));
  });

  it('runs the shipped server configuration, with only the machine-specific values replaced', () => {
    const tested = new Set(testedConfig.split('\n'));
    expect(shippedConfig.split('\n').filter((line) => !tested.has(line))).toEqual(replacedLines);
    expect(replacedLines).toHaveLength(5);
    expect(testedConfig).toContain("log_format edge_demand '$msec $remote_addr';");
    expect(testedConfig).toContain(
      `access_log syslog:server=127.0.0.1:${counter.syslogPort},facility=local7,tag=edge_demand,severity=info,nohostname edge_demand;`,
    );
  });

  it('counts exactly the distinct clients of each prefix that nginx served, by socket address only', async () => {
    // Start right after a period begins, so that every request falls into that one period.
    const periodStart = Math.ceil((Date.now() + 1) / PERIOD_MS) * PERIOD_MS;
    await new Promise((resolve) => setTimeout(resolve, periodStart + 50 - Date.now()));

    const answers = await Promise.all([
      // One /24, three clients, one of them three times, through locations cached and not.
      requestFrom('127.1.1.10', port, '/'),
      requestFrom('127.1.1.10', port, '/api/items?page=2'),
      requestFrom('127.1.1.10', port, '/admin/'),
      requestFrom('127.1.1.11', port, '/images/logo.png'),
      requestFrom('127.1.1.12', port, '/app.css?v=3'),
      // Another /24.
      requestFrom('127.1.2.10', port, '/'),
      // IPv6.
      requestFrom('::1', port, '/'),
      // Forwarding headers a client sends: the socket's address counts, never theirs.
      requestFrom('127.1.3.10', port, '/', { 'X-Forwarded-For': '200.147.1.1' }),
      requestFrom('127.1.3.11', port, '/', { 'X-Real-IP': '200.147.1.2' }),
      requestFrom('127.1.3.12', port, '/', { Forwarded: 'for=200.147.1.3', 'X-Forwarded-For': '200.147.1.3' }),
      // Probes are not traffic.
      requestFrom('127.1.4.10', port, '/health'),
    ]);
    expect(Date.now()).toBeLessThan(periodStart + PERIOD_MS); // else requests spilled into the next period
    expect(answers.map((answer) => answer.status)).toEqual(new Array(answers.length).fill(200));
    expect(answers.slice(0, -1).every((answer) => answer.body === 'from the origin\n')).toBe(true);
    expect(answers.at(-1)!.body).toBe('OK\n');
    // A cache hit is a request like any other (it is counted above through the same image).
    expect((await requestFrom('127.1.1.11', port, '/images/logo.png')).cacheStatus).toBe('HIT');

    const url = `http://127.0.0.1:${counter.httpPort}/periods/${periodStart / 1000}`;
    let report: unknown;
    await eventually(
      async () => {
        const response = await fetch(url);
        if (response.status === 200) report = await response.json();
        return response.status === 200;
      },
      () => `the period ${new Date(periodStart).toISOString()} to complete (nginx: ${nginx.errorLog()})`,
    );

    expect(report).toEqual({
      schema: COUNTER_REPORT_SCHEMA,
      periodSeconds: PERIOD_SECONDS,
      start: new Date(periodStart).toISOString(),
      prefixes: { '127.1.1.0/24': 3, '127.1.2.0/24': 1, '127.1.3.0/24': 3, '0:0:0::/48': 1 },
      trackedClients: 8,
      maxTrackedClients: 1000,
      overflowRequests: 0,
      malformedLines: 0,
      lateLines: 0,
    });

    // The counter logs the period, and nothing it logs holds an address.
    await eventually(
      () => counter.stdout().includes(`"start":"${new Date(periodStart).toISOString()}"`),
      () => 'the period log line',
    );
    const logged = counter
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.start === new Date(periodStart).toISOString());
    expect(logged).toMatchObject({ message: 'period complete', prefixes: 4, trackedClients: 8, overflowRequests: 0 });
    expect(counter.stdout()).not.toMatch(/127\.1\.|200\.147\.|::1/);
  });
});
