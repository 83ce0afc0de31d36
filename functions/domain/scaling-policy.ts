/**
 * The scaling policy: may this region be scaled up or down right now? One pure function used by
 * the decision Lambda, the reconciler, `regionctl` and the simulator, so that the deployed system
 * and the what-if simulator apply exactly the same guardrails.
 *
 * Rules, checked in this order (the first that refuses wins):
 *   not-approved        the region is in neither list (never touched, whoever asks)
 *   invalid-target      a scale-up ends ACTIVE or WARM, a scale-down WARM or INACTIVE (request.target)
 *   not-warm-region     only a region of warm.regions is warmed up or scaled down to WARM
 *   always-on           an always-on region is never scaled down; only an operator scales one up
 *   stale-event         an alarm event older than the region's newest decision is dropped; and
 *                       (staleAlarmEvent, before the rest) an ALARM event whose alarm is no longer
 *                       in ALARM, or changed state again after it
 *   paused              `regionctl pause` (operators are not bound by a pause)
 *   held                `regionctl up --hold` suppresses scale-downs (unless an operator forces)
 *   locked / execution-running   one execution per region at a time (even forced); an edge rollout
 *                       or cluster upgrade holds the lock too: the decision waits for it (the
 *                       reconciler decides again on an alarm still in ALARM once it is released)
 *   already-in-state    up: ACTIVE or PROVISIONING; warm-up (up, target WARM): anything but INACTIVE
 *                       or FAILED; down: INACTIVE or DRAINING; down to WARM: only from ACTIVE
 *   failed-needs-operator / failed-backoff   a FAILED region is retried with exponential backoff,
 *                       and left for an operator after MAX_CONSECUTIVE_FAILURES failures in a row
 *   cooldown            time since the region's last transition (not for a forced request); it
 *                       applies to the warm paths too: a region scaled down to WARM (transitionFrom
 *                       ACTIVE) comes back up only after the cooldown (the anti-flap guarantee). The
 *                       one exception: the scale-up of a region that was warmed up (WARM with
 *                       transitionFrom INACTIVE or FAILED) is the second half of the same way up,
 *                       not a change of direction, and waits no cooldown
 *   min-active-time     a region stays up this long before a scale-down (not for a forced request);
 *                       a WARM region goes down to INACTIVE with no such wait (it serves nobody)
 *   max-elastic         elastic regions ACTIVE or PROVISIONING to ACTIVE (unless allowOverMax); a
 *                       WARM region holds no slot, and a warm-up takes none. Demand-ranked slots:
 *                       when scaling.preemptRatio > 0, the requester's demand is known and more than
 *                       preemptRatio x the demand of the weakest ACTIVE elastic region whose demand
 *                       is known, that region may be scaled down now (this very policy, as a
 *                       reconciler request: not held, paused, locked, within its minimum active
 *                       time or cooldown; never always-on) and no elastic region is DRAINING (one
 *                       swap at a time), the rejection carries `preempt`: scale that region down,
 *                       then ask again (its slot is free as soon as it is DRAINING)
 *   warm-cost-cap       a warm-up or a scale-down to WARM when the warm tier (inWarmTier regions
 *                       plus this one) would cost more than warm.maxUsdPerHour (pricing.ts warmPrice);
 *                       a scale-down without a target then ends INACTIVE instead (scaleDownTarget)
 *   last-serving-region never withdraw the last region that serves users (even forced); not asked
 *                       of a WARM region, which serves nobody
 *
 * An allowed verdict always says where the transition ends (`target`).
 */
import { isWarmRegion, regionList, type AutoscalerConfig } from './config';
import { warmPrice } from './pricing';
import {
  initialRegionState,
  inWarmTier,
  isServing,
  occupiesElasticSlot,
  type RegionState,
  type TransitionTarget,
} from './region-state';

export type RequestSource = 'alarm' | 'reconciler' | 'operator';

