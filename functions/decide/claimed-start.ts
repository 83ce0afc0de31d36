/**
 * The one way anything starts a scaling workflow (the decision Lambda, the reconciler's decisions
 * and drift repairs, regionctl): claim the region, then start the execution. No logging and no
 * metrics here, so that the CLI can use it as it is; the callers report the outcome.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FleetView } from '../adapters/region-snapshots';
import {
  executionArnFor,
  executionStatus,
  startScalingExecution,
  type ScalingStateMachines,
} from '../adapters/scaling-executions';
import { releaseReservation, reserveTransition, type TransitionReservation } from '../adapters/transition-reservation';
import { isWarmRegion, regionList, type AutoscalerConfig } from '../domain/config';
import { executionName } from '../domain/naming';
import { occupiesElasticSlot, type ScaleDirection } from '../domain/region-state';
import { transitionTarget } from '../domain/warm-standby';
import type { WorkflowInputRaw } from '../domain/workflow-input';

export interface StartDeps {
  config: AutoscalerConfig;
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  sfn: SFNClient;
  machines: ScalingStateMachines;
}

export interface StartRequest {
  region: string;
  direction: ScaleDirection;
  /** Names the execution (executionName in functions/domain/naming.ts): one trigger, one execution. */
  trigger: string;
  input: WorkflowInputRaw;
  /** The fleet the decision was made on: the claim holds only if nothing it relied on changed since. */
  view: FleetView;
  /** An operator's --allow-over-max: the claim checks no elastic slot. */
  overMax?: boolean;
  now: Date;
}

export type StartResult =
  | { claimed: false }
  | {
      claimed: true;
      executionName: string;
      executionArn: string;
      /** An execution of that name existed: this trigger was acted on before, nothing new started. */
      alreadyStarted: boolean;
      /** alreadyStarted: that execution's status; when it no longer runs, the claim was given back. */
      existingStatus?: string;
    };

/**
 * Claims the region (transition-reservation.ts: PROVISIONING or DRAINING for the planned
 * execution, on condition that its status and the elastic slots the view counted free did not
 * change), then starts the execution. `claimed: false` when the claim lost a race: decide again on a fresh view.
 * The claim is given back when StartExecution fails, and when the execution of that name had
 * already run (a redelivered trigger): a finished execution works on nothing.
 * Where the execution ends is the input's target, or the one the workflow would resolve
 * (warm-standby.ts transitionTarget): the claim records it, and the input carries it unless it is
 * the plain default of a region that never goes WARM (ACTIVE up, INACTIVE down).
 */
export async function claimAndStart(deps: StartDeps, request: StartRequest): Promise<StartResult> {
  const { region, direction, view, now } = request;
  const stateMachineArn = direction === 'up' ? deps.machines.up : deps.machines.down;
  const name = executionName(direction, region, request.trigger);
  const own = view.snapshots.find((s) => s.region === region);
  const observedStatus = own?.status ?? 'INACTIVE';
  const requested = request.input.target;
  const target = transitionTarget(deps.config, { region, direction, requested }, observedStatus, view.snapshots, now);
  const plainDefault = target === (direction === 'up' ? 'ACTIVE' : 'INACTIVE') && !isWarmRegion(deps.config, region);
  const input: WorkflowInputRaw = plainDefault ? request.input : { ...request.input, target };
  // A region that already holds a slot (a drift repair of an ACTIVE region) takes no other; a warm-up takes none.
  const takesSlot =
    direction === 'up' &&
    target === 'ACTIVE' &&
    regionList(deps.config, region) === 'elastic' &&
    !request.overMax &&
    !(own && occupiesElasticSlot(own));
  const freeElasticRegions = takesSlot
    ? view.snapshots
        .filter((s) => regionList(deps.config, s.region) === 'elastic' && !occupiesElasticSlot(s))
        .map((s) => s.region)
    : [];
  const reservation: TransitionReservation = {
    region,
    direction,
    observedStatus,
    observedSince: own?.since,
    executionArn: executionArnFor(stateMachineArn, name),
    freeElasticRegions,
    target,
    now,
  };
  if (!(await reserveTransition(deps.dynamo, deps.tableName, reservation))) return { claimed: false };

  const giveBack = () => releaseReservation(deps.dynamo, deps.tableName, reservation, observedStatus, now);
  try {
    const started = await startScalingExecution(deps.sfn, stateMachineArn, name, input);
    if (!started.alreadyStarted) {
      return { claimed: true, executionName: name, executionArn: started.executionArn, alreadyStarted: false };
    }
    const existingStatus = await executionStatus(deps.sfn, started.executionArn);
    // Still running: it is the execution the claim is for, and its lockRegion takes over.
    if (existingStatus !== 'RUNNING') await giveBack();
    return {
      claimed: true,
      executionName: name,
      executionArn: started.executionArn,
      alreadyStarted: true,
      existingStatus,
    };
  } catch (error) {
    // No execution of ours works on the region: give it (and its slot) back for the next decision.
    await giveBack();
    throw error;
  }
}
