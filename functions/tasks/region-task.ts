/**
 * Task Lambda of the scale-up / scale-down workflows: validation and refusals before any
 * change, the region's lock and state (DynamoDB, home region), and the notifications (SNS).
 * See contract.ts for the actions and their results.
 */
import { callAws } from '../adapters/aws-errors';
import { describeEdgeCluster } from '../adapters/eks-cluster';
import { loadFoundation } from '../adapters/foundation';
import { publishNotification } from '../adapters/notifier';
import { StateStore } from '../adapters/state-store';
import { settleAbandonedTransition } from '../adapters/transition-reservation';
import { documentClient, eksClient, snsClient, ssmClient } from '../commons/aws-clients';
import { lambdaHandler, logger } from '../commons/observability';
import { runtime, type Runtime } from '../commons/runtime';
import { countRefusal, countScaling, recordFleetGauges, recordRegionDuration } from '../commons/workflow-metrics';
import { approvedRegions, regionList } from '../domain/config';
import { InvalidRequestError, NotOwnedError, RefusedError, RegionLockedError } from '../domain/errors';
import {
  claimedByAnother,
  describeFailure,
  drainWaitSeconds,
  failedState,
  finishedState,
  isOwned,
  refuseAlwaysOnScaleDown,
  refuseLastServingScaleDown,
  requireApprovedRegion,
  scaleDownIsNoop,
  startedState,
} from '../domain/lifecycle-rules';
import { fleetGauges, SCALE_UP_LEAD_TIME_METRIC, WARM_SCALE_UP_LEAD_TIME_METRIC } from '../domain/metric-names';
import { clusterName, nodegroupName, OWNER_TAG_KEY } from '../domain/naming';
import {
  maintenanceFailed,
  maintenanceSummary,
  scalingFailed,
  scalingFinished,
  scalingRefused,
  type Notification,
  type RequestContext,
} from '../domain/notifications';
import {
  initialRegionState,
  statusBeforeClaim,
  type RegionLock,
  type RegionState,
  type RegionStatus,
  type TransitionTarget,
} from '../domain/region-state';
import {
  edgeRestoreOutcome,
  maintenanceFailedState,
  maintenanceFailureCause,
  maintenanceFinishedState,
  maintenanceInputSchema,
  maintenanceStartedState,
  planMaintenance,
  type MaintenancePlan,
} from '../domain/region-maintenance';
import { describeIssues } from '../domain/validation';
import { transitionPath, transitionStart, transitionTarget } from '../domain/warm-standby';
import { workflowInputSchema, type WorkflowInput } from '../domain/workflow-input';
import { regionTaskSchema, type LockedRegion, type RegionTaskInput, type ScalingPlan } from './contract';

type Action<A extends RegionTaskInput['action']> = Extract<RegionTaskInput, { action: A }>;

export type RegionTaskResult = ScalingPlan | MaintenancePlan | LockedRegion | RegionState | { notified: boolean };

export const handler = lambdaHandler(regionTaskSchema, async (input: RegionTaskInput): Promise<RegionTaskResult> => {
  const rt = runtime();
  // The state store and the notifier call DynamoDB and SNS directly: map their transient failures here.
  return callAws(`region-task ${input.action}`, () => dispatch(rt, input));
});

function dispatch(rt: Runtime, input: RegionTaskInput): Promise<RegionTaskResult> {
  switch (input.action) {
    case 'validateScaleUp':
      return validateScaleUp(rt, input.request);
    case 'validateScaleDown':
      return validateScaleDown(rt, input.request);
    case 'lockRegion':
      return lockRegion(rt, input);
    case 'finishScaling':
      return finishScaling(rt, input);
    case 'failScaling':
      return failScaling(rt, input);
    case 'notifyRefusal':
      return notifyRefusal(rt, input);
    case 'planMaintenance':
      return planRegionMaintenance(rt, input);
    case 'lockForMaintenance':
      return lockForMaintenance(rt, input);
    case 'finishMaintenance':
      return finishMaintenance(rt, input);
    case 'failMaintenance':
      return failMaintenance(rt, input);
    case 'notifyMaintenance':
      return notifyMaintenance(rt, input);
  }
}

