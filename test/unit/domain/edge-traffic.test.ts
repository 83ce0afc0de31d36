import { describe, expect, it } from '@jest/globals';
import {
  emptyTrafficCounts,
  RESPONSE_TIME_BOUNDS_MS,
  RESPONSE_TIME_BUCKETS,
  type EdgeTrafficCounts,
} from '../../../functions/domain/edge-agent-contract';
import {
  cacheHitRateAlarm,
  cacheHitRatePercent,
  mergeTraffic,
  regionTrafficFigures,
  responseTimePercentileMs,
} from '../../../functions/domain/edge-traffic';
import { seededRandom } from '../../../simulator/diurnal-trace';
import { exampleConfig } from '../../support/config-fixtures';

const config = exampleConfig();

/** The bucket a response time falls in, read from the contract's words: the first bound it does not exceed. */
function bucketOf(ms: number): number {
  const i = RESPONSE_TIME_BOUNDS_MS.findIndex((bound) => ms <= bound);
  return i < 0 ? RESPONSE_TIME_BOUNDS_MS.length : i;
}

/** A histogram of the given response times. */
function histogram(times: number[]): number[] {
  const buckets = new Array<number>(RESPONSE_TIME_BUCKETS).fill(0);
  for (const ms of times) buckets[bucketOf(ms)]!++;
  return buckets;
}

function traffic(hits: number, misses: number, uncached: number, times?: number[]): EdgeTrafficCounts {
  const requests = hits + misses + uncached;
  return {
    requests,
    cacheHits: hits,
    cacheMisses: misses,
    responseTimeBuckets: histogram(times ?? new Array<number>(requests).fill(20)),
  };
}

describe('merging the traffic of the pods of a region', () => {
  it('adds up every count and every histogram bucket', () => {
    const a = traffic(6, 2, 1, [0, 1, 1, 2, 3, 5, 40, 41, 70_000]);
    const b = traffic(3, 1, 0, [1, 2, 41, 9000]);
    const merged = mergeTraffic([a, b]);
    expect(merged).toMatchObject({ requests: 13, cacheHits: 9, cacheMisses: 3 });
    expect(merged.responseTimeBuckets).toEqual(histogram([0, 1, 1, 2, 3, 5, 40, 41, 70_000, 1, 2, 41, 9000]));
    // The inputs are left as they were.
    expect(a.requests).toBe(9);
  });

  it('of no pod is an empty period', () => {
    expect(mergeTraffic([])).toEqual(emptyTrafficCounts());
    expect(emptyTrafficCounts().responseTimeBuckets).toHaveLength(RESPONSE_TIME_BOUNDS_MS.length + 1);
  });

  it('refuses a histogram of another shape', () => {
    const short = { ...traffic(1, 0, 0), responseTimeBuckets: [1] };
    expect(() => mergeTraffic([short])).toThrow(/has 1 buckets, not 57/);
  });
});

describe('a response-time percentile from the merged histogram', () => {
  it('is missing when no request was counted', () => {
    expect(responseTimePercentileMs(emptyTrafficCounts().responseTimeBuckets, 50)).toBeUndefined();
  });

  it('interpolates linearly inside the bucket the rank falls in', () => {
    // 100 requests in (10, 12] ms: spread evenly, the median is halfway, p95 at 95 %.
    const buckets = histogram(new Array<number>(100).fill(11));
    expect(responseTimePercentileMs(buckets, 50)).toBeCloseTo(11, 10);
    expect(responseTimePercentileMs(buckets, 95)).toBeCloseTo(11.9, 10);
    expect(responseTimePercentileMs(buckets, 100)).toBe(12);
  });

  it('starts the first bucket at 0 ms (nginx logs 0.000 s for a request answered within the millisecond)', () => {
    const buckets = histogram([0, 0, 1, 1]);
    expect(buckets[0]).toBe(4);
    expect(responseTimePercentileMs(buckets, 50)).toBeCloseTo(0.5, 10);
  });

  it('gives the upper bound of a bucket when the rank is exactly its cumulative count', () => {
    // 50 requests in (4, 5] and 50 in (5, 6]: the 50th request is the last of the first bucket.
    const buckets = histogram([...new Array<number>(50).fill(5), ...new Array<number>(50).fill(6)]);
    expect(responseTimePercentileMs(buckets, 50)).toBe(5);
    expect(responseTimePercentileMs(buckets, 51)).toBeCloseTo(5.02, 10);
  });

  it('skips empty buckets: the rank lands in the next bucket that counts requests', () => {
    const buckets = histogram([1, 1000]);
    // The second request is in (900, 1100]: the p95 rank 1.9 is 0.9 of the way through it.
    expect(responseTimePercentileMs(buckets, 95)).toBeCloseTo(900 + 0.9 * 200, 10);
  });

  it('reports the largest bound for a rank among the requests slower than every bound (the time is at least that)', () => {
    const buckets = histogram([5, 70_000, 90_000, 120_000]);
    expect(responseTimePercentileMs(buckets, 95)).toBe(65_000);
    expect(responseTimePercentileMs(buckets, 25)).toBeCloseTo(4 + 1, 10);
  });

  it('is within about 20 % of the exact percentile for a realistic spread of times', () => {
    const random = seededRandom(7);
    // Log-normal response times around 30 ms, from under a millisecond to seconds.
    const times = Array.from({ length: 5000 }, () => {
      const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      return Math.round(Math.exp(Math.log(30) + 1.2 * normal));
    });
    const sorted = [...times].sort((a, b) => a - b);
    for (const p of [50, 95]) {
      const exact = sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
      const estimate = responseTimePercentileMs(histogram(times), p)!;
      expect({ p, ratio: Math.abs(estimate - exact) / exact < 0.2 }).toEqual({ p, ratio: true });
    }
  });

  it('refuses a percentile that is not one', () => {
    expect(() => responseTimePercentileMs(histogram([1]), 0)).toThrow(/percentile is 0/);
    expect(() => responseTimePercentileMs(histogram([1]), 101)).toThrow(/at most 100/);
  });
});

