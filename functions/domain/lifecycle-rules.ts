/**
 * The rules of a region's lifecycle that the scale-up and scale-down workflows enforce: which
 * regions may be touched, when a scale-down is refused or has nothing to do, and how the region
 * state changes at each step. Pure: the task Lambdas read and write what these functions decide.
 */
import { approvedRegions, regionList, type AutoscalerConfig, type RegionList } from './config';
import { InvalidRequestError, RefusedError } from './errors';
import { OWNER_TAG_KEY } from './naming';
import {
  isServing,
  type RegionState,
  type RegionStatus,
  type ScaleDirection,
  type TransitionTarget,
} from './region-state';

/** The list the region belongs to; InvalidRequestError naming both lists when it is in neither. */
export function requireApprovedRegion(config: AutoscalerConfig, region: string): RegionList {
  const list = regionList(config, region);
  if (list) return list;
  throw new InvalidRequestError(
    `Region ${region} is not approved: it is in neither regions.alwaysOn [${config.regions.alwaysOn.join(', ')}] ` +
      `nor regions.elastic [${config.regions.elastic.join(', ')}]; fix: use one of these regions, or add it to ` +
      `regions.elastic in the configuration and deploy (its foundation stack too)`,
  );
}

/** True when the resource's tags mark it as created by this autoscaler (deployment `prefix`). */
export function isOwned(tags: Record<string, string> | undefined, prefix: string): boolean {
  return tags?.[OWNER_TAG_KEY] === prefix;
}

/**
 * True when no other approved region serves (is ACTIVE): taking `region` down could leave users
 * with no edge at all. Whatever `region`'s own status says: a region a decision has just claimed
 * (DRAINING) or one left FAILED may still have its record in DNS. Regions outside the
 * configuration do not count.
 */
export function isLastServingRegion(config: AutoscalerConfig, region: string, states: RegionState[]): boolean {
  const approved = new Set(approvedRegions(config));
  return !states.some((s) => s.region !== region && approved.has(s.region) && isServing(s));
}

/** Throws RefusedError for an always-on region: it is never torn down. */
export function refuseAlwaysOnScaleDown(config: AutoscalerConfig, region: string): void {
  if (regionList(config, region) === 'always-on') {
    throw new RefusedError(
      `Scale-down of ${region} refused: it is an always-on region (regions.alwaysOn), which is never torn down; ` +
        `fix: move it to regions.elastic in the configuration first if it really should scale`,
    );
  }
}

/** Throws RefusedError when `region` is the last region serving users (see isLastServingRegion). */
export function refuseLastServingScaleDown(config: AutoscalerConfig, region: string, states: RegionState[]): void {
  if (isLastServingRegion(config, region, states)) {
    throw new RefusedError(
      `Scale-down of ${region} refused: it is the last region serving users (no other region is ACTIVE); ` +
        `fix: bring another region up first`,
    );
  }
}

/**
 * A scale-down has nothing to do when the region is INACTIVE and no cluster exists, or when it is
 * to end WARM and is WARM already, its cluster there. A region in any other state is walked through
 * every step (each finds its work done or does it), so that a FAILED, half-built or half-drained
 * region ends where it was sent.
 */
export function scaleDownIsNoop(
  state: Pick<RegionState, 'status'>,
  clusterExists: boolean,
  target: TransitionTarget = 'INACTIVE',
): boolean {
  if (target === 'WARM') return state.status === 'WARM' && clusterExists;
  return state.status === 'INACTIVE' && !clusterExists;
}

/** Resolvers may cache the withdrawn record for its TTL; the drain time comes on top of it. */
export function drainWaitSeconds(config: AutoscalerConfig): number {
  return config.dns.ttlSeconds + config.scaling.drainSeconds;
}

// ---- State transitions of the workflow steps ----

/**
 * True when the region is claimed for an execution other than `owner` (its executionArn names
 * another one): a workflow step of `owner` then leaves the region's state to that execution.
 */
export function claimedByAnother(state: Pick<RegionState, 'executionArn'>, owner: string): boolean {
  return state.executionArn !== undefined && state.executionArn !== owner;
}

/**
 * lockRegion: the region is on its way up (PROVISIONING) or down (DRAINING), worked on by
 * `owner`, towards `target` (default: ACTIVE up, INACTIVE down), from `from` (the status before
 * the claim or the lock, warm-standby.ts transitionStart).
 */
