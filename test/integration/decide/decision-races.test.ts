/**
 * Deciders racing each other, through the real entry points (the decision Lambda's handler, the
 * reconciler, regionctl) with real SDK clients, against a moto that serializes requests
 * (test/support/serialized-moto.ts: the shared moto_server loses acknowledged writes under
 * concurrency). Every start goes through the same claim of the region and its elastic slot;
 * a redelivered trigger gives its claim back; every delivery leaves its decision record.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { CloudWatchClient, DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scaleUp } from '../../../cli/commands/scale';
import { EXIT } from '../../../cli/exit-codes';
import { createScalingAlarms, scalingAlarms } from '../../../sandbox/emulated-automation';
import type { MotoServer } from '../../../sandbox/moto-server';
import { demandHistoryReader } from '../../../functions/adapters/demand-history';
import { StateStore } from '../../../functions/adapters/state-store';
import {
  cloudWatchClient,
  documentClient,
  eksClient,
  route53Client,
  sfnClient,
  snsClient,
} from '../../../functions/commons/aws-clients';
import { ENV, resetRuntime } from '../../../functions/commons/runtime';
import { alarmStateChangeEventSchema } from '../../../functions/decide/alarm-event';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import { scaleDownAlarmName, scaleUpAlarmName } from '../../../functions/domain/naming';
import type { RegionState } from '../../../functions/domain/region-state';
import type { ReconcileDeps } from '../../../functions/reconcile/reconciler';
import { exampleConfig } from '../../support/config-fixtures';
import { deployControlStack, uniquePrefix, type EmulatedControlStack } from '../../support/control-stack-fixture';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';
import { putLatencyRecordDirectly } from '../../support/latency-record';
import { describeWithMoto } from '../../support/moto';
import { regionctlEnv } from '../../support/regionctl-env';
import { restoreEmulator, startSerializedMoto, useSerializedMoto } from '../../support/serialized-moto';

type Decision = Record<string, unknown> & { outcome: string; rule?: string };
type Reconcile = (typeof import('../../../functions/reconcile/reconciler'))['reconcile'];
type DecideOnAlarmEvent = (typeof import('../../../functions/decide/decision-handler'))['decideOnAlarmEvent'];

const LONG_AGO = '2026-11-01T00:00:00.000Z';
const ALWAYS_ON = ['us-east-1', 'eu-west-1'];

let moto: MotoServer;
let decisionHandler: (event: unknown) => Promise<Decision>;
let reconcile: Reconcile;
let decideOnAlarmEvent: DecideOnAlarmEvent;

interface Deployment {
  stack: EmulatedControlStack;
  config: AutoscalerConfig;
  store: StateStore;
  deps: ReconcileDeps;
}

/** A fresh control stack (its own prefix, table, state machines and alarms) that the handlers' environment points at. */
async function deploy(): Promise<Deployment> {
  const stack = await deployControlStack(exampleConfig((c) => void (c.prefix = uniquePrefix('races'))));
  const { config } = stack;
  await createScalingAlarms(config, scalingAlarms(config));
  process.env[ENV.scaleUp] = stack.scaleUpStateMachineArn;
  process.env[ENV.scaleDown] = stack.scaleDownStateMachineArn;
  setTaskEnvironment(config, { stateTableName: stack.stateTableName });
  const dynamo = documentClient(config.homeRegion);
  const store = new StateStore(dynamo, stack.stateTableName);
  const deps: ReconcileDeps = {
    config,
    store,
    dynamo,
    tableName: stack.stateTableName,
    sfn: sfnClient(config.homeRegion),
    machines: { up: stack.scaleUpStateMachineArn, down: stack.scaleDownStateMachineArn },
    cloudWatch: cloudWatchClient(config.homeRegion),
    route53: route53Client(),
    eks: eksClient,
    sns: snsClient(config.homeRegion),
    // No maintenance workflow in this control stack: the races are between scaling decisions.
    maintenanceMachines: {},
    desiredEdgeConfiguration: () => 'no edge rollout here',
    readDemandHistory: demandHistoryReader(cloudWatchClient(config.homeRegion), config),
  };
  return { stack, config, store, deps };
}

/** What one warm decision Lambda environment holds: the deployment's names and its own SDK clients. */
function warmEnvironment(d: Deployment): Parameters<DecideOnAlarmEvent>[1] {
  const clientConfig = { region: d.config.homeRegion };
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    ...d.deps,
    store: new StateStore(dynamo, d.stack.stateTableName),
    dynamo,
    sfn: new SFNClient(clientConfig),
    cloudWatch: new CloudWatchClient(clientConfig),
  };
}

async function setStates(d: Deployment, states: Array<Partial<RegionState> & { region: string }>): Promise<void> {
  for (const state of states) {
    await d.store.putRegionState({ status: 'INACTIVE', since: LONG_AGO, consecutiveFailures: 0, ...state });
  }
}

