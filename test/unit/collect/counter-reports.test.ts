import { describe, expect, it } from '@jest/globals';
import { checkCounterReport } from '../../../functions/collect/counter-reports';
import { RESPONSE_TIME_BOUNDS_MS, type CounterPeriodReport } from '../../../functions/domain/edge-agent-contract';

const START = new Date('2026-12-01T10:00:00Z');

function report(mutate?: (r: Record<string, unknown> & CounterPeriodReport) => void): unknown {
  const buckets = new Array<number>(RESPONSE_TIME_BOUNDS_MS.length + 1).fill(0);
  buckets[4] = 10;
  const r = {
    schema: 2,
    periodSeconds: 60,
    start: START.toISOString(),
    prefixes: { '198.51.100.0/24': 3 },
    trackedClients: 3,
    maxTrackedClients: 200_000,
    overflowRequests: 0,
    malformedLines: 0,
    lateLines: 0,
    traffic: { requests: 10, cacheHits: 6, cacheMisses: 3, responseTimeBuckets: buckets },
  } as Record<string, unknown> & CounterPeriodReport;
  mutate?.(r);
  return JSON.parse(JSON.stringify(r));
}

const reason = (body: unknown) => {
  const check = checkCounterReport(body, START, 60);
  return check.ok ? 'accepted' : check.reason;
};

describe("an edge agent's period report", () => {
  it('is accepted with its demand and its traffic (schema 2)', () => {
    const check = checkCounterReport(report(), START, 60);
    expect(check).toEqual({ ok: true, report: report() });
  });

  it('of another schema is rejected, saying which and why', () => {
    expect(reason(report((r) => void (r.schema = 1 as 2)))).toMatch(
      /^reports schema 1, not 2 \(demand and traffic\): its pod runs an edge agent of another version than this collector .*; fix: apply this deployment's edge workload/,
    );
    expect(reason({ periods: [] })).toMatch(/^has no schema, not 2/);
    expect(reason('not json')).toMatch(/^has no schema/);
  });

  it('without its traffic, or with traffic that does not add up, is rejected whole, naming the field', () => {
    expect(reason(report((r) => delete (r as Partial<CounterPeriodReport>).traffic))).toMatch(
      /^malformed report: traffic /,
    );
    expect(reason(report((r) => void (r.traffic.cacheHits = -1)))).toMatch(/^malformed report: traffic\.cacheHits /);
    expect(reason(report((r) => void (r.traffic.requests = 2.5)))).toMatch(/^malformed report: traffic\.requests /);
    expect(reason(report((r) => void r.traffic.responseTimeBuckets.pop()))).toMatch(
      /^malformed report: traffic\.responseTimeBuckets must have 57 buckets/,
    );
    expect(reason(report((r) => void (r.traffic.cacheMisses = 5)))).toBe(
      'malformed report: traffic counts more cache hits and misses than requests',
    );
    expect(reason(report((r) => void (r.traffic.responseTimeBuckets[0] = 1)))).toBe(
      'malformed report: traffic.responseTimeBuckets counts more response times than requests',
    );
  });

  it('of another period or period length is rejected', () => {
    expect(reason(report((r) => void (r.start = '2026-12-01T10:01:00.000Z')))).toMatch(/answered for the period of/);
    expect(reason(report((r) => void (r.periodSeconds = 30)))).toMatch(/counts periods of 30 s, not 60 s/);
  });
});
