/**
 * The edge agent's counts as it runs in an edge pod, with real nginx: nginx runs the server
 * configuration the edge ships (only the pod runtime values replaced), and sends its access log
 * over local syslog to the built agent, run as a program from a ConfigMap-like directory of
 * symbolic links. Clients with chosen source addresses (every 127.x.y.z is local on Linux, ::1 for
 * IPv6) hit nginx, which proxies to a local origin.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createServer, request, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../../sandbox/moto-server';
import {
  COUNTER_REPORT_SCHEMA,
  EDGE_LOG_FORMAT,
  RESPONSE_TIME_BOUNDS_MS,
  type CounterPeriodReport,
} from '../../../functions/domain/edge-agent-contract';
import { EDGE_POD_RUNTIME, nginxEdgeConfig, type EdgePodRuntime } from '../../../functions/domain/nginx-edge-config';
import { exampleConfig } from '../../support/config-fixtures';
import { eventually, startShippedAgent, type AgentProgram } from '../../support/edge-agent-program';
import { createNginxPrefix, describeWithNginx, startNginx, type RunningNginx } from '../../support/nginx';

const PERIOD_SECONDS = 2;
const PERIOD_MS = PERIOD_SECONDS * 1000;

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

/**
 * Runs `send` right after a period begins, again in a later period when its requests spilled into
 * the next one (a loaded machine), so that every request it makes falls into the one period returned.
 */
async function withinOnePeriod<T>(send: () => Promise<T>): Promise<{ periodStart: number; answers: T }> {
  for (let attempt = 1; ; attempt++) {
    // A whole period after the last attempt, so that none of its log lines reaches this one.
    const periodStart = Math.ceil((Date.now() + PERIOD_MS) / PERIOD_MS) * PERIOD_MS;
    await new Promise((resolve) => setTimeout(resolve, periodStart + 50 - Date.now()));
    const answers = await send();
    if (Date.now() < periodStart + PERIOD_MS) return { periodStart, answers };
    if (attempt === 3) throw new Error(`the requests took longer than one ${PERIOD_SECONDS} s period three times`);
  }
}

describeWithNginx('the edge agent beside real nginx running the edge configuration', (nginxBinary) => {
  let origin: Server;
  let counter: AgentProgram;
  let nginx: RunningNginx;
  let port: number;
  let shippedConfig: string;
  let testedConfig: string;
  let runtime: EdgePodRuntime;

  beforeAll(async () => {
    origin = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('from the origin\n');
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    counter = await startShippedAgent({ periodSeconds: PERIOD_SECONDS });

    const prefix = createNginxPrefix();
    port = await freeLoopbackPort();
    const config = exampleConfig((raw) => {
      raw.edge = { originUrl: `http://127.0.0.1:${(origin.address() as AddressInfo).port}` };
    });
    shippedConfig = nginxEdgeConfig(config);
    // Only the pod runtime values: no port 8080 in a pod of one's own, the pod's cache and log paths, the agent's port.
    runtime = {
      ...EDGE_POD_RUNTIME,
      serveListen: [`127.0.0.1:${port}`, `[::1]:${port}`],
      redirectListen: [`127.0.0.1:${await freeLoopbackPort()}`],
      accessLog: join(prefix.logDir, 'edge-access.log'),
      cacheDir: prefix.cacheDir,
      agentSyslog: `127.0.0.1:${counter.syslogPort}`,
    };
    testedConfig = nginxEdgeConfig(config, runtime);
    nginx = await startNginx(nginxBinary, prefix, testedConfig, `http://127.0.0.1:${port}/health`);
  });

  afterAll(async () => {
    await nginx?.stop();
    if (counter) expect(await counter.stop()).toBe(0);
    await new Promise((resolve) => origin?.close(resolve));
  });

  it('runs the shipped server configuration, with only the pod runtime values replaced', () => {
    const tested = new Set(testedConfig.split('\n'));
    const replaced = Object.entries(EDGE_POD_RUNTIME)
      .filter(
        ([key]) =>
          JSON.stringify(runtime[key as keyof EdgePodRuntime]) !==
          JSON.stringify(EDGE_POD_RUNTIME[key as keyof EdgePodRuntime]),
      )
      .flatMap(([, value]) => [value].flat());
    for (const line of shippedConfig.split('\n').filter((line) => !tested.has(line))) {
      expect(replaced.some((value) => line.includes(value))).toBe(true);
    }
    expect(testedConfig).toContain(`log_format edge_agent '${EDGE_LOG_FORMAT}';`);
    expect(testedConfig).toContain(
      `access_log syslog:server=127.0.0.1:${counter.syslogPort},facility=local7,tag=edge,severity=info,nohostname edge_agent;`,
    );
  });

  it('counts exactly the distinct clients of each prefix that nginx served, by socket address only', async () => {
    const { periodStart, answers } = await withinOnePeriod(() =>
      Promise.all([
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
      ]),
    );
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

    const { traffic, ...counts } = report as CounterPeriodReport;
    expect(counts).toEqual({
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
    // Every request but the probe; all but /admin/ went through a cached location (the concurrent
    // requests for / wait on the first one's fetch, so how many of them hit depends on timing).
    expect(traffic.requests).toBe(11);
    expect(traffic.cacheHits + traffic.cacheMisses).toBe(10);
    expect(traffic.cacheHits).toBeGreaterThanOrEqual(1);
    expect(traffic.responseTimeBuckets).toHaveLength(RESPONSE_TIME_BOUNDS_MS.length + 1);
    expect(traffic.responseTimeBuckets.reduce((sum, n) => sum + n, 0)).toBe(11);

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
