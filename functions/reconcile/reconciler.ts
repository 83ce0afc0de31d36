/**
 * One reconciler pass. Alarms act only on state transitions, so what a guardrail refused once
 * (a cooldown, a full set of elastic slots) would never be retried; and the world drifts from
 * the state table. Each pass, in this order:
 *   1. releases locks whose owning execution has finished;
 *   2. settles regions left PROVISIONING/DRAINING by an execution that no longer runs;
 *   3. brings up every always-on region that is not ACTIVE;
 *   4. repairs drift: an ACTIVE region without its latency record is scaled up again (the
 *      workflow is idempotent and re-adds the record); a cluster tagged as ours in an INACTIVE
 *      elastic region is reported and scaled down;
 *   5. reads the elastic regions' demand history (one GetMetricData request, demand-history.ts):
 *      their demand now or forecast (RegionSnapshot.demand, for the demand-ranked slots), their
 *      demand profile and their measured lead times;
 *   6. re-decides the elastic regions whose scale-up or scale-down alarm is still in ALARM (not
 *      the scale-down of a WARM region: it is down already, warm expiry takes it further);
 *   7. predictive pre-warm: starts the scale-up (or warm-up) the forecast asks for, early enough
 *      that the region serves when its forecast crosses the scale-up threshold (pre-warm.ts); with
 *      forecast.mode "forecast-only" it only records it in the decision history; never a scale-down.
 *      A scale-up of step 6 or 7 refused for want of an elastic slot, with a region to preempt
 *      (scaling-policy.ts, demand-ranked slots), scales that region down, then asks again;
 *   8. scales a WARM region kept longer than warm.keepHours down to INACTIVE (warm expiry);
 *   9. notifies an operator, once, of a region left FAILED after three failures in a row;
 *  10. reports, at every pass, a cluster of ours still running in such a FAILED elastic region,
 *      with what it has cost since the region failed (left in place, for the reasons given there);
 *  11. starts the edge rollout when an ACTIVE region does not run the deployment's edge
 *      configuration, else the cluster upgrade when one runs an older Kubernetes version
 *      (maintenance-triggers.ts decides; one maintenance execution at a time), and reports once
 *      a target held by a failure; it records both targets for regionctl status.
 * It never acts on a region while one of its executions runs or its lock is held, and never on
 * a paused region; it starts at most one scaling execution per region per pass.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { EKSClient } from '@aws-sdk/client-eks';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { SNSClient } from '@aws-sdk/client-sns';
import { recordDeploymentTargets } from '../adapters/deployment-targets';
import { regionsWithLatencyRecords } from '../adapters/latency-records';
import {
  listRunningMaintenance,
  startMaintenanceExecution,
  type MaintenanceStateMachines,
} from '../adapters/maintenance-executions';
import { claimNotice, notify } from '../adapters/operator-notices';
import { findCluster } from '../adapters/owned-clusters';
import { loadFleetView, type FleetView } from '../adapters/region-snapshots';
import { settleAbandonedTransition } from '../adapters/transition-reservation';
import { describeAlarmStates } from '../adapters/scaling-alarms';
import { executionStatus, recentFailureCauses } from '../adapters/scaling-executions';
import type { DemandHistory } from '../adapters/demand-history';
import { logger } from '../commons/observability';
import { requestScaling, type ScalingDeps, type ScalingOutcome } from '../decide/scaling-requests';
import { regionList } from '../domain/config';
import {
  forecastOnlyRecord,
  forecastRequest,
  preemptionRequest,
  regionForecasts,
  warmExpiryRequest,
  withDemand,
  type ReconcilerRequest,
  type RegionForecast,
} from '../domain/forecast-actions';
import {
  decideMaintenanceTrigger,
  MAINTENANCE_LABELS,
  TRIGGER_ORDER,
  type MaintenanceTrigger,
} from '../domain/maintenance-triggers';
import { statusBeforeClaim, type MaintenanceKind } from '../domain/region-state';
import {
  clusterName,
  maintenanceExecutionName,
  parseScalingAlarmName,
  scaleDownAlarmName,
  scaleUpAlarmName,
} from '../domain/naming';
import { decideScaling, MAX_CONSECUTIVE_FAILURES, type RegionSnapshot } from '../domain/scaling-policy';
import { strandedClusterReport } from '../domain/stranded-cluster';

export interface ReconcileDeps extends ScalingDeps {
  cloudWatch: CloudWatchClient;
  route53: Route53Client;
  eks: (region: string) => EKSClient;
  sns: SNSClient;
  topicArn?: string;
  /** The maintenance workflows the reconciler starts; a kind without a state machine is never started. */
  maintenanceMachines: MaintenanceStateMachines;
  /** The edge configuration hash this deployment renders (what every region should run). */
  desiredEdgeConfiguration: () => string;
  /** The elastic regions' demand history at `now`: one GetMetricData request (demandHistoryReader). */
  readDemandHistory: (now: Date) => Promise<DemandHistory>;
}

