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
  /** The edge configuration the region runs: the hash of the manifests last applied (edge-configuration.ts). */
  edgeConfiguration?: string;
  /** The Kubernetes minor version of the region's cluster and nodes, as the last upgrade or scale-up left them. */
  kubernetesVersion?: string;
  /** The last maintenance (edge rollout, cluster upgrade) of the region, by kind. */
  maintenance?: Partial<Record<MaintenanceKind, MaintenanceRecord>>;
}

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