const serving = (region: string): Partial<RegionState> & { region: string } => ({
  region,
  status: 'ACTIVE',
  since: LONG_AGO,
  activeSince: LONG_AGO,
  lastTransitionAt: LONG_AGO,
});

/**
 * Puts the region's scaling alarm in ALARM (as CloudWatch would) and returns the EventBridge
 * event of that change, stamped with the alarm's own state-change time.
 */
async function alarmEvent(d: Deployment, region: string, direction: 'up' | 'down'): Promise<unknown> {
  const alarmName =
    direction === 'up' ? scaleUpAlarmName(d.config.prefix, region) : scaleDownAlarmName(d.config.prefix, region);
  const cloudWatch = cloudWatchClient(d.config.homeRegion);
  await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'ALARM', StateReason: 'test' }));
  const { MetricAlarms = [] } = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] }));
  const changedAt = MetricAlarms[0]?.StateTransitionedTimestamp ?? MetricAlarms[0]!.StateUpdatedTimestamp!;
  const fixture = direction === 'up' ? 'scale-up-alarm' : 'scale-down-alarm';
  const event = JSON.parse(
    readFileSync(fileURLToPath(new URL(`../../fixtures/alarm-events/${fixture}.json`, import.meta.url)), 'utf8'),
  ) as {
    id: string;
    time: string;
    resources: string[];
    detail: {
      alarmName: string;
      state: { timestamp: string };
      configuration: { metrics: Array<{ metricStat: { metric: { dimensions: Record<string, string> } } }> };
    };
  };
  event.id = randomUUID();
  event.time = changedAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  event.resources = [`arn:aws:cloudwatch:${d.config.homeRegion}:123456789012:alarm:${alarmName}`];
  event.detail.alarmName = alarmName;
  event.detail.state.timestamp = changedAt.toISOString().replace('Z', '+0000');
  event.detail.configuration.metrics[0]!.metricStat.metric.dimensions.Region = region;
  return event;
}

async function executions(d: Deployment, direction: 'up' | 'down') {
  const stateMachineArn = direction === 'up' ? d.stack.scaleUpStateMachineArn : d.stack.scaleDownStateMachineArn;
  const { executions: listed = [] } = await d.deps.sfn.send(new ListExecutionsCommand({ stateMachineArn }));
  return listed.map((e) => ({ name: e.name!, executionArn: e.executionArn!, status: e.status! }));
}

const later = <T>(ms: number, run: () => Promise<T>) =>
  new Promise<T>((resolve, reject) => setTimeout(() => run().then(resolve, reject), ms));