export interface ScalingRequest {
  region: string;
  direction: 'up' | 'down';
  source: RequestSource;
  /** When the triggering event happened (alarm state-change time, schedule time, or now for an operator). */
  eventAt: Date;
  /** Operator force: skips demand, cooldown, minimum active time, hold and pause; never the safety rules. */
  force?: boolean;
  /** Operator only: allows a scale-up beyond scaling.maxElasticActive. */
  allowOverMax?: boolean;
  /** Where the transition should end (workflow-input.ts); absent: ACTIVE up, and for down the warm rule decides. */
  target?: TransitionTarget;
}

/** A region's state plus what the policy must know about it right now. */
export interface RegionSnapshot extends RegionState {
  locked: boolean; // its lock item exists
  executionRunning: boolean; // a workflow execution for it is RUNNING
  /**
   * Users the region has now, or is forecast to have by the time it could serve (the larger),
   * for demand-ranked slots. Undefined: unknown, and an unknown demand never preempts nor is preempted.
   */
  demand?: number;
}

export type RejectionRule =
  | 'not-approved'
  | 'always-on'
  | 'paused'
  | 'held'
  | 'locked'
  | 'execution-running'
  | 'already-in-state'
  | 'cooldown'
  | 'min-active-time'
  | 'max-elastic'
  | 'last-serving-region'
  | 'stale-event'
  | 'failed-backoff'
  | 'failed-needs-operator'
  | 'invalid-target'
  | 'not-warm-region'
  | 'warm-cost-cap';

export type Verdict =
  | {
      allowed: true;
      reason: string;
      /** Where the allowed transition ends (ACTIVE or WARM up, WARM or INACTIVE down). */
      target?: TransitionTarget;
    }
  | {
      allowed: false;
      rule: RejectionRule;
      reason: string;
      /**
       * max-elastic only, demand-ranked slots: the serving elastic region to scale down so the
       * requester gets its slot (it was checked to be allowed to go down now).
       */
      preempt?: { region: string; reason: string };
    };

/** After this many failed transitions in a row a region stays FAILED until an operator acts. */
export const MAX_CONSECUTIVE_FAILURES = 3;

type Rejection = Extract<Verdict, { allowed: false }>;
const reject = (rule: RejectionRule, reason: string): Rejection => ({ allowed: false, rule, reason });

/** A snapshot for a region the table has never seen: INACTIVE, unlocked, nothing running. */
export function emptySnapshot(region: string, now: Date): RegionSnapshot {
  return { ...initialRegionState(region, now), locked: false, executionRunning: false };
}

