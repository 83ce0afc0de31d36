import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createDemandCounter,
  startDemandCounter,
  type DemandCounterOptions,
  type RunningDemandCounter,
} from '../../../edge/demand-counter';
import {
  COUNTER_GRACE_SECONDS,
  COUNTER_KEPT_PERIODS,
  COUNTER_REPORT_SCHEMA,
  PREFIX_PATTERN,
  type CounterPeriodReport,
} from '../../../functions/domain/edge-agent-contract';
import { bundleEdgeAgent } from '../../../infra/lambda-bundling';

const PERIOD_S = 60;
const PERIOD = PERIOD_S * 1000;
const GRACE = COUNTER_GRACE_SECONDS * 1000;
/** 2026-12-01T10:00:00Z, a period start. */
const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);

/** A counter on a clock the test moves. */
function counterAt(startMs: number, options: Partial<DemandCounterOptions> = {}) {
  const clock = { ms: startMs };
  const counter = createDemandCounter({
    periodSeconds: PERIOD_S,
    maxTrackedClients: 1000,
    now: () => clock.ms,
    ...options,
  });
  return { clock, counter };
}

/** A datagram exactly as nginx 1.22 sends it (`nohostname`, tag edge_demand). */
function datagram(atMs: number, address: string): string {
  return `<190>Dec  1 10:37:44 edge_demand: ${(atMs / 1000).toFixed(3)} ${address}`;
}

function reportOf(result: ReturnType<ReturnType<typeof createDemandCounter>['period']>): CounterPeriodReport {
  if ('absence' in result) throw new Error(`expected a report, got: ${result.reason}`);
  return result;
}

describe('createDemandCounter: counting', () => {
  it('counts distinct IPv4 clients per /24 and distinct IPv6 clients per /48', () => {
    const { clock, counter } = counterAt(T0);
    for (const address of ['203.0.113.7', '203.0.113.7', '203.0.113.8', '203.0.113.255', '198.51.100.1'])
      counter.recordClient(address, T0 + 1000);
    // The same /48 in other text forms, and a second /48.
    for (const address of ['2001:db8:1::1', '2001:0db8:0001:0000::1', '2001:db8:1:ffff::2', '2001:DB8:2::1'])
      counter.recordClient(address, T0 + 2000);
    clock.ms = T0 + PERIOD + GRACE;

    expect(counter.period(T0)).toEqual({
      schema: COUNTER_REPORT_SCHEMA,
      periodSeconds: PERIOD_S,
      start: '2026-12-01T10:00:00.000Z',
      prefixes: { '203.0.113.0/24': 3, '198.51.100.0/24': 1, '2001:db8:1::/48': 2, '2001:db8:2::/48': 1 },
      trackedClients: 7,
      maxTrackedClients: 1000,
      overflowRequests: 0,
      malformedLines: 0,
      lateLines: 0,
    });
    for (const prefix of Object.keys(reportOf(counter.period(T0)).prefixes)) expect(prefix).toMatch(PREFIX_PATTERN);
  });

  it('counts an IPv4-mapped IPv6 address as the IPv4 client it is', () => {
    const { clock, counter } = counterAt(T0);
    counter.recordClient('203.0.113.7', T0 + 1000);
    counter.recordClient('::ffff:203.0.113.7', T0 + 1000);
    counter.recordClient('::FFFF:cb00:7108', T0 + 1000); // 203.0.113.8 in hex
    clock.ms = T0 + PERIOD + GRACE;

    expect(reportOf(counter.period(T0)).prefixes).toEqual({ '203.0.113.0/24': 2 });
  });

  it('reads syslog datagrams as nginx sends them, with or without a hostname, and bare messages', () => {
    const { clock, counter } = counterAt(T0);
    counter.recordLine(datagram(T0 + 1000, '203.0.113.7'));
    counter.recordLine(datagram(T0 + 1000, '2001:db8:1::7'));
    counter.recordLine(`<190>Dec  1 10:00:01 edge-pod-1 edge_demand: ${(T0 + 1000) / 1000}.5 198.51.100.7\n`);
    counter.recordLine(`${(T0 + 2000) / 1000}.123 192.0.2.1`);
    clock.ms = T0 + PERIOD + GRACE;

    const report = reportOf(counter.period(T0));
    expect(report.prefixes).toEqual({
      '203.0.113.0/24': 1,
      '2001:db8:1::/48': 1,
      '198.51.100.0/24': 1,
      '192.0.2.0/24': 1,
    });
    expect(report.malformedLines).toBe(0);
  });

  it('counts unreadable lines as malformed, in the period open when they arrive', () => {
    const { clock, counter } = counterAt(T0);
    clock.ms = T0 + PERIOD + 5000; // the second period is open
    const inSecond = T0 + PERIOD + 1000;
    for (const line of [
      'garbage',
      '',
      '<190>Dec  1 10:01:05 edge_demand:',
      '<190>Dec  1 10:01:05 no tag separator',
      datagram(inSecond, 'example.com'),
      datagram(inSecond, '203.0.113.256'),
      datagram(inSecond, '2001:db8::1::2'),
      `<190>Dec  1 10:01:05 edge_demand: yesterday 203.0.113.7`,
      `<190>Dec  1 10:01:05 edge_demand: ${inSecond / 1000}`,
      `<190>Dec  1 10:01:05 edge_demand: ${inSecond / 1000} 203.0.113.7 extra`,
      // Stamped in a period that has not begun: not a time the counter can trust.
      datagram(T0 + 3 * PERIOD, '203.0.113.7'),
    ])
      counter.recordLine(line);
    counter.recordClient('not-an-address', inSecond);
    counter.recordClient('203.0.113.7', NaN);
    clock.ms = T0 + 2 * PERIOD + GRACE;

    expect(reportOf(counter.period(T0)).malformedLines).toBe(0);
    expect(reportOf(counter.period(T0 + PERIOD))).toMatchObject({
      prefixes: {},
      trackedClients: 0,
      malformedLines: 13,
    });
  });
});

