import { describe, expect, it } from '@jest/globals';
import { createDemandCounter, type DemandCounter, type DemandCounterOptions } from '../../../edge/demand-counter';
import {
  COUNTER_GRACE_SECONDS,
  COUNTER_KEPT_PERIODS,
  COUNTER_REPORT_SCHEMA,
  PREFIX_PATTERN,
  RESPONSE_TIME_BOUNDS_MS,
  type CounterPeriodReport,
  type EdgeTrafficCounts,
} from '../../../functions/domain/edge-agent-contract';

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

/** A datagram exactly as nginx sends it (`nohostname`, EDGE_LOG_FORMAT). */
function datagram(atMs: number, address: string, cacheStatus = 'HIT', requestTime = '0.004'): string {
  return `<190>Dec  1 10:37:44 edge_agent: ${(atMs / 1000).toFixed(3)} ${address} ${cacheStatus} ${requestTime}`;
}

/** One request of `address` that ended at `atMs`: a cache hit answered in 4 ms unless told. */
function request(
  counter: DemandCounter,
  address: string,
  atMs: number,
  { cacheStatus = 'HIT', responseTimeMs = 4 }: { cacheStatus?: string; responseTimeMs?: number } = {},
): void {
  counter.recordRequest({ address, atMs, cacheStatus, responseTimeMs });
}

/** Traffic counts with `buckets` (bucket index -> requests) and zeros elsewhere. */
function traffic(
  requests: number,
  cacheHits: number,
  cacheMisses: number,
  buckets: Record<number, number> = {},
): EdgeTrafficCounts {
  const responseTimeBuckets = new Array<number>(RESPONSE_TIME_BOUNDS_MS.length + 1).fill(0);
  for (const [index, count] of Object.entries(buckets)) responseTimeBuckets[Number(index)] = count;
  return { requests, cacheHits, cacheMisses, responseTimeBuckets };
}
/** The bucket of 4 ms (the bound 4). */
const BUCKET_4MS = RESPONSE_TIME_BOUNDS_MS.indexOf(4);

function reportOf(result: ReturnType<ReturnType<typeof createDemandCounter>['period']>): CounterPeriodReport {
  if ('absence' in result) throw new Error(`expected a report, got: ${result.reason}`);
  return result;
}

