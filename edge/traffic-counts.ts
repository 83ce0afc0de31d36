/**
 * One period's traffic as the edge agent counts it from nginx's log lines: requests, cache hits
 * and misses, and a histogram of response times over RESPONSE_TIME_BOUNDS_MS. Counts, not
 * samples: the collector adds the histograms of every pod and reads the hit rate and the
 * percentiles from the sums, which no per-pod percentile would allow.
 */
import {
  CACHE_HIT_STATUSES,
  CACHE_MISS_STATUSES,
  RESPONSE_TIME_BOUNDS_MS,
  type EdgeTrafficCounts,
} from '../functions/domain/edge-agent-contract';

/** Where the location does not cache, nginx logs `$upstream_cache_status` as `-`. */
export const NOT_CACHED_STATUS = '-';

const HITS = new Set(CACHE_HIT_STATUSES);
const MISSES = new Set(CACHE_MISS_STATUSES);

/** Whether `status` is a cache status nginx logs: a hit, a miss, or `-`. */
export function isCacheStatus(status: string): boolean {
  return status === NOT_CACHED_STATUS || HITS.has(status) || MISSES.has(status);
}

/** The bucket of a response time: the first bound it does not exceed, or the last bucket past every bound. */
export function responseTimeBucket(responseTimeMs: number): number {
  let low = 0;
  let high = RESPONSE_TIME_BOUNDS_MS.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (responseTimeMs <= RESPONSE_TIME_BOUNDS_MS[middle]!) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** Adds one request (its status checked with isCacheStatus, its time >= 0) to `counts`. */
export function addRequest(counts: EdgeTrafficCounts, cacheStatus: string, responseTimeMs: number): void {
  counts.requests++;
  if (HITS.has(cacheStatus)) counts.cacheHits++;
  else if (MISSES.has(cacheStatus)) counts.cacheMisses++;
  counts.responseTimeBuckets[responseTimeBucket(responseTimeMs)]!++;
}