/** Pure decision. `regions` holds a snapshot of EVERY approved region (always-on and elastic). */
export function decideScaling(
  request: ScalingRequest,
  regions: RegionSnapshot[],
  config: AutoscalerConfig,
  now: Date,
): Verdict {
  const { region, direction, source } = request;
  const operator = source === 'operator';
  const forced = operator && request.force === true;
  const list = regionList(config, region);
  if (!list) return notApprovedVerdict(region);
  if (list === 'always-on' && direction === 'down') {
    return reject('always-on', `always-on: ${region} is an always-on region and is never scaled down`);
  }
  if (list === 'always-on' && !operator) {
    return reject(
      'always-on',
      `always-on: ${region} is an always-on region; only elastic regions are scaled by demand (the reconciler keeps always-on regions up)`,
    );
  }
  const targetProblem = requestedTargetProblem(request, config);
  if (targetProblem) return targetProblem;
  const warmUp = direction === 'up' && request.target === 'WARM';
  const snapshot = snapshotOf(regions, region) ?? emptySnapshot(region, now);

  if (source === 'alarm' && snapshot.lastDecisionEventAt) {
    const mark = new Date(snapshot.lastDecisionEventAt);
    if (request.eventAt.getTime() < mark.getTime()) {
      return reject(
        'stale-event',
        `stale event: it happened at ${request.eventAt.toISOString()}, before the newest decision on ${region} (${mark.toISOString()})`,
      );
    }
  }
  const paused = activeUntil(snapshot.pausedUntil, now);
  if (paused && !operator) {
    return reject('paused', `paused: autoscaling of ${region} is paused until ${paused.toISOString()}`);
  }
  const held = activeUntil(snapshot.holdUntil, now);
  if (held && direction === 'down' && !forced) {
    return reject(
      'held',
      `held: ${region} is held up until ${held.toISOString()} (regionctl up --hold); automatic scale-down is suppressed`,
    );
  }
  const guard = exclusiveAccessProblem(snapshot);
  if (guard) return guard;

  const state = stateProblem(request, snapshot);
  if (state) return state;

  if (!forced) {
    const failure = failureProblem(snapshot, config, now);
    if (failure) return failure;
    const timing = timingProblem(request, snapshot, config, now);
    if (timing) return timing;
  }

  if (warmUp) {
    const cap = warmCostProblem(region, regions, config, now);
    if (cap) return cap;
    return {
      allowed: true,
      target: 'WARM',
      reason: `warm-up of ${region} allowed (${describeSource(request)}); it holds no elastic slot`,
    };
  }
  if (direction === 'up') {
    const occupied = elasticSlotsInUse(regions, config, region);
    const max = config.scaling.maxElasticActive;
    if (list === 'elastic' && occupied.length >= max && !(operator && request.allowOverMax)) {
      const verdict = reject(
        'max-elastic',
        `max elastic: ${occupied.length} of ${max} elastic regions already active or provisioning (${occupied.join(', ')})`,
      );
      const preempt = preemptionFor(snapshot, regions, config, now);
      return preempt ? { ...verdict, preempt } : verdict;
    }
    const slots = list === 'elastic' ? `; ${occupied.length + 1} of ${max} elastic slots in use after it` : '';
    const path = snapshot.status === 'WARM' ? ', from WARM' : '';
    return {
      allowed: true,
      target: 'ACTIVE',
      reason: `scale-up of ${region} allowed (${describeSource(request)})${path}${slots}`,
    };
  }

  if (snapshot.status === 'WARM') {
    if (source === 'alarm') {
      // Low demand is why it went WARM; a fresh scale-down alarm must not cut keepHours short.
      return reject(
        'already-in-state',
        `already warm: ${region} serves nobody; it stays WARM for warm.keepHours (${config.warm.keepHours} h), then the reconciler scales it down to INACTIVE`,
      );
    }
    return {
      allowed: true,
      target: 'INACTIVE',
      reason: `scale-down of ${region} allowed (${describeSource(request)}), from WARM to INACTIVE`,
    };
  }
  // Whatever the region's own status (FAILED may still have its record): no other serving region, no scale-down.
  if (!regions.some((r) => r.region !== region && isServing(r) && regionList(config, r.region))) {
    return reject('last-serving-region', `last serving region: no region other than ${region} is serving users`);
  }
  const reason = `scale-down of ${region} allowed (${describeSource(request)})`;
  if (request.target === 'WARM') {
    const cap = warmCostProblem(region, regions, config, now);
    if (cap) return cap;
    return { allowed: true, target: 'WARM', reason: `${reason}, to WARM` };
  }
  if (request.target === 'INACTIVE' || snapshot.status !== 'ACTIVE') {
    return { allowed: true, target: 'INACTIVE', reason };
  }
  const target = scaleDownTarget(region, regions, config, now);
  return { allowed: true, target, reason: target === 'WARM' ? `${reason}, to WARM (warm region)` : reason };
}

/**
 * Where a scale-down of an ACTIVE region with no explicit target ends: WARM for a region of
 * warm.regions while the warm tier (inWarmTier regions plus this one) stays within
 * warm.maxUsdPerHour, else INACTIVE.
 */
export function scaleDownTarget(
  region: string,
  regions: RegionSnapshot[],
  config: AutoscalerConfig,
  now: Date,
): 'WARM' | 'INACTIVE' {
  if (!isWarmRegion(config, region)) return 'INACTIVE';
  return warmCostProblem(region, regions, config, now) ? 'INACTIVE' : 'WARM';
}

