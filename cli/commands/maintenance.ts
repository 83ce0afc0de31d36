/**
 * The maintenance workflows by hand:
 *   - `regionctl rollout [--edge-region R]... [--reason TEXT] [--wait] [--json]` starts the edge
 *     rollout, which brings the edge configuration this deployment renders to ACTIVE regions one at
 *     a time, the canary first, and stops (restoring that region) at a failure;
 *   - `regionctl upgrade [--edge-region R]... [--patch-nodes] [--reason TEXT] [--wait] [--json]`
 *     starts the cluster upgrade, which brings ACTIVE regions to cluster.kubernetesVersion one
 *     region and one minor version at a time (with --patch-nodes, also the nodes to their
 *     version's latest AMI release).
 * Without --edge-region: every ACTIVE region not at the target, including one whose last run to it
 * failed (the reconciler leaves those to an operator). With --edge-region: those regions, even
 * when already at it. The regions are checked before any AWS call when ./cdk.json holds the
 * targeted deployment's configuration, and against the deployed one in any case. (The option is
 * --edge-region because the global --region names the home region.)
 */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { listRunningMaintenance, startMaintenanceExecution } from '../../functions/adapters/maintenance-executions';
import { approvedRegions, type AutoscalerConfig } from '../../functions/domain/config';
import { InvalidRequestError } from '../../functions/domain/errors';
import { CONTROL_OUTPUTS, maintenanceExecutionName } from '../../functions/domain/naming';
import type { MaintenanceInputRaw } from '../../functions/domain/region-maintenance';
import type { MaintenanceKind } from '../../functions/domain/region-state';
import { CliError } from '../cli-error';
import { reportingFailures, type CommandEnv } from '../command-env';
import { discoverDeployment, type Deployment } from '../discovery';
import { WAIT_POLL_MS, watchExecution } from '../execution-watch';
import { EXIT, type ExitCode } from '../exit-codes';
import { configurationOfTarget, type LocalConfiguration } from '../offline-checks';
import { compactTime } from './scale';

export interface RolloutOptions {
  /** Only these approved regions (each even if already at the target). */
  edgeRegion?: string[];
  reason?: string;
  /** Follow the workflow until it ends; the exit code is its outcome. */
  wait?: boolean;
  json?: boolean;
}

/** The workflow input's reason is at most 500 characters (functions/domain/region-maintenance.ts). */
const MAX_REASON_LENGTH = 500;

export interface UpgradeOptions extends RolloutOptions {
  /** Also move the nodes of regions already at the version to its latest AMI release. */
  patchNodes?: boolean;
}

/** What differs between the two maintenance commands. */
const COMMANDS = {
  edgeRollout: {
    title: 'edge rollout',
    article: 'An',
    output: CONTROL_OUTPUTS.edgeRolloutStateMachineArn,
    stateMachine: (d: Deployment) => d.edgeRolloutStateMachineArn,
    defaultReason: 'edge rollout requested by an operator (regionctl)',
    everyRegion: 'every ACTIVE region not on the desired edge configuration, one at a time, the canary first',
    namedRegions: 'each even if already on the desired configuration; one not ACTIVE is skipped',
    follow: "follow it with regionctl status (each region's edge configuration), or run with --wait",
  },
  clusterUpgrade: {
    title: 'cluster upgrade',
    article: 'A',
    output: CONTROL_OUTPUTS.clusterUpgradeStateMachineArn,
    stateMachine: (d: Deployment) => d.clusterUpgradeStateMachineArn,
    defaultReason: 'cluster upgrade requested by an operator (regionctl)',
    everyRegion: 'every ACTIVE region below cluster.kubernetesVersion, one at a time, one minor version at a time',
    namedRegions: 'each even if already at the version; one not ACTIVE is skipped',
    follow: "follow it with regionctl status (each region's Kubernetes version), or run with --wait",
  },
} as const satisfies Record<MaintenanceKind, unknown>;

export function startRollout(
  env: CommandEnv,
  options: RolloutOptions = {},
  local?: LocalConfiguration,
): Promise<ExitCode> {
  return startMaintenance(env, 'edgeRollout', options, local);
}

export function startUpgrade(
  env: CommandEnv,
  options: UpgradeOptions = {},
  local?: LocalConfiguration,
): Promise<ExitCode> {
  return startMaintenance(env, 'clusterUpgrade', options, local);
}

