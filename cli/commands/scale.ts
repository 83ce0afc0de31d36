/**
 * `regionctl up <region>` and `regionctl down <region>`: an operator forces a scale-up or a
 * scale-down. A forced request skips demand thresholds, cooldowns, minimum active time, pause and
 * hold, but never the safety rules: the same decideScaling() as the decision Lambda refuses what
 * the deployed system would refuse (approved region, always-on never down, last serving region,
 * maximum elastic regions unless --allow-over-max, lock, running execution). The workflow starts
 * through the decisions' own claim (claimAndStart), so a forced request never races an alarm or the
 * reconciler for the region, nor (without --allow-over-max) for the last elastic slot.
 */
import { loadFleetView } from '../../functions/adapters/region-snapshots';
import { isExecutionFor } from '../../functions/adapters/scaling-executions';
import { StateStore } from '../../functions/adapters/state-store';
import { claimAndStart, type StartResult } from '../../functions/decide/claimed-start';
import { parseDuration } from '../../functions/domain/duration';
import { InvalidRequestError } from '../../functions/domain/errors';
import type { ScaleDirection, TransitionTarget } from '../../functions/domain/region-state';
import {
  decideScaling,
  formatDuration,
  type ScalingRequest,
  type Verdict,
} from '../../functions/domain/scaling-policy';
import type { WorkflowInput } from '../../functions/domain/workflow-input';
import { stateMachinesOf } from '../aws-reads';
import { CliError } from '../cli-error';
import { reportingFailures, type CommandEnv } from '../command-env';
import { discoverDeployment, requireApprovedRegion, type Deployment } from '../discovery';
import { watchExecution } from '../execution-watch';
import { EXIT, type ExitCode } from '../exit-codes';

interface ScaleOptions {
  reason?: string;
  /** Follow the workflow until it ends; the exit code is its outcome. */
  wait?: boolean;
}

export interface ScaleDownOptions extends ScaleOptions {
  /** Where the scale-down ends: "warm" or "inactive" (default: WARM for a warm region while the cost cap allows). */
  to?: string;
}

export interface ScaleUpOptions extends ScaleOptions {
  /** A warm-up: cluster and load balancer, no node, no record (the region ends WARM). */
  warm?: boolean;
  /** Keep the region up (automatic scale-down suppressed) for this long, e.g. "2h". */
  hold?: string;
  /** Exceed scaling.maxElasticActive deliberately. */
  allowOverMax?: boolean;
}

/** The workflow input's reason is at most 500 characters (functions/domain/workflow-input.ts). */
const MAX_REASON_LENGTH = 500;
/** A claim that loses a race is decided again on a fresh view, at most this often. */
const CLAIM_ATTEMPTS = 3;

export function scaleUp(env: CommandEnv, region: string, options: ScaleUpOptions = {}): Promise<ExitCode> {
  return reportingFailures(env.out, async () => {
    const holdSeconds = options.hold === undefined ? undefined : parseDuration(options.hold, '--hold');
    if (options.warm && holdSeconds !== undefined) {
      throw new InvalidRequestError('--hold keeps a serving region up, and --warm ends WARM; fix: pass one of them');
    }
    return forceScaling(env, 'up', region, options, holdSeconds, options.warm ? 'WARM' : undefined);
  });
}

export function scaleDown(env: CommandEnv, region: string, options: ScaleDownOptions = {}): Promise<ExitCode> {
  return reportingFailures(env.out, () =>
    forceScaling(env, 'down', region, options, undefined, downTarget(options.to)),
  );
}

function downTarget(to: string | undefined): TransitionTarget | undefined {
  if (to === undefined) return undefined;
  const target = to.toUpperCase();
  if (target !== 'WARM' && target !== 'INACTIVE') {
    throw new InvalidRequestError(
      `--to ${to}: a scale-down ends warm or inactive; fix: pass --to warm or --to inactive, or leave it out`,
    );
  }
  return target;
}

