/**
 * Purging the edges' caches, as the control plane does it (`regionctl purge` -> the purge Lambda
 * -> every serving region's edge pods, through the Kubernetes API's pod proxy -> the edge agent):
 * what a purge target is, which regions a purge reaches, and what it reports. Pure.
 *
 * A purge names a request path as nginx keys its cache: `$uri`, decoded and normalized, without
 * the query (see CACHE_KEY_TEMPLATES). Purging a path refreshes every variant of it (each query
 * and cookie set); a prefix purge refreshes every path that starts with it.
 */
import { MAX_PURGE_PATH_LENGTH, type PurgeRequest } from './edge-agent-contract';
import { InvalidRequestError } from './errors';
import type { RegionState, RegionStatus } from './region-state';

/**
 * How long one pod's agent may take: it reads every cache entry's key, and a large cache takes a
 * while. The API server's pod proxy waits as long; the purge Lambda's timeout is longer.
 */
export const POD_PURGE_TIMEOUT_MS = 60_000;

/** Regions whose edge serves users, so whose cache a purge refreshes: ACTIVE, and DRAINING (resolvers still send users until they forget the record). */
export const PURGED_STATUSES: readonly RegionStatus[] = ['ACTIVE', 'DRAINING'];

const WHITESPACE_OR_CONTROL = /[\s\p{Cc}]/u;
/** A segment nginx normalizes away (merge_slashes, `.` and `..`): no cache key holds one. */
const UNNORMALIZED_SEGMENT = /\/\/|\/\.\.?(?:\/|$)/;

/**
 * What is wrong with a purge path in cache-key form (decoded), as the purge Lambda receives it,
 * or undefined when it is one. The message completes "path ... ", and ends with the fix.
 */
export function purgePathProblem(path: string): string | undefined {
  if (!path.startsWith('/'))
    return 'does not start with "/"; fix: give the request\'s path without scheme or host, e.g. /images/logo.png';
  if (path.length > MAX_PURGE_PATH_LENGTH)
    return `is ${path.length} characters long, more than ${MAX_PURGE_PATH_LENGTH} (no request that long reaches the cache); fix: purge a shorter prefix of it`;
  if (WHITESPACE_OR_CONTROL.test(path))
    return 'holds whitespace or a control character, which no purge path may hold; fix: purge the prefix before it';
  if (path.includes('?'))
    return 'holds "?": a purge names a path without its query, and refreshes every query and cookie variant of it; fix: drop the "?" and what follows';
  if (UNNORMALIZED_SEGMENT.test(path))
    return 'holds "//", "." or ".." segments, which nginx normalizes away before it keys the cache; fix: give the normalized path, e.g. /images/logo.png for /images/./logo.png';
  return undefined;
}

/**
 * The purge an operator names on the command line: a request path (percent-escapes allowed, as
 * in a copied URL), or a prefix with a trailing `*` (`/images/*`: every path under /images/;
 * `/*`: everything). Throws InvalidRequestError naming `field` and the fix.
 */
export function parsePurgeTarget(text: string, field = '<path>'): PurgeRequest {
  const fail = (problem: string) => new InvalidRequestError(`${field} ${JSON.stringify(text)} ${problem}`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw fail(`is a URL; fix: give only its path, e.g. ${URL.parse(text)?.pathname ?? '/images/logo.png'}`);
  }
  const prefix = text.endsWith('*');
  const body = prefix ? text.slice(0, -1) : text;
  if (body.includes('*')) {
    throw fail('holds a "*" before its end; fix: end a prefix with one "*" (e.g. /images/*), write a literal * as %2A');
  }
  if (body.includes('#'))
    throw fail('holds "#": a fragment never reaches the edge; fix: drop the "#" and what follows');
  if (body.includes('?')) {
    throw fail(
      'holds "?": a purge names a path without its query, and refreshes every query and cookie variant of it; fix: drop the "?" and what follows',
    );
  }
  let path: string;
  try {
    path = decodeURIComponent(body);
  } catch {
    throw fail('holds a "%" that does not start a UTF-8 percent-escape; fix: write a literal % as %25');
  }
  const problem = purgePathProblem(path);
  if (problem) throw fail(problem);
  return { path, prefix };
}

