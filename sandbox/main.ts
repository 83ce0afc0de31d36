/**
 * `npm start`: the local sandbox. See sandbox/sandbox-run.ts for what it does; this entry
 * reads the arguments, the configuration and the scenario, and turns the outcome into an exit
 * code (0 done, 1 bad input or no moto_server, 130 interrupted by Ctrl-C / SIGTERM).
 */
import { Command, InvalidArgumentError } from 'commander';
import type { AutoscalerConfig } from '../functions/domain/config';
import { loadCdkJsonConfig, readConfigFile } from '../infra/config-source';
import { rolloutOffsetMs } from './edge-deploy';
import { readTimings, type NamedTimings } from './aws-timings';
import { MOTO_INSTALL_HINT, motoServerInstalled } from './moto-server';
import { builtInScenario, builtInStartMs, readScenarioFile, scenarioEndMs, type Scenario } from './scenario';
import { DEFAULT_MS_PER_SIMULATED_MINUTE } from './simulated-clock';

const EXIT_INTERRUPTED = 130;
const BUILT_IN_HOURS = 24;

interface SandboxArguments {
  scenario?: string;
  hours?: number;
  speed: number;
  report: string;
  config?: string;
  rolloutAt?: string;
  warmRegions?: string;
  timings: string;
}

function positiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('must be a positive number.');
  return number;
}

function loadConfig(path: string | undefined, warmRegions: string | undefined): AutoscalerConfig {
  const config = path ? readConfigFile(path) : loadCdkJsonConfig();
  if (warmRegions === undefined) return config;
  const regions = warmRegions === 'none' ? [] : warmRegions.split(',').map((r) => r.trim());
  const notElastic = regions.filter((r) => !config.regions.elastic.includes(r));
  if (notElastic.length > 0) {
    throw new Error(
      `--warm-regions ${warmRegions}: ${notElastic.join(', ')} not in regions.elastic; fix: name elastic regions (${config.regions.elastic.join(', ')}), comma-separated, or none`,
    );
  }
  return { ...config, warm: { ...config.warm, regions } };
}

function loadScenario(args: SandboxArguments, config: AutoscalerConfig): Scenario {
  const now = Date.now();
  if (args.scenario) return readScenarioFile(args.scenario, config, now, args.hours);
  const hours = args.hours ?? BUILT_IN_HOURS;
  return builtInScenario(config, hours, builtInStartMs(now, hours));
}

async function main(argv: string[]): Promise<number> {
  const args = new Command('npm start --')
    .description(
      'Local sandbox: synthesizes the deployment and plays a demand scenario through its bundled Lambdas and workflow definitions against the moto AWS emulator, on a simulated clock',
    )
    .option('--scenario <file>', 'play this trace CSV (timestamp,region,users) instead of the built-in day')
    .option('--hours <n>', `play only the first N hours (built-in: ${BUILT_IN_HOURS})`, positiveNumber)
    .option('--speed <ms>', 'real milliseconds per simulated minute', positiveNumber, DEFAULT_MS_PER_SIMULATED_MINUTE)
    .option('--report <file>', 'where to write the HTML report', 'reports/sandbox.html')
    .option('--config <path>', 'configuration JSON file (default: cdk.json context "autoscaler")')
    .option(
      '--rollout-at <HH:MM>',
      'at this simulated time (UTC), deploy a changed edge configuration (HTML cache TTL doubled): the reconciler rolls it out to every ACTIVE region',
    )
    .option(
      '--warm-regions <list>',
      'what-if for this run: warm.regions (comma-separated elastic regions, or none); in the built-in day a warm region has an evening event at 22:00 and comes back on the warm path',
    )
    .option(
      '--timings <fast|realistic|file>',
      "how long the emulated cloud takes to create clusters, nodes, load balancers and DNS changes: AWS's figures (realistic), at once (fast), or a JSON file of timings (see sandbox/aws-timings.ts)",
      'realistic',
    )
    .parse(argv)
    .opts<SandboxArguments>();

  let config: AutoscalerConfig;
  let scenario: Scenario;
  let timings: NamedTimings;
  try {
    timings = readTimings(args.timings);
    config = loadConfig(args.config, args.warmRegions);
    scenario = loadScenario(args, config);
    if (args.rolloutAt !== undefined) {
      rolloutOffsetMs(args.rolloutAt, { startMs: scenario.trace.startMs, endMs: scenarioEndMs(scenario.trace) });
    }
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
  if (!motoServerInstalled()) {
    console.error(MOTO_INSTALL_HINT);
    return 1;
  }

  const interrupt = new AbortController();
  const stop = () => {
    // A second Ctrl-C does not wait for the clean stop.
    if (interrupt.signal.aborted) process.exit(EXIT_INTERRUPTED);
    interrupt.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Loaded only now (the CDK and the SDKs: seconds), so that bad input is refused at once.
  const { runSandbox } = await import('./sandbox-run');
  const result = await runSandbox({
    config,
    scenario,
    msPerSimulatedMinute: args.speed,
    reportPath: args.report,
    rolloutAt: args.rolloutAt,
    timings,
    write: (line) => console.log(line),
    signal: interrupt.signal,
  });
  return result.status === 'completed' ? 0 : EXIT_INTERRUPTED;
}

main(process.argv).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`Sandbox failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