export interface ReconcileAction {
  region: string;
  action:
    | 'lock-released'
    | 'transition-settled'
    | 'scale-up-started'
    | 'scale-down-started'
    | 'rejected'
    | 'forecast-recorded'
    | 'drift-reported'
    | 'operator-notified'
    | 'stranded-cluster-reported'
    | 'edge-rollout-started'
    | 'cluster-upgrade-started'
    | 'maintenance-held';
  detail: string;
}

/** A PROVISIONING/DRAINING mark younger than this may belong to a decision still starting its execution. */
export const ABANDONED_AFTER_SECONDS = 120;

/** `reconcile-<UTC minute of the schedule slot>`: one execution name per region per direction per slot. */
export function reconcileTrigger(scheduledAt: Date, intervalMinutes: number): string {
  const slotMs = intervalMinutes * 60_000;
  const slot = new Date(Math.floor(scheduledAt.getTime() / slotMs) * slotMs);
  return `reconcile-${slot.toISOString().slice(0, 16).replace(/[-:]/g, '')}`;
}

export async function reconcile(deps: ReconcileDeps, scheduledAt: Date, now: Date): Promise<ReconcileAction[]> {
  const { config } = deps;
  const trigger = reconcileTrigger(scheduledAt, config.scaling.reconcileIntervalMinutes);
  const actions: ReconcileAction[] = [];
  const touched = new Set<string>();
  const act = (action: ReconcileAction) => {
    actions.push(action);
    logger.info(`Reconciler: ${action.action} ${action.region}: ${action.detail}`, { ...action });
  };

  let view = await loadFleetView(deps.store, deps.sfn, config, deps.machines, now);
  const idle = (s: RegionSnapshot) => !s.executionRunning && !pausedAt(s, now);

  // 1. Locks whose owner finished.
  for (const s of view.snapshots.filter((x) => x.locked && !x.executionRunning)) {
    const lock = await deps.store.getLock(s.region);
    if (!lock) continue;
    const status = await executionStatus(deps.sfn, lock.owner);
    if (status === 'RUNNING') continue;
    if (await deps.store.releaseLock(s.region, lock.owner)) {
      act({ region: s.region, action: 'lock-released', detail: `owner ${lock.owner} is ${status}` });
    }
  }

  // 2. Transitions abandoned by an execution that no longer runs.
  for (const s of view.snapshots) {
    if (!(s.status === 'PROVISIONING' || s.status === 'DRAINING') || s.executionRunning || !s.executionArn) continue;
    if ((now.getTime() - Date.parse(s.since)) / 1000 < ABANDONED_AFTER_SECONDS) continue;
    const status = await executionStatus(deps.sfn, s.executionArn);
    if (status === 'RUNNING') continue;
    const neverStarted = status === 'MISSING';
    const up = s.status === 'PROVISIONING';
    const settled = await settleAbandonedTransition(deps.dynamo, deps.tableName, {
      region: s.region,
      fromStatus: s.status,
      executionArn: s.executionArn,
      toStatus: neverStarted ? statusBeforeClaim(s) : 'FAILED',
      cause: neverStarted
        ? undefined
        : `execution ${s.executionArn} ended ${status} without finishing the ${up ? 'scale-up' : 'scale-down'}`,
      countFailure: up && !neverStarted,
      now,
    });
    if (settled) {
      act({
        region: s.region,
        action: 'transition-settled',
        detail: neverStarted
          ? `${s.status} mark of an execution that never started was undone`
          : `left ${s.status} by an execution that ended ${status}: now FAILED`,
      });
    }
  }
  if (actions.length) view = await loadFleetView(deps.store, deps.sfn, config, deps.machines, now);

  // 3. Always-on regions that do not serve.
  for (const region of config.regions.alwaysOn) {
    const s = snapshotOf(view, region);
    // ACTIVE: nothing to do; on its way: its execution decides; failed too often: step 9.
    if (!s || !(s.status === 'INACTIVE' || s.status === 'FAILED')) continue;
    if (s.status === 'FAILED' && s.consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) continue;
    const outcome = await requestScaling(
      {
        request: { region, direction: 'up', source: 'reconciler', eventAt: scheduledAt },
        trigger,
        reason: `reconciler: always-on region ${region} is ${s.status}, bringing it up`,
        eventId: `${trigger}-up`,
        policy: 'always-on-restore',
      },
      deps,
      now,
      view,
    );
    touched.add(region);
    recordOutcome(act, outcome);
  }

  // 4. Drift between the state table and the world.
  const withRecord = await regionsWithLatencyRecords(deps.route53, config.dns.hostedZoneId, config.dns.recordName);
  for (const s of view.snapshots) {
    if (touched.has(s.region) || !idle(s) || s.locked) continue;
    if (s.status === 'ACTIVE' && !withRecord.has(s.region)) {
      touched.add(s.region);
      await startRepair(
        deps,
        act,
        s.region,
        'up',
        trigger,
        now,
        scheduledAt,
        `drift: ${s.region} is ACTIVE but its latency record (SetIdentifier ${s.region}) is missing; the scale-up workflow re-adds it`,
      );
    } else if (s.status === 'INACTIVE' && regionList(config, s.region) === 'elastic') {
      const cluster = await findCluster(deps.eks(s.region), clusterName(config.prefix, s.region), config.prefix);
      if (!cluster?.owned) continue;
      touched.add(s.region);
      const detail = `drift: cluster ${cluster.name} (tagged as ours, ${cluster.status ?? 'unknown status'}) runs in ${s.region}, which is INACTIVE; scaling it down`;
      act({ region: s.region, action: 'drift-reported', detail });
      if (deps.topicArn) {
        await notify(
          deps.sns,
          deps.topicArn,
          `[${config.prefix}] drift in ${s.region}: cluster without a serving region`,
          `[${config.prefix}] ${detail}.`,
        );
      }
      await startRepair(deps, act, s.region, 'down', trigger, now, scheduledAt, detail);
    }
  }

  // 5. Demand now and forecast of the elastic regions.
  const forecasts = await readForecasts(deps, now);
  const demandView = async (): Promise<FleetView> => {
    const fresh = await loadFleetView(deps.store, deps.sfn, config, deps.machines, now);
    return { ...fresh, snapshots: withDemand(fresh.snapshots, forecasts, config, now) };
  };
  // `tellWhy`: a start is reported with the request's own reason (a forecast, a swap, an expiry),
  // which says more than the policy's "allowed".
  const scale = async (action: ReconcilerRequest, eventId: string, tellWhy = true): Promise<ScalingOutcome> => {
    // The view carries the demand the demand-ranked slots compare (a decision made again after a
    // lost claim reads the fleet without it: that one cannot preempt, the next pass can).
    const outcome = await requestScaling(
      { request: action.request, trigger, reason: action.reason, eventId },
      deps,
      now,
      await demandView(),
    );
    recordOutcome(act, outcome, tellWhy ? action.reason : undefined);
    return outcome;
  };
  // A scale-up refused for want of a slot, with a region to preempt: that region goes down (a
  // region this pass has not acted on yet), and the requester asks again, its slot now free.
  const scaleUpOrPreempt = async (action: ReconcilerRequest, eventId: string, tellWhy = true): Promise<void> => {
    const outcome = await scale(action, eventId, tellWhy);
    const preemption = outcome.outcome === 'rejected' ? preemptionRequest(outcome.preempt, scheduledAt) : undefined;
    if (!preemption || touched.has(preemption.request.region)) return;
    touched.add(preemption.request.region);
    const down = await scale(preemption, `${trigger}-preempt`);
    if (down.outcome === 'started') await scale(action, eventId, tellWhy);
  };

  // 6. Elastic regions whose alarm still asks for a transition.
  const alarmNames = config.regions.elastic.flatMap((r) => [
    scaleUpAlarmName(config.prefix, r),
    scaleDownAlarmName(config.prefix, r),
  ]);
  const inAlarm = (await describeAlarmStates(deps.cloudWatch, alarmNames)).filter((a) => a.state === 'ALARM');
  for (const alarm of inAlarm) {
    const target = parseScalingAlarmName(config.prefix, alarm.alarmName);
    if (!target || touched.has(target.region)) continue;
    // Low demand keeps the scale-down alarm in ALARM while a region is down (INACTIVE, WARM): only an
    // ACTIVE region has anything to scale down, and the others stay free for the pre-warm of step 7.
    if (target.direction === 'down' && snapshotOf(view, target.region)?.status !== 'ACTIVE') continue;
    touched.add(target.region);
    const action: ReconcilerRequest = {
      request: { region: target.region, direction: target.direction, source: 'reconciler', eventAt: scheduledAt },
      reason: `reconciler: alarm ${alarm.alarmName} still in ALARM${alarm.updatedAt ? ` since ${alarm.updatedAt.toISOString()}` : ''}`,
    };
    if (target.direction === 'up') await scaleUpOrPreempt(action, `${trigger}-up`, false);
    else await scale(action, `${trigger}-down`, false);
  }

  // 7. Predictive pre-warm.
  if (config.forecast.mode !== 'off') {
    let current = await demandView();
    for (const region of config.regions.elastic) {
      const s = snapshotOf(current, region);
      if (!s || touched.has(region) || !idle(s) || s.locked) continue;
      const { plan, action } = forecastRequest(s, forecasts.get(region), config, scheduledAt, now);
      if (!action) {
        logger.debug(`Reconciler: ${plan.reason}`, { region });
        continue;
      }
      touched.add(region);
      if (config.forecast.mode === 'forecast-only') {
        await recordForecastOnly(deps, act, action, decideScaling(action.request, current.snapshots, config, now), now);
        continue;
      }
      await scaleUpOrPreempt(action, `${trigger}-forecast`);
      current = await demandView();
    }
  }

  // 8. WARM regions kept long enough.
  for (const s of view.snapshots) {
    if (touched.has(s.region) || !idle(s) || s.locked) continue;
    const expiry = warmExpiryRequest(s, config, scheduledAt, now);
    if (!expiry) continue;
    touched.add(s.region);
    await scale(expiry, `${trigger}-down`);
  }

  // 9. Regions that failed too often: tell an operator once, with the causes.
  for (const s of view.snapshots) {
    if (s.status !== 'FAILED' || s.consecutiveFailures < MAX_CONSECUTIVE_FAILURES || !deps.topicArn) continue;
    const occurrence = s.lastTransitionAt ?? s.since;
    if (!(await claimNotice(deps.dynamo, deps.tableName, s.region, 'failed-needs-operator', occurrence, now))) continue;
    const causes = await recentFailureCauses(deps.sfn, deps.machines.up, s.region, MAX_CONSECUTIVE_FAILURES);
    const listed = causes.length ? causes : [s.lastFailureCause ?? 'cause not recorded'];
    await notify(
      deps.sns,
      deps.topicArn,
      `[${config.prefix}] ${s.region} left FAILED after ${s.consecutiveFailures} failures`,
      [
        `[${config.prefix}] Scale-up of ${s.region} failed ${s.consecutiveFailures} times in a row; autoscaling leaves it FAILED until an operator acts (regionctl up ${s.region} after fixing the cause).`,
        'Causes, newest first:',
        ...listed.map((c) => `  - ${c}`),
      ].join('\n'),
    );
    act({
      region: s.region,
      action: 'operator-notified',
      detail: `left FAILED after ${s.consecutiveFailures} failures`,
    });
  }

  // 10. A cluster of ours left running by an elastic region that failed too often: report it, at
  // every pass, with its cost so far. It is not scaled down: a scale-down ends INACTIVE, which
  // lifts the failed-needs-operator rule (it holds FAILED regions only), so the alarms would retry
  // the failing scale-up every cooldown and pay for a new cluster each time; the cluster is also
  // what the operator needs to diagnose the failures. And a FAILED region may still hold its record
  // (a rollback that could not withdraw it), so removing it is an operator's call under the
  // last-serving rule (regionctl down), not the reconciler's.
  for (const s of view.snapshots) {
    if (s.status !== 'FAILED' || s.consecutiveFailures < MAX_CONSECUTIVE_FAILURES) continue;
    if (regionList(config, s.region) !== 'elastic' || s.executionRunning || s.locked) continue;
    const cluster = await findCluster(deps.eks(s.region), clusterName(config.prefix, s.region), config.prefix);
    if (!cluster?.owned || cluster.status === 'DELETING') continue;
    const report = strandedClusterReport(
      config,
      {
        region: s.region,
        clusterName: cluster.name,
        clusterStatus: cluster.status,
        consecutiveFailures: s.consecutiveFailures,
        failedAt: s.since,
      },
      now,
    );
    if (deps.topicArn) await notify(deps.sns, deps.topicArn, report.subject, report.message);
    act({ region: s.region, action: 'stranded-cluster-reported', detail: report.detail });
  }

  // 11. Regions that keep serving but run an older edge configuration or Kubernetes version.
  const scalingStarted = actions.some((a) => a.action === 'scale-up-started' || a.action === 'scale-down-started');
  if (scalingStarted) view = await loadFleetView(deps.store, deps.sfn, config, deps.machines, now);
  await triggerMaintenance(deps, act, view, trigger, scheduledAt, now);
  return actions;
}

