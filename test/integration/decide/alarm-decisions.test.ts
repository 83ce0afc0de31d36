/**
 * The decision Lambda against the emulator: the scaling alarms are real CloudWatch alarms in moto
 * (PutMetricAlarm, SetAlarmState), read back with DescribeAlarms as the Lambda does, and each event
 * carries the alarm's own state timestamp, as CloudWatch's events do. The state table and the
 * workflows (trivial Pass machines) are moto's too. Unique prefix: other suites share moto.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StateStore } from '../../../functions/adapters/state-store';
import { documentClient, resetClients } from '../../../functions/commons/aws-clients';
import { ENV } from '../../../functions/commons/runtime';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import { DEMAND_DIMENSION, DEMAND_METRIC_NAME, DEMAND_NAMESPACE } from '../../../functions/domain/demand-metric';
import { scaleUpAlarmName } from '../../../functions/domain/naming';
import { exampleConfig } from '../../support/config-fixtures';
import { deployControlStack, uniquePrefix, type EmulatedControlStack } from '../../support/control-stack-fixture';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';
import { describeWithMoto, useEmulator } from '../../support/moto';

type Handler = (event: unknown) => Promise<Record<string, unknown>>;
type AlarmValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

const HOME = 'us-east-1';
const UNAPPROVED = 'eu-central-1';
/** Another region in neither list, for the task Lambdas (so that each test sees only its own writes). */
const UNAPPROVED_TASK_REGION = 'eu-north-1';
const cloudWatch = () => new CloudWatchClient({ region: HOME, maxAttempts: 1 });

let stack: EmulatedControlStack;
let config: AutoscalerConfig;
let store: StateStore;
let decide: Handler;
let regionTask: Handler;

async function createAlarm(region: string): Promise<string> {
  const alarmName = scaleUpAlarmName(config.prefix, region);
  await cloudWatch().send(
    new PutMetricAlarmCommand({
      AlarmName: alarmName,
      Namespace: DEMAND_NAMESPACE,
      MetricName: DEMAND_METRIC_NAME,
      Dimensions: [{ Name: DEMAND_DIMENSION, Value: region }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
      Threshold: 500,
      ComparisonOperator: 'GreaterThanThreshold',
    }),
  );
  return alarmName;
}

/**
 * Changes the alarm's state in the emulator and returns the event CloudWatch sends for that change:
 * the fixture re-aimed at the alarm, stamped with the alarm's own state timestamp.
 */
async function changeAlarm(alarmName: string, region: string, value: AlarmValue) {
  await cloudWatch().send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: value, StateReason: value }));
  const { MetricAlarms = [] } = await cloudWatch().send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] }));
  const changedAt = MetricAlarms[0]!.StateUpdatedTimestamp!;
  const event = JSON.parse(
    readFileSync(fileURLToPath(new URL('../../fixtures/alarm-events/scale-up-alarm.json', import.meta.url)), 'utf8'),
  );
  event.id = `${alarmName}-${value}-${changedAt.getTime()}`;
  event.time = changedAt.toISOString();
  event.resources = [`arn:aws:cloudwatch:${HOME}:123456789012:alarm:${alarmName}`];
  event.detail.alarmName = alarmName;
  event.detail.state = { value, reason: value, timestamp: changedAt.toISOString().replace('Z', '+0000') };
  event.detail.configuration.metrics[0].metricStat.metric.dimensions = { [DEMAND_DIMENSION]: region };
  return { event, changedAt };
}

async function startedExecutions(): Promise<string[]> {
  const sfn = new SFNClient({ region: HOME, maxAttempts: 1 });
  const { executions = [] } = await sfn.send(
    new ListExecutionsCommand({ stateMachineArn: stack.scaleUpStateMachineArn }),
  );
  return executions.map((e) => e.name!);
}

async function itemsOf(region: string) {
  const { Items = [] } = await documentClient(HOME).send(
    new QueryCommand({
      TableName: stack.stateTableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `region#${region}` },
      ConsistentRead: true,
    }),
  );
  return Items;
}

