/**
 * The edge's traffic metrics, from the traffic counts the edge agent of every pod reports for a
 * period (`EdgeTrafficCounts` in edge-agent-contract.ts), and the cache hit-rate alarm.
 *
 *   namespace   EdgeAutoscaler
 *   dimension   Region = the region whose edge served the requests (not the region its users
 *               are attributed to, as for ActiveUsers)
 *   CacheHitRate        Percent        hits / (hits + misses) * 100, only with at least
 *                                      edge.metrics.hitRateMinRequests cacheable requests
 *   RequestsPerSecond   Count/Second   requests / period length
 *   ResponseTimeP50     Milliseconds   median response time (nginx's $request_time)
 *   ResponseTimeP95     Milliseconds   95th percentile response time
 *
 * Every figure is stamped with the start of its period and published by the collector once per
 * period, beside the demand. Missing is never zero: a figure that cannot be told is not
 * published (see regionTrafficFigures). Pure: no AWS SDK import.
 */
import type { AlarmDefinition } from './alarm-evaluation';
import type { AutoscalerConfig } from './config';
import { demandCounterPeriodSeconds } from './demand-collection';
import {
  emptyTrafficCounts,
  RESPONSE_TIME_BOUNDS_MS,
  RESPONSE_TIME_BUCKETS,
  type EdgeTrafficCounts,
} from './edge-agent-contract';

export const TRAFFIC_METRICS = {
  cacheHitRate: 'CacheHitRate',
  requestsPerSecond: 'RequestsPerSecond',
  responseTimeP50: 'ResponseTimeP50',
  responseTimeP95: 'ResponseTimeP95',
} as const;

export const TRAFFIC_METRIC_UNITS = {
  cacheHitRate: 'Percent',
  requestsPerSecond: 'Count/Second',
  responseTimeP50: 'Milliseconds',
  responseTimeP95: 'Milliseconds',
} as const;

export type TrafficFigure = keyof typeof TRAFFIC_METRICS;
/** One region's figures for one period; a figure that cannot be told is absent (missing, never 0). */
export type TrafficFigures = Partial<Record<TrafficFigure, number>>;

/** The traffic of several pods as one: every count and every histogram bucket added up. */
export function mergeTraffic(pods: readonly EdgeTrafficCounts[]): EdgeTrafficCounts {
  const merged = emptyTrafficCounts();
  for (const pod of pods) {
    if (pod.responseTimeBuckets.length !== RESPONSE_TIME_BUCKETS) {
      throw new RangeError(
        `a response-time histogram has ${pod.responseTimeBuckets.length} buckets, not ${RESPONSE_TIME_BUCKETS} (RESPONSE_TIME_BOUNDS_MS and one for the slower requests)`,
      );
    }
    merged.requests += pod.requests;
    merged.cacheHits += pod.cacheHits;
    merged.cacheMisses += pod.cacheMisses;
    pod.responseTimeBuckets.forEach((count, i) => (merged.responseTimeBuckets[i]! += count));
  }
  return merged;
}

/**
 * The `percentile` (0 < p <= 100) response time of a histogram, in ms; undefined when it counts
 * no request. The estimate (the one Prometheus' histogram_quantile makes): the rank p/100 * N of
 * the N counted requests falls in the first bucket whose cumulative count reaches it; inside that
 * bucket the requests are taken as spread evenly between its lower bound (the bound before it, 0
 * for the first) and its upper bound, so the time is interpolated linearly. A rank in the last,
 * unbounded bucket is reported as the last bound (RESPONSE_TIME_BOUNDS_MS' largest): the true
 * time is at least that. With bounds about 20 % apart the estimate is within about 20 % of the
 * exact percentile.
 */