/**
 * The forecasts of the elastic regions at `now`, from one read of their demand history; none when
 * nothing would use them (forecast.mode off and demand-ranked slots off) or when CloudWatch cannot
 * be read: the forecast then does nothing and every demand is unknown, while the rest of the pass
 * (repairs, alarms, notifications) goes on.
 */
async function readForecasts(deps: ReconcileDeps, now: Date): Promise<Map<string, RegionForecast>> {
  const { config } = deps;
  if (config.forecast.mode === 'off' && config.scaling.preemptRatio === 0) return new Map();
  try {
    const history = await deps.readDemandHistory(now);
    if (history.incomplete.length > 0) {
      logger.warn('Reconciler: CloudWatch did not answer every demand history query', {
        incomplete: history.incomplete,
      });
    }
    return regionForecasts(config, history.regions, now);
  } catch (error) {
    logger.warn('Reconciler: the demand history could not be read; no forecast and no demand this pass', {
      error: error instanceof Error ? error.message : String(error),
    });
    return new Map();
  }
}

/** forecast.mode "forecast-only": the decision history says what the forecast would have done; nothing starts. */
async function recordForecastOnly(
  deps: ReconcileDeps,
  act: (a: ReconcileAction) => void,
  action: ReconcilerRequest,
  verdict: ReturnType<typeof decideScaling>,
  now: Date,
): Promise<void> {
  const reason = forecastOnlyRecord(action, verdict);
  const { region, direction, source } = action.request;
  await deps.store.recordDecision(
    { region, at: now.toISOString(), direction, source, outcome: 'forecast-only', reason },
    now,
  );
  act({ region, action: 'forecast-recorded', detail: reason });
}

