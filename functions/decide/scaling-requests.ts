/**
 * Acting on one scaling request (from an alarm or the reconciler): read the fleet, ask the
 * scaling policy, guard the elastic slots, start the workflow under a deterministic execution
 * name, and record the decision with its reason. Shared by the decision Lambda and the reconciler.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadFleetView, type FleetView } from '../adapters/region-snapshots';
import { releaseReservation, reserveTransition } from '../adapters/transition-reservation';
import { executionArnFor, startScalingExecution, type ScalingStateMachines } from '../adapters/scaling-executions';
import type { DecisionRecord, StateStore } from '../adapters/state-store';
import { logger, metrics } from '../commons/observability';
import { regionList, type AutoscalerConfig } from '../domain/config';
import { TransientError } from '../domain/errors';
import { executionName } from '../domain/naming';
import { occupiesElasticSlot } from '../domain/region-state';
import {
  decideAlwaysOnRestore,
  decideScaling,
  type RejectionRule,
  type ScalingRequest,
  type Verdict,
} from '../domain/scaling-policy';
import type { WorkflowInputRaw } from '../domain/workflow-input';

export interface ScalingDeps {
  config: AutoscalerConfig;
  store: StateStore;
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  sfn: SFNClient;
  machines: ScalingStateMachines;
}

export interface ScalingTrigger {
  request: ScalingRequest;
  /** Makes the execution name: the same trigger always names the same execution. */
  trigger: string;
  /** Why, as the workflow input's `reason` (the same for every delivery of one trigger). */
  reason: string;
  /** Identifies the event in the decision history (duplicate deliveries share it). */
  eventId?: string;
  /** `always-on-restore`: the reconciler bringing an always-on region back (decideAlwaysOnRestore). */
  policy?: 'scaling' | 'always-on-restore';
}

export type ScalingOutcome =
  | { outcome: 'started'; region: string; executionName: string; executionArn: string; reason: string }
  | { outcome: 'duplicate'; region: string; executionName: string; executionArn: string; reason: string }
  | { outcome: 'rejected' | 'dropped'; region: string; rule: RejectionRule; reason: string };

/** Reservations that lost a race are decided again with a fresh view, at most this often. */
const MAX_ATTEMPTS = 3;

export async function requestScaling(
  trigger: ScalingTrigger,
  deps: ScalingDeps,
  now: Date,
  initialView?: FleetView,
): Promise<ScalingOutcome> {
  const { request } = trigger;
  const { region, direction } = request;
  const stateMachineArn = direction === 'up' ? deps.machines.up : deps.machines.down;
  const name = executionName(direction, region, trigger.trigger);
  const plannedArn = executionArnFor(stateMachineArn, name);

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const view =
      attempt === 0 && initialView
        ? initialView
        : await loadFleetView(deps.store, deps.sfn, deps.config, deps.machines, now);
    const verdict = decide(trigger, view, deps.config, now);
    const stale = !verdict.allowed && verdict.rule === 'stale-event';
    // Every alarm event decided (started or rejected) moves the region's mark, so that an older
    // event delivered later is dropped; the conditional write also catches a concurrent newer one.
    if (attempt === 0 && request.source === 'alarm' && !stale) {
      const fresh = await deps.store.advanceDecisionMark(region, request.eventAt.toISOString(), now);
      if (!fresh) {
        return finish(trigger, deps, now, {
          outcome: 'dropped',
          region,
          rule: 'stale-event',
          reason: `stale event: a newer alarm event on ${region} was decided meanwhile`,
        });
      }
    }
    if (!verdict.allowed) {
      return finish(trigger, deps, now, {
        outcome: stale ? 'dropped' : 'rejected',
        region,
        rule: verdict.rule,
        reason: verdict.reason,
      });
    }

    const own = view.snapshots.find((s) => s.region === region);
    const observedStatus = own?.status ?? 'INACTIVE';
    const freeElasticRegions =
      direction === 'up' && regionList(deps.config, region) === 'elastic'
        ? view.snapshots
            .filter((s) => regionList(deps.config, s.region) === 'elastic' && !occupiesElasticSlot(s))
            .map((s) => s.region)
        : [];
    const reservation = { region, direction, observedStatus, executionArn: plannedArn, freeElasticRegions, now };
    if (!(await reserveTransition(deps.dynamo, deps.tableName, reservation))) {
      logger.info('The region changed since the decision (another decider claimed it); deciding again', {
        region,
        attempt,
      });
      continue;
    }

    const input: WorkflowInputRaw = {
      region,
      reason: trigger.reason.slice(0, 500),
      requestedBy: request.source,
      requestedAt: request.eventAt.toISOString(),
    };
    let started;
    try {
      started = await startScalingExecution(deps.sfn, stateMachineArn, name, input);
    } catch (error) {
      // The workflow never started: give the region (and its slot) back so the next decision can use it.
      await releaseReservation(deps.dynamo, deps.tableName, reservation, observedStatus, now);
      throw error;
    }
    return finish(trigger, deps, now, {
      outcome: started.alreadyStarted ? 'duplicate' : 'started',
      region,
      executionName: name,
      executionArn: started.executionArn,
      reason: started.alreadyStarted
        ? `duplicate: execution ${name} was already started for this trigger`
        : verdict.reason,
    });
  }
  throw new TransientError(
    `Scale-${direction} of ${region}: the fleet changed under ${MAX_ATTEMPTS} decisions in a row; retry the event`,
  );
}

function decide(trigger: ScalingTrigger, view: FleetView, config: AutoscalerConfig, now: Date): Verdict {
  return trigger.policy === 'always-on-restore'
    ? decideAlwaysOnRestore(trigger.request.region, view.snapshots, config, now)
    : decideScaling(trigger.request, view.snapshots, config, now);
}

async function finish(
  trigger: ScalingTrigger,
  deps: ScalingDeps,
  now: Date,
  outcome: ScalingOutcome,
): Promise<ScalingOutcome> {
  const { request } = trigger;
  const decision: DecisionRecord = {
    region: request.region,
    at: now.toISOString(),
    direction: request.direction,
    source: request.source,
    outcome: outcome.outcome === 'started' ? 'started' : outcome.outcome === 'rejected' ? 'rejected' : 'dropped',
    reason: outcome.reason,
    ...(outcome.outcome === 'started' || outcome.outcome === 'duplicate' ? { executionArn: outcome.executionArn } : {}),
    ...(trigger.eventId ? { eventId: trigger.eventId } : {}),
  };
  await deps.store.recordDecision(decision, now);
  const context = { region: request.region, direction: request.direction, source: request.source };
  if (outcome.outcome === 'rejected' || outcome.outcome === 'dropped') {
    logger.warn(`Scale-${request.direction} of ${request.region} ${outcome.outcome}: ${outcome.reason}`, {
      ...context,
      rule: outcome.rule,
    });
    metrics.addMetric(outcome.outcome === 'rejected' ? 'ScalingRejected' : 'ScalingDropped', MetricUnit.Count, 1);
  } else if (outcome.outcome === 'started' || outcome.outcome === 'duplicate') {
    logger.info(`Scale-${request.direction} of ${request.region} ${outcome.outcome}: ${outcome.reason}`, {
      ...context,
      executionArn: outcome.executionArn,
    });
    if (outcome.outcome === 'started') metrics.addMetric('ScalingStarted', MetricUnit.Count, 1);
  }
  return outcome;
}
