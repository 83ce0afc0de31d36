/**
 * The reconciler's forecast against the emulator: days of ActiveUsers (and measured lead times)
 * published with PutMetricData, read back with GetMetricData (one request per pass), and what the
 * reconciler starts from them: a scale-up before the alarm could fire (the bundled reconciler, as
 * it deploys), a record only in forecast-only mode, the scale-down of the weakest elastic region
 * for a stronger one (demand-ranked slots), and the end of a WARM region's stay.
 *
 * Each test has its own home region, where its metrics live: moto's GetMetricData goes over every
 * datapoint of the region's CloudWatch, and other suites publish ActiveUsers for the same regions.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  CloudWatchClient,
  PutMetricDataCommand,
  SetAlarmStateCommand,
  type MetricDatum,
} from '@aws-sdk/client-cloudwatch';
import { DescribeExecutionCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resetClients } from '../../../functions/commons/aws-clients';
import { CONFIG_FILE_ENV } from '../../../functions/commons/bundled-files';
import { logger } from '../../../functions/commons/observability';
import { ENV } from '../../../functions/commons/runtime';
import { evaluateAlarm, evaluationRangeLength } from '../../../functions/domain/alarm-evaluation';
import { demandAlarmsFor } from '../../../functions/domain/alarm-policy';
import type { AutoscalerConfig, AutoscalerConfigInput } from '../../../functions/domain/config';
import { DEMAND_METRIC_NAME, DEMAND_NAMESPACE } from '../../../functions/domain/demand-metric';
import {
  AUTOSCALER_NAMESPACE,
  REGION_DIMENSION,
  SCALE_UP_LEAD_TIME_METRIC,
  SERVICE_DIMENSION,
  SERVICE_NAME,
} from '../../../functions/domain/metric-names';
import { scaleDownAlarmName } from '../../../functions/domain/naming';
import { reconcile, type ReconcileAction } from '../../../functions/reconcile/reconciler';
import { createScalingAlarms, scalingAlarms } from '../../../sandbox/emulated-automation';
import { startAwsFaultProxy } from '../../../sandbox/aws-proxy';
import { uniquePrefix } from '../../support/control-stack-fixture';
import { loadBundledLambda } from '../../support/deployed-lambdas';
import { lambdaContext } from '../../support/lambda-context';
import { describeWithMoto, motoEndpoint, useEmulator } from '../../support/moto';
import {
  deployReconciler,
  executionNames,
  markServing,
  regionState,
  type EmulatedReconcileDeps,
} from '../../support/reconciler-fixture';

const STEP_MS = 300_000;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** Scale-up threshold of ap-southeast-1 in the example configuration. */
const THRESHOLD = 500;

/** `at` on the grid of 5-minute periods. */
const period = (at: number) => Math.floor(at / STEP_MS) * STEP_MS;

/** 900 users for two hours from `riseAt`'s time of day, every day; 100 users otherwise. */
function dailyRiseAt(riseAt: number): (at: number) => number {
  return (at) => ((((at - riseAt) % DAY_MS) + DAY_MS) % DAY_MS < 2 * 3_600_000 ? 900 : 100);
}

/**
 * Each test's `mutate` gives it a home region no other suite uses: the demand metrics share one
 * namespace, so two suites publishing in one region of the shared moto would read each other's users.
 */
async function deploy(base: string, mutate: (raw: AutoscalerConfigInput) => void) {
  return deployReconciler(uniquePrefix(base), undefined, (raw) => {
    // Three days are enough for these histories and keep moto's GetMetricData quick.
    raw.forecast = { ...raw.forecast, historyDays: 3 };
    mutate(raw);
  });
}

/** PutMetricData into the home region, 20 datums a call (moto cannot read the SDK's compressed bodies). */
async function publish(config: AutoscalerConfig, namespace: string, data: MetricDatum[]): Promise<void> {
  const cloudWatch = new CloudWatchClient({ region: config.homeRegion, disableRequestCompression: true });
  for (let i = 0; i < data.length; i += 20) {
    await cloudWatch.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: data.slice(i, i + 20) }));
  }
}

