/**
 * `regionctl simulate --trace FILE [--config PATH] [--json] [--html FILE]`: replays a demand trace
 * through the configuration, CloudWatch alarm evaluation, demand forecast and the decision rules
 * of the deployed system, offline (no AWS call, no emulator), and reports cost and far
 * user-minutes against two baselines: every region always on, and an oracle with perfect
 * foresight. What-if overrides (--warm-regions, --keep-hours, --forecast, --preempt-ratio) change
 * the configuration for the run only, validated like the file; --compare-warm prints the same
 * trace under several warm settings, to choose warm.regions and warm.keepHours.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ConfigError,
  FORECAST_MODES,
  parseConfig,
  type AutoscalerConfig,
  type AutoscalerConfigInput,
  type ForecastMode,
} from '../../functions/domain/config';
import { formatSummary, renderHtmlReport } from '../../simulator/report';
import { simulate, type Pause } from '../../simulator/simulate';
import { compareWarmSettings, formatWarmComparison, type WarmComparisonRow } from '../../simulator/warm-comparison';
import { builtInDiurnalTrace } from '../../simulator/diurnal-trace';
import { parseTrace, TraceError } from '../../simulator/trace';
import { CONFIG_CONTEXT_KEY } from '../../infra/config-source';
import { reportingFailures } from '../command-env';
import { CliError } from '../cli-error';
import { EXIT, type ExitCode } from '../exit-codes';
import { processOutput, type Output } from '../output';

export interface SimulateOptions {
  trace: string;
  /** JSON file holding the configuration; default: ./cdk.json context "autoscaler". */
  config?: string;
  json?: boolean;
  html?: string;
  pause?: Pause[];
  nodePriceUsd?: number;
  /** Replaces warm.regions; [] for none. */
  warmRegions?: string[];
  /** Replaces warm.keepHours. */
  keepHours?: number;
  /** Replaces forecast.mode. */
  forecast?: ForecastMode;
  /** Replaces scaling.preemptRatio (0: off). */
  preemptRatio?: number;
  /** Also simulate the trace under several warm settings and print the comparison. */
  compareWarm?: boolean;
}

export interface SimulateIo {
  out: Output;
  cwd: string;
}

/** `--trace built-in-week`: the 7-day diurnal trace the benchmark replays (2 always-on + 4 elastic regions). */
export const BUILT_IN_WEEK = 'built-in-week';

function readTrace(io: SimulateIo, file: string): string {
  try {
    return readFileSync(resolve(io.cwd, file), 'utf8');
  } catch (error) {
    throw new CliError(
      `Cannot read the trace ${file}: ${(error as Error).message}; fix: pass a readable CSV file with --trace, or --trace ${BUILT_IN_WEEK}`,
      EXIT.failed,
    );
  }
}

/** Runs one simulation and writes its outputs; returns the exit code. */
export function runSimulation(io: SimulateIo, options: SimulateOptions): Promise<ExitCode> {
  return reportingFailures(io.out, async () => {
    const config = loadConfig(io.cwd, options);
    let run;
    let comparison: WarmComparisonRow[] | undefined;
    try {
      const trace =
        options.trace === BUILT_IN_WEEK
          ? builtInDiurnalTrace()
          : parseTrace(readTrace(io, options.trace), options.trace);
      const simulation = { pauses: options.pause, nodeUsdPerHour: options.nodePriceUsd };
      run = simulate(config, trace, simulation);
      if (options.compareWarm) comparison = compareWarmSettings(config, trace, simulation);
    } catch (error) {
      if (error instanceof TraceError) throw new CliError(error.message, EXIT.failed);
      throw new CliError((error as Error).message, EXIT.failed);
    }
    if (options.html) {
      const htmlPath = resolve(io.cwd, options.html);
      writeFileSync(htmlPath, renderHtmlReport(run));
      if (!options.json) io.out.line(`HTML report written to ${htmlPath}`);
    }
    if (options.json) {
      io.out.line(JSON.stringify(comparison ? { ...run.report, warmComparison: comparison } : run.report));
    } else {
      io.out.line(formatSummary(run));
      if (comparison) io.out.line(`\n${formatWarmComparison(comparison)}`);
    }
    return EXIT.ok;
  });
}

function loadConfig(cwd: string, options: SimulateOptions): AutoscalerConfig {
  const path = options.config;
  const shown = path ?? 'cdk.json';
  let raw: unknown;
  try {
    const json = JSON.parse(readFileSync(resolve(cwd, shown), 'utf8')) as { context?: Record<string, unknown> };
    raw = path ? json : json.context?.[CONFIG_CONTEXT_KEY];
  } catch (error) {
    throw new CliError(
      `Cannot read the configuration ${shown}: ${(error as Error).message}; fix: run in the project folder or pass --config PATH`,
      EXIT.failed,
    );
  }
  if (raw === undefined) {
    throw new CliError(
      `cdk.json has no context "${CONFIG_CONTEXT_KEY}"; fix: add the configuration there or pass --config PATH`,
      EXIT.failed,
    );
  }
  const overridden = withOverrides(raw as AutoscalerConfigInput, options);
  const source = `${path ?? `cdk.json context "${CONFIG_CONTEXT_KEY}"`}${overridden === raw ? '' : ' with the command-line overrides'}`;
  try {
    return parseConfig(overridden, source);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.failed);
    throw error;
  }
}