async function forceScaling(
  env: CommandEnv,
  direction: ScaleDirection,
  region: string,
  options: ScaleOptions & Pick<ScaleUpOptions, 'allowOverMax'>,
  holdSeconds: number | undefined,
  target: TransitionTarget | undefined,
): Promise<ExitCode> {
  const reason = checkedReason(options.reason, direction);
  const deployment = await discoverDeployment(env.clients, env.target);
  const { config } = deployment;
  requireApprovedRegion(config, region);

  const now = env.now();
  const store = new StateStore(env.clients.dynamo, deployment.stateTableName);
  const request: ScalingRequest = {
    region,
    direction,
    source: 'operator',
    eventAt: now,
    force: true,
    allowOverMax: options.allowOverMax === true,
    ...(target ? { target } : {}),
  };
  const input: WorkflowInput = {
    region,
    reason,
    requestedBy: 'operator',
    requestedAt: now.toISOString(),
    ...(target ? { target } : {}),
  };
  const { started, allowed } = await startForced(env, deployment, store, request, input);
  const { executionName: name, executionArn } = started;
  const holdUntil = holdSeconds === undefined ? undefined : new Date(now.getTime() + holdSeconds * 1000).toISOString();
  // Written once the workflow started (a refused request holds nothing); no workflow step writes it.
  if (holdUntil) await store.setOperatorFields(region, { holdUntil }, now);
  await store.recordDecision(
    {
      region,
      at: now.toISOString(),
      direction,
      source: 'operator',
      outcome: 'started',
      reason,
      executionArn,
      eventId: name,
    },
    now,
  );

  const { out } = env;
  const verb = target === 'WARM' && direction === 'up' ? 'warm-up' : direction === 'up' ? 'scale-up' : 'scale-down';
  out.line(`Started ${verb} of ${region}: ${name}`);
  out.line(`  ${allowed}`);
  out.line(`  execution: ${executionArn}`);
  if (direction === 'up' && target !== 'WARM') {
    const minActive = formatDuration(config.scaling.minActiveSeconds);
    if (holdUntil && holdSeconds !== undefined) {
      out.line(
        `  hold: automatic scale-down of ${region} is suppressed until ${holdUntil} (${formatDuration(holdSeconds)})`,
      );
    } else if (config.regions.elastic.includes(region)) {
      out.line(
        `  note: autoscaling may take ${region} down once its minimum active time (${minActive}) has passed; keep it up with --hold DURATION`,
      );
    }
  }
  return options.wait ? watchExecution(env, { arn: executionArn, name }) : EXIT.ok;
}

/**
 * Decides on the fleet as it is and starts the workflow through the same claim as the decision
 * Lambda (claimAndStart), so that a forced request never races another decision for the region
 * or, without --allow-over-max, for the last elastic slot. When another decision changed the
 * region meanwhile, decides again on a fresh view. Refusals are recorded and thrown as CliError.
 */
async function startForced(
  env: CommandEnv,
  deployment: Deployment,
  store: StateStore,
  request: ScalingRequest,
  input: WorkflowInput,
): Promise<{ started: Extract<StartResult, { claimed: true }>; allowed: string }> {
  const { config } = deployment;
  const { region, direction, eventAt: now } = request;
  const deps = {
    config,
    dynamo: env.clients.dynamo,
    tableName: deployment.stateTableName,
    sfn: env.clients.sfn,
    machines: stateMachinesOf(deployment),
  };
  for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
    const fleet = await loadFleetView(store, env.clients.sfn, config, deps.machines, now);
    const running = fleet.running.find((e) => isExecutionFor(e.name, region));
    if (running) {
      await recordRefusal(store, region, direction, `execution ${running.name} is already running`, now);
      throw new CliError(
        `An execution is already running for ${region}: ${running.name}; fix: wait for it to end (regionctl status), or stop it in the Step Functions console`,
        EXIT.refused,
      );
    }
    const verdict = decideScaling(request, fleet.snapshots, config, now);
    if (!verdict.allowed) {
      await recordRefusal(store, region, direction, verdict.reason, now);
      throw new CliError(refusalMessage(verdict, direction), EXIT.refused);
    }
    const started = await claimAndStart(deps, {
      region,
      direction,
      trigger: `manual-${compactTime(now)}`,
      input,
      view: fleet,
      overMax: request.allowOverMax,
      now,
    });
    if (!started.claimed) continue;
    if (started.alreadyStarted && started.existingStatus !== 'RUNNING') {
      const reason = `execution ${started.executionName} already ran (${started.existingStatus}); nothing was started`;
      await recordRefusal(store, region, direction, reason, now);
      throw new CliError(`An ${reason}; fix: run the command again`, EXIT.refused);
    }
    return { started, allowed: verdict.reason };
  }
  throw new CliError(
    `${region} changed ${CLAIM_ATTEMPTS} times while regionctl decided (another decision is acting on it); fix: look at regionctl status, then retry`,
    EXIT.refused,
  );
}

function checkedReason(reason: string | undefined, direction: ScaleDirection): string {
  const text = reason?.trim() || `forced ${direction === 'up' ? 'scale-up' : 'scale-down'} by an operator (regionctl)`;
  if (text.length > MAX_REASON_LENGTH) {
    throw new InvalidRequestError(
      `--reason is ${text.length} characters long; fix: keep it within ${MAX_REASON_LENGTH} characters`,
    );
  }
  return text;
}

function refusalMessage(verdict: Extract<Verdict, { allowed: false }>, direction: ScaleDirection): string {
  const hint =
    verdict.rule === 'max-elastic' && direction === 'up' ? '; pass --allow-over-max to exceed it deliberately' : '';
  return `Refused by rule "${verdict.rule}": ${verdict.reason}${hint}`;
}

async function recordRefusal(
  store: StateStore,
  region: string,
  direction: ScaleDirection,
  reason: string,
  now: Date,
): Promise<void> {
  await store.recordDecision(
    { region, at: now.toISOString(), direction, source: 'operator', outcome: 'rejected', reason },
    now,
  );
}

/** 2026-11-21T10:00:00.123Z -> 20261121T100000Z (execution names allow no colons). */
export const compactTime = (at: Date) =>
  at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
