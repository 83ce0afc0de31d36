/**
 * The warm standby tier as the scaling workflows walk it: where a transition ends (its target),
 * which way the workflow goes to get there (its path), and the nodegroup's sizes at each end.
 * Pure: the region task and the cluster task decide with it; whether a transition may happen at
 * all is the scaling policy's (scaling-policy.ts, whose scaleDownTarget resolves a scale-down
 * without a target here too, so the decision and a raw execution end at the same place).
 *
 * A WARM region keeps its cluster, its nodegroup scaled to zero nodes (with warm.nodeWarmPool, its
 * instances stopped in the nodegroup's EC2 warm pool), the edge's namespace, configuration and
 * Service with the Deployment at zero replicas, and so the Service's network load balancer: it
 * costs about $0.0225 an hour and saves the 1-3 minutes a new one takes when the region serves
 * again. It has no DNS record. The paths:
 *
 *   scale-up, target ACTIVE   create        (cold) cluster, nodegroup, edge, record; adopts what exists
 *                             resume        (from WARM) nodegroup back to its sizes, Deployment scaled
 *                                           up, pods ready (so their nodes are), record
 *   scale-up, target WARM     warmUp        (a warm-up) cluster, nodegroup at zero nodes, edge at zero
 *                                           replicas (its load balancer comes up), no record
 *   scale-down, target WARM   park          record withdrawn, drain, Deployment and nodegroup to zero
 *   scale-down, target INACT. teardown      record withdrawn, drain, edge, nodegroup and cluster deleted
 *                             warmTeardown  (from WARM) the same without withdrawal or drain: a WARM
 *                                           region has no record and serves nobody
 */
import { isWarmRegion, type AutoscalerConfig } from './config';
import { InvalidRequestError, RefusedError } from './errors';
import type { RegionState, RegionStatus, ScaleDirection, TransitionTarget } from './region-state';
import { statusBeforeClaim } from './region-state';
import { scaleDownTarget } from './scaling-policy';

export const TRANSITION_PATHS = ['create', 'resume', 'warmUp', 'teardown', 'park', 'warmTeardown'] as const;
export type TransitionPath = (typeof TRANSITION_PATHS)[number];

/** Where each direction may end (a scale-up never ends INACTIVE, a scale-down never ACTIVE). */
const TARGETS_OF: Record<ScaleDirection, readonly TransitionTarget[]> = {
  up: ['ACTIVE', 'WARM'],
  down: ['WARM', 'INACTIVE'],
};

/**
 * The status a transition of `state` starts from: what a claim (PROVISIONING or DRAINING, for
 * `owner` or, when `owner` is not known, for any execution) took the region from; else its status.
 */
export function transitionStart(state: RegionState, owner?: string): RegionStatus {
  const claimed = state.status === 'PROVISIONING' || state.status === 'DRAINING';
  return claimed && (owner === undefined || state.executionArn === owner) ? statusBeforeClaim(state) : state.status;
}

/**
 * Where a transition requested with `requested` (the workflow input's target) ends.
 * InvalidRequestError for a target the direction cannot end at, or WARM for a region outside
 * warm.regions. Left out: ACTIVE for a scale-up; for a scale-down of an ACTIVE region WARM while
 * the warm tier's cost cap allows (scaleDownTarget), INACTIVE for any other.
 */
export function transitionTarget(
  config: AutoscalerConfig,
  request: { region: string; direction: ScaleDirection; requested?: TransitionTarget },
  from: RegionStatus,
  fleet: RegionState[],
  now: Date,
): TransitionTarget {
  const { region, direction, requested } = request;
  const verb = direction === 'up' ? 'scale-up' : 'scale-down';
  if (requested !== undefined && !TARGETS_OF[direction].includes(requested)) {
    throw new InvalidRequestError(
      `Invalid workflow input: input.target = "${requested}": a ${verb} cannot end ${requested}; fix: use ${TARGETS_OF[direction].join(' or ')}, or leave it out`,
    );
  }
  if (requested === 'WARM' && !isWarmRegion(config, region)) {
    throw new InvalidRequestError(
      `Invalid workflow input: input.target = "WARM": ${region} is not in warm.regions, so it never goes WARM; fix: add it to warm.regions and deploy, or leave the target out`,
    );
  }
  if (requested !== undefined) return requested;
  if (direction === 'up') return 'ACTIVE';
  if (from !== 'ACTIVE') return 'INACTIVE';
  const snapshots = fleet.map((s) => ({ ...s, locked: false, executionRunning: false }));
  return scaleDownTarget(region, snapshots, config, now);
}

/**
 * The way a transition from `from` to `target` goes (see the header). RefusedError for a warm-up
 * of a region that serves or may still hold its record (ACTIVE, DRAINING): it is parked by a
 * scale-down with target WARM instead, which withdraws the record first.
 */
export function transitionPath(
  region: string,
  direction: ScaleDirection,
  from: RegionStatus,
  target: TransitionTarget,
): TransitionPath {
  if (direction === 'down') {
    if (target === 'WARM') return 'park';
    return from === 'WARM' ? 'warmTeardown' : 'teardown';
  }
  if (target === 'ACTIVE') return from === 'WARM' ? 'resume' : 'create';
  if (from === 'ACTIVE' || from === 'DRAINING') {
    throw new RefusedError(
      `Warm-up of ${region} refused: it is ${from}, and a warm-up never withdraws a record; fix: scale it down with target WARM, which withdraws its record and drains it first`,
    );
  }
  return 'warmUp';
}

/** The managed nodegroup's sizes at each end: the configured nodes while ACTIVE, none while WARM. */
export function nodegroupSizes(
  config: AutoscalerConfig,
  target: Exclude<TransitionTarget, 'INACTIVE'>,
): { minSize: number; desiredSize: number; maxSize: number } {
  const { min, desired, max } = config.cluster.nodes;
  return target === 'WARM'
    ? { minSize: 0, desiredSize: 0, maxSize: max }
    : { minSize: min, desiredSize: desired, maxSize: max };
}

/**
 * Whether the region's nodegroup keeps an EC2 warm pool of stopped instances (warm.nodeWarmPool,
 * warm regions only), so that its nodes start from stopped instances when it leaves WARM.
 */
export function wantsNodeWarmPool(config: AutoscalerConfig, region: string): boolean {
  return config.warm.nodeWarmPool && isWarmRegion(config, region);
}