/** A WARM region has been WARM longer than warm.keepHours (from warmSince, else since): time to go INACTIVE. */
export function warmExpired(snapshot: RegionState, config: AutoscalerConfig, now: Date): boolean {
  if (snapshot.status !== 'WARM') return false;
  const since = Date.parse(snapshot.warmSince ?? snapshot.since);
  return now.getTime() - since >= config.warm.keepHours * 3_600_000;
}

/** USD per hour the warm tier costs: the regions in it (WARM or on their way) plus `joining` if it is not yet. */
export function warmTierUsdPerHour(
  regions: RegionSnapshot[],
  config: AutoscalerConfig,
  now: Date,
  joining?: string,
): number {
  const members = regions.filter((r) => r.region !== joining && inWarmTier(r)).length + (joining ? 1 : 0);
  return members * warmPrice(config, undefined, now).usdPerHour;
}

function requestedTargetProblem(request: ScalingRequest, config: AutoscalerConfig): Verdict | undefined {
  const { region, direction, target } = request;
  if (target === undefined) return undefined;
  if ((direction === 'up' && target === 'INACTIVE') || (direction === 'down' && target === 'ACTIVE')) {
    return reject(
      'invalid-target',
      `invalid target: a ${direction === 'up' ? 'scale-up' : 'scale-down'} cannot end ${target}; fix: use ${direction === 'up' ? 'ACTIVE or WARM' : 'WARM or INACTIVE'}, or leave the target out`,
    );
  }
  if (target === 'WARM' && !isWarmRegion(config, region)) {
    return reject(
      'not-warm-region',
      `not a warm region: ${region} is not in warm.regions, so it never goes WARM; fix: add it to warm.regions or leave the target out`,
    );
  }
  return undefined;
}

/** The region's status does not allow the transition asked for. */
function stateProblem(request: ScalingRequest, snapshot: RegionSnapshot): Verdict | undefined {
  const { direction, target } = request;
  const status = snapshot.status;
  if (direction === 'up') {
    if (target === 'WARM')
      return status === 'INACTIVE' || status === 'FAILED' ? undefined : alreadyIn(snapshot, 'warm-up');
    return occupiesElasticSlot(snapshot) ? alreadyIn(snapshot, 'scale-up') : undefined;
  }
  if (status === 'INACTIVE' || status === 'DRAINING') return alreadyIn(snapshot, 'scale-down');
  if (target === 'WARM' && status !== 'ACTIVE') {
    return reject(
      'already-in-state',
      `${status.toLowerCase()}: only an ACTIVE region is scaled down to WARM, ${snapshot.region} is ${status}`,
    );
  }
  return undefined;
}

function alreadyIn(snapshot: RegionSnapshot, what: string): Rejection {
  return reject('already-in-state', `already ${snapshot.status.toLowerCase()}: ${snapshot.region} needs no ${what}`);
}

/** Cooldown and minimum active time (not for a forced request). */
function timingProblem(
  request: ScalingRequest,
  snapshot: RegionSnapshot,
  config: AutoscalerConfig,
  now: Date,
): Verdict | undefined {
  const { region } = snapshot;
  const { direction } = request;
  if (snapshot.status !== 'FAILED' && snapshot.lastTransitionAt && !finishesWarmUp(request, snapshot)) {
    const elapsed = secondsSince(snapshot.lastTransitionAt, now);
    if (elapsed < config.scaling.cooldownSeconds) {
      return reject(
        'cooldown',
        `cooldown: last transition of ${region} ${formatDuration(elapsed)} ago, cooldown is ${formatDuration(config.scaling.cooldownSeconds)}`,
      );
    }
  }
  if (direction === 'down' && snapshot.status === 'ACTIVE' && snapshot.activeSince) {
    const active = secondsSince(snapshot.activeSince, now);
    if (active < config.scaling.minActiveSeconds) {
      return reject(
        'min-active-time',
        `min active time: ${region} has been active for ${formatDuration(active)}, minimum is ${formatDuration(config.scaling.minActiveSeconds)}`,
      );
    }
  }
  return undefined;
}

