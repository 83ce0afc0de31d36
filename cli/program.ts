/**
 * The regionctl command line (commander): global options, every command with its help and
 * examples. Each action first checks what needs no AWS (offline-checks.ts), then builds the
 * command's environment from the global options and calls the command function, whose return
 * value is the exit code.
 */
import { Command, InvalidArgumentError } from 'commander';
import { isAwsRegion } from '../functions/domain/aws-regions';
import { reportingFailures, type CommandEnv, type Target } from './command-env';
import { validateConfig } from './commands/config-validate';
import { DEFAULT_HISTORY_LIMIT, showHistory } from './commands/history';
import { pauseRegion, resumeRegion } from './commands/pause';
import { purgeCache } from './commands/purge';
import { startRollout, startUpgrade } from './commands/maintenance';
import { scaleDown, scaleUp } from './commands/scale';
import { showStatus } from './commands/status';
import type { ExitCode } from './exit-codes';
import type { TargetDefaults } from './local-defaults';
import { checkBeforeAws, localConfiguration, type RegionArgument } from './offline-checks';
import type { Output } from './output';

export interface GlobalOptions {
  profile?: string;
  /** The home region (after defaults). */
  region?: string;
  prefix: string;
}

export interface ProgramDeps {
  defaults: TargetDefaults;
  /** Builds the environment of an AWS command from the global options (clients are made lazily). */
  commandEnv(globals: GlobalOptions, target: Target): CommandEnv;
  out: Output;
  cwd: string;
  /** Receives the exit code of the command that ran. */
  setExitCode(code: ExitCode): void;
  /** Commands built by other modules (publish-demand, simulate). */
  extraCommands?: Command[];
  /** Where commander writes help and usage errors (default: stdout and stderr). */
  helpOutput?: { writeOut(text: string): void; writeErr(text: string): void };
}

const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