const STARTED_ACTION: Record<MaintenanceKind, ReconcileAction['action']> = {
  edgeRollout: 'edge-rollout-started',
  clusterUpgrade: 'cluster-upgrade-started',
};

/**
 * Records what the deployment wants (for regionctl status, which cannot render the edge
 * configuration itself), then starts at most one maintenance execution per pass, none while one
 * runs: the edge rollout first (it is what the last deploy changed), then the cluster upgrade.
 * The execution is named after the target and the schedule slot, so that a duplicate delivery of
 * one tick starts nothing twice.
 */
async function triggerMaintenance(
  deps: ReconcileDeps,
  act: (a: ReconcileAction) => void,
  view: FleetView,
  trigger: string,
  scheduledAt: Date,
  now: Date,
): Promise<void> {
  const targets: Record<MaintenanceKind, string> = {
    edgeRollout: deps.desiredEdgeConfiguration(),
    clusterUpgrade: deps.config.cluster.kubernetesVersion,
  };
  await recordDeploymentTargets(deps.dynamo, deps.tableName, {
    edgeConfiguration: targets.edgeRollout,
    kubernetesVersion: targets.clusterUpgrade,
    observedAt: scheduledAt.toISOString(),
  });
  const kinds = TRIGGER_ORDER.filter((kind) => deps.maintenanceMachines[kind]);
  if (kinds.length === 0) return;
  let maintenanceRunning = (await listRunningMaintenance(deps.sfn, deps.maintenanceMachines)).length > 0;
  for (const kind of kinds) {
    const target = targets[kind];
    const clusterVersions = kind === 'clusterUpgrade' ? await unrecordedClusterVersions(deps, view) : undefined;
    const decision = decideMaintenanceTrigger({
      kind,
      target,
      snapshots: view.snapshots,
      maintenanceRunning,
      clusterVersions,
      now,
    });
    if (decision.action === 'wait') {
      logger.info(`Reconciler: ${decision.reason}`, { kind, waiting: decision.waiting });
    } else if (decision.action === 'hold') {
      await reportHeld(deps, act, view, kind, target, decision, now);
    } else if (decision.action === 'start' && !maintenanceRunning) {
      const name = maintenanceExecutionName(kind, target, trigger);
      const started = await startMaintenanceExecution(deps.sfn, deps.maintenanceMachines[kind]!, name, {
        reason: decision.reason.slice(0, 500),
        requestedBy: 'reconciler',
        requestedAt: scheduledAt.toISOString(),
      });
      maintenanceRunning = true;
      if (!started.alreadyStarted) {
        act({
          region: decision.regions.join(', '),
          action: STARTED_ACTION[kind],
          detail: `${name}: ${decision.reason}`,
        });
      }
    }
  }
}