describe('createDemandCounter: counting', () => {
  it('counts distinct IPv4 clients per /24 and distinct IPv6 clients per /48', () => {
    const { clock, counter } = counterAt(T0);
    for (const address of ['203.0.113.7', '203.0.113.7', '203.0.113.8', '203.0.113.255', '198.51.100.1'])
      request(counter, address, T0 + 1000);
    // The same /48 in other text forms, and a second /48.
    for (const address of ['2001:db8:1::1', '2001:0db8:0001:0000::1', '2001:db8:1:ffff::2', '2001:DB8:2::1'])
      request(counter, address, T0 + 2000);
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
      traffic: traffic(9, 9, 0, { [BUCKET_4MS]: 9 }),
    });
    for (const prefix of Object.keys(reportOf(counter.period(T0)).prefixes)) expect(prefix).toMatch(PREFIX_PATTERN);
  });

  it('counts an IPv4-mapped IPv6 address as the IPv4 client it is', () => {
    const { clock, counter } = counterAt(T0);
    request(counter, '203.0.113.7', T0 + 1000);
    request(counter, '::ffff:203.0.113.7', T0 + 1000);
    request(counter, '::FFFF:cb00:7108', T0 + 1000); // 203.0.113.8 in hex
    clock.ms = T0 + PERIOD + GRACE;

    expect(reportOf(counter.period(T0)).prefixes).toEqual({ '203.0.113.0/24': 2 });
  });

  it('reads syslog datagrams as nginx sends them, with or without a hostname, and bare messages', () => {
    const { clock, counter } = counterAt(T0);
    counter.recordLine(datagram(T0 + 1000, '203.0.113.7'));
    counter.recordLine(datagram(T0 + 1000, '2001:db8:1::7'));
    counter.recordLine(`<190>Dec  1 10:00:01 edge-pod-1 edge_agent: ${(T0 + 1000) / 1000}.5 198.51.100.7 MISS 0.250\n`);
    counter.recordLine(`${(T0 + 2000) / 1000}.123 192.0.2.1 - 1.5`);
    clock.ms = T0 + PERIOD + GRACE;

    const report = reportOf(counter.period(T0));
    expect(report.prefixes).toEqual({
      '203.0.113.0/24': 1,
      '2001:db8:1::/48': 1,
      '198.51.100.0/24': 1,
      '192.0.2.0/24': 1,
    });
    expect(report.malformedLines).toBe(0);
    expect(report.traffic).toEqual(
      traffic(4, 2, 1, {
        [BUCKET_4MS]: 2,
        [RESPONSE_TIME_BOUNDS_MS.indexOf(250)]: 1,
        [RESPONSE_TIME_BOUNDS_MS.indexOf(1600)]: 1, // 1.5 s: above 1300 ms, up to 1600 ms
      }),
    );
  });

  it('counts unreadable lines as malformed, in the period open when they arrive', () => {
    const { clock, counter } = counterAt(T0);
    clock.ms = T0 + PERIOD + 5000; // the second period is open
    const inSecond = T0 + PERIOD + 1000;
    for (const line of [
      'garbage',
      '',
      '<190>Dec  1 10:01:05 edge_agent:',
      '<190>Dec  1 10:01:05 no tag separator',
      datagram(inSecond, 'example.com'),
      datagram(inSecond, '203.0.113.256'),
      datagram(inSecond, '2001:db8::1::2'),
      `<190>Dec  1 10:01:05 edge_agent: yesterday 203.0.113.7 HIT 0.004`,
      // The two-field line of the demand-only counter: nginx always sends all four fields now.
      `<190>Dec  1 10:01:05 edge_agent: ${inSecond / 1000} 203.0.113.7`,
      `<190>Dec  1 10:01:05 edge_agent: ${inSecond / 1000} 203.0.113.7 HIT`,
      `<190>Dec  1 10:01:05 edge_agent: ${inSecond / 1000} 203.0.113.7 HIT 0.004 extra`,
      // Not a cache status nginx logs, and not a response time.
      datagram(inSecond, '203.0.113.7', 'hit'),
      datagram(inSecond, '203.0.113.7', 'MAYBE'),
      datagram(inSecond, '203.0.113.7', '', '0.004'),
      datagram(inSecond, '203.0.113.7', 'HIT', '-'),
      datagram(inSecond, '203.0.113.7', 'HIT', '-0.004'),
      datagram(inSecond, '203.0.113.7', 'HIT', '0.0041'),
      datagram(inSecond, '203.0.113.7', 'HIT', '4ms'),
      // Stamped in a period that has not begun: not a time the counter can trust.
      datagram(T0 + 3 * PERIOD, '203.0.113.7'),
    ])
      counter.recordLine(line);
    request(counter, 'not-an-address', inSecond);
    request(counter, '203.0.113.7', NaN);
    request(counter, '203.0.113.7', inSecond, { cacheStatus: 'FRESH' });
    request(counter, '203.0.113.7', inSecond, { responseTimeMs: -1 });
    request(counter, '203.0.113.7', inSecond, { responseTimeMs: NaN });
    clock.ms = T0 + 2 * PERIOD + GRACE;

    expect(reportOf(counter.period(T0)).malformedLines).toBe(0);
    expect(reportOf(counter.period(T0 + PERIOD))).toMatchObject({
      prefixes: {},
      trackedClients: 0,
      malformedLines: 24,
      // A malformed line is not a request the counter can vouch for.
      traffic: traffic(0, 0, 0),
    });
  });
});

describe('createDemandCounter: traffic', () => {
  it('counts every request of a period, hits and misses per cache status, times per bucket', () => {
    const { clock, counter } = counterAt(T0);
    const statuses = ['HIT', 'STALE', 'UPDATING', 'REVALIDATED', 'MISS', 'EXPIRED', 'BYPASS', '-'];
    statuses.forEach((cacheStatus, i) => request(counter, `203.0.113.${i + 1}`, T0 + 1000, { cacheStatus }));
    // The same client again: one client, but every request counts.
    request(counter, '203.0.113.1', T0 + 2000, { cacheStatus: 'HIT' });
    clock.ms = T0 + PERIOD + GRACE;

    const report = reportOf(counter.period(T0));
    expect(report.trackedClients).toBe(8);
    // Hits + misses are the cacheable requests; `-` (a location that does not cache) is neither.
    expect(report.traffic).toEqual(traffic(9, 5, 3, { [BUCKET_4MS]: 9 }));
  });

  it('reads the response time to the millisecond and puts it in the bucket of the first bound it does not exceed', () => {
    const { clock, counter } = counterAt(T0);
    const times = ['0.000', '0.001', '0.002', '0.010', '0.011', '0.100', '65.000', '65.001', '3600.000', '1', '0.5'];
    times.forEach((time, i) => counter.recordLine(datagram(T0 + 1000, `203.0.113.${i + 1}`, 'HIT', time)));
    clock.ms = T0 + PERIOD + GRACE;

    const bucket = (ms: number) => RESPONSE_TIME_BOUNDS_MS.findIndex((bound) => ms <= bound);
    const last = RESPONSE_TIME_BOUNDS_MS.length;
    expect(reportOf(counter.period(T0)).traffic.responseTimeBuckets).toEqual(
      traffic(0, 0, 0, {
        [bucket(0)]: 2, // 0 and 1 ms: up to the first bound
        [bucket(2)]: 1,
        [bucket(10)]: 1,
        [bucket(11)]: 1, // above 10 ms, up to 12 ms
        [bucket(100)]: 1,
        [bucket(500)]: 1,
        [bucket(1000)]: 1,
        [last - 1]: 1, // 65 s: the last bound
        [last]: 2, // above every bound
      }).responseTimeBuckets,
    );
    expect(bucket(0)).toBe(0);
    expect(bucket(11)).toBe(RESPONSE_TIME_BOUNDS_MS.indexOf(12));
  });

  it('counts the requests of clients over the cap in the traffic too', () => {
    const { clock, counter } = counterAt(T0, { maxTrackedClients: 2 });
    for (let host = 1; host <= 5; host++)
      request(counter, `203.0.113.${host}`, T0 + 1000, { cacheStatus: host % 2 ? 'HIT' : 'MISS' });
    clock.ms = T0 + PERIOD + GRACE;

    expect(reportOf(counter.period(T0))).toMatchObject({
      trackedClients: 2,
      overflowRequests: 3,
      traffic: traffic(5, 3, 2, { [BUCKET_4MS]: 5 }),
    });
  });

  it("counts a request in its own period's traffic, never a late one nor one of the period it started in", () => {
    const { clock, counter } = counterAt(T0 + 30_000);
    request(counter, '203.0.113.1', T0 + 31_000); // the partial period: never reported
    clock.ms = T0 + PERIOD + 1000;
    request(counter, '203.0.113.2', T0 + PERIOD + 500);
    clock.ms = T0 + 2 * PERIOD + 1000;
    request(counter, '203.0.113.3', T0 + 2 * PERIOD - 1, { cacheStatus: 'MISS' }); // within the grace: not late
    clock.ms = T0 + 2 * PERIOD + GRACE;
    request(counter, '203.0.113.4', T0 + 2 * PERIOD - 1); // late: its period is complete
    clock.ms = T0 + 3 * PERIOD + GRACE;

    expect(reportOf(counter.period(T0 + PERIOD))).toMatchObject({ traffic: traffic(2, 1, 1, { [BUCKET_4MS]: 2 }) });
    expect(reportOf(counter.period(T0 + 2 * PERIOD))).toMatchObject({
      lateLines: 1,
      traffic: traffic(0, 0, 0),
    });
  });
});