/** A scale-up to ACTIVE of a region its last transition warmed up (INACTIVE or FAILED -> WARM). */
function finishesWarmUp(request: ScalingRequest, snapshot: RegionSnapshot): boolean {
  const from = snapshot.transitionFrom;
  return (
    request.direction === 'up' &&
    request.target !== 'WARM' &&
    snapshot.status === 'WARM' &&
    (from === 'INACTIVE' || from === 'FAILED')
  );
}

function warmCostProblem(
  region: string,
  regions: RegionSnapshot[],
  config: AutoscalerConfig,
  now: Date,
): Verdict | undefined {
  const cost = warmTierUsdPerHour(regions, config, now, region);
  const cap = config.warm.maxUsdPerHour;
  if (cost <= cap + 1e-9) return undefined;
  return reject(
    'warm-cost-cap',
    `warm cost cap: with ${region} the warm tier would cost $${cost.toFixed(3)}/h, above warm.maxUsdPerHour $${cap}/h`,
  );
}

/**
 * Demand-ranked slots (see the header): the ACTIVE elastic region to scale down for `requester`,
 * or undefined when the rule does not apply.
 */
function preemptionFor(
  requester: RegionSnapshot,
  regions: RegionSnapshot[],
  config: AutoscalerConfig,
  now: Date,
): { region: string; reason: string } | undefined {
  const ratio = config.scaling.preemptRatio;
  const demand = requester.demand;
  if (ratio <= 0 || demand === undefined || !Number.isFinite(demand)) return undefined;
  let weakest: RegionSnapshot | undefined;
  for (const r of regions) {
    if (r.region === requester.region || regionList(config, r.region) !== 'elastic') continue;
    if (r.status === 'DRAINING') return undefined;
    if (r.status !== 'ACTIVE' || r.demand === undefined || !Number.isFinite(r.demand)) continue;
    if (!weakest || r.demand < weakest.demand!) weakest = r;
  }
  if (!weakest || !(demand > ratio * weakest.demand!)) return undefined;
  const down = decideScaling(
    { region: weakest.region, direction: 'down', source: 'reconciler', eventAt: now },
    regions,
    config,
    now,
  );
  if (!down.allowed) return undefined;
  return {
    region: weakest.region,
    reason: `demand-ranked slots: ${requester.region} has ${Math.round(demand)} users, more than ${ratio} x the ${Math.round(weakest.demand!)} of ${weakest.region}, the weakest serving elastic region; scaling ${weakest.region} down for it`,
  };
}

/** The verdict on a region in neither list: never touched, whoever asks. */
export function notApprovedVerdict(region: string): Verdict {
  return reject(
    'not-approved',
    `not approved: ${region} is in neither regions.alwaysOn nor regions.elastic, so it is never touched`,
  );
}

/** A scaling alarm's change into ALARM, as its EventBridge event reports it. */
export interface AlarmEventFacts {
  alarmName: string;
  /** The event's `detail.state.timestamp`: when the alarm entered ALARM. */
  changedAt: Date;
}

/** The same alarm as CloudWatch describes it now (DescribeAlarms). */
export interface CurrentAlarmState {
  state: string;
  /** Its newest state change (StateTransitionedTimestamp, else StateUpdatedTimestamp), if known. */
  changedAt?: Date;
}

/**
 * EventBridge may deliver an alarm event hours late, after the alarm went back to OK, or after a
 * newer change of the same alarm. An ALARM event asks for a transition only while its alarm still
 * is in ALARM and has not changed state since that event; `current` undefined: the alarm is gone.
 * Returns the stale-event verdict, or undefined when the event still holds (however late it came:
 * an alarm still in ALARM from that change still asks for it).
 */
