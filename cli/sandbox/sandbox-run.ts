/**
 * The local sandbox (`npm start`): the autoscaler's real code against the moto AWS emulator.
 * Creates what the deployed stacks would, plays a demand scenario on a simulated clock through
 * the real decision Lambda, reconciler, workflow definitions and task handlers, prints a live
 * timeline, then summarizes what the emulator holds and writes the HTML report.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ScalingStateMachines } from '../../functions/adapters/scaling-executions';
import { cloudWatchClient, resetClients } from '../../functions/commons/aws-clients';
import { approvedRegions, type AutoscalerConfig } from '../../functions/domain/config';
import { AlarmWatch } from './alarm-watch';
import { loadBalancerController } from './cloud-controller';
import { deployToEmulator, type SandboxDeployment } from './emulated-automation';
import {
  formatEmulatorSummary,
  readEmulatorState,
  runCounts,
  type EmulatorState,
  type RunCounts,
} from './emulator-summary';
import { ExecutorBridge, type ExecutionOutcome } from './executor-bridge';
import { KubernetesApiDouble } from './kubernetes-api-double';
import { LatencyRecordWatch } from './latency-record-watch';
import { lambdaEnvironmentVariables, loadLocalLambdas, type LocalLambdas } from './local-lambdas';
import { startMotoServer } from './moto-server';
import { renderSandboxReport } from './observed-report';
import { placeBeforeNow, REAL_CLOCK_MARGIN_MS, scenarioEndMs, type Scenario } from './scenario';
import { ScenarioPlayer } from './scenario-player';
import { installSimulatedDate, SimulatedClock } from './simulated-clock';
import { formatSimulatedTime, Timeline, type TimelineEvent, type Writer } from './timeline';

export const DEFAULT_MS_PER_SIMULATED_MINUTE = 40;

export interface SandboxOptions {
  config: AutoscalerConfig;
  scenario: Scenario;
  /** Real ms one simulated minute lasts. */
  msPerSimulatedMinute: number;
  /** A moto server already running (the integration tests'); without it the sandbox starts its own and stops it. */
  motoEndpoint?: string;
  /** Where to write the HTML report; none when omitted. */
  reportPath?: string;
  write: Writer;
  /** Aborting stops the scenario at once and tears everything down. */
  signal?: AbortSignal;
}

export interface SandboxResult {
  status: 'completed' | 'interrupted';
  /** The configuration as deployed in the emulator (its hosted zone id). */
  config: AutoscalerConfig;
  /** The state machines in the emulator. */
  machines: ScalingStateMachines;
  events: TimelineEvent[];
  executions: ExecutionOutcome[];
  /** Read at the end of a completed run. */
  emulator?: EmulatorState;
  counts: RunCounts;
  reportPath?: string;
}

type Cleanups = Array<() => Promise<void> | void>;

/**
 * Sets variables in this process and forgets the cached SDK clients (they read AWS_ENDPOINT_URL
 * when created); returns the function that puts the previous values back.
 */
function setEnvironment(variables: Record<string, string>): () => void {
  const previous = Object.fromEntries(Object.keys(variables).map((key) => [key, process.env[key]]));
  Object.assign(process.env, variables);
  resetClients();
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    resetClients();
  };
}

/** Starts moto unless one is given, and points every SDK client of this process at it. */
async function startEmulator(
  motoEndpoint: string | undefined,
  homeRegion: string,
  cleanups: Cleanups,
): Promise<string> {
  let endpoint = motoEndpoint;
  if (!endpoint) {
    const moto = await startMotoServer();
    cleanups.push(() => moto.stop());
    endpoint = moto.endpoint;
  }
  cleanups.push(
    setEnvironment({
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'sandbox',
      AWS_SECRET_ACCESS_KEY: 'sandbox',
      AWS_REGION: homeRegion,
    }),
  );
  return endpoint;
}

function describeStart(
  deployment: SandboxDeployment,
  scenario: Scenario,
  urls: { moto: string; kubernetes: string },
  msPerSimulatedMinute: number,
): string[] {
  const { config, controlPlane, alarms } = deployment;
  const { trace } = scenario;
  const realSeconds = (trace.periods * trace.stepSeconds * msPerSimulatedMinute) / 60_000;
  return [
    `Local sandbox: moto AWS emulator at ${urls.moto}, Kubernetes API double at ${urls.kubernetes}`,
    `Created in the emulator: state table ${controlPlane.stateTableName}, topic, hosted zone ${config.dns.hostedZoneId}, ` +
      `foundations in ${approvedRegions(config).length} regions, state machines, ${alarms.length} scaling alarms`,
    `Scenario: ${scenario.name}, ${(trace.periods * trace.stepSeconds) / 3600} h of ${trace.stepSeconds} s demand for ` +
      `${trace.regions.length} regions from ${formatSimulatedTime(trace.startMs)} UTC (simulated), ` +
      `${msPerSimulatedMinute} ms per simulated minute (about ${Math.round(realSeconds)} s)`,
    ...scenario.gaps.map(
      (gap) =>
        `  the publisher of ${gap.region} is silent for ${gap.minutes} min from ${formatSimulatedTime(Date.parse(gap.from))}`,
    ),
    ...(scenario.ignoredRegions.length
      ? [`  not played (not an approved region): ${scenario.ignoredRegions.join(', ')}`]
      : []),
    '',
  ];
}