/** ActiveUsers of `region` every 5 minutes from `fromMs` to `toMs` (included). */
async function publishUsers(
  config: AutoscalerConfig,
  region: string,
  fromMs: number,
  toMs: number,
  users: (at: number) => number,
): Promise<void> {
  const data: MetricDatum[] = [];
  for (let at = period(fromMs); at <= toMs; at += STEP_MS) {
    data.push({
      MetricName: DEMAND_METRIC_NAME,
      Dimensions: [{ Name: 'Region', Value: region }],
      Timestamp: new Date(at),
      Value: users(at),
      Unit: 'Count',
    });
  }
  await publish(config, DEMAND_NAMESPACE, data);
}

async function executionInput(deps: EmulatedReconcileDeps, machine: 'up' | 'down', name: string): Promise<unknown> {
  const { executions = [] } = await deps.sfn.send(
    new ListExecutionsCommand({ stateMachineArn: deps.machines[machine] }),
  );
  const execution = executions.find((e) => e.name === name);
  const { input } = await deps.sfn.send(new DescribeExecutionCommand({ executionArn: execution!.executionArn }));
  return JSON.parse(input!);
}

const pairs = (actions: ReconcileAction[]) => actions.map((a) => [a.region, a.action]);

describeWithMoto('the reconciler forecast against the emulator', () => {
  beforeAll(async () => {
    await useEmulator();
    logger.setLogLevel('SILENT');
  });
  afterAll(() => resetClients());

  it('starts a scale-up before the alarm could, sized by the measured lead time, with one GetMetricData request per pass, whatever the scale-down alarm of the down region says (bundled reconciler)', async () => {
    const region = 'ap-southeast-1';
    const { config, deps } = await deploy('fcstup', (raw) => void (raw.homeRegion = 'us-east-2'));
    await markServing(deps, config.regions.alwaysOn);
    const nowMs = Date.now();
    const tick = period(nowMs);
    // Every day the demand rises past the threshold 25 minutes after this tick's time of day.
    const riseAt = tick + 25 * MINUTE_MS;
    const users = dailyRiseAt(riseAt);
    await publishUsers(config, region, nowMs - 2.5 * DAY_MS, nowMs, users);
    // Three cold scale-ups measured: 1100, 1150 and 1200 s (p90: 1200 s, where 900 s are configured).
    await publish(
      config,
      AUTOSCALER_NAMESPACE,
      [1100, 1150, 1200].map((seconds, i) => ({
        MetricName: SCALE_UP_LEAD_TIME_METRIC,
        Dimensions: [
          { Name: SERVICE_DIMENSION, Value: SERVICE_NAME },
          { Name: REGION_DIMENSION, Value: region },
        ],
        Timestamp: new Date(nowMs - (i + 1) * 0.6 * DAY_MS),
        Value: seconds,
        Unit: 'Seconds',
      })),
    );

    // The scale-up alarm, evaluated on the demand published so far, is nowhere near ALARM.
    const alarm = demandAlarmsFor(config, region).scaleUp;
    const range = Array.from({ length: evaluationRangeLength(alarm.evaluationPeriods) }, (_, i) => {
      const minute = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS - i * MINUTE_MS;
      return minute % STEP_MS === 0 ? users(minute) : null;
    }).reverse();
    expect(evaluateAlarm(alarm, range, 'OK')).not.toBe('ALARM');
    expect(Math.max(...range.filter((v): v is number => v !== null))).toBeLessThan(THRESHOLD);

    // Its demand is low now, so the scale-down alarm of the INACTIVE region is in ALARM: that asks
    // nothing of a region that is down, and must not keep the forecast from acting on it.
    await createScalingAlarms(config, scalingAlarms(config));
    await new CloudWatchClient({ region: config.homeRegion }).send(
      new SetAlarmStateCommand({
        AlarmName: scaleDownAlarmName(config.prefix, region),
        StateValue: 'ALARM',
        StateReason: 'test: fewer users than the scale-down threshold',
      }),
    );

    // The bundled reconciler, its SDK clients sent through a proxy that counts the requests.
    const proxy = await startAwsFaultProxy(motoEndpoint());
    const configFile = join(tmpdir(), `forecast-config-${process.pid}.json`);
    writeFileSync(configFile, JSON.stringify(config));
    const environment: Record<string, string> = {
      AWS_ENDPOINT_URL: proxy.endpoint,
      [CONFIG_FILE_ENV]: configFile,
      [ENV.stateTable]: deps.tableName,
      [ENV.topic]: deps.topicArn,
      [ENV.scaleUp]: deps.machines.up,
      [ENV.scaleDown]: deps.machines.down,
      [ENV.edgeRollout]: deps.maintenanceMachines.edgeRollout!,
      [ENV.clusterUpgrade]: deps.maintenanceMachines.clusterUpgrade!,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    const saved = Object.fromEntries(Object.keys(environment).map((k) => [k, process.env[k]]));
    Object.assign(process.env, environment);
    try {
      const handler = await loadBundledLambda('reconcile');
      const event = { source: 'aws.events', 'detail-type': 'Scheduled Event', time: new Date(tick).toISOString() };
      const { actions } = (await handler(event, lambdaContext('reconcile'))) as { actions: ReconcileAction[] };

      // (The always-on regions may also get the edge rollout the bundle's configuration asks for.)
      const crossing = new Date(period(riseAt)).toISOString();
      expect(actions.filter((a) => config.regions.elastic.includes(a.region))).toEqual([
        {
          region,
          action: 'scale-up-started',
          detail: expect.stringMatching(
            new RegExp(`pre-warm: forecast crosses 500 users at ${crossing} .*a cold scale-up takes 20 min`),
          ),
        },
      ]);
      expect(proxy.calls({ service: 'monitoring', operation: 'GetMetricData' })).toBe(1);
      const trigger = `reconcile-${new Date(tick).toISOString().slice(0, 16).replace(/[-:]/g, '')}`;
      expect(await executionNames(deps, 'up')).toEqual([`up-${region}-${trigger}`]);
      expect(await executionInput(deps, 'up', `up-${region}-${trigger}`)).toEqual({
        region,
        reason: expect.stringContaining(`forecast crosses 500 users at ${crossing}`),
        requestedBy: 'reconciler',
        requestedAt: new Date(tick).toISOString(),
      });

      // The same tick again: one more request, nothing more started.
      await handler(event, lambdaContext('reconcile'));
      expect(proxy.calls({ service: 'monitoring', operation: 'GetMetricData' })).toBe(2);
      expect(await executionNames(deps, 'up')).toHaveLength(1);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      process.env.AWS_ENDPOINT_URL = motoEndpoint();
      await proxy.close();
    }
  }, 180_000);

  it('in forecast-only mode records what the forecast would have done and starts nothing; nothing before 24 h of history', async () => {
    const { config, deps } = await deploy('fcstonly', (raw) => {
      raw.homeRegion = 'eu-south-1';
      raw.forecast = { historyDays: 3, mode: 'forecast-only' };
    });
    await markServing(deps, config.regions.alwaysOn);
    const nowMs = Date.now();
    const tick = period(nowMs);
    const rise = dailyRiseAt(tick + 10 * MINUTE_MS);
    await publishUsers(config, 'ap-southeast-1', nowMs - 2.5 * DAY_MS, nowMs, rise);
    // sa-east-1 (threshold 300) has the same rise coming, but only 20 hours of history.
    await publishUsers(config, 'sa-east-1', nowMs - 20 * 3_600_000, nowMs, rise);

    const actions = await reconcile(deps, new Date(tick), new Date(nowMs));
    expect(pairs(actions)).toEqual([['ap-southeast-1', 'forecast-recorded']]);
    expect(actions[0]!.detail).toMatch(
      /^forecast-only: would have started the scale-up of ap-southeast-1 \(reconciler: pre-warm: forecast crosses 500 users at /,
    );
    expect(await executionNames(deps, 'up')).toEqual([]);
    const [decision] = await deps.store.listDecisions('ap-southeast-1');
    expect(decision).toMatchObject({ source: 'reconciler', direction: 'up', outcome: 'forecast-only' });
    expect(await deps.store.listDecisions('sa-east-1')).toEqual([]);
  }, 120_000);

  it('scales the weakest serving elastic region down for one whose forecast is more than twice its demand, then starts that one', async () => {
    const { config, deps } = await deploy('fcstswap', (raw) => void (raw.homeRegion = 'eu-west-3'));
    // ap-northeast-1 and ap-south-1 hold both elastic slots, with 120 and 400 users now.
    await markServing(deps, [...config.regions.alwaysOn, 'ap-northeast-1', 'ap-south-1']);
    const nowMs = Date.now();
    const tick = period(nowMs);
    await publishUsers(config, 'ap-northeast-1', nowMs - 30 * MINUTE_MS, nowMs, () => 120);
    await publishUsers(config, 'ap-south-1', nowMs - 30 * MINUTE_MS, nowMs, () => 400);
    // ap-southeast-1 has 100 users now, 900 forecast by the time it could serve.
    await publishUsers(config, 'ap-southeast-1', nowMs - 2.5 * DAY_MS, nowMs, dailyRiseAt(tick + 10 * MINUTE_MS));

    const actions = await reconcile(deps, new Date(tick), new Date(nowMs));
    expect(pairs(actions)).toEqual([
      ['ap-southeast-1', 'rejected'],
      ['ap-northeast-1', 'scale-down-started'],
      ['ap-southeast-1', 'scale-up-started'],
    ]);
    expect(actions[0]!.detail).toMatch(/^max-elastic: /);
    expect(actions[1]!.detail).toMatch(
      /^reconciler: demand-ranked slots: ap-southeast-1 has 900 users, more than 2 x the 120 of ap-northeast-1/,
    );
    const trigger = `reconcile-${new Date(tick).toISOString().slice(0, 16).replace(/[-:]/g, '')}`;
    expect(await executionNames(deps, 'down')).toEqual([`down-ap-northeast-1-${trigger}`]);
    expect(await executionNames(deps, 'up')).toEqual([`up-ap-southeast-1-${trigger}`]);
  }, 120_000);

  it('scales a WARM region kept warm.keepHours down to INACTIVE, and leaves a younger one WARM despite its scale-down alarm', async () => {
    const { config, deps } = await deploy('fcstwarm', (raw) => {
      raw.homeRegion = 'ap-southeast-2';
      raw.warm = { regions: ['sa-east-1', 'ap-south-1'], keepHours: 6 };
    });
    await markServing(deps, config.regions.alwaysOn);
    const nowMs = Date.now();
    const tick = period(nowMs);
    const hoursAgo = (h: number) => new Date(nowMs - h * 3_600_000).toISOString();
    await deps.store.putRegionState(regionState('sa-east-1', 'WARM', hoursAgo(7), { warmSince: hoursAgo(7) }));
    await deps.store.putRegionState(regionState('ap-south-1', 'WARM', hoursAgo(2), { warmSince: hoursAgo(2) }));
    // ap-south-1's demand stays low: its scale-down alarm is in ALARM, as after every scale-down.
    await createScalingAlarms(config, scalingAlarms(config));
    await new CloudWatchClient({ region: config.homeRegion }).send(
      new SetAlarmStateCommand({
        AlarmName: scaleDownAlarmName(config.prefix, 'ap-south-1'),
        StateValue: 'ALARM',
        StateReason: 'test: fewer users than the scale-down threshold',
      }),
    );

    const actions = await reconcile(deps, new Date(tick), new Date(nowMs));
    expect(actions).toEqual([
      {
        region: 'sa-east-1',
        action: 'scale-down-started',
        detail: `reconciler: warm expiry: sa-east-1 has been WARM since ${hoursAgo(7)}, longer than warm.keepHours (6 h); scaling it down to INACTIVE`,
      },
    ]);
    const trigger = `reconcile-${new Date(tick).toISOString().slice(0, 16).replace(/[-:]/g, '')}`;
    expect(await executionNames(deps, 'down')).toEqual([`down-sa-east-1-${trigger}`]);
    expect(await executionInput(deps, 'down', `down-sa-east-1-${trigger}`)).toMatchObject({
      region: 'sa-east-1',
      target: 'INACTIVE',
      requestedBy: 'reconciler',
    });
  }, 120_000);
});