describe('createDemandCounter: the memory cap', () => {
  it('tracks at most maxTrackedClients per period and counts the requests of further clients as overflow', () => {
    const { clock, counter } = counterAt(T0, { maxTrackedClients: 3 });
    for (const address of ['203.0.113.1', '203.0.113.2', '2001:db8:1::1']) counter.recordClient(address, T0 + 1000);
    counter.recordClient('203.0.113.4', T0 + 2000);
    counter.recordClient('203.0.113.4', T0 + 3000);
    counter.recordClient('198.51.100.1', T0 + 3000);
    // Clients already tracked are still counted once, without overflow.
    counter.recordClient('203.0.113.1', T0 + 4000);
    expect(counter.openTrackedClients()).toBe(3);
    // The next period starts with a fresh budget.
    clock.ms = T0 + PERIOD + 1000;
    counter.recordClient('198.51.100.1', T0 + PERIOD + 1000);
    clock.ms = T0 + 2 * PERIOD + GRACE;

    expect(reportOf(counter.period(T0))).toMatchObject({
      prefixes: { '203.0.113.0/24': 2, '2001:db8:1::/48': 1 },
      trackedClients: 3,
      maxTrackedClients: 3,
      overflowRequests: 3,
    });
    expect(reportOf(counter.period(T0 + PERIOD))).toMatchObject({
      prefixes: { '198.51.100.0/24': 1 },
      overflowRequests: 0,
    });
  });

  it('drops the per-client sets of a period once it completes', () => {
    const { clock, counter } = counterAt(T0);
    for (let host = 1; host <= 50; host++) counter.recordClient(`203.0.113.${host}`, T0 + 1000);
    expect(counter.openTrackedClients()).toBe(50);
    clock.ms = T0 + PERIOD + GRACE;
    expect(counter.completeDuePeriods().map((report) => report.trackedClients)).toEqual([50]);
    expect(counter.openTrackedClients()).toBe(0);
  });
});

