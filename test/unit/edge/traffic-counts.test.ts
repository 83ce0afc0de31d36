import { describe, expect, it } from '@jest/globals';
import { addRequest, isCacheStatus, NOT_CACHED_STATUS, responseTimeBucket } from '../../../edge/traffic-counts';
import {
  emptyTrafficCounts,
  CACHE_HIT_STATUSES,
  CACHE_MISS_STATUSES,
  RESPONSE_TIME_BOUNDS_MS,
} from '../../../functions/domain/edge-agent-contract';

describe('responseTimeBucket', () => {
  it('puts a time in the bucket of the first bound it does not exceed, at every bound', () => {
    RESPONSE_TIME_BOUNDS_MS.forEach((bound, i) => {
      expect([bound, responseTimeBucket(bound)]).toEqual([bound, i]);
      expect([bound + 1, responseTimeBucket(bound + 1)]).toEqual([bound + 1, i + 1]);
    });
    expect(responseTimeBucket(0)).toBe(0);
    expect(responseTimeBucket(24 * 3600_000)).toBe(RESPONSE_TIME_BOUNDS_MS.length);
  });
});

describe('isCacheStatus', () => {
  it('knows the statuses nginx logs, and `-` where the location does not cache', () => {
    for (const status of [...CACHE_HIT_STATUSES, ...CACHE_MISS_STATUSES, NOT_CACHED_STATUS])
      expect([status, isCacheStatus(status)]).toEqual([status, true]);
    for (const status of ['', 'hit', 'FRESH', '--', 'HIT,MISS'])
      expect([status, isCacheStatus(status)]).toEqual([status, false]);
  });
});

describe('addRequest', () => {
  it('counts a request, a hit or a miss by its status, and its time in its bucket', () => {
    const counts = emptyTrafficCounts();
    expect(counts.responseTimeBuckets).toHaveLength(RESPONSE_TIME_BOUNDS_MS.length + 1);
    addRequest(counts, 'STALE', 3);
    addRequest(counts, 'BYPASS', 250);
    addRequest(counts, NOT_CACHED_STATUS, 70_000);
    expect(counts.requests).toBe(3);
    expect(counts.cacheHits).toBe(1);
    expect(counts.cacheMisses).toBe(1);
    expect(
      counts.responseTimeBuckets.flatMap((count, i) =>
        count ? [[i === RESPONSE_TIME_BOUNDS_MS.length ? 'slower' : RESPONSE_TIME_BOUNDS_MS[i], count]] : [],
      ),
    ).toEqual([
      [3, 1],
      [250, 1],
      ['slower', 1],
    ]);
  });
});