export function staleAlarmEvent(
  event: AlarmEventFacts,
  current: CurrentAlarmState | undefined,
  now: Date,
): Extract<Verdict, { allowed: false }> | undefined {
  const stale = (reason: string) => ({ allowed: false, rule: 'stale-event', reason }) as const;
  const { alarmName } = event;
  const eventAt = event.changedAt.toISOString();
  const late = `delivered ${formatDuration(secondsSince(eventAt, now))} after it`;
  if (!current) {
    return stale(
      `stale event: alarm ${alarmName} no longer exists (CloudWatch does not describe it); its ALARM of ${eventAt} is not acted on`,
    );
  }
  const since = current.changedAt ? ` since ${current.changedAt.toISOString()}` : '';
  if (current.state !== 'ALARM') {
    return stale(
      `stale event: alarm ${alarmName} is ${current.state}${since}, no longer in ALARM as this event of ${eventAt} says (${late})`,
    );
  }
  if (current.changedAt && current.changedAt.getTime() > event.changedAt.getTime()) {
    return stale(
      `stale event: alarm ${alarmName} changed state again after this event of ${eventAt} (${late}); it is ALARM${since}, and its newest change decides`,
    );
  }
  return undefined;
}

/**
 * The reconciler's rule for an always-on region that is not serving: bring it up unless an
 * execution is at work, an operator paused it, or it keeps failing (same backoff as elastic regions).
 * No cooldown: an always-on region must serve.
 */
export function decideAlwaysOnRestore(
  region: string,
  regions: RegionSnapshot[],
  config: AutoscalerConfig,
  now: Date,
): Verdict {
  if (regionList(config, region) !== 'always-on') {
    return reject('not-approved', `not always-on: ${region} is not in regions.alwaysOn`);
  }
  const snapshot = regions.find((r) => r.region === region) ?? emptySnapshot(region, now);
  const paused = activeUntil(snapshot.pausedUntil, now);
  if (paused) return reject('paused', `paused: autoscaling of ${region} is paused until ${paused.toISOString()}`);
  const guard = exclusiveAccessProblem(snapshot);
  if (guard) return guard;
  if (occupiesElasticSlot(snapshot)) {
    return reject('already-in-state', `already ${snapshot.status.toLowerCase()}: ${region} needs no scale-up`);
  }
  const failure = failureProblem(snapshot, config, now);
  if (failure) return failure;
  return {
    allowed: true,
    reason: `always-on region ${region} is ${snapshot.status.toLowerCase()}: bringing it up (reconciler)`,
  };
}

/**
 * The reconciler's rule for a drift repair (`drift` says what is wrong, and is the reason when
 * allowed): the region's state is what is wrong, so demand, cooldown and the minimum active time
 * do not apply. The repair still needs the region in the status the drift was found in (up: ACTIVE
 * without its record; down: INACTIVE with a cluster of ours running), not paused, no execution at
 * work on it, and never takes an always-on region down.
 */
export function decideDriftRepair(
  request: Pick<ScalingRequest, 'region' | 'direction'>,
  drift: string,
  regions: RegionSnapshot[],
  config: AutoscalerConfig,
  now: Date,
): Verdict {
  const { region, direction } = request;
  const list = regionList(config, region);
  if (!list) return notApprovedVerdict(region);
  if (list === 'always-on' && direction === 'down') {
    return reject('always-on', `always-on: ${region} is an always-on region and is never scaled down`);
  }
  const snapshot = regions.find((r) => r.region === region) ?? emptySnapshot(region, now);
  const paused = activeUntil(snapshot.pausedUntil, now);
  if (paused) return reject('paused', `paused: autoscaling of ${region} is paused until ${paused.toISOString()}`);
  const guard = exclusiveAccessProblem(snapshot);
  if (guard) return guard;
  const driftStatus = direction === 'up' ? 'ACTIVE' : 'INACTIVE';
  if (snapshot.status !== driftStatus) {
    return reject(
      'already-in-state',
      `drift gone: ${region} is ${snapshot.status} now, no longer ${driftStatus} as when the drift was found`,
    );
  }
  return { allowed: true, reason: drift };
}

/** The elastic regions other than `except` that are ACTIVE or PROVISIONING. */
export function elasticSlotsInUse(regions: RegionSnapshot[], config: AutoscalerConfig, except?: string): string[] {
  const inUse: string[] = [];
  for (const r of regions) {
    if (r.region !== except && occupiesElasticSlot(r) && regionList(config, r.region) === 'elastic')
      inUse.push(r.region);
  }
  return inUse;
}