describe('createDemandCounter: periods', () => {
  it('assigns a line to the period of its own timestamp, not of its arrival', () => {
    const { clock, counter } = counterAt(T0);
    clock.ms = T0 + PERIOD + 1000; // arrives in the second period, within the first one's grace
    counter.recordLine(datagram(T0 + PERIOD - 1, '203.0.113.1'));
    counter.recordLine(datagram(T0 + PERIOD, '198.51.100.1'));
    clock.ms = T0 + 2 * PERIOD + GRACE;

    expect(reportOf(counter.period(T0)).prefixes).toEqual({ '203.0.113.0/24': 1 });
    expect(reportOf(counter.period(T0 + PERIOD)).prefixes).toEqual({ '198.51.100.0/24': 1 });
  });

  it('completes a period COUNTER_GRACE_SECONDS after its end, and not before', () => {
    const { clock, counter } = counterAt(T0);
    counter.recordClient('203.0.113.1', T0 + 1000);
    clock.ms = T0 + PERIOD + GRACE - 1;
    expect(counter.period(T0)).toEqual({
      absence: 'not-complete',
      reason: 'the period 2026-12-01T10:00:00.000Z is not complete yet: it is reported from 2026-12-01T10:01:02.000Z',
    });
    expect(counter.periods().periods).toEqual([]);

    clock.ms = T0 + PERIOD + GRACE;
    expect(reportOf(counter.period(T0)).trackedClients).toBe(1);
    expect(counter.period(T0 + PERIOD)).toMatchObject({ absence: 'not-complete' });
    expect(counter.period(T0 + 10 * PERIOD)).toMatchObject({ absence: 'not-complete' });
  });

  it('counts a line for a period already complete as late, in the period open when it arrives', () => {
    const { clock, counter } = counterAt(T0);
    counter.recordClient('203.0.113.1', T0 + 1000);
    clock.ms = T0 + PERIOD + GRACE - 1; // still within the grace: counted in its own period
    counter.recordLine(datagram(T0 + PERIOD - 500, '203.0.113.2'));
    clock.ms = T0 + PERIOD + GRACE; // the first period is complete now
    counter.recordLine(datagram(T0 + PERIOD - 400, '203.0.113.3'));
    counter.recordClient('203.0.113.4', T0 + 2000);
    clock.ms = T0 + 2 * PERIOD + GRACE;

    expect(reportOf(counter.period(T0))).toMatchObject({ prefixes: { '203.0.113.0/24': 2 }, lateLines: 0 });
    expect(reportOf(counter.period(T0 + PERIOD))).toMatchObject({ prefixes: {}, lateLines: 2 });
  });

  it('reports a period without traffic as complete with no prefixes: an idle edge is 0, not missing', () => {
    const { clock, counter } = counterAt(T0);
    clock.ms = T0 + 3 * PERIOD + GRACE;
    expect(counter.periods()).toEqual({
      schema: COUNTER_REPORT_SCHEMA,
      periodSeconds: PERIOD_S,
      periods: [0, 1, 2].map((i) => ({
        schema: COUNTER_REPORT_SCHEMA,
        periodSeconds: PERIOD_S,
        start: new Date(T0 + i * PERIOD).toISOString(),
        prefixes: {},
        trackedClients: 0,
        maxTrackedClients: 1000,
        overflowRequests: 0,
        malformedLines: 0,
        lateLines: 0,
      })),
    });
  });

  it('never reports the period it started in: that count would be partial', () => {
    const { clock, counter } = counterAt(T0 + 30_000);
    counter.recordClient('203.0.113.1', T0 + 31_000);
    clock.ms = T0 + PERIOD + 1000;
    counter.recordClient('203.0.113.2', T0 + PERIOD + 1000);
    clock.ms = T0 + 2 * PERIOD + GRACE;

    expect(counter.period(T0)).toEqual({
      absence: 'before-start',
      reason:
        'the period 2026-12-01T10:00:00.000Z began before the counter started (2026-12-01T10:00:30.000Z): its count would be partial',
    });
    expect(counter.periods().periods.map((report) => report.start)).toEqual(['2026-12-01T10:01:00.000Z']);
    // The line of the partial period went nowhere: neither counted nor late.
    expect(reportOf(counter.period(T0 + PERIOD))).toMatchObject({
      prefixes: { '203.0.113.0/24': 1 },
      lateLines: 0,
      malformedLines: 0,
    });
  });

  it('refuses a time that is not a period start', () => {
    const { clock, counter } = counterAt(T0);
    clock.ms = T0 + 2 * PERIOD + GRACE;
    expect(counter.period(T0 + 1000)).toEqual({
      absence: 'not-aligned',
      reason:
        '2026-12-01T10:00:01.000Z is not the start of a period: periods start at multiples of 60 s since the epoch',
    });
    expect(counter.period(T0 + 0.5)).toMatchObject({ absence: 'not-aligned' });
    expect(counter.period(NaN)).toMatchObject({ absence: 'not-aligned' });
  });

  it(`keeps only the last ${COUNTER_KEPT_PERIODS} complete periods, oldest first`, () => {
    const { clock, counter } = counterAt(T0);
    for (let i = 0; i < COUNTER_KEPT_PERIODS + 2; i++) {
      clock.ms = T0 + i * PERIOD + 1000;
      counter.recordClient(`203.0.${i}.1`, clock.ms);
    }
    clock.ms = T0 + (COUNTER_KEPT_PERIODS + 2) * PERIOD + GRACE;

    const periods = counter.periods().periods;
    expect(periods.map((report) => report.start)).toEqual(
      Array.from({ length: COUNTER_KEPT_PERIODS }, (_, i) => new Date(T0 + (i + 2) * PERIOD).toISOString()),
    );
    expect(periods.map((report) => Object.keys(report.prefixes))).toEqual(
      Array.from({ length: COUNTER_KEPT_PERIODS }, (_, i) => [`203.0.${i + 2}.0/24`]),
    );
    expect(counter.period(T0 + PERIOD)).toEqual({
      absence: 'not-kept',
      reason: `the period 2026-12-01T10:01:00.000Z is no longer kept: the counter keeps the last ${COUNTER_KEPT_PERIODS} complete periods`,
    });
  });

  it('calls onPeriodComplete once per period, oldest first, and after a clock jump only for the kept ones', () => {
    const completed: string[] = [];
    const { clock, counter } = counterAt(T0, { onPeriodComplete: (report) => completed.push(report.start) });
    clock.ms = T0 + 2 * PERIOD + GRACE;
    counter.completeDuePeriods();
    counter.completeDuePeriods();
    expect(completed).toEqual(['2026-12-01T10:00:00.000Z', '2026-12-01T10:01:00.000Z']);

    clock.ms = T0 + 24 * 3600_000 + GRACE; // a day later
    counter.recordClient('203.0.113.1', clock.ms);
    expect(completed).toHaveLength(2 + COUNTER_KEPT_PERIODS);
    expect(completed.at(-1)).toBe('2026-12-02T09:59:00.000Z');
    expect(counter.periods().periods.map((report) => report.start)).toEqual(completed.slice(2));
  });

  it('refuses options that are not whole positive numbers', () => {
    expect(() => createDemandCounter({ periodSeconds: 0.5, maxTrackedClients: 10 })).toThrow(
      'periodSeconds is 0.5: it must be a whole number of seconds > 0',
    );
    expect(() => createDemandCounter({ periodSeconds: 60, maxTrackedClients: 0 })).toThrow(
      'maxTrackedClients is 0: it must be a whole number > 0',
    );
  });
});