/** Cluster versions from EKS for the ACTIVE regions whose state records none (they came up before it was recorded). */
async function unrecordedClusterVersions(deps: ReconcileDeps, view: FleetView): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  for (const s of view.snapshots) {
    if (s.status !== 'ACTIVE' || s.kubernetesVersion) continue;
    const cluster = await findCluster(
      deps.eks(s.region),
      clusterName(deps.config.prefix, s.region),
      deps.config.prefix,
    );
    if (cluster?.owned && cluster.version) versions.set(s.region, cluster.version);
  }
  return versions;
}

/** A target held by a failure is reported once per failure (the failure itself was notified by its workflow). */
async function reportHeld(
  deps: ReconcileDeps,
  act: (a: ReconcileAction) => void,
  view: FleetView,
  kind: MaintenanceKind,
  target: string,
  decision: Extract<MaintenanceTrigger, { action: 'hold' }>,
  now: Date,
): Promise<void> {
  const { region } = decision.failed[0]!;
  const failedAt = snapshotOf(view, region)?.maintenance?.[kind]?.at ?? target;
  const claimed = await claimNotice(deps.dynamo, deps.tableName, region, `${kind}-held`, `${target}@${failedAt}`, now);
  if (!claimed) return;
  act({ region, action: 'maintenance-held', detail: decision.reason });
  if (deps.topicArn) {
    await notify(
      deps.sns,
      deps.topicArn,
      `[${deps.config.prefix}] automatic ${MAINTENANCE_LABELS[kind]} held after a failure in ${region}`,
      `[${deps.config.prefix}] ${decision.reason}.`,
    );
  }
}

