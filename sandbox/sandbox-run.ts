/**
 * The local sandbox (`npm start`): what deploys, against the moto AWS emulator. Synthesizes the
 * app for the configuration (the Lambda bundles and state machine definitions `cdk deploy` would
 * ship), creates in the emulator what the stacks would, plays a demand scenario on a simulated
 * clock through the bundled decision Lambda and reconciler, the synthesized workflow definitions
 * and the bundled task Lambdas (with --rollout-at, a deploy of a changed edge configuration
 * midway, which the reconciler rolls out), prints a live timeline, then summarizes what the
 * emulator holds and writes the HTML report. The Lambdas' AWS calls go through the AWS proxy (aws-proxy.ts),
 * the sandbox's own (the parts of the emulated cloud it plays) straight to the emulator. On the
 * proxy, the emulated cloud takes AWS's time to create clusters, nodes, load balancers and DNS
 * changes (emulated-lead-times.ts, with the timing table of aws-timings.ts), and each scale-up's
 * lead time is shown, split into that AWS time and the control plane's own overhead (lead-times.ts).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ScalingStateMachines } from '../functions/adapters/scaling-executions';
import { approvedRegions, type AutoscalerConfig } from '../functions/domain/config';
import { controlStackName } from '../functions/domain/naming';
import type { MaintenanceKind, RegionState } from '../functions/domain/region-state';
import { StateStore } from '../functions/adapters/state-store';
import { shortConfigurationHash } from '../functions/domain/edge-configuration';
import { synthesizeDeployment, type SynthesizedDeployment } from '../infra/synthesized-deployment';
import { stampAlarmChangeTimes } from './alarm-change-times';
import { AlarmWatch } from './alarm-watch';
import { startAwsFaultProxy, type AwsFaultProxy } from './aws-proxy';
import { describeTimings, namedProfile, type NamedTimings } from './aws-timings';
import { installLeadTimes, type EmulatedLeadTimes } from './emulated-lead-times';
import { formatLeadTimeSummary, leadTimeEvent, leadTimesOf, scaleUpLeadTime, type ScaleUpLeadTime } from './lead-times';
import { installEksVersionUpdates } from './eks-version-updates';
import { serveAccessEntries } from './eks-access-entries';
import { serveLongMetricReads } from './metric-reads';
import { loadBalancerController, regionOfServicePath } from './cloud-controller';
import { deployToEmulator, type SandboxDeployment } from './emulated-automation';
import {
  formatEmulatorSummary,
  readEmulatorState,
  runCounts,
  type EmulatorState,
  type RunCounts,
} from './emulator-summary';
import { ExecutorBridge, type ExecutionOutcome } from './executor-bridge';
import { EDGE_AGENT_FILE } from '../functions/domain/edge-manifests';
import { EdgeDemand, prepareEdgeDemand, type EdgeDemandSetup } from './edge-demand';
import {
  changedEdgeConfig,
  formatEdgeRollout,
  observeEdgeRollout,
  rolloutOffsetMs,
  type EdgeRolloutObservation,
} from './edge-deploy';
import { KubernetesApiDouble, LOAD_BALANCER_HEALTH_PATH } from './kubernetes-api-double';
import { LatencyRecordWatch } from './latency-record-watch';
import {
  lambdaEnvironmentVariables,
  loadBundledLambdas,
  writeLambdaConfigFile,
  type LocalLambdas,
} from './local-lambdas';
import { startMotoServer } from './moto-server';
import { renderSandboxReport } from './observed-report';
import { placeBeforeNow, REAL_CLOCK_MARGIN_MS, scenarioEndMs, type Scenario } from './scenario';
import { ScenarioPlayer } from './scenario-player';
import { installSimulatedDate, SimulatedClock } from './simulated-clock';
import { formatSimulatedTime, Timeline, type TimelineEvent, type Writer } from './timeline';

export interface SandboxOptions {
  config: AutoscalerConfig;
  scenario: Scenario;
  /** Real ms one simulated minute lasts. */
  msPerSimulatedMinute: number;
  /** A moto server already running (the integration tests'); without it the sandbox starts its own and stops it. */
  motoEndpoint?: string;
  /**
   * A deployment already synthesized (the integration tests': their global setup synthesizes
   * once). Its bundles and definitions do not depend on the configuration, which the Lambdas read
   * from their environment. Without it the sandbox synthesizes the app for `config` in a
   * temporary directory, and removes it at the end.
   */
  synthesized?: SynthesizedDeployment;
  /** Where to write the HTML report; none when omitted. */
  reportPath?: string;
  /** `HH:MM` (UTC, simulated): then a deploy of a changed edge configuration (edge-deploy.ts). */
  rolloutAt?: string;
  /** How long the emulated cloud takes (aws-timings.ts); default fast (as moto: at once). */
  timings?: NamedTimings;
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
  maintenanceMachines: Record<MaintenanceKind, string>;
  events: TimelineEvent[];
  executions: ExecutionOutcome[];
  /** Read at the end of a completed run. */
  emulator?: EmulatorState;
  counts: RunCounts;
  /** With --rollout-at: each region's edge configuration at the deploy and at the end. */
  edgeRollout?: EdgeRolloutObservation;
  /** Each scale-up that succeeded: its lead time, the emulated AWS time in it and the control plane's overhead. */
  leadTimes: ScaleUpLeadTime[];
  reportPath?: string;
}

