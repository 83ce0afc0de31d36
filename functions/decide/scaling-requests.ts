/**
 * Acting on one scaling request (from an alarm or the reconciler): read the fleet, ask the
 * scaling policy, claim the region and its elastic slot, start the workflow under a deterministic
 * execution name, and record the decision with its reason. Shared by the decision Lambda and the
 * reconciler. Every start goes through claimAndStart (claimed-start.ts), as regionctl's do.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { loadFleetView, type FleetView } from '../adapters/region-snapshots';
import type { DecisionRecord, StateStore } from '../adapters/state-store';
import { logger, metrics } from '../commons/observability';
import type { AutoscalerConfig } from '../domain/config';
import { TransientError } from '../domain/errors';
import {
  decideAlwaysOnRestore,
  decideDriftRepair,
  decideScaling,
  type RejectionRule,
  type ScalingRequest,
  type Verdict,
} from '../domain/scaling-policy';
import type { WorkflowInputRaw } from '../domain/workflow-input';
import { claimAndStart, type StartDeps, type StartResult } from './claimed-start';

export interface ScalingDeps extends StartDeps {
  store: StateStore;
}

export interface ScalingTrigger {
  request: ScalingRequest;
  /** Makes the execution name: the same trigger always names the same execution. */
  trigger: string;
  /** Why, as the workflow input's `reason` (the same for every delivery of one trigger). */
  reason: string;
  /** Identifies the event in the decision history (duplicate deliveries share it). */
  eventId?: string;
  /**
   * `always-on-restore`: the reconciler bringing an always-on region back (decideAlwaysOnRestore);
   * `drift-repair`: the reconciler repairing drift, `reason` saying what is wrong (decideDriftRepair).
   */
  policy?: 'scaling' | 'always-on-restore' | 'drift-repair';
}

export type ScalingOutcome =
  | { outcome: 'started'; region: string; executionName: string; executionArn: string; reason: string }
  | { outcome: 'duplicate'; region: string; executionName: string; executionArn: string; reason: string }
  | {
      outcome: 'rejected' | 'dropped';
      region: string;
      rule: RejectionRule;
      reason: string;
      /** max-elastic: the region the policy says to scale down for this one (demand-ranked slots). */
      preempt?: { region: string; reason: string };
    };

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
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const view =
      attempt === 0 && initialView
        ? initialView
        : await loadFleetView(deps.store, deps.sfn, deps.config, deps.machines, now);
    const verdict = decide(trigger, view, deps.config, now);
    const stale = !verdict.allowed && verdict.rule === 'stale-event';
    const approved = verdict.allowed || verdict.rule !== 'not-approved';
    // Every alarm event decided (started or rejected) moves the region's mark, so that an older
    // event delivered later is dropped; the conditional write also catches a concurrent newer one.
    if (attempt === 0 && request.source === 'alarm' && !stale && approved) {
      const fresh = await deps.store.advanceDecisionMark(region, request.eventAt.toISOString(), now);
      if (!fresh) {
        return reportOutcome(trigger, deps, now, {
          outcome: 'dropped',
          region,
          rule: 'stale-event',
          reason: `stale event: a newer alarm event on ${region} was decided meanwhile`,
        });
      }
    }
    if (!verdict.allowed) {
      return reportOutcome(trigger, deps, now, {
        outcome: stale ? 'dropped' : 'rejected',
        region,
        rule: verdict.rule,
        reason: verdict.reason,
        ...(verdict.preempt ? { preempt: verdict.preempt } : {}),
      });
    }

    const input: WorkflowInputRaw = {
      region,
      reason: trigger.reason.slice(0, 500),
      requestedBy: request.source,
      requestedAt: request.eventAt.toISOString(),
      ...(request.target ? { target: request.target } : {}),
    };
    const claim = await claimAndStart(deps, { region, direction, trigger: trigger.trigger, input, view, now });
    if (!claim.claimed) {
      logger.info('The region changed since the decision (another decider claimed it); deciding again', {
        region,
        attempt,
      });
      continue;
    }
    return reportOutcome(trigger, deps, now, {
      outcome: claim.alreadyStarted ? 'duplicate' : 'started',
      region,
      executionName: claim.executionName,
      executionArn: claim.executionArn,
      reason: claim.alreadyStarted ? duplicateReason(claim) : verdict.reason,
    });
  }
  throw new TransientError(
    `Scale-${direction} of ${region}: the fleet changed under ${MAX_ATTEMPTS} decisions in a row; retry the event`,
  );
}

function duplicateReason(claim: Extract<StartResult, { claimed: true }>): string {
  return claim.existingStatus === 'RUNNING'
    ? `duplicate: execution ${claim.executionName} was already started for this trigger`
    : `duplicate: execution ${claim.executionName} already ran for this trigger (${claim.existingStatus}); nothing started, the claim was given back`;
}

function decide(trigger: ScalingTrigger, view: FleetView, config: AutoscalerConfig, now: Date): Verdict {
  switch (trigger.policy) {
    case 'always-on-restore':
      return decideAlwaysOnRestore(trigger.request.region, view.snapshots, config, now);
    case 'drift-repair':
      return decideDriftRepair(trigger.request, trigger.reason, view.snapshots, config, now);
    default:
      return decideScaling(trigger.request, view.snapshots, config, now);
  }
}

/**
 * Records the decision in the region's history, logs it and counts it. A region in neither list
 * leaves no trace in the table (rule not-approved): it is logged and counted only.
 */
export async function reportOutcome(
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
  const notApproved =
    (outcome.outcome === 'rejected' || outcome.outcome === 'dropped') && outcome.rule === 'not-approved';
  if (!notApproved) await deps.store.recordDecision(decision, now);
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