describe('the cache hit rate', () => {
  it('is the hits among the cacheable requests (hits and misses), in percent', () => {
    expect(cacheHitRatePercent(traffic(90, 30, 500), 100)).toBe(75);
  });

  it('is missing below the minimum of cacheable requests, never 0 or 100, and told from that minimum on', () => {
    expect(cacheHitRatePercent(traffic(99, 0, 1000), 100)).toBeUndefined();
    expect(cacheHitRatePercent(traffic(0, 99, 0), 100)).toBeUndefined();
    expect(cacheHitRatePercent(traffic(0, 0, 0), 1)).toBeUndefined();
    expect(cacheHitRatePercent(traffic(100, 0, 0), 100)).toBe(100);
    expect(cacheHitRatePercent(traffic(0, 100, 0), 100)).toBe(0);
  });
});

describe('what a region publishes for a period', () => {
  const minRequests = exampleConfig((raw) => void (raw.edge!.metrics = { hitRateMinRequests: 10 }));

  it('with every pod: the region figures, from the pods together', () => {
    const a = traffic(40, 10, 10, new Array<number>(60).fill(3));
    const b = traffic(45, 5, 10, new Array<number>(60).fill(300));
    const { figures, complete } = regionTrafficFigures(minRequests, [a, b], true, 60);
    expect(complete).toBe(true);
    expect(figures.requestsPerSecond).toBe(2);
    expect(figures.cacheHitRate).toBe(85);
    // Half the requests took (2, 3] ms, half (250, 300] ms: the median is the last of the fast ones.
    expect(figures.responseTimeP50).toBe(3);
    expect(figures.responseTimeP95).toBeCloseTo(250 + 0.9 * 50, 10);
  });

  it('with every pod and no request: 0 requests per second, and no rate or percentile (missing, not 0)', () => {
    const { figures } = regionTrafficFigures(config, [emptyTrafficCounts(), emptyTrafficCounts()], true, 60);
    expect(figures).toEqual({ requestsPerSecond: 0 });
  });

  it('with too few cacheable requests: every figure but the hit rate', () => {
    const { figures } = regionTrafficFigures(config, [traffic(20, 5, 0)], true, 10);
    expect(Object.keys(figures).sort()).toEqual(['requestsPerSecond', 'responseTimeP50', 'responseTimeP95']);
    expect(figures.requestsPerSecond).toBe(2.5);
  });

  it('with a pod missing: requests per second as a lower bound, the rate and percentiles of the pods that answered', () => {
    const { figures, complete } = regionTrafficFigures(minRequests, [traffic(30, 10, 20)], false, 60);
    expect(complete).toBe(false);
    expect(figures).toEqual({
      requestsPerSecond: 1,
      cacheHitRate: 75,
      responseTimeP50: expect.any(Number),
      responseTimeP95: expect.any(Number),
    });
  });

  it('with a pod missing and no request from the others: nothing (a 0 from part of the edge is not an idle edge)', () => {
    expect(regionTrafficFigures(config, [emptyTrafficCounts()], false, 60).figures).toEqual({});
  });

  it('with no pod answering: nothing', () => {
    expect(regionTrafficFigures(config, [], false, 60)).toMatchObject({ figures: {}, complete: false });
  });
});

describe('the cache hit-rate alarm', () => {
  it('fires below the configured rate in 3 of 3 five-minute periods, and treats missing data as missing', () => {
    expect(cacheHitRateAlarm(config)).toEqual({
      periodSeconds: 300,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      threshold: 85,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'missing',
    });
    const stricter = exampleConfig((raw) => void (raw.edge!.metrics = { hitRateAlarmPercent: 92.5 }));
    expect(cacheHitRateAlarm(stricter).threshold).toBe(92.5);
  });

  it('evaluates periods of the counters when they are longer than five minutes', () => {
    const tenMinutes = exampleConfig((raw) => {
      raw.scaling.thresholds.periodSeconds = 600;
      raw.scaling.regionOverrides = {};
    });
    expect(cacheHitRateAlarm(tenMinutes).periodSeconds).toBe(600);
  });
});