function startMaintenance(
  env: CommandEnv,
  kind: MaintenanceKind,
  options: UpgradeOptions,
  local?: LocalConfiguration,
): Promise<ExitCode> {
  const command = COMMANDS[kind];
  const inputOf = (config: AutoscalerConfig, now: Date, source: string) => {
    const input = rolloutInput(config, { ...options, reason: options.reason ?? command.defaultReason }, now, source);
    return options.patchNodes ? { ...input, patchNodes: true } : input;
  };
  return reportingFailures(env.out, async () => {
    const now = env.now();
    const localConfig = configurationOfTarget(env.target, local);
    // Before any AWS call, when the working folder holds the targeted deployment's configuration.
    if (localConfig) inputOf(localConfig, now, local!.source);
    const deployment = await discoverDeployment(env.clients, env.target);
    const input = inputOf(deployment.config, now, 'the deployed configuration');
    const stateMachineArn = command.stateMachine(deployment);
    if (!stateMachineArn) {
      throw new CliError(
        `Stack ${deployment.stackName} has no output ${command.output}: it was deployed before this workflow existed; fix: deploy this version ("npx cdk deploy --all")`,
        EXIT.environment,
      );
    }
    const [running] = await listRunningMaintenance(env.clients.sfn, { [kind]: stateMachineArn });
    if (running) {
      throw new CliError(
        `${command.article} ${command.title} is already running: ${running.name}; fix: wait for it to end (regionctl status shows each region), then run this again`,
        EXIT.refused,
      );
    }
    const name = maintenanceExecutionName(kind, undefined, `manual-${compactTime(now)}`);
    const started = await startMaintenanceExecution(env.clients.sfn, stateMachineArn, name, input);
    if (started.alreadyStarted) {
      throw new CliError(
        `An execution named ${name} already exists; nothing was started; fix: run the command again`,
        EXIT.refused,
      );
    }
    const execution = { name, arn: started.executionArn };
    if (options.json) return reportJson(env, execution, input, options.wait === true);
    const { out } = env;
    out.line(`Started ${command.title}: ${name}`);
    out.line(
      input.regions
        ? `  regions: ${input.regions.join(', ')} (${command.namedRegions})`
        : `  regions: ${command.everyRegion}`,
    );
    out.line(`  execution: ${execution.arn}`);
    if (!options.wait) {
      out.line(`  ${command.follow}`);
      return EXIT.ok;
    }
    return watchExecution(env, execution);
  });
}

/** The documented workflow input, or an error naming the option and the fix. */
export function rolloutInput(
  config: AutoscalerConfig,
  options: RolloutOptions,
  now: Date,
  source: string,
): MaintenanceInputRaw {
  const reason = options.reason?.trim() || 'edge rollout requested by an operator (regionctl)';
  if (reason.length > MAX_REASON_LENGTH) {
    throw new InvalidRequestError(
      `--reason is ${reason.length} characters long; fix: keep it within ${MAX_REASON_LENGTH} characters`,
    );
  }
  const approved = approvedRegions(config);
  const regions = [...new Set(options.edgeRegion ?? [])];
  const unknown = regions.filter((r) => !approved.includes(r));
  if (unknown.length > 0) {
    throw new CliError(
      `--edge-region ${unknown.join(', ')}: not an approved region of ${config.prefix} in ${source}; approved regions: ` +
        `${config.regions.alwaysOn.join(', ')} (always-on), ${config.regions.elastic.join(', ') || 'none'} (elastic); ` +
        'fix: name approved regions, or leave --edge-region out to roll out to every ACTIVE region that needs it',
      EXIT.refused,
    );
  }
  return {
    ...(regions.length > 0 ? { regions } : {}),
    reason,
    requestedBy: 'operator',
    requestedAt: now.toISOString(),
  };
}

interface Outcome {
  status: string;
  error?: string;
  cause?: string;
}

/** --json: one object; with --wait, once the execution has ended, with its outcome. */
async function reportJson(
  env: CommandEnv,
  execution: { name: string; arn: string },
  input: MaintenanceInputRaw,
  wait: boolean,
): Promise<ExitCode> {
  const outcome = wait ? await waitQuietly(env, execution.arn) : undefined;
  env.out.line(
    JSON.stringify({ executionName: execution.name, executionArn: execution.arn, input, ...outcome }, null, 2),
  );
  return outcome && outcome.status !== 'SUCCEEDED' ? EXIT.failed : EXIT.ok;
}

async function waitQuietly(env: CommandEnv, executionArn: string): Promise<Outcome> {
  for (;;) {
    const { status, error, cause } = await env.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (status !== 'RUNNING') return { status: status ?? 'UNKNOWN', error, cause };
    await env.sleep(WAIT_POLL_MS);
  }
}