interface PreparedSandbox {
  deployment: SandboxDeployment;
  lambdas: LocalLambdas;
  urls: { moto: string; kubernetes: string };
}

/** The emulator with the autoscaler deployed in it, the Kubernetes API double, and the handlers with their environment. */
async function prepareSandbox(options: SandboxOptions, cleanups: Cleanups): Promise<PreparedSandbox> {
  const moto = await startEmulator(options.motoEndpoint, options.config.homeRegion, cleanups);
  const deployment = await deployToEmulator(options.config);
  const { config, controlPlane, machines } = deployment;
  const kubernetes = new KubernetesApiDouble();
  kubernetes.cloudController = loadBalancerController(config.prefix);
  const kubernetesUrl = await kubernetes.start();
  cleanups.push(() => kubernetes.stop());
  cleanups.push(
    setEnvironment(
      lambdaEnvironmentVariables({
        config,
        controlPlane,
        machines,
        kubernetesApiUrl: `${kubernetesUrl}/clusters/{cluster}`,
      }),
    ),
  );
  const lambdas = await loadLocalLambdas(config.prefix);
  return { deployment, lambdas, urls: { moto, kubernetes: kubernetesUrl } };
}

export async function runSandbox(options: SandboxOptions): Promise<SandboxResult> {
  const { write } = options;
  const cleanups: Cleanups = [];
  try {
    const scenario = { ...options.scenario, trace: placeBeforeNow(options.scenario.trace, Date.now()) };
    const { trace } = scenario;
    const { deployment, lambdas, urls } = await prepareSandbox(options, cleanups);
    const { config, controlPlane, machines } = deployment;
    const speed = options.msPerSimulatedMinute;
    for (const line of describeStart(deployment, scenario, urls, speed)) write(line);

    const clock = new SimulatedClock(trace.startMs, speed);
    cleanups.push(installSimulatedDate(() => clock.now()));
    const timeline = new Timeline(write);
    const route53 = new Route53Client({ region: 'us-east-1', maxAttempts: 2 });
    const records = new LatencyRecordWatch(route53, config.dns.hostedZoneId, config.dns.recordName, timeline);
    const bridge = new ExecutorBridge({
      sfn: new SFNClient({ region: config.homeRegion, maxAttempts: 2 }),
      machines,
      tasks: lambdas.tasks,
      timeline,
      msPerWaitSecond: clock.realMsPerSimulatedSecond,
      // Only the workflows change the latency records: the zone is read after each batch of their steps.
      afterSteps: () => records.check(),
    });
    const cloudWatch = new CloudWatchClient({ region: config.homeRegion, maxAttempts: 2 });
    const alarms = new AlarmWatch(cloudWatch, deployment.alarms, config.homeRegion, trace.startMs);
    // The decision Lambda and the reconciler read alarm states through this client.
    alarms.stampChangeTimes(cloudWatchClient(config.homeRegion));
    const player = new ScenarioPlayer({
      config,
      trace,
      clock,
      cloudWatch,
      alarms,
      lambdas,
      bridge,
      timeline,
      signal: options.signal,
    });

    const completed = await player.play();
    if (!completed) {
      write('');
      write('Interrupted: stopping the emulator and the Kubernetes API double.');
      return {
        status: 'interrupted',
        config,
        machines,
        events: timeline.events,
        executions: bridge.outcomes,
        counts: runCounts(timeline.events, bridge.outcomes),
      };
    }
    // The demand is over: let the executions still running finish, in the margin left before real time.
    const endMs = scenarioEndMs(trace);
    clock.advanceTo(clock.now(), endMs + REAL_CLOCK_MARGIN_MS);
    if (bridge.runningCount > 0) timeline.note(`Demand over; waiting for ${bridge.runningCount} running execution(s).`);
    await bridge.drain();
    await records.check();

    const emulator = await readEmulatorState(config, controlPlane.stateTableName);
    const counts = runCounts(timeline.events, bridge.outcomes);
    write('');
    for (const line of formatEmulatorSummary(config, emulator, counts, clock.now())) write(line);
    let reportPath: string | undefined;
    if (options.reportPath) {
      reportPath = resolve(options.reportPath);
      mkdirSync(dirname(reportPath), { recursive: true });
      writeFileSync(reportPath, renderSandboxReport(config, trace, timeline.events));
      write(`HTML report written to ${reportPath}`);
    }
    return {
      status: 'completed',
      config,
      machines,
      events: timeline.events,
      executions: bridge.outcomes,
      emulator,
      counts,
      reportPath,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        write(`Cleanup: ${(error as Error).message}`);
      }
    }
  }
}