/** The purge target as an operator reads it: `/images/logo.png`, or `every path under /images/`. */
export function describePurgeTarget(request: PurgeRequest): string {
  if (!request.prefix) return request.path;
  return request.path === '/' ? 'every path' : `every path under ${request.path}`;
}

/** One edge pod's part of a purge. */
export type PodPurgeResult =
  | { pod: string; purged: true; purgedEntries: number; scannedEntries: number }
  | { pod: string; purged: false; reason: string };

/**
 * One region's part of a purge:
 * - `purged`: every edge pod purged its cache;
 * - `partial`: some pods did, `pods` says which did not and why;
 * - `failed`: no pod did (`reason`: the cluster or its API could not be reached, or no pod runs);
 * - `not-serving`: the region serves no users, nothing was asked of it (`reason`).
 */
export interface RegionPurgeResult {
  region: string;
  /** The region's state when the purge read it. */
  status: RegionStatus;
  outcome: 'purged' | 'partial' | 'failed' | 'not-serving';
  reason?: string;
  pods: PodPurgeResult[];
  podsPurged: number;
  purgedEntries: number;
  scannedEntries: number;
}

export const PURGE_REPORT_SCHEMA = 1;

/** What the purge Lambda returns. */
export interface PurgeReport {
  schema: typeof PURGE_REPORT_SCHEMA;
  path: string;
  prefix: boolean;
  /** The regions purged, then those reported as not serving, each in the configuration's order. */
  regions: RegionPurgeResult[];
  /** Every edge pod of every region purged: no region partial or failed. */
  complete: boolean;
}

export interface PurgeTargets {
  /** The states of the regions to purge. */
  purge: RegionState[];
  /** Regions named or worth naming that are not purged, with why. */
  notServing: RegionPurgeResult[];
}

/**
 * The regions a purge reaches: the serving ones (PURGED_STATUSES), or of `requested` (approved
 * regions) those that serve. A requested region that does not serve is reported, not refused; so
 * is, by default, a region scaling up: its edge may take traffic before it becomes ACTIVE.
 */
export function purgeTargets(states: RegionState[], requested?: readonly string[]): PurgeTargets {
  const chosen = requested ? states.filter((s) => requested.includes(s.region)) : states;
  const purge = chosen.filter((s) => PURGED_STATUSES.includes(s.status));
  const notServing = chosen
    .filter((s) => !PURGED_STATUSES.includes(s.status) && (requested || s.status === 'PROVISIONING'))
    .map((s) => notServingResult(s));
  return { purge, notServing };
}

function notServingResult(state: RegionState): RegionPurgeResult {
  const reason =
    state.status === 'PROVISIONING'
      ? 'scaling up (PROVISIONING): its edge may take traffic once its record is written; purge again when it is ACTIVE'
      : `not serving (${state.status}): its edge takes no traffic, nothing to purge`;
  return { ...emptyResult(state), outcome: 'not-serving', reason };
}

/** A serving region's result from its pods' results. */
export function regionPurgeResult(state: RegionState, pods: PodPurgeResult[]): RegionPurgeResult {
  if (pods.length === 0) return regionFailure(state, 'no edge pod is running');
  const purged = pods.filter((p) => p.purged);
  const outcome = purged.length === pods.length ? 'purged' : purged.length === 0 ? 'failed' : 'partial';
  return {
    ...emptyResult(state),
    outcome,
    ...(outcome === 'failed' ? { reason: 'no edge pod purged its cache' } : {}),
    pods,
    podsPurged: purged.length,
    purgedEntries: purged.reduce((sum, p) => sum + p.purgedEntries, 0),
    scannedEntries: purged.reduce((sum, p) => sum + p.scannedEntries, 0),
  };
}

/** A serving region none of whose pods could be asked. */
export function regionFailure(state: RegionState, reason: string): RegionPurgeResult {
  return { ...emptyResult(state), outcome: 'failed', reason };
}

function emptyResult(state: RegionState): Omit<RegionPurgeResult, 'outcome'> {
  return { region: state.region, status: state.status, pods: [], podsPurged: 0, purgedEntries: 0, scannedEntries: 0 };
}

export function purgeReport(request: PurgeRequest, regions: RegionPurgeResult[]): PurgeReport {
  return {
    schema: PURGE_REPORT_SCHEMA,
    path: request.path,
    prefix: request.prefix,
    regions,
    complete: regions.every((r) => r.outcome === 'purged' || r.outcome === 'not-serving'),
  };
}