export function responseTimePercentileMs(buckets: readonly number[], percentile: number): number | undefined {
  if (!(percentile > 0 && percentile <= 100)) {
    throw new RangeError(`percentile is ${percentile}: it must be above 0 and at most 100`);
  }
  const total = buckets.reduce((sum, count) => sum + count, 0);
  if (total === 0) return undefined;
  const rank = (percentile * total) / 100;
  // The first bucket whose cumulative count reaches the rank (there is one: rank <= total).
  let i = 0;
  let before = 0;
  while (before + buckets[i]! < rank) before += buckets[i++]!;
  if (i >= RESPONSE_TIME_BOUNDS_MS.length) return RESPONSE_TIME_BOUNDS_MS[RESPONSE_TIME_BOUNDS_MS.length - 1]!;
  const lower = i === 0 ? 0 : RESPONSE_TIME_BOUNDS_MS[i - 1]!;
  const upper = RESPONSE_TIME_BOUNDS_MS[i]!;
  return lower + ((upper - lower) * (rank - before)) / buckets[i]!;
}

/**
 * The cache hit rate (%) of cacheable requests (hits + misses; requests to uncached paths are
 * neither); undefined below `minRequests` cacheable requests, where a rate says little (one miss
 * of two requests is not a 50 % cache): neither 0 nor 100 is published for an idle edge.
 */
export function cacheHitRatePercent(traffic: EdgeTrafficCounts, minRequests: number): number | undefined {
  const cacheable = traffic.cacheHits + traffic.cacheMisses;
  if (cacheable === 0 || cacheable < minRequests) return undefined;
  return (traffic.cacheHits / cacheable) * 100;
}

export interface RegionTraffic {
  figures: TrafficFigures;
  /** The pods' traffic as one. */
  merged: EdgeTrafficCounts;
  /** False when some pod of the region did not report the period. */
  complete: boolean;
}

/**
 * The figures one region's edge may publish for a period, from the traffic of the pods that
 * reported it (`answered`), `everyPodAnswered` telling whether that is every serving pod.
 *
 * With every pod, each figure is the region's. With a pod missing, its requests are missing:
 * RequestsPerSecond is a lower bound, published only when above 0 (a 0 from part of the edge is
 * not an idle edge, so it is left missing); the hit rate and the percentiles are those of the
 * pods that answered (the load balancer spreads requests over the pods, so they are a sample of
 * the region's traffic), with the same minimum of cacheable requests for the hit rate. No pod
 * answered: nothing (the caller publishes nothing for the region).
 */
export function regionTrafficFigures(
  config: AutoscalerConfig,
  answered: readonly EdgeTrafficCounts[],
  everyPodAnswered: boolean,
  periodSeconds: number,
): RegionTraffic {
  const merged = mergeTraffic(answered);
  const figures: TrafficFigures = {};
  if (answered.length === 0) return { figures, merged, complete: false };
  if (everyPodAnswered || merged.requests > 0) figures.requestsPerSecond = merged.requests / periodSeconds;
  const hitRate = cacheHitRatePercent(merged, config.edge.metrics.hitRateMinRequests);
  if (hitRate !== undefined) figures.cacheHitRate = hitRate;
  const p50 = responseTimePercentileMs(merged.responseTimeBuckets, 50);
  const p95 = responseTimePercentileMs(merged.responseTimeBuckets, 95);
  if (p50 !== undefined) figures.responseTimeP50 = p50;
  if (p95 !== undefined) figures.responseTimeP95 = p95;
  return { figures, merged, complete: everyPodAnswered };
}

/** The hit-rate alarm reads the average of the period figures within each of its periods. */
export const CACHE_HIT_RATE_ALARM_STATISTIC = 'Average';

export interface CacheHitRateAlarm extends AlarmDefinition {
  periodSeconds: number;
}

/**
 * The cache hit-rate alarm of every approved region: the rate below edge.metrics.hitRateAlarmPercent
 * in 3 periods of 5 minutes in a row (or of the counters' period, when that is longer). Missing
 * data is `missing`: a region that serves no traffic, or too little to judge, is not in alarm
 * (INSUFFICIENT_DATA, no notification).
 */
export function cacheHitRateAlarm(config: AutoscalerConfig): CacheHitRateAlarm {
  return {
    periodSeconds: Math.max(300, demandCounterPeriodSeconds(config)),
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    threshold: config.edge.metrics.hitRateAlarmPercent,
    comparisonOperator: 'LessThanThreshold',
    treatMissingData: 'missing',
  };
}