const stateStore = (rt: Runtime) => new StateStore(documentClient(rt.homeRegion), rt.stateTableName);

/** The documented workflow input; InvalidRequestError naming each bad field. */
function parseRequest(raw: unknown): WorkflowInput {
  const parsed = workflowInputSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new InvalidRequestError(
    `Invalid workflow input: ${describeIssues(parsed.error, 'input', raw).join('; ')}; ` +
      'fix: send { "region": "<approved region>", "reason": "...", "requestedBy": "operator" } (see README)',
  );
}

async function plan(
  rt: Runtime,
  request: WorkflowInput,
  target: TransitionTarget,
  noop: boolean,
): Promise<ScalingPlan> {
  const { prefix } = rt.config;
  return {
    region: request.region,
    reason: request.reason,
    requestedBy: request.requestedBy,
    clusterName: clusterName(prefix, request.region),
    nodegroupName: nodegroupName(prefix),
    foundation: await loadFoundation(ssmClient(request.region), prefix, request.region),
    noop,
    drainWaitSeconds: drainWaitSeconds(rt.config),
    recordTtlSeconds: rt.config.dns.ttlSeconds,
    target,
  };
}

/** Where the scale-up ends (ACTIVE, or WARM for a warm-up); refuses a warm-up of a region that serves. */
async function validateScaleUp(rt: Runtime, raw: unknown): Promise<ScalingPlan> {
  const request = parseRequest(raw);
  const { region } = request;
  requireApprovedRegion(rt.config, region);
  const now = new Date();
  const state = await stateStore(rt).getRegionState(region);
  const from = transitionStart(state);
  const target = transitionTarget(rt.config, { region, direction: 'up', requested: request.target }, from, [], now);
  transitionPath(region, 'up', from, target);
  return plan(rt, request, target, false);
}

/**
 * Refuses (changing nothing) an always-on region, the last serving region (unless the region is
 * WARM: it serves nobody), a cluster not ours, a scale-down to WARM with no cluster to keep; and
 * resolves where the scale-down ends (warm-standby.ts transitionTarget).
 */
async function validateScaleDown(rt: Runtime, raw: unknown): Promise<ScalingPlan> {
  const request = parseRequest(raw);
  const { config } = rt;
  const { region } = request;
  requireApprovedRegion(config, region);
  refuseAlwaysOnScaleDown(config, region);
  const now = new Date();
  const states = await stateStore(rt).getRegionStates(approvedRegions(config));
  const state = states.find((s) => s.region === region) ?? initialRegionState(region, now);
  const from = transitionStart(state);
  const target = transitionTarget(config, { region, direction: 'down', requested: request.target }, from, states, now);
  if (transitionPath(region, 'down', from, target) !== 'warmTeardown')
    refuseLastServingScaleDown(config, region, states);
  const cluster = await describeEdgeCluster(eksClient(region), clusterName(config.prefix, region));
  if (cluster && !isOwned(cluster.tags, config.prefix)) {
    throw new NotOwnedError(
      `Scale-down of ${region} refused: cluster ${cluster.name} is not tagged ${OWNER_TAG_KEY}=${config.prefix}, ` +
        'so the autoscaler did not create it and will not delete it; fix: remove it by hand if it should go',
    );
  }
  if (target === 'WARM' && !cluster) {
    throw new RefusedError(
      `Scale-down of ${region} to WARM refused: it has no cluster to keep warm; fix: warm it up instead (a scale-up with target WARM), or leave the target out`,
    );
  }
  return plan(rt, request, target, scaleDownIsNoop(state, cluster !== undefined, target));
}

/**
 * Takes the lock and marks the region PROVISIONING or DRAINING towards `target`, from the status
 * its claim (or, unclaimed, the region) had. Under the lock: the path (a warm-up of a region that
 * serves is refused) and, for a scale-down that withdraws a record, the last-serving-region rule,
 * since another region may have gone down since validation. A refusal releases the lock again.
 */