function snapshotOf(regions: RegionSnapshot[], region: string): RegionSnapshot | undefined {
  for (const r of regions) if (r.region === region) return r;
  return undefined;
}

/** Seconds a FAILED region waits before its next attempt: cooldown * 2^(failures - 1). */
export function failureBackoffSeconds(consecutiveFailures: number, config: AutoscalerConfig): number {
  return config.scaling.cooldownSeconds * 2 ** (Math.max(1, consecutiveFailures) - 1);
}

function exclusiveAccessProblem(snapshot: RegionSnapshot): Verdict | undefined {
  if (snapshot.locked) {
    const maintenance = runningMaintenance(snapshot);
    if (maintenance) {
      // Not lost: an alarm still in ALARM is decided again by the reconciler once the lock is released.
      return reject(
        'locked',
        `locked: ${maintenance.label} (execution ${maintenance.executionArn}) holds the lock of ${snapshot.region}; the decision waits for it and is made again once it ends`,
      );
    }
    return reject('locked', `locked: another execution holds the lock of ${snapshot.region}`);
  }
  if (snapshot.executionRunning) {
    return reject('execution-running', `execution running: a workflow is already working on ${snapshot.region}`);
  }
  return undefined;
}

/** The maintenance the region's state says is running (an edge rollout or a cluster upgrade holds its lock then). */
function runningMaintenance(snapshot: RegionSnapshot): { label: string; executionArn: string } | undefined {
  const { edgeRollout, clusterUpgrade } = snapshot.maintenance ?? {};
  if (edgeRollout?.status === 'RUNNING') return { label: 'an edge rollout', executionArn: edgeRollout.executionArn };
  if (clusterUpgrade?.status === 'RUNNING') {
    return { label: 'a cluster upgrade', executionArn: clusterUpgrade.executionArn };
  }
  return undefined;
}

function failureProblem(snapshot: RegionSnapshot, config: AutoscalerConfig, now: Date): Verdict | undefined {
  if (snapshot.status !== 'FAILED') return undefined;
  const failures = snapshot.consecutiveFailures;
  const cause = snapshot.lastFailureCause ? ` (last cause: ${snapshot.lastFailureCause})` : '';
  if (failures >= MAX_CONSECUTIVE_FAILURES) {
    return reject(
      'failed-needs-operator',
      `failed ${failures} times in a row: ${snapshot.region} is left FAILED for an operator${cause}`,
    );
  }
  if (snapshot.lastTransitionAt) {
    const elapsed = secondsSince(snapshot.lastTransitionAt, now);
    const backoff = failureBackoffSeconds(failures, config);
    if (elapsed < backoff) {
      return reject(
        'failed-backoff',
        `failure backoff: ${snapshot.region} failed ${failures} time(s) in a row, last ${formatDuration(elapsed)} ago; next attempt after ${formatDuration(backoff)}${cause}`,
      );
    }
  }
  return undefined;
}

function describeSource(request: ScalingRequest): string {
  if (request.source === 'operator') {
    const flags = [request.force && 'forced', request.allowOverMax && 'over max allowed'].filter(Boolean);
    return flags.length ? `operator request, ${flags.join(', ')}` : 'operator request';
  }
  // The reconciler asks for several reasons (an alarm still in ALARM, a forecast, a swap, a warm
  // expiry): its own reason goes with the request, this names only who asked.
  return request.source === 'alarm' ? 'demand alarm' : 'reconciler';
}

function activeUntil(iso: string | undefined, now: Date): Date | undefined {
  if (!iso) return undefined;
  const until = new Date(iso);
  return until.getTime() > now.getTime() ? until : undefined;
}

function secondsSince(iso: string, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - new Date(iso).getTime()) / 1000));
}

/** 45 -> "45 s", 720 -> "12 min", 5400 -> "90 min", 7200 -> "2 h", 9000 -> "2 h 30 min". */
export function formatDuration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min`;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
}