describeWithMoto('decision Lambda against the emulator: current alarm state, decision mark, unapproved regions', () => {
  beforeAll(async () => {
    await useEmulator();
    stack = await deployControlStack(exampleConfig((raw) => void (raw.prefix = uniquePrefix('alarmdec'))));
    config = stack.config;
    const { TopicArn } = await new SNSClient({ region: HOME, maxAttempts: 1 }).send(
      new CreateTopicCommand({ Name: `${config.prefix}-notifications` }),
    );
    setTaskEnvironment(config, { stateTableName: stack.stateTableName, notificationTopicArn: TopicArn });
    process.env[ENV.scaleUp] = stack.scaleUpStateMachineArn;
    process.env[ENV.scaleDown] = stack.scaleDownStateMachineArn;
    store = new StateStore(documentClient(HOME), stack.stateTableName);
    const handlerOf = async (module: Promise<{ handler: unknown }>) => {
      const handler = (await module).handler as (event: unknown, context: unknown) => Promise<Record<string, unknown>>;
      return (event: unknown) => handler(event, lambdaContext());
    };
    decide = await handlerOf(import('../../../functions/decide/decision-handler'));
    regionTask = await handlerOf(import('../../../functions/tasks/region-task'));
  });
  afterAll(() => {
    delete process.env[ENV.scaleUp];
    delete process.env[ENV.scaleDown];
    resetClients();
  });

  it('drops an ALARM delivered after its alarm went back to OK, naming the current state in the decision record', async () => {
    const region = 'ap-southeast-1';
    const alarmName = await createAlarm(region);
    const { event: delayed } = await changeAlarm(alarmName, region, 'ALARM');
    const { changedAt: okAt } = await changeAlarm(alarmName, region, 'OK');

    const result = await decide(delayed);

    expect(result).toMatchObject({ outcome: 'dropped', rule: 'stale-event' });
    const [decision] = await store.listDecisions(region, 5);
    expect(decision).toMatchObject({
      outcome: 'dropped',
      source: 'alarm',
      reason: expect.stringContaining(`alarm ${alarmName} is OK since ${okAt.toISOString()}, no longer in ALARM`),
    });
    expect(await startedExecutions()).toEqual([]);
    expect((await store.getRegionState(region)).status).toBe('INACTIVE');

    // The same alarm entering ALARM again, delivered on time, is acted on.
    const { event: fresh } = await changeAlarm(alarmName, region, 'ALARM');
    expect(await decide(fresh)).toMatchObject({ outcome: 'started', region });
    expect(await startedExecutions()).toHaveLength(1);
    expect((await store.getRegionState(region)).status).toBe('PROVISIONING');
  });

  it('moves the decision mark on an OK event, so the older ALARM delivered after it is dropped', async () => {
    const region = 'ap-northeast-1';
    const alarmName = await createAlarm(region);
    const { event: alarmEvent } = await changeAlarm(alarmName, region, 'ALARM');
    const { event: okEvent, changedAt: okAt } = await changeAlarm(alarmName, region, 'OK');

    expect(await decide(okEvent)).toMatchObject({ outcome: 'ignored', region });
    expect((await store.getRegionState(region)).lastDecisionEventAt).toBe(okAt.toISOString());
    expect(await decide(alarmEvent)).toMatchObject({ outcome: 'dropped', rule: 'stale-event' });
    expect((await store.getRegionState(region)).status).toBe('INACTIVE');
  });

  describe('writes nothing for a region in neither list', () => {
    it('the decision Lambda refuses its ALARM and OK events with no state item, mark or decision record', async () => {
      const alarmName = await createAlarm(UNAPPROVED);
      const { event: alarmEvent } = await changeAlarm(alarmName, UNAPPROVED, 'ALARM');
      const { event: okEvent } = await changeAlarm(alarmName, UNAPPROVED, 'OK');

      for (const event of [alarmEvent, okEvent]) {
        expect(await decide(event)).toMatchObject({ outcome: 'rejected', region: UNAPPROVED, rule: 'not-approved' });
      }
      expect(await itemsOf(UNAPPROVED)).toEqual([]);
      expect(await startedExecutions()).not.toContainEqual(expect.stringContaining(UNAPPROVED));
    });

    it('the region task refuses failScaling and notifies a refusal without writing for it', async () => {
      const owner = `${stack.scaleUpStateMachineArn.replace(':stateMachine:', ':execution:')}:up-${UNAPPROVED_TASK_REGION}-x`;
      await expect(
        regionTask({
          action: 'failScaling',
          region: UNAPPROVED_TASK_REGION,
          owner,
          direction: 'up',
          error: { Error: 'States.TaskFailed', Cause: 'boom' },
        }),
      ).rejects.toMatchObject({ name: 'InvalidRequestError', message: expect.stringContaining('not approved') });
      expect(
        await regionTask({
          action: 'notifyRefusal',
          request: { region: UNAPPROVED_TASK_REGION, reason: 'test', requestedBy: 'operator' },
          direction: 'up',
          owner,
          error: { Error: 'InvalidRequestError', Cause: `Region ${UNAPPROVED_TASK_REGION} is not approved` },
        }),
      ).toEqual({ notified: true });
      expect(await itemsOf(UNAPPROVED_TASK_REGION)).toEqual([]);
    });
  });
});