async function lockRegion(rt: Runtime, input: Action<'lockRegion'>): Promise<LockedRegion> {
  const { region, owner, direction } = input;
  requireApprovedRegion(rt.config, region);
  const target = input.target ?? (direction === 'up' ? 'ACTIVE' : 'INACTIVE');
  const store = stateStore(rt);
  await store.acquireLock(region, owner);
  const now = new Date();
  let locked: LockedRegion | undefined;
  try {
    const states = direction === 'down' ? await store.getRegionStates(approvedRegions(rt.config)) : [];
    await store.updateRegionState(region, (s) => {
      const from = transitionStart(s, owner);
      const path = transitionPath(region, direction, from, target);
      if (direction === 'down' && path !== 'warmTeardown') refuseLastServingScaleDown(rt.config, region, states);
      locked = { region, from, target, path };
      return startedState(s, direction, owner, now, { from, target });
    });
  } catch (error) {
    if (error instanceof RefusedError) await store.releaseLock(region, owner);
    throw error;
  }
  logger.info('Region locked', { ...locked });
  countScaling(region, direction, 'Started');
  await recordFleet(rt, store);
  return locked!;
}

async function finishScaling(rt: Runtime, input: Action<'finishScaling'>): Promise<RegionState> {
  const { region, owner, direction, recordTarget, edgeConfiguration } = input;
  requireApprovedRegion(rt.config, region);
  const store = stateStore(rt);
  const lock = await assertNotLockedByOther(store, region, owner);
  let from: RegionStatus | undefined;
  const state = await store.updateRegionState(region, (s) => {
    if (claimedByAnother(s, owner)) {
      throw new RegionLockedError(
        `Region ${region} is claimed by ${s.executionArn}, not by ${owner}: its state is left to that execution`,
      );
    }
    from = s.transitionFrom;
    return finishedState(s, direction, new Date(), recordTarget, edgeConfiguration);
  });
  await store.releaseLock(region, owner);
  countScaling(region, direction, 'Succeeded');
  if (state.status === 'ACTIVE') {
    // The warm path's lead time is kept apart: the forecast's lead time per tier reads each.
    const metric = from === 'WARM' ? WARM_SCALE_UP_LEAD_TIME_METRIC : SCALE_UP_LEAD_TIME_METRIC;
    recordRegionDuration(metric, region, lock?.acquiredAt);
  }
  await recordFleet(rt, store);
  const target = state.status === 'WARM' ? 'WARM' : undefined;
  await notify(rt, scalingFinished(rt.config.prefix, region, direction, input, recordTarget, target));
  return state;
}

/**
 * Marks the region FAILED and releases the lock, only when this execution holds the lock (or
 * nobody does) and the region is not claimed for another execution: a failure of an execution
 * that never got the lock must not touch the state of the execution that has it. Notifies in
 * every case.
 */
async function failScaling(rt: Runtime, input: Action<'failScaling'>): Promise<RegionState | { notified: boolean }> {
  const { region, owner, direction } = input;
  requireApprovedRegion(rt.config, region);
  const cause = describeFailure(input.error);
  const store = stateStore(rt);
  const lock = await store.getLock(region);
  countScaling(region, direction, 'Failed');
  if (lock && lock.owner !== owner) {
    logger.warn('Failure of an execution that does not hold the lock: state left as is', {
      region,
      owner,
      holder: lock.owner,
    });
    return { notified: await notify(rt, scalingFailed(rt.config.prefix, region, direction, cause, input)) };
  }
  const state = await store.updateRegionState(region, (s) =>
    claimedByAnother(s, owner) ? s : failedState(s, direction, cause, new Date()),
  );
  if (claimedByAnother(state, owner)) {
    logger.warn('Failure of an execution the region is not claimed for: state left as is', {
      region,
      owner,
      claimedFor: state.executionArn,
    });
    await store.releaseLock(region, owner);
    return { notified: await notify(rt, scalingFailed(rt.config.prefix, region, direction, cause, input)) };
  }
  await store.releaseLock(region, owner);
  await recordFleet(rt, store);
  await notify(rt, scalingFailed(rt.config.prefix, region, direction, cause, input));
  return state;
}