export function buildProgram(deps: ProgramDeps): Command {
  const program = new Command('regionctl')
    .description(
      'Operate the regional edge autoscaler: force regions up or down, pause autoscaling, see what runs where and why.\n' +
        'Finds the deployment from its control stack (<prefix>-control in the home region); uses the standard AWS credential chain.',
    )
    .option(
      '--profile <name>',
      'AWS profile of the shared config/credentials files (default: AWS_PROFILE or the default chain)',
    )
    .option(
      '--region <code>',
      'home region of the autoscaler (default: AWS_REGION, else homeRegion of ./cdk.json, else the profile region)',
    )
    .option('--prefix <prefix>', "the configuration's prefix (default: prefix of ./cdk.json, else edgescale)")
    // Throws CommanderError instead of exiting, so regionctl.ts maps usage errors to EXIT.usage.
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      examples(
        'regionctl status',
        'regionctl up ap-southeast-1 --reason "product launch" --hold 6h --wait',
        'regionctl down sa-east-1 --wait',
        'regionctl pause ap-south-1 --for 2h',
        'regionctl purge "/images/*"',
        'regionctl rollout --wait',
        'regionctl --profile prod --region us-east-1 --prefix edgescale history ap-southeast-1',
      ) + '\nExit codes: 0 ok, 1 failed, 2 bad usage, 3 refused by a safety rule, 4 no credentials or not deployed.\n',
    );

  if (deps.helpOutput) program.configureOutput(deps.helpOutput);

  const run = async (
    command: Command,
    argument: RegionArgument | undefined,
    body: (env: CommandEnv) => Promise<ExitCode>,
  ) => {
    const given = command.optsWithGlobals<Partial<GlobalOptions>>();
    const globals: GlobalOptions = {
      profile: given.profile,
      region: given.region ?? deps.defaults.homeRegion,
      prefix: given.prefix ?? deps.defaults.prefix,
    };
    const target: Target = { prefix: globals.prefix, homeRegion: globals.region };
    const sources = {
      prefix: given.prefix === undefined ? 'default' : 'option',
      homeRegion: given.region === undefined ? 'default' : 'option',
    } as const;
    deps.setExitCode(
      await reportingFailures(deps.out, () => {
        checkBeforeAws(target, sources, argument, localConfiguration(deps.cwd));
        return body(deps.commandEnv(globals, target));
      }),
    );
  };

  program
    .command('up')
    .description('Force a scale-up: start the scale-up workflow for an approved region')
    .argument('<region>', 'approved region to bring up, e.g. ap-southeast-1')
    .option('--reason <text>', 'why (recorded with the decision and sent to the workflow)')
    .option('--wait', 'follow the workflow step by step; exit non-zero with its cause if it fails')
    .option('--hold <duration>', 'keep the region up that long (automatic scale-down suppressed), e.g. 90m, 6h, 1d')
    .option('--allow-over-max', 'exceed scaling.maxElasticActive deliberately')
    .option(
      '--warm',
      'a warm-up: cluster and load balancer, no node, no record; the region ends WARM (warm.regions only)',
    )
    .addHelpText(
      'after',
      examples(
        'regionctl up ap-southeast-1 --reason "launch in Singapore" --hold 6h',
        'regionctl up sa-east-1 --wait',
        'regionctl up ap-south-1 --allow-over-max --reason "extra capacity for the final"',
        'regionctl up ap-south-1 --warm --reason "the final starts in an hour"',
      ) +
        '\nSkips demand thresholds and cooldowns, never the safety rules (approved region, maximum elastic\n' +
        'regions unless --allow-over-max, one execution per region). Without --hold, autoscaling may take the\n' +
        'region down once its minimum active time has passed.\n',
    )
    .action((region: string, options, command: Command) =>
      run(command, { region, direction: 'up' }, (env) => scaleUp(env, region, options)),
    );

  program
    .command('down')
    .description('Force a scale-down: start the scale-down workflow for an elastic region')
    .argument('<region>', 'elastic region to take down, e.g. sa-east-1')
    .option('--reason <text>', 'why (recorded with the decision and sent to the workflow)')
    .option('--wait', 'follow the workflow step by step; exit non-zero with its cause if it fails')
    .option(
      '--to <tier>',
      'where it ends: warm (cluster and load balancer kept, no node) or inactive (default: warm for a region of warm.regions while the cost cap allows)',
    )
    .addHelpText(
      'after',
      examples(
        'regionctl down sa-east-1 --reason "event over"',
        'regionctl down ap-southeast-1 --wait',
        'regionctl down ap-south-1 --to inactive',
      ) +
        '\nSkips cooldowns, minimum active time and holds; always refuses an always-on region and the last\n' +
        'serving region.\n',
    )
    .action((region: string, options, command: Command) =>
      run(command, { region, direction: 'down' }, (env) => scaleDown(env, region, options)),
    );

  program
    .command('pause')
    .description('Pause autoscaling of a region (alarms and the reconciler leave it alone)')
    .argument('<region>', 'approved region')
    .option('--for <duration>', 'how long, e.g. 45m, 2h, 1d (default: until regionctl resume)')
    .addHelpText('after', examples('regionctl pause ap-south-1 --for 2h', 'regionctl pause sa-east-1'))
    .action((region: string, options, command: Command) =>
      run(command, { region }, (env) => pauseRegion(env, region, options)),
    );

  program
    .command('resume')
    .description('Lift a pause: autoscaling acts on the region again')
    .argument('<region>', 'approved region')
    .addHelpText('after', examples('regionctl resume ap-south-1'))
    .action((region: string, _options, command: Command) =>
      run(command, { region }, (env) => resumeRegion(env, region)),
    );

  program
    .command('status')
    .description(
      'Per region: list, state and since when, DNS record, demand vs thresholds, alarms, pause/hold, execution, last decision',
    )
    .option('--json', 'print one JSON object instead of the table')
    .addHelpText('after', examples('regionctl status', 'regionctl status --json | jq \'.regions["sa-east-1"].state\''))
    .action((options, command: Command) => run(command, undefined, (env) => showStatus(env, options)));

  program
    .command('history')
    .description("A region's recent decisions and workflow executions, with outcomes")
    .argument('<region>', 'approved region')
    .option('--limit <n>', `how many decisions and executions (default ${DEFAULT_HISTORY_LIMIT})`, positiveInteger)
    .addHelpText('after', examples('regionctl history ap-southeast-1', 'regionctl history sa-east-1 --limit 50'))
    .action((region: string, options, command: Command) =>
      run(command, { region }, (env) => showHistory(env, region, options)),
    );

  program
    .command('purge')
    .description(
      'Refresh a path, or every path under a prefix, in the edge cache of every serving region (through the control plane)',
    )
    .argument(
      '<path>',
      'request path without the query, e.g. /images/logo.png; end it with * for every path under a prefix, e.g. "/images/*"',
    )
    .option(
      '--edge-region <code>',
      "purge only this approved region's edge (the global --region names the home region)",
      regionCode,
    )
    .option('--json', 'print the purge report as JSON')
    .addHelpText(
      'after',
      examples(
        'regionctl purge /images/logo.png',
        'regionctl purge "/images/*"',
        'regionctl purge /index.html --edge-region eu-west-1 --json',
      ) +
        '\nA path is purged with every query and cookie variant of it; quote a prefix so that the shell does not\n' +
        'expand the *; "/*" purges everything. Percent-escapes (%20) are decoded, as nginx keys its cache by the\n' +
        'decoded path. Each edge pod deletes what it cached and fetches it again from the origin on the next request.\n' +
        'Exits 1 when a region or pod was not purged (the report says why); running it again is safe.\n',
    )
    .action((path: string, options: { edgeRegion?: string; json?: boolean }, command: Command) =>
      run(command, options.edgeRegion ? { region: options.edgeRegion } : undefined, (env) =>
        purgeCache(env, path, options),
      ),
    );

  program
    .command('rollout')
    .description(
      "Start the edge rollout: bring this deployment's edge configuration to the ACTIVE regions, one at a time, the canary first",
    )
    .option(
      '--edge-region <code>',
      'only this approved region, even if it already runs the desired configuration; repeat it for more (the global --region names the home region)',
      collectRegionCodes,
    )
    .option('--reason <text>', 'why (sent to the workflow, shown in its notifications)')
    .option('--wait', 'follow the workflow step by step; exit non-zero with its cause if it fails')
    .option('--json', 'print the started execution as JSON (with --wait: once it has ended, with its outcome)')
    .addHelpText(
      'after',
      examples(
        'regionctl rollout',
        'regionctl rollout --edge-region eu-west-1 --reason "retry after fixing the origin" --wait',
        'regionctl rollout --edge-region sa-east-1 --edge-region ap-south-1 --json',
      ) +
        '\nThe reconciler starts a rollout by itself after a deploy that changes the edge; a region whose rollout\n' +
        'failed is left to an operator: run this (with --edge-region for that region) once the cause is fixed.\n' +
        'Each region is locked while it is updated (a region held by a scaling workflow is skipped and retried\n' +
        "later); a failure restores that region's previous edge and stops the rollout. Refused while one runs.\n",
    )
    .action((options, command: Command) =>
      run(command, undefined, (env) => startRollout(env, options, localConfiguration(deps.cwd))),
    );

  program
    .command('upgrade')
    .description(
      'Start the cluster upgrade: bring the ACTIVE regions to cluster.kubernetesVersion, one region and one minor version at a time',
    )
    .option(
      '--edge-region <code>',
      'only this approved region, even if it already runs the version; repeat it for more (the global --region names the home region)',
      collectRegionCodes,
    )
    .option(
      '--patch-nodes',
      'also move the nodes to the latest AMI release of their version (what the node patch schedule does)',
    )
    .option('--reason <text>', 'why (sent to the workflow, shown in its notifications)')
    .option('--wait', 'follow the workflow step by step; exit non-zero with its cause if it fails')
    .option('--json', 'print the started execution as JSON (with --wait: once it has ended, with its outcome)')
    .addHelpText(
      'after',
      examples('regionctl upgrade', 'regionctl upgrade --edge-region eu-west-1 --patch-nodes --wait') +
        '\nThe reconciler starts an upgrade by itself after a deploy that raises cluster.kubernetesVersion; a region\n' +
        'whose upgrade failed is left to an operator: run this (with --edge-region for that region) once the cause is\n' +
        'fixed. Each region is locked while it is upgraded (a region held by another workflow is skipped and retried\n' +
        'later); a failure stops the upgrade (EKS cannot take a version back). Refused while one runs.\n',
    )
    .action((options, command: Command) =>
      run(command, undefined, (env) => startUpgrade(env, options, localConfiguration(deps.cwd))),
    );

  const config = program.command('config').description('Work with the autoscaler configuration');
  config
    .command('validate')
    .description('Print every problem of a configuration (the same messages as cdk synth); exit non-zero if any')
    .option('--config <path>', 'JSON file holding the configuration (default: ./cdk.json context "autoscaler")')
    .addHelpText(
      'after',
      examples('regionctl config validate', 'regionctl config validate --config ./prod-autoscaler.json'),
    )
    .action(async (options) => deps.setExitCode(await validateConfig({ out: deps.out, cwd: deps.cwd }, options)));

  // Built elsewhere: give them the program's usage-error handling and output like the others.
  for (const extra of deps.extraCommands ?? []) program.addCommand(extra.copyInheritedSettings(program));
  return program;
}

function regionCode(value: string): string {
  if (!isAwsRegion(value)) throw new InvalidArgumentError(`"${value}" is not an AWS region code, e.g. eu-west-1`);
  return value;
}

/** A repeatable --edge-region: each value checked as a region code. */
function collectRegionCodes(value: string, previous: string[] = []): string[] {
  return [...previous, regionCode(value)];
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError(`"${value}" is not a positive whole number, e.g. 20`);
  return n;
}