export type Cleanups = Array<() => Promise<void> | void>;

/** Runs `cleanups` last first, telling `write` of any that fails. */
export async function runCleanups(cleanups: Cleanups, write: Writer): Promise<void> {
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      write(`Cleanup: ${(error as Error).message}`);
    }
  }
}

/** Sets variables in this process; returns the function that puts the previous values back. */
function setEnvironment(variables: Record<string, string>): () => void {
  const previous = Object.fromEntries(Object.keys(variables).map((key) => [key, process.env[key]]));
  Object.assign(process.env, variables);
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

interface Synthesis {
  synthesized: SynthesizedDeployment;
  /** "just now (21 s)", or where the given deployment was synthesized. */
  how: string;
}

/** `cdk synth` of the app for `config`, in a temporary directory removed at the end (10-30 s: it bundles six Lambdas). */
function synthesizeForSandbox(config: AutoscalerConfig, write: Writer, cleanups: Cleanups): Synthesis {
  write(`Synthesizing the deployment (cdk synth of ${controlStackName(config.prefix)}, bundling its Lambdas)...`);
  const startedAt = performance.now();
  const outdir = mkdtempSync(join(tmpdir(), 'edge-autoscaler-sandbox-'));
  cleanups.push(() => rmSync(outdir, { recursive: true, force: true }));
  const synthesized = synthesizeDeployment(config, outdir);
  return { synthesized, how: `just now (${Math.round((performance.now() - startedAt) / 1000)} s)` };
}

/** Starts moto unless one is given, and points the SDK clients this process creates next at it. */
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

function describeStart(prepared: PreparedSandbox, scenario: Scenario, msPerSimulatedMinute: number): string[] {
  const { deployment, synthesizedHow, urls, timings } = prepared;
  const { config, controlPlane, alarms } = deployment;
  const { trace } = scenario;
  const realSeconds = (trace.periods * trace.stepSeconds * msPerSimulatedMinute) / 60_000;
  return [
    `Local sandbox: moto AWS emulator at ${urls.moto}, Kubernetes API double at ${urls.kubernetes}`,
    `Running what deploys: the ${Object.keys(prepared.synthesized.lambdas).length} Lambda bundles and the ${Object.keys(prepared.synthesized.definitions).length} state machine definitions as synthesized ${synthesizedHow}`,
    config.demand.source === 'edge-counters'
      ? 'Demand: synthetic clients reach the serving edges, whose counters count them; the bundled collector attributes and publishes ActiveUsers every minute'
      : 'Demand: published by the user (demand.source external), as publishDemand does',
    `Created in the emulator: state table ${controlPlane.stateTableName}, topic, hosted zone ${config.dns.hostedZoneId}, ` +
      `foundations in ${approvedRegions(config).length} regions, state machines, ${alarms.length} scaling alarms`,
    `AWS timings ${describeTimings(timings)}`,
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

export interface PreparedSandbox {
  synthesized: SynthesizedDeployment;
  synthesizedHow: string;
  deployment: SandboxDeployment;
  lambdas: LocalLambdas;
  /** The Lambdas' environment, and the directory of the configuration file it names. */
  environment: Record<string, string>;
  configDir: string;
  proxy: AwsFaultProxy;
  timings: NamedTimings;
  /** The emulated cloud's lead times: what it held transitional, and when. */
  leadTimes: EmulatedLeadTimes;
  kubernetes: KubernetesApiDouble;
  /** Loaded before the simulated clock starts (it takes a second). */
  edgeDemandSetup?: EdgeDemandSetup;
  urls: { moto: string; kubernetes: string };
}

/**
 * The synthesized deployment, the emulator with the autoscaler deployed in it, the AWS proxy in
 * front of it, the Kubernetes API double, and the bundled Lambdas with their environment.
 */
export async function prepareSandbox(
  options: Pick<SandboxOptions, 'config' | 'synthesized' | 'motoEndpoint' | 'timings' | 'write'>,
  cleanups: Cleanups,
): Promise<PreparedSandbox> {
  const given = options.synthesized;
  const { synthesized, how: synthesizedHow } = given
    ? { synthesized: given, how: `in ${given.outdir}` }
    : synthesizeForSandbox(options.config, options.write, cleanups);
  const moto = await startEmulator(options.motoEndpoint, options.config.homeRegion, cleanups);
  const deployment = await deployToEmulator(options.config, synthesized.definitions);
  const { config, controlPlane, machines, maintenanceMachines } = deployment;
  const proxy = await startAwsFaultProxy(moto);
  cleanups.push(() => proxy.close());
  // moto's resources are ready at once: the proxy keeps them transitional for AWS's time.
  const timings = options.timings ?? namedProfile('fast');
  const leadTimes = installLeadTimes(proxy, timings.timings);
  // moto's EKS has no access entries: the proxy answers that API (the scale-up's EnsureClusterAccess).
  serveAccessEntries(proxy, moto);
  // Nor Kubernetes version updates: the proxy plays them (the cluster upgrade and the node patches).
  installEksVersionUpdates(proxy, moto);
  // moto's GetMetricData is quadratic in the window: a reconciler's first, 14-day read goes to it an hour at a time.
  serveLongMetricReads(proxy, moto);
  const kubernetes = new KubernetesApiDouble();
  kubernetes.cloudController = loadBalancerController(config.prefix, moto, {
    created: (region, dnsName) => leadTimes.loadBalancerCreated(region, dnsName),
  });
  kubernetes.deploymentRolloutSeconds = timings.timings.edgeRolloutSeconds;
  kubernetes.podsReadySeconds = timings.timings.podsReadySeconds;
  // Pods run only on nodes: the edge's pods wait for the emulated nodegroup's.
  kubernetes.nodesReadyAt = (clusterPath) =>
    leadTimes.nodesReadyAt(regionOfServicePath(config.prefix, `${clusterPath}/`), clusterPath.split('/').pop()!);
  const kubernetesUrl = await kubernetes.start();
  cleanups.push(() => kubernetes.stop());
  const configDir = mkdtempSync(join(tmpdir(), 'edge-autoscaler-sandbox-config-'));
  cleanups.push(() => rmSync(configDir, { recursive: true, force: true }));
  const environment = lambdaEnvironmentVariables({
    configFile: writeLambdaConfigFile(config, configDir),
    controlPlane,
    machines,
    maintenanceMachines,
    kubernetesApiUrl: `${kubernetesUrl}/clusters/{cluster}`,
    edgeHealthUrl: `${kubernetesUrl}${LOAD_BALANCER_HEALTH_PATH}`,
    awsEndpoint: proxy.endpoint,
  });
  cleanups.push(setEnvironment(environment));
  const lambdas = await loadBundledLambdas(synthesized, environment, config.prefix);
  const edgeDemandSetup =
    config.demand.source === 'edge-counters'
      ? await prepareEdgeDemand(
          config,
          join(dirname(synthesized.lambdas.edgeTask.file), EDGE_AGENT_FILE),
          approvedRegions(config),
        )
      : undefined;
  return {
    synthesized,
    synthesizedHow,
    deployment,
    lambdas,
    environment,
    configDir,
    proxy,
    timings,
    leadTimes,
    kubernetes,
    edgeDemandSetup,
    urls: { moto, kubernetes: kubernetesUrl },
  };
}

/** With demand.source edge-counters, the users reach the edges' counters and the bundled collector publishes. */
function edgeDemandOf(
  prepared: PreparedSandbox,
  clock: SimulatedClock,
  timeline: Timeline,
  records: LatencyRecordWatch,
  cleanups: Cleanups,
): EdgeDemand | undefined {
  const { deployment, lambdas, kubernetes, edgeDemandSetup } = prepared;
  if (!edgeDemandSetup) return undefined;
  if (!lambdas.collect)
    throw new Error('The synthesized deployment has no collector Lambda (demand.source edge-counters)');
  const edgeDemand = new EdgeDemand({
    config: deployment.config,
    setup: edgeDemandSetup,
    clock,
    kubernetes,
    // The collector of the latest deploy.
    collect: (event) => lambdas.collect!(event),
    servingRegions: () => records.servingRegions,
    timeline,
  });
  cleanups.push(() => edgeDemand.stop());
  return edgeDemand;
}

/**
 * --rollout-at: the deploy of a changed edge configuration. The Lambdas of the new deployment are
 * new loads of the bundles reading the changed configuration; the executor bridge, the scenario
 * and the collector call them from then on. What each region ran at the deploy is kept for the
 * summary.
 */
class EdgeDeploy {
  private deployed?: { observation: Omit<EdgeRolloutObservation, 'regions'>; atDeploy: RegionState[] };
  private readonly store: StateStore;

  constructor(
    private readonly prepared: PreparedSandbox,
    private readonly bridge: ExecutorBridge,
    private readonly timeline: Timeline,
    endpoint: string,
  ) {
    const { config, controlPlane } = prepared.deployment;
    const dynamo = new DynamoDBClient({ region: config.homeRegion, endpoint, maxAttempts: 2 });
    this.store = new StateStore(DynamoDBDocumentClient.from(dynamo), controlPlane.stateTableName);
  }

  async run(): Promise<void> {
    const { deployment, lambdas, synthesized, environment, configDir } = this.prepared;
    const { config } = deployment;
    const desiredBefore = await this.desired();
    const atDeploy = await this.store.getRegionStates(approvedRegions(config));
    const { config: changed, description } = changedEdgeConfig(config);
    writeLambdaConfigFile(changed, configDir);
    Object.assign(lambdas, await loadBundledLambdas(synthesized, environment, config.prefix));
    this.bridge.useTasks(lambdas.tasks);
    const desiredAfter = await this.desired();
    const deployedAt = Date.now();
    this.deployed = { observation: { deployedAt, description, desiredBefore, desiredAfter }, atDeploy };
    this.timeline.record({
      kind: 'deploy',
      at: deployedAt,
      region: '-',
      detail:
        `cdk deploy of ${description}: the desired edge configuration is now ${shortConfigurationHash(desiredAfter)} ` +
        `(was ${shortConfigurationHash(desiredBefore)}); nothing else is started, the reconciler's next pass rolls it out`,
    });
  }

  /** Each region's configuration at the deploy and at the end; undefined when no deploy happened. */
  observe(atEnd: RegionState[]): EdgeRolloutObservation | undefined {
    return this.deployed && observeEdgeRollout(this.deployed.observation, this.deployed.atDeploy, atEnd);
  }

  /** The desired edge configuration, as the edge task of the deployment (the rollout's first step) tells it. */
  private async desired(): Promise<string> {
    const answer = (await this.prepared.lambdas.tasks.edgeTask({ action: 'describeDesiredEdge' })) as {
      configuration: string;
    };
    return answer.configuration;
  }
}

export async function runSandbox(options: SandboxOptions): Promise<SandboxResult> {
  const { write } = options;
  const cleanups: Cleanups = [];
  try {
    const scenario = { ...options.scenario, trace: placeBeforeNow(options.scenario.trace, Date.now()) };
    const { trace } = scenario;
    // A bad --rollout-at is refused before anything starts.
    const rolloutAtMs =
      options.rolloutAt === undefined
        ? undefined
        : trace.startMs + rolloutOffsetMs(options.rolloutAt, { startMs: trace.startMs, endMs: scenarioEndMs(trace) });
    const prepared = await prepareSandbox(options, cleanups);
    const { synthesized, deployment, lambdas, proxy, urls } = prepared;
    const { config, controlPlane, machines, maintenanceMachines } = deployment;
    const speed = options.msPerSimulatedMinute;
    for (const line of describeStart(prepared, scenario, speed)) write(line);

    const clock = new SimulatedClock(trace.startMs, speed);
    // The bundles loaded in this process read the global Date too.
    cleanups.push(installSimulatedDate(() => clock.now()));
    const timeline = new Timeline(write);
    // The parts of the emulated cloud the sandbox plays talk to the emulator directly.
    const endpoint = urls.moto;
    const route53 = new Route53Client({ region: 'us-east-1', endpoint, maxAttempts: 2 });
    const records = new LatencyRecordWatch(route53, config.dns.hostedZoneId, config.dns.recordName, timeline);
    const bridge = new ExecutorBridge({
      sfn: new SFNClient({ region: config.homeRegion, endpoint, maxAttempts: 2 }),
      machines,
      maintenanceMachines,
      definitions: synthesized.definitions,
      tasks: lambdas.tasks,
      timeline,
      msPerWaitSecond: clock.realMsPerSimulatedSecond,
      clock,
      // Only the workflows change the latency records: the zone is read after each batch of their steps.
      afterSteps: () => records.check(),
      afterExecution: (outcome) => {
        const leadTime = scaleUpLeadTime(outcome, prepared.leadTimes);
        if (leadTime) timeline.record(leadTimeEvent(leadTime));
      },
    });
    const cloudWatch = new CloudWatchClient({ region: config.homeRegion, endpoint, maxAttempts: 2 });
    const alarms = new AlarmWatch(cloudWatch, deployment.alarms, config.homeRegion, trace.startMs);
    // The decision Lambda and the reconciler read alarm states through the proxy.
    stampAlarmChangeTimes(proxy, (alarmName) => alarms.changedAt(alarmName));
    const edgeDemand = edgeDemandOf(prepared, clock, timeline, records, cleanups);
    for (const line of edgeDemand?.describePools() ?? []) write(line);
    const player = new ScenarioPlayer({
      config,
      trace,
      clock,
      cloudWatch,
      alarms,
      lambdas,
      bridge,
      timeline,
      edgeDemand,
      deploy: rolloutAtMs === undefined ? undefined : { atMs: rolloutAtMs, run: () => edgeDeploy.run() },
      signal: options.signal,
    });
    const edgeDeploy = new EdgeDeploy(prepared, bridge, timeline, endpoint);

    const completed = await player.play();
    if (!completed) {
      write('');
      write('Interrupted: stopping the emulator and the Kubernetes API double.');
      return {
        status: 'interrupted',
        config,
        machines,
        maintenanceMachines,
        events: timeline.events,
        executions: bridge.outcomes,
        counts: runCounts(timeline.events, bridge.outcomes),
        leadTimes: leadTimesOf(timeline.events),
      };
    }
    // The demand is over: let the executions still running finish, in the margin left before real time.
    const endMs = scenarioEndMs(trace);
    clock.endAt(endMs + REAL_CLOCK_MARGIN_MS);
    if (bridge.runningCount > 0) timeline.note(`Demand over; waiting for ${bridge.runningCount} running execution(s).`);
    await bridge.drain();
    await records.check();

    const emulator = await readEmulatorState(config, controlPlane.stateTableName, endpoint);
    const counts = runCounts(timeline.events, bridge.outcomes);
    write('');
    for (const line of formatEmulatorSummary(config, emulator, counts, clock.now())) write(line);
    const leadTimes = leadTimesOf(timeline.events);
    const leadTimeLines = formatLeadTimeSummary(leadTimes, prepared.timings.name);
    if (leadTimeLines.length) for (const line of ['', ...leadTimeLines]) write(line);
    const edgeRollout = edgeDeploy.observe(emulator.regions);
    if (edgeRollout) for (const line of ['', ...formatEdgeRollout(edgeRollout)]) write(line);
    let reportPath: string | undefined;
    if (options.reportPath) {
      reportPath = resolve(options.reportPath);
      mkdirSync(dirname(reportPath), { recursive: true });
      writeFileSync(reportPath, renderSandboxReport(config, trace, timeline.events, edgeRollout, prepared.timings));
      write(`HTML report written to ${reportPath}`);
    }
    return {
      status: 'completed',
      config,
      machines,
      maintenanceMachines,
      events: timeline.events,
      executions: bridge.outcomes,
      emulator,
      counts,
      edgeRollout,
      leadTimes,
      reportPath,
    };
  } finally {
    await runCleanups(cleanups, write);
  }
}
