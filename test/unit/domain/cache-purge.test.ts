import { describe, expect, it } from '@jest/globals';
import {
  describePurgeTarget,
  parsePurgeTarget,
  purgePathProblem,
  purgeReport,
  purgeTargets,
  regionPurgeResult,
} from '../../../functions/domain/cache-purge';
import { MAX_PURGE_PATH_LENGTH } from '../../../functions/domain/edge-agent-contract';
import { cacheKeyPurgedBy } from '../../../functions/domain/edge-agent-contract';
import { InvalidRequestError } from '../../../functions/domain/errors';
import type { RegionState, RegionStatus } from '../../../functions/domain/region-state';

const state = (region: string, status: RegionStatus): RegionState => ({
  region,
  status,
  since: '2026-12-01T08:00:00Z',
  consecutiveFailures: 0,
});

describe('the purge target an operator names', () => {
  it.each([
    ['/images/logo.png', { path: '/images/logo.png', prefix: false }],
    ['/images/*', { path: '/images/', prefix: true }],
    ['/images*', { path: '/images', prefix: true }],
    ['/*', { path: '/', prefix: true }],
    ['/', { path: '/', prefix: false }],
    // As copied from a browser's address bar: nginx keys its cache by the decoded path.
    ['/fichiers/caf%C3%A9.png', { path: '/fichiers/café.png', prefix: false }],
    ['/stars/%2A.png', { path: '/stars/*.png', prefix: false }],
  ])('%s', (text, expected) => {
    expect(parsePurgeTarget(text)).toEqual(expected);
  });

  it('purges what the agent matches: a path purges each of its variants, a prefix everything under it', () => {
    const path = parsePurgeTarget('/images/logo.png');
    expect(cacheKeyPurgedBy('/images/logo.png?v=2', path)).toBe(true);
    expect(cacheKeyPurgedBy('/images/logo.png cookies=a=1', path)).toBe(true);
    expect(cacheKeyPurgedBy('/images/logo.png.bak', path)).toBe(false);
    const prefix = parsePurgeTarget('/images/*');
    expect(cacheKeyPurgedBy('/images/a/b.png', prefix)).toBe(true);
    expect(cacheKeyPurgedBy('/imagesX', prefix)).toBe(false);
  });

  it.each([
    ['images/logo.png', /^<path> "images\/logo.png" does not start with "\/"; fix: give the request's path/],
    ['https://edge.cdn.example.com/images/a.png?v=1', /is a URL; fix: give only its path, e.g. \/images\/a.png$/],
    ['/images/*.png', /holds a "\*" before its end; fix: end a prefix with one "\*"/],
    ['/images/a.png?v=2', /holds "\?": a purge names a path without its query, and refreshes every query/],
    ['/page#top', /holds "#": a fragment never reaches the edge/],
    ['/a b', /holds whitespace or a control character/],
    ['/a\tb', /holds whitespace or a control character/],
    ['/a\u0000b', /holds whitespace or a control character/],
    ['/caf%C3%A9%20noir.png', /holds whitespace or a control character/],
    ['/100%', /holds a "%" that does not start a UTF-8 percent-escape; fix: write a literal % as %25/],
    ['/bad/%FF', /does not start a UTF-8 percent-escape/],
    ['/images//logo.png', /"\/\/", "\." or "\.\." segments/],
    ['/images/./logo.png', /segments/],
    ['/images/..', /segments/],
  ])('refuses %j, naming the field and the fix', (text, message) => {
    expect(() => parsePurgeTarget(text)).toThrow(InvalidRequestError);
    expect(() => parsePurgeTarget(text)).toThrow(message);
  });

  it('refuses a path longer than any request that reaches the cache', () => {
    expect(purgePathProblem(`/${'a'.repeat(MAX_PURGE_PATH_LENGTH - 1)}`)).toBeUndefined();
    expect(purgePathProblem(`/${'a'.repeat(MAX_PURGE_PATH_LENGTH)}`)).toMatch(/more than 8192/);
  });

  it('keeps dots that are part of a name', () => {
    expect(purgePathProblem('/.well-known/a..b/.env')).toBeUndefined();
  });

  it('reads back as the operator meant it', () => {
    expect(describePurgeTarget({ path: '/a.png', prefix: false })).toBe('/a.png');
    expect(describePurgeTarget({ path: '/images/', prefix: true })).toBe('every path under /images/');
    expect(describePurgeTarget({ path: '/', prefix: true })).toBe('every path');
  });
});

describe('the regions a purge reaches', () => {
  const states = [
    state('us-east-1', 'ACTIVE'),
    state('eu-west-1', 'ACTIVE'),
    state('ap-southeast-1', 'DRAINING'),
    state('sa-east-1', 'INACTIVE'),
    state('ap-south-1', 'PROVISIONING'),
    state('ap-northeast-1', 'FAILED'),
  ];

  it('by default: every serving region (ACTIVE or DRAINING), and a warning for one scaling up', () => {
    const targets = purgeTargets(states);
    expect(targets.purge.map((s) => s.region)).toEqual(['us-east-1', 'eu-west-1', 'ap-southeast-1']);
    expect(targets.notServing).toEqual([
      expect.objectContaining({
        region: 'ap-south-1',
        status: 'PROVISIONING',
        outcome: 'not-serving',
        reason: expect.stringMatching(/^scaling up \(PROVISIONING\).*purge again when it is ACTIVE$/),
      }),
    ]);
  });

  it('when asked for regions: those of them that serve; the others are reported as not serving', () => {
    const targets = purgeTargets(states, ['eu-west-1', 'sa-east-1']);
    expect(targets.purge.map((s) => s.region)).toEqual(['eu-west-1']);
    expect(targets.notServing).toEqual([
      expect.objectContaining({
        region: 'sa-east-1',
        outcome: 'not-serving',
        reason: 'not serving (INACTIVE): its edge takes no traffic, nothing to purge',
        pods: [],
      }),
    ]);
  });
});

describe('what a purge reports', () => {
  const active = state('us-east-1', 'ACTIVE');

  it('adds up the pods that purged, and names the ones that did not', () => {
    const result = regionPurgeResult(active, [
      { pod: 'a', purged: true, purgedEntries: 3, scannedEntries: 100 },
      { pod: 'b', purged: true, purgedEntries: 2, scannedEntries: 90 },
      { pod: 'c', purged: false, reason: 'its agent answered HTTP 503' },
    ]);
    expect(result).toMatchObject({ outcome: 'partial', podsPurged: 2, purgedEntries: 5, scannedEntries: 190 });
    expect(result.pods.filter((p) => !p.purged)).toEqual([
      { pod: 'c', purged: false, reason: 'its agent answered HTTP 503' },
    ]);
  });

  it('is failed when no pod purged, or none runs', () => {
    expect(regionPurgeResult(active, [{ pod: 'a', purged: false, reason: 'x' }])).toMatchObject({
      outcome: 'failed',
      reason: 'no edge pod purged its cache',
    });
    expect(regionPurgeResult(active, [])).toMatchObject({ outcome: 'failed', reason: 'no edge pod is running' });
  });

  it('is complete only when every asked region purged whole; a region not serving does not count against it', () => {
    const purged = regionPurgeResult(active, [{ pod: 'a', purged: true, purgedEntries: 0, scannedEntries: 0 }]);
    const notServing = purgeTargets([state('sa-east-1', 'INACTIVE')], ['sa-east-1']).notServing;
    const request = { path: '/a', prefix: false };
    expect(purgeReport(request, [purged, ...notServing]).complete).toBe(true);
    expect(purgeReport(request, [purged, regionPurgeResult(state('eu-west-1', 'ACTIVE'), [])]).complete).toBe(false);
  });
});