/** The raw configuration with the what-if options applied (validated afterwards, like the file). */
function withOverrides(raw: AutoscalerConfigInput, options: SimulateOptions): AutoscalerConfigInput {
  const { warmRegions, keepHours, forecast, preemptRatio } = options;
  if (warmRegions === undefined && keepHours === undefined && forecast === undefined && preemptRatio === undefined) {
    return raw;
  }
  const copy = structuredClone(raw);
  if (warmRegions !== undefined || keepHours !== undefined) {
    copy.warm = {
      ...copy.warm,
      ...(warmRegions !== undefined ? { regions: warmRegions } : {}),
      ...(keepHours !== undefined ? { keepHours } : {}),
    };
  }
  if (forecast !== undefined) copy.forecast = { ...copy.forecast, mode: forecast };
  if (preemptRatio !== undefined) copy.scaling = { ...copy.scaling, preemptRatio };
  return copy;
}

/** "ap-south-1,sa-east-1", or "none". */
function regionListArgument(value: string): string[] {
  const regions = value.split(',').map((r) => r.trim());
  if (value.trim() === 'none') return [];
  if (regions.some((r) => r === '')) {
    throw new InvalidArgumentError(`"${value}" is not a list of regions; use e.g. ap-south-1,sa-east-1 or none`);
  }
  return regions;
}

function nonNegativeNumber(what: string, example: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
      throw new InvalidArgumentError(`"${value}" is not ${what}; use e.g. ${example}`);
    }
    return n;
  };
}

/** "ap-south-1,2026-03-02T00:00:00Z,2026-03-02T06:00:00Z" (repeatable). */
function collectPause(value: string, previous: Pause[] = []): Pause[] {
  const [region, from, until, ...rest] = value.split(',').map((s) => s.trim());
  if (!region || !from || !until || rest.length) {
    throw new InvalidArgumentError(
      `"${value}" is not REGION,FROM,UNTIL; use e.g. ap-south-1,2026-03-02T00:00:00Z,2026-03-02T06:00:00Z`,
    );
  }
  return [...previous, { region, from, until }];
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError(`"${value}" is not a price in USD per hour; use e.g. 0.0416`);
  }
  return n;
}

export interface SimulateCommandDeps {
  out?: Output;
  cwd?: string;
  /** Receives the exit code (default: process.exitCode). */
  setExitCode?: (code: ExitCode) => void;
}

export function simulateCommand(deps: SimulateCommandDeps = {}): Command {
  const io = { out: deps.out ?? processOutput(), cwd: deps.cwd ?? process.cwd() };
  const setExitCode =
    deps.setExitCode ??
    ((code: ExitCode) => {
      process.exitCode = code;
    });
  return new Command('simulate')
    .description(
      'Replay a demand trace through the configuration, alarms and decision rules, offline; report cost and far users',
    )
    .requiredOption(
      '--trace <file>',
      `CSV with header timestamp,region,users (ISO-8601 UTC; one row per region per period), or ${BUILT_IN_WEEK} for the benchmark's 7-day diurnal trace`,
    )
    .option('--config <path>', 'JSON file holding the configuration (default: ./cdk.json context "autoscaler")')
    .option('--json', 'print one JSON object: events, regions, totals, baselines')
    .option('--html <file>', 'also write a self-contained HTML report (charts of demand and serving periods)')
    .addOption(
      new Option(
        '--pause <region,from,until>',
        'autoscaling of the region paused in that window (repeatable)',
      ).argParser(collectPause),
    )
    .addOption(
      new Option('--node-price-usd <n>', 'node price per hour, for an instance type the price table lacks').argParser(
        positiveNumber,
      ),
    )
    .addOption(
      new Option(
        '--warm-regions <list>',
        'what-if: warm.regions for this run (comma-separated elastic regions, or none)',
      ).argParser(regionListArgument),
    )
    .addOption(
      new Option('--keep-hours <n>', 'what-if: warm.keepHours for this run').argParser(
        nonNegativeNumber('a number of hours', '1'),
      ),
    )
    .addOption(new Option('--forecast <mode>', 'what-if: forecast.mode for this run').choices([...FORECAST_MODES]))
    .addOption(
      new Option(
        '--preempt-ratio <n>',
        'what-if: scaling.preemptRatio for this run (0: no demand-ranked slots)',
      ).argParser(nonNegativeNumber('a ratio', '2, or 0 for off')),
    )
    .option(
      '--compare-warm',
      'also simulate the trace with no warm region, each elastic region warm, and all of them, and print the comparison (--json: key warmComparison)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ regionctl simulate --trace demand.csv\n' +
        '  $ regionctl simulate --trace demand.csv --config ./prod-autoscaler.json --html report.html\n' +
        "  $ regionctl simulate --trace demand.csv --json | jq '.totals'\n" +
        '  $ regionctl simulate --trace demand.csv --compare-warm\n' +
        `  $ regionctl simulate --trace ${BUILT_IN_WEEK} --compare-warm --html week.html\n` +
        '  $ regionctl simulate --trace demand.csv --warm-regions ap-south-1 --keep-hours 1\n' +
        '  $ regionctl simulate --trace demand.csv --forecast off --preempt-ratio 0   # the policy without pre-warm and swaps\n' +
        '\nA missing row is a missing datapoint (the scale-down alarm treats it as not breaching).\n' +
        'Costs: EKS control plane plus nodes.desired on-demand nodes of the first instance type, us-east-1 prices;\n' +
        "a WARM region: control plane, load balancer and the stopped warm-pool nodes' volumes (pricing.ts warmPrice).\n",
    )
    .action(async (options: SimulateOptions) => setExitCode(await runSimulation(io, options)));
}