async function notifyRefusal(rt: Runtime, input: Action<'notifyRefusal'>): Promise<{ notified: boolean }> {
  const request = requestFields(input.request);
  if (input.owner && request.region && regionList(rt.config, request.region)) {
    await undoClaim(rt, request.region, input.owner);
  }
  countRefusal(input.direction);
  const message = scalingRefused(
    rt.config.prefix,
    request.region,
    input.direction,
    describeFailure(input.error),
    request,
  );
  return { notified: await notify(rt, message) };
}

/**
 * A decision claims its region (PROVISIONING or DRAINING, with the planned execution's ARN) before
 * it starts the execution; when the workflow then refuses, nothing changed: give the region back
 * its status at once (the reconciler would do it later). A claim of another execution is left alone.
 */
async function undoClaim(rt: Runtime, region: string, owner: string): Promise<void> {
  const state = await stateStore(rt).getRegionState(region);
  if (!(state.status === 'PROVISIONING' || state.status === 'DRAINING') || state.executionArn !== owner) return;
  await settleAbandonedTransition(documentClient(rt.homeRegion), rt.stateTableName, {
    region,
    fromStatus: state.status,
    executionArn: owner,
    toStatus: statusBeforeClaim(state),
    countFailure: false,
    now: new Date(),
  });
}

/** The region's lock (undefined when none is held); RegionLockedError when another execution holds it. */
async function assertNotLockedByOther(
  store: StateStore,
  region: string,
  owner: string,
): Promise<RegionLock | undefined> {
  const lock = await store.getLock(region);
  if (lock && lock.owner !== owner) {
    throw new RegionLockedError(
      `Region ${region} is locked by ${lock.owner}, not by ${owner}: its state is left to that execution`,
    );
  }
  return lock;
}

/**
 * The fleet gauges after a region changed state, read back from the state table. Best effort:
 * a failed read is logged, never fails the scaling step.
 */
async function recordFleet(rt: Runtime, store: StateStore): Promise<void> {
  try {
    recordFleetGauges(fleetGauges(rt.config, await store.getRegionStates(approvedRegions(rt.config))));
  } catch (error) {
    logger.warn('Fleet gauges not recorded: the region states could not be read', { error });
  }
}

/** What can be read from a request that may have been refused for its shape. */
function requestFields(raw: unknown): RequestContext & { region?: string } {
  if (!raw || typeof raw !== 'object') return {};
  const { region, reason, requestedBy } = raw as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { region: text(region), reason: text(reason), requestedBy: text(requestedBy) };
}

async function notify(rt: Runtime, notification: Notification): Promise<boolean> {
  logger.info('Notification', { ...notification });
  if (!rt.notificationTopicArn) {
    logger.warn('NOTIFICATION_TOPIC_ARN is not set: notification only logged');
    return false;
  }
  await publishNotification(snsClient(rt.homeRegion), rt.notificationTopicArn, notification);
  return true;
}

// ---------- maintenance: edge rollout, cluster upgrade ----------

async function planRegionMaintenance(rt: Runtime, input: Action<'planMaintenance'>): Promise<MaintenancePlan> {
  const parsed = maintenanceInputSchema.safeParse(input.request);
  if (!parsed.success) {
    throw new InvalidRequestError(
      `Invalid maintenance input: ${describeIssues(parsed.error, 'input', input.request).join('; ')}; ` +
        'fix: send { "regions": ["<approved region>"], "reason": "...", "requestedBy": "operator" }, or {} for every ACTIVE region (see README)',
    );
  }
  const target = input.target ?? rt.config.cluster.kubernetesVersion;
  const states = await stateStore(rt).getRegionStates(approvedRegions(rt.config));
  const plan = planMaintenance(rt.config, input.kind, target, parsed.data, states);
  logger.info('Maintenance planned', { ...plan });
  return plan;
}