/**
 * Starts a drift-repair execution through the same claim as every decision (decideDriftRepair:
 * the policy's demand and timing rules do not apply, the state is what is wrong), so that it never
 * races another decision for the region.
 */
async function startRepair(
  deps: ReconcileDeps,
  act: (a: ReconcileAction) => void,
  region: string,
  direction: 'up' | 'down',
  trigger: string,
  now: Date,
  scheduledAt: Date,
  reason: string,
): Promise<void> {
  const outcome = await requestScaling(
    {
      request: { region, direction, source: 'reconciler', eventAt: scheduledAt },
      trigger,
      reason,
      eventId: `${trigger}-${direction}`,
      policy: 'drift-repair',
    },
    deps,
    now,
  );
  recordOutcome(act, outcome);
}

/** Reports an outcome; a start with `why` (the request's reason) rather than the policy's. */
function recordOutcome(act: (a: ReconcileAction) => void, outcome: ScalingOutcome, why?: string): void {
  if (outcome.outcome === 'started') {
    const direction = outcome.executionName.startsWith('up-') ? 'scale-up-started' : 'scale-down-started';
    act({ region: outcome.region, action: direction, detail: why ?? outcome.reason });
  } else if (outcome.outcome === 'rejected' || outcome.outcome === 'dropped') {
    act({ region: outcome.region, action: 'rejected', detail: `${outcome.rule}: ${outcome.reason}` });
  }
}

function snapshotOf(view: FleetView, region: string): RegionSnapshot | undefined {
  return view.snapshots.find((s) => s.region === region);
}

function pausedAt(s: RegionSnapshot, now: Date): boolean {
  return !!s.pausedUntil && Date.parse(s.pausedUntil) > now.getTime();
}
