/**
 * The state the autoscaler keeps per region (DynamoDB item `pk = region#<region>, sk = state`)
 * and its invariants. Pure: the adapters in functions/adapters persist it.
 *
 *   INACTIVE --scale-up--> PROVISIONING --done--> ACTIVE --scale-down--> DRAINING --done--> INACTIVE
 *        ^                     | failure                                      | failure
 *        +---- (rolled back) FAILED <--------------------------------------- +
 */

export const REGION_STATUSES = ['INACTIVE', 'PROVISIONING', 'ACTIVE', 'DRAINING', 'FAILED'] as const;
export type RegionStatus = (typeof REGION_STATUSES)[number];

export type ScaleDirection = 'up' | 'down';

export interface RegionState {
  region: string;
  status: RegionStatus;
  /** When the status last changed (ISO-8601). */
  since: string;
  /** When the region last became ACTIVE (for the minimum active time). */
  activeSince?: string;
  /** Last transition started or finished (for the cooldown). */
  lastTransitionAt?: string;
  /** Time of the newest alarm event or request a decision was made on (for stale-event dropping). */
  lastDecisionEventAt?: string;
  /** Consecutive failed scale-ups (reset by a success). */
  consecutiveFailures: number;
  lastFailureCause?: string;
  /** The execution working on the region, if any (its ARN). */
  executionArn?: string;
  /** Autoscaling ignores the region until then (ISO-8601), set by `regionctl pause`. */
  pausedUntil?: string;
  /** Automatic scale-down suppressed until then (ISO-8601), set by `regionctl up --hold`. */
  holdUntil?: string;
  /** Route53 record target last written by a scale-up (for drift repair). */
  recordTarget?: { dnsName: string; hostedZoneId: string };
}

/** The lock item (`pk = region#<region>, sk = lock`): one execution at a time per region. */
export interface RegionLock {
  region: string;
  owner: string;
  acquiredAt: string;
}

export function initialRegionState(region: string, now: Date): RegionState {
  return { region, status: 'INACTIVE', since: now.toISOString(), consecutiveFailures: 0 };
}

/** A region counts as serving users while its record is (or is about to be) in DNS. */
export function isServing(state: Pick<RegionState, 'status'>): boolean {
  return state.status === 'ACTIVE';
}

/** A region counts against the elastic maximum while it serves or is on its way up. */
export function occupiesElasticSlot(state: Pick<RegionState, 'status'>): boolean {
  return state.status === 'ACTIVE' || state.status === 'PROVISIONING';
}

/**
 * The status a region had before a decision claimed it (PROVISIONING or DRAINING) for an
 * execution that then changed nothing (never started, or was refused before its lock).
 */
export function statusBeforeClaim(state: Pick<RegionState, 'status' | 'consecutiveFailures'>): RegionStatus {
  if (state.status === 'DRAINING') return 'ACTIVE';
  return state.consecutiveFailures > 0 ? 'FAILED' : 'INACTIVE';
}