async function lockForMaintenance(rt: Runtime, input: Action<'lockForMaintenance'>): Promise<RegionState> {
  const { region, owner, kind, target } = input;
  requireApprovedRegion(rt.config, region);
  const store = stateStore(rt);
  await store.acquireLock(region, owner);
  const now = new Date();
  try {
    return await store.updateRegionState(region, (s) => {
      const refusal = maintenanceRefusal(s, owner, now);
      if (refusal) throw new RefusedError(`${kind} of ${region} skipped: ${refusal}`);
      return maintenanceStartedState(s, kind, target, owner, now);
    });
  } catch (error) {
    await store.releaseLock(region, owner);
    throw error;
  }
}

/** Why a region cannot be maintained now, though its lock was free; undefined when it can. */
function maintenanceRefusal(state: RegionState, owner: string, now: Date): string | undefined {
  if (state.status !== 'ACTIVE') return `it is ${state.status}, no longer ACTIVE`;
  if (claimedByAnother(state, owner)) return `it is claimed for ${state.executionArn}`;
  if (state.pausedUntil && Date.parse(state.pausedUntil) > now.getTime()) {
    return `it is paused until ${state.pausedUntil} (regionctl resume ends the pause)`;
  }
  return undefined;
}

async function finishMaintenance(rt: Runtime, input: Action<'finishMaintenance'>): Promise<RegionState> {
  const { region, owner, kind, target } = input;
  requireApprovedRegion(rt.config, region);
  const store = stateStore(rt);
  await assertNotLockedByOther(store, region, owner);
  const state = await store.updateRegionState(region, (s) =>
    maintenanceFinishedState(s, kind, target, owner, new Date()),
  );
  await store.releaseLock(region, owner);
  logger.info('Maintenance finished', { region, kind, target });
  return state;
}

/** Records the failure and releases the lock when `owner` holds it (or nobody does); notifies in every case. */
async function failMaintenance(rt: Runtime, input: Action<'failMaintenance'>): Promise<{ notified: boolean }> {
  const { region, owner, kind, target } = input;
  requireApprovedRegion(rt.config, region);
  const cause = maintenanceFailureCause(kind, input.error);
  const store = stateStore(rt);
  const lock = await store.getLock(region);
  if (!lock || lock.owner === owner) {
    await store.updateRegionState(region, (s) => maintenanceFailedState(s, kind, target, owner, cause, new Date()));
    if (lock) await store.releaseLock(region, owner);
  } else {
    logger.warn('Maintenance failure of an execution that does not hold the lock: state left as is', {
      region,
      owner,
      holder: lock.owner,
    });
  }
  const restore = edgeRestoreOutcome(input.error);
  return { notified: await notify(rt, maintenanceFailed(rt.config.prefix, region, kind, target, cause, restore)) };
}

async function notifyMaintenance(rt: Runtime, input: Action<'notifyMaintenance'>): Promise<{ notified: boolean }> {
  const { plan, owner } = input;
  const states = await stateStore(rt).getRegionStates(plan.regions);
  const recordOf = (region: string) => {
    const record = states.find((s) => s.region === region)?.maintenance?.[plan.kind];
    return record?.executionArn === owner ? record : undefined;
  };
  const updated = plan.regions.filter((r) => recordOf(r)?.status === 'SUCCEEDED');
  const failed = plan.regions.filter((r) => recordOf(r)?.status === 'FAILED');
  const notReached = plan.regions.filter((r) => !recordOf(r));
  const skipped = [
    ...plan.skipped,
    ...notReached.map((region) => ({
      region,
      reason: input.error
        ? 'not maintained: its lock was held, it was no longer ACTIVE, or the run stopped before it'
        : 'not maintained: its lock was held or it was no longer ACTIVE (the reconciler retries it)',
    })),
  ];
  const failure = input.error || failed.length > 0 ? failureText(failed, input.error) : undefined;
  const summary = maintenanceSummary(rt.config.prefix, plan.kind, plan.target, updated, skipped, failure);
  return { notified: await notify(rt, summary) };
}

function failureText(failed: string[], error: { Error?: string; Cause?: string } | undefined): string {
  const where = failed.length > 0 ? `in ${failed.join(', ')}: ` : '';
  return `${where}${error ? describeFailure(error) : 'see the region notification'}`;
}
