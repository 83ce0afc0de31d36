/**
 * The state the autoscaler keeps per region (DynamoDB item `pk = region#<region>, sk = state`)
 * and its invariants. Pure: the adapters in functions/adapters persist it.
 *
 *   INACTIVE --scale-up--> PROVISIONING --done--> ACTIVE --scale-down--> DRAINING --done--> INACTIVE
 *        ^                     | failure                                      | failure
 *        +---- (rolled back) FAILED <--------------------------------------- +
 *
 * The warm standby tier (config `warm`): a WARM region keeps its control plane and load balancer,
 * runs no node and has no record. `transitionTarget` says where a PROVISIONING or DRAINING region goes:
 *
 *   ACTIVE --scale-down (target WARM)--> DRAINING --done--> WARM
 *   WARM --scale-up--> PROVISIONING --done--> ACTIVE              (the warm path: minutes, not 15-20)
 *   INACTIVE --warm-up (scale-up, target WARM)--> PROVISIONING --done--> WARM
 *   WARM --scale-down (target INACTIVE: keepHours over, cost cap, operator)--> DRAINING --done--> INACTIVE
 */

export const REGION_STATUSES = ['INACTIVE', 'PROVISIONING', 'ACTIVE', 'DRAINING', 'WARM', 'FAILED'] as const;
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
  /** The edge configuration the region runs: the hash of the manifests last applied (edge-configuration.ts). */
  edgeConfiguration?: string;
  /** The Kubernetes minor version of the region's cluster and nodes, as the last upgrade or scale-up left them. */
  kubernetesVersion?: string;
  /** The last maintenance (edge rollout, cluster upgrade) of the region, by kind. */
  maintenance?: Partial<Record<MaintenanceKind, MaintenanceRecord>>;
  /** Where the running (or last) transition takes the region; absent: ACTIVE for a scale-up, INACTIVE for a scale-down. */
  transitionTarget?: TransitionTarget;
  /** When the region last became WARM (for warm.keepHours). */
  warmSince?: string;
  /**
   * The status the running transition started from: written by the decision that claims the region
   * and by the workflow's lock, removed when the transition ends (or its claim is given back). What a
   * claim whose execution never took over gives back.
   */
  transitionFrom?: RegionStatus;
}

/** Where a transition ends: a scale-up at ACTIVE or WARM (a warm-up), a scale-down at WARM or INACTIVE. */
export const TRANSITION_TARGETS = ['ACTIVE', 'WARM', 'INACTIVE'] as const;
export type TransitionTarget = (typeof TRANSITION_TARGETS)[number];

/**
 * Work on a region that keeps serving: an edge rollout (new manifests) or a cluster upgrade
 * (Kubernetes version, node AMIs). It holds the region's lock, like a scaling execution, and
 * leaves the region's status as it is.
 */
export const MAINTENANCE_KINDS = ['edgeRollout', 'clusterUpgrade'] as const;
export type MaintenanceKind = (typeof MAINTENANCE_KINDS)[number];

export interface MaintenanceRecord {
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  /** What the maintenance brings the region to: the edge configuration hash, or the Kubernetes version. */
  target: string;
  /** The execution (its ARN). */
  executionArn: string;
  /** When the status was written (ISO-8601). */
  at: string;
  /** FAILED: why, in one line. */
  cause?: string;
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

/** A region counts against the elastic maximum while it serves or is on its way up to serve (a warm-up holds no slot). */
export function occupiesElasticSlot(state: Pick<RegionState, 'status' | 'transitionTarget'>): boolean {
  if (state.status === 'PROVISIONING') return state.transitionTarget !== 'WARM';
  return state.status === 'ACTIVE';
}

/** A region is in the warm tier (counts against warm.maxUsdPerHour) while WARM or on its way there. */
export function inWarmTier(state: Pick<RegionState, 'status' | 'transitionTarget'>): boolean {
  if (state.status === 'PROVISIONING' || state.status === 'DRAINING') return state.transitionTarget === 'WARM';
  return state.status === 'WARM';
}

/**
 * The status a region had before a decision claimed it (PROVISIONING or DRAINING) for an
 * execution that then changed nothing (never started, or was refused before its lock): the
 * claim's `transitionFrom` (WARM for a claim of a WARM region). A claim written before
 * transitionFrom existed is judged by its status: DRAINING came from ACTIVE, PROVISIONING from
 * FAILED after a failure, else from INACTIVE.
 */
export function statusBeforeClaim(
  state: Pick<RegionState, 'status' | 'consecutiveFailures' | 'transitionFrom'>,
): RegionStatus {
  if (state.transitionFrom) return state.transitionFrom;
  if (state.status === 'DRAINING') return 'ACTIVE';
  return state.consecutiveFailures > 0 ? 'FAILED' : 'INACTIVE';
}