export function startedState(
  state: RegionState,
  direction: ScaleDirection,
  owner: string,
  now: Date,
  transition: { from?: RegionStatus; target?: TransitionTarget } = {},
): RegionState {
  const at = now.toISOString();
  return {
    ...state,
    status: direction === 'up' ? 'PROVISIONING' : 'DRAINING',
    since: at,
    lastTransitionAt: at,
    executionArn: owner,
    transitionFrom: transition.from ?? state.status,
    transitionTarget: transition.target ?? defaultTarget(direction),
  };
}

const defaultTarget = (direction: ScaleDirection): TransitionTarget => (direction === 'up' ? 'ACTIVE' : 'INACTIVE');

/**
 * finishScaling: the region at the target its lock recorded (transitionTarget). ACTIVE with its
 * record target and edge configuration; WARM (after a warm-up or a scale-down to WARM) with no
 * record and no active time, its edge configuration kept (the edge is there at zero replicas);
 * INACTIVE without any of them.
 */
export function finishedState(
  state: RegionState,
  direction: ScaleDirection,
  now: Date,
  recordTarget?: RegionState['recordTarget'],
  /** The edge configuration the run applied (what the region now runs). */
  edgeConfiguration?: string,
): RegionState {
  const at = now.toISOString();
  const { executionArn: _done, lastFailureCause: _cleared, transitionFrom: _ended, ...rest } = state;
  const target = state.transitionTarget ?? defaultTarget(direction);
  if (target === 'ACTIVE') {
    const { warmSince: _left, ...active } = rest;
    return {
      ...active,
      status: 'ACTIVE',
      since: at,
      activeSince: at,
      lastTransitionAt: at,
      consecutiveFailures: 0,
      recordTarget: recordTarget ?? state.recordTarget,
      edgeConfiguration: edgeConfiguration ?? state.edgeConfiguration,
    };
  }
  if (target === 'WARM') {
    const { activeSince: _idle, recordTarget: _withdrawn, ...warm } = rest;
    return {
      ...warm,
      status: 'WARM',
      since: at,
      warmSince: at,
      lastTransitionAt: at,
      // A warm-up that succeeded ends a run of failed attempts, as a scale-up does.
      consecutiveFailures: direction === 'up' ? 0 : state.consecutiveFailures,
      edgeConfiguration: edgeConfiguration ?? state.edgeConfiguration,
    };
  }
  // The cluster is gone, and its edge with it: the next scale-up records what it applies.
  const {
    activeSince: _gone,
    recordTarget: _deleted,
    edgeConfiguration: _removed,
    warmSince: _cold,
    ...inactive
  } = rest;
  return { ...inactive, status: 'INACTIVE', since: at, lastTransitionAt: at };
}

/** failScaling: FAILED with its cause; a failed scale-up counts towards consecutive failures. */
export function failedState(state: RegionState, direction: ScaleDirection, cause: string, now: Date): RegionState {
  const at = now.toISOString();
  const { executionArn: _done, transitionFrom: _ended, ...rest } = state;
  return {
    ...rest,
    status: 'FAILED',
    since: at,
    lastTransitionAt: at,
    lastFailureCause: cause,
    consecutiveFailures: direction === 'up' ? state.consecutiveFailures + 1 : state.consecutiveFailures,
  };
}

const MAX_CAUSE_LENGTH = 500;

/**
 * One readable line from a Step Functions error (`{ Error, Cause }`). A Lambda's Cause is JSON
 * (`{"errorType":..., "errorMessage":..., "trace":[...]}`): keep its message, drop the trace.
 */
export function describeFailure(error: { Error?: string; Cause?: string }): string {
  const name = error.Error ?? 'Error';
  const message = causeMessage(error.Cause);
  const line = message ? `${name}: ${message}` : name;
  return line.length > MAX_CAUSE_LENGTH ? `${line.slice(0, MAX_CAUSE_LENGTH - 1)}…` : line;
}

function causeMessage(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed: unknown = JSON.parse(cause);
    if (parsed && typeof parsed === 'object' && 'errorMessage' in parsed && typeof parsed.errorMessage === 'string') {
      return parsed.errorMessage;
    }
  } catch {
    // not JSON: a plain-text cause
  }
  return cause.replace(/\s+/g, ' ').trim();
}