describeWithMoto('deciders racing for a region and its elastic slot (serialized moto)', () => {
  beforeAll(async () => {
    moto = await startSerializedMoto();
    useSerializedMoto(moto);
    // Quiet Powertools before the handlers' modules create their logger.
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const decisionModule = await import('../../../functions/decide/decision-handler');
    const { handler } = decisionModule;
    ({ decideOnAlarmEvent } = decisionModule);
    decisionHandler = (event) => handler(event, lambdaContext('decision-handler')) as Promise<Decision>;
    ({ reconcile } = await import('../../../functions/reconcile/reconciler'));
  }, 90_000);
  afterAll(async () => {
    for (const key of [ENV.scaleUp, ENV.scaleDown]) delete process.env[key];
    resetRuntime();
    restoreEmulator();
    await moto?.stop();
  });

  it('100 deliveries of one alarm event to 50 warm Lambda environments leave 100 decision records and start one execution', async () => {
    const d = await deploy();
    await setStates(d, ALWAYS_ON.map(serving));
    const raw = await alarmEvent(d, 'ap-southeast-1', 'up');
    const event = alarmStateChangeEventSchema.parse(raw);
    // Each environment has its own SDK clients, as a Lambda environment does, and takes two deliveries.
    const environments = Array.from({ length: 50 }, () => warmEnvironment(d));
    const outcomes: Decision[] = [];
    for (let round = 0; round < 2; round++) {
      const decided = await Promise.all(environments.map((deps) => decideOnAlarmEvent(event, deps, new Date())));
      outcomes.push(...(decided as Decision[]));
    }
    expect(outcomes.filter((o) => o.outcome === 'started')).toHaveLength(1);
    const records = await d.store.listDecisions('ap-southeast-1', 500);
    expect(records).toHaveLength(100);
    expect(new Set(records.map((r) => r.eventId))).toEqual(new Set([event.id]));
    expect(records.filter((r) => r.outcome === 'started')).toHaveLength(1);
    expect(await executions(d, 'up')).toHaveLength(1);
  }, 270_000);

  it('a redelivered trigger whose execution already finished leaves no claim and holds no slot', async () => {
    const d = await deploy();
    // One elastic slot of two is taken: the one left is what a stuck claim would hold.
    await setStates(d, [...ALWAYS_ON.map(serving), serving('ap-south-1')]);
    const event = await alarmEvent(d, 'ap-southeast-1', 'up');
    expect(await decisionHandler(event)).toMatchObject({ outcome: 'started' });

    // The workflow ran and failed, rolling back; long enough ago that the failure backoff is over.
    const [execution] = await executions(d, 'up');
    await d.deps.sfn.send(new StopExecutionCommand({ executionArn: execution!.executionArn }));
    const failed = { region: 'ap-southeast-1', status: 'FAILED', consecutiveFailures: 1, lastTransitionAt: LONG_AGO };
    await setStates(d, [failed as Partial<RegionState> & { region: string }]);

    // EventBridge delivers the same event again, twice at the same moment, three times over.
    for (let round = 0; round < 3; round++) {
      const again = await Promise.all([decisionHandler(event), decisionHandler(event)]);
      for (const decision of again) expect(['duplicate', 'rejected']).toContain(decision.outcome);
      const state = await d.store.getRegionState('ap-southeast-1');
      expect({ round, ...state }).toMatchObject({ round, ...failed });
      expect(state.executionArn).toBeUndefined();
    }
    expect(await executions(d, 'up')).toHaveLength(1);
    // The slot is free: the next region's alarm takes it.
    expect(await decisionHandler(await alarmEvent(d, 'ap-northeast-1', 'up'))).toMatchObject({ outcome: 'started' });
  }, 180_000);

  it('regionctl up and an alarm racing for the last elastic slot: one of them gets it, through the claim', async () => {
    for (const lagMs of [0, 4, 8, 12]) {
      const d = await deploy();
      await setStates(d, [...ALWAYS_ON.map(serving), serving('ap-south-1')]);
      const event = await alarmEvent(d, 'ap-northeast-1', 'up');
      const env = regionctlEnv(d.config.prefix, new Date());
      const [code, decision] = await Promise.all([
        scaleUp(env, 'sa-east-1'),
        later(lagMs, () => decisionHandler(event)),
      ]);

      const started = await executions(d, 'up');
      expect({ lagMs, started: started.length }).toEqual({ lagMs, started: 1 });
      expect([code === EXIT.ok, decision.outcome === 'started']).toContain(true);
      expect(code === EXIT.ok).not.toBe(decision.outcome === 'started');
      if (code !== EXIT.ok) expect(env.out.errors.join('\n')).toMatch(/max-elastic/);
      else expect(decision).toMatchObject({ outcome: 'rejected', rule: 'max-elastic' });
      // The execution that started holds its claim: at most maxElasticActive elastic regions are claimed.
      const states = await d.store.getRegionStates(d.config.regions.elastic);
      const claimed = states.filter((s) => s.status === 'ACTIVE' || s.status === 'PROVISIONING');
      expect(claimed.length).toBeLessThanOrEqual(d.config.scaling.maxElasticActive);
      expect(states.find((s) => s.executionArn === started[0]!.executionArn)?.status).toBe('PROVISIONING');
    }
  }, 180_000);

  it('regionctl up --allow-over-max skips the slot check, but never races an alarm for the same region', async () => {
    for (const lagMs of [0, 4, 8]) {
      const d = await deploy();
      await setStates(d, [...ALWAYS_ON.map(serving), serving('ap-south-1')]);
      const event = await alarmEvent(d, 'sa-east-1', 'up');
      const env = regionctlEnv(d.config.prefix, new Date());
      const [code, decision] = await Promise.all([
        scaleUp(env, 'sa-east-1', { allowOverMax: true }),
        later(lagMs, () => decisionHandler(event)),
      ]);
      const started = await executions(d, 'up');
      expect({ lagMs, started: started.length }).toEqual({ lagMs, started: 1 });
      expect(code === EXIT.ok).not.toBe(decision.outcome === 'started');
      expect(await d.store.getRegionState('sa-east-1')).toMatchObject({
        status: 'PROVISIONING',
        executionArn: started[0]!.executionArn,
      });
    }
  }, 180_000);

  it("the reconciler's drift repair and an alarm's scale-down of the same region start one execution", async () => {
    for (const lagMs of [0, 5, 10]) {
      const d = await deploy();
      await setStates(d, [...ALWAYS_ON.map(serving), serving('ap-south-1')]);
      for (const region of ALWAYS_ON) await putLatencyRecordDirectly(d.config, region);
      // ap-south-1 is ACTIVE without its latency record (drift), and its scale-down alarm fires.
      const event = await alarmEvent(d, 'ap-south-1', 'down');
      const now = new Date();
      await Promise.all([reconcile(d.deps, now, now), later(lagMs, () => decisionHandler(event))]);

      const started = [...(await executions(d, 'up')), ...(await executions(d, 'down'))].filter((e) =>
        e.name.includes('-ap-south-1-'),
      );
      expect({ lagMs, started: started.length }).toEqual({ lagMs, started: 1 });
      const state = await d.store.getRegionState('ap-south-1');
      expect(state.executionArn).toBe(started[0]!.executionArn);
      expect(state.status).toBe(started[0]!.name.startsWith('up-') ? 'PROVISIONING' : 'DRAINING');
    }
  }, 180_000);
});