describe('createDemandCounter: the memory cap', () => {
  it('tracks at most maxTrackedClients per period and counts the requests of further clients as overflow', () => {
    const { clock, counter } = counterAt(T0, { maxTrackedClients: 3 });
    for (const address of ['203.0.113.1', '203.0.113.2', '2001:db8:1::1']) request(counter, address, T0 + 1000);
    request(counter, '203.0.113.4', T0 + 2000);
    request(counter, '203.0.113.4', T0 + 3000);
    request(counter, '198.51.100.1', T0 + 3000);
    // Clients already tracked are still counted once, without overflow.
    request(counter, '203.0.113.1', T0 + 4000);
    expect(counter.openTrackedClients()).toBe(3);
    // The next period starts with a fresh budget.
    clock.ms = T0 + PERIOD + 1000;
    request(counter, '198.51.100.1', T0 + PERIOD + 1000);
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
    for (let host = 1; host <= 50; host++) request(counter, `203.0.113.${host}`, T0 + 1000);
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
    counter.recordLine(datagram(T0 + PERIOD - 1, '203.0.113.1', 'MISS'));
    counter.recordLine(datagram(T0 + PERIOD, '198.51.100.1'));
    clock.ms = T0 + 2 * PERIOD + GRACE;

    expect(reportOf(counter.period(T0))).toMatchObject({
      prefixes: { '203.0.113.0/24': 1 },
      traffic: { requests: 1, cacheHits: 0, cacheMisses: 1 },
    });
    expect(reportOf(counter.period(T0 + PERIOD))).toMatchObject({
      prefixes: { '198.51.100.0/24': 1 },
      traffic: { requests: 1, cacheHits: 1, cacheMisses: 0 },
    });
  });

  it('completes a period COUNTER_GRACE_SECONDS after its end, and not before', () => {
    const { clock, counter } = counterAt(T0);
    request(counter, '203.0.113.1', T0 + 1000);
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
    request(counter, '203.0.113.1', T0 + 1000);
    clock.ms = T0 + PERIOD + GRACE - 1; // still within the grace: counted in its own period
    counter.recordLine(datagram(T0 + PERIOD - 500, '203.0.113.2'));
    clock.ms = T0 + PERIOD + GRACE; // the first period is complete now
    counter.recordLine(datagram(T0 + PERIOD - 400, '203.0.113.3'));
    request(counter, '203.0.113.4', T0 + 2000);
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
        traffic: traffic(0, 0, 0),
      })),
    });
  });

  it('never reports the period it started in: that count would be partial', () => {
    const { clock, counter } = counterAt(T0 + 30_000);
    request(counter, '203.0.113.1', T0 + 31_000);
    clock.ms = T0 + PERIOD + 1000;
    request(counter, '203.0.113.2', T0 + PERIOD + 1000);
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
      request(counter, `203.0.${i}.1`, clock.ms);
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
    request(counter, '203.0.113.1', clock.ms);
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