async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
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

describe('startDemandCounter: syslog listener and HTTP server', () => {
  const clock = { ms: T0 };
  const completed: CounterPeriodReport[] = [];
  let running: RunningDemandCounter;
  let base: string;

  beforeAll(async () => {
    running = await startDemandCounter({
      periodSeconds: PERIOD_S,
      maxTrackedClients: 1000,
      now: () => clock.ms,
      syslogPort: 0,
      httpPort: 0,
      httpHost: '127.0.0.1',
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
      datagram(T0 + 1000, '203.0.113.8'),
      datagram(T0 + 2000, '203.0.113.7'),
      datagram(T0 + 3000, '2001:db8:1::7'),
      // Two lines in one datagram, and a malformed one.
      `${datagram(T0 + 4000, '198.51.100.1')}\n${datagram(T0 + 4000, '198.51.100.2')}\n`,
      'not a log line',
    ]);
    await eventually(() => running.counter.openTrackedClients() === 5, '5 tracked clients');

    expect((await fetch(`${base}/periods/${T0 / 1000}`)).status).toBe(404);
    clock.ms = T0 + PERIOD + GRACE;

    const response = await fetch(`${base}/periods/${T0 / 1000}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const text = await response.text();
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
    await eventually(() => completed.length === 2, 'the second period to complete');
    expect(completed.map((report) => report.start)).toEqual(['2026-12-01T10:00:00.000Z', '2026-12-01T10:01:00.000Z']);
  });

  it('answers 404 with a reason for a period it cannot report, and for anything else', async () => {
    const reasonOf = async (path: string, init?: RequestInit) => {
      const response = await fetch(`${base}${path}`, init);
      expect(response.status).toBe(404);
      return ((await response.json()) as { reason: string }).reason;
    };
    expect(await reasonOf(`/periods/${(T0 + 10 * PERIOD) / 1000}`)).toMatch(/^the period .* is not complete yet/);
    expect(await reasonOf(`/periods/${(T0 - PERIOD) / 1000}`)).toMatch(/began before the counter started/);
    expect(await reasonOf(`/periods/${T0 / 1000 + 1}`)).toMatch(/is not the start of a period/);
    expect(await reasonOf('/periods/yesterday')).toBe('not a period start: give it in whole seconds since the epoch');
    expect(await reasonOf('/metrics')).toMatch(/^not found: the counter serves GET \/periods/);
    expect(await reasonOf('/periods', { method: 'POST', body: '{}' })).toMatch(/^not found/);

    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('stops listening on stop()', async () => {
    const other = await startDemandCounter({
      periodSeconds: PERIOD_S,
      maxTrackedClients: 10,
      syslogPort: 0,
      httpPort: 0,
      httpHost: '127.0.0.1',
    });
    expect((await fetch(`http://127.0.0.1:${other.httpPort}/health`)).status).toBe(200);
    await other.stop();
    await expect(fetch(`http://127.0.0.1:${other.httpPort}/health`)).rejects.toThrow();
  });

  it('fails to start on a port already in use', async () => {
    await expect(
      startDemandCounter({
        periodSeconds: PERIOD_S,
        maxTrackedClients: 10,
        syslogPort: running.syslogPort,
        httpPort: 0,
      }),
    ).rejects.toThrow(/EADDRINUSE/);
    await expect(
      startDemandCounter({
        periodSeconds: PERIOD_S,
        maxTrackedClients: 10,
        syslogPort: 0,
        httpPort: running.httpPort,
        httpHost: '127.0.0.1',
      }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('the built counter as a program', () => {
  let script: string;

  beforeAll(async () => {
    script = join(mkdtempSync(join(tmpdir(), 'demand-counter-')), 'edge-agent.mjs');
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
  ])('exits 1 naming the variable and the fix for %j', (env, message) => {
    const result = run(env);
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(`demand-counter: ${message}`);
  });

  it('logs where it listens and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [script], {
      env: {
        PATH: process.env.PATH ?? '',
        DEMAND_PERIOD_SECONDS: '60',
        DEMAND_MAX_TRACKED_CLIENTS: '10',
        DEMAND_SYSLOG_PORT: '0',
        DEMAND_HTTP_PORT: '0',
      },
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await eventually(() => stdout.includes('\n'), 'the listening line');
    const listening = JSON.parse(stdout.split('\n')[0]!) as Record<string, unknown>;
    expect(listening).toMatchObject({ level: 'info', message: 'listening', periodSeconds: 60, maxTrackedClients: 10 });
    expect((await fetch(`http://127.0.0.1:${listening.httpPort as number}/health`)).status).toBe(200);

    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ message: 'stopped', signal: 'SIGTERM' });
  });
});
