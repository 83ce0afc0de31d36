import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONFIG_FILE_ENV } from '../../../functions/commons/bundled-files';
import { exampleConfig } from '../../support/config-fixtures';
import { setTaskEnvironment } from '../../support/lambda-context';
import { FakeControlPlane, SCALE_DOWN_ARN, SCALE_UP_ARN } from './fake-control-plane';

type Handler = (event: unknown, context: Context) => Promise<Record<string, unknown>>;

/** The parts of a CloudWatch alarm state change event that the tests change. */
interface AlarmEventFixture {
  id: string;
  source: string;
  resources: string[];
  detail: {
    alarmName: string;
    state: { value?: string; timestamp: string };
    configuration: { metrics: Array<{ metricStat: { metric: { dimensions: Record<string, string> } } }> };
  };
}

const fixture = (name: string): AlarmEventFixture =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../../fixtures/alarm-events/${name}.json`, import.meta.url)), 'utf8'));

/** The scale-up fixture re-aimed at another region (name, resources and metric dimension). */
function upAlarmFor(region: string): AlarmEventFixture {
  const event = fixture('scale-up-alarm');
  const name = `edgescale-scale-up-${region}`;
  event.detail.alarmName = name;
  event.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`];
  event.detail.configuration.metrics[0]!.metricStat.metric.dimensions.Region = region;
  return event;
}

// The fixtures' alarms changed state at 12:00 UTC; the Lambda runs a minute later.
const NOW = new Date('2026-11-21T12:01:00Z');
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();
const context = {
  functionName: 'edgescale-decision-handler',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:edgescale-decision-handler',
  memoryLimitInMB: '512',
  awsRequestId: 'c0ffee00-0000-4000-8000-000000000001',
  logGroupName: '/aws/lambda/edgescale-decision-handler',
  logStreamName: '2026/11/21/[$LATEST]0',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

let handler: Handler;
let logger: (typeof import('../../../functions/commons/observability'))['logger'];
let aws: FakeControlPlane;

beforeAll(async () => {
  setTaskEnvironment(exampleConfig(), { stateTableName: 'edgescale-region-state' });
  process.env.SCALE_UP_STATE_MACHINE_ARN = SCALE_UP_ARN;
  process.env.SCALE_DOWN_STATE_MACHINE_ARN = SCALE_DOWN_ARN;
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.AWS_REGION = 'us-east-1';
  ({ handler } = (await import('../../../functions/decide/decision-handler')) as unknown as { handler: Handler });
  ({ logger } = await import('../../../functions/commons/observability'));
});

beforeEach(() => {
  jest.useFakeTimers({
    now: NOW,
    doNotFake: [
      'setImmediate',
      'setTimeout',
      'setInterval',
      'clearTimeout',
      'clearInterval',
      'nextTick',
      'queueMicrotask',
    ],
  });
  aws = new FakeControlPlane();
  // The always-on regions serve, as after the first reconciler pass.
  for (const region of ['us-east-1', 'eu-west-1']) {
    aws.setState({ region, status: 'ACTIVE', activeSince: ago(10_000), lastTransitionAt: ago(10_000) });
  }
});

afterEach(() => {
  aws.restore();
  jest.useRealTimers();
  jest.restoreAllMocks();
});

afterAll(() => {
  for (const key of [CONFIG_FILE_ENV, 'STATE_TABLE_NAME', 'SCALE_UP_STATE_MACHINE_ARN', 'SCALE_DOWN_STATE_MACHINE_ARN'])
    delete process.env[key];
});

describe('decision Lambda', () => {
  it('starts the scale-up workflow for an elastic region whose scale-up alarm entered ALARM', async () => {
    const result = await handler(fixture('scale-up-alarm'), context);

    expect(result).toMatchObject({ outcome: 'started', region: 'ap-southeast-1' });
    expect(aws.started()).toHaveLength(1);
    const [execution] = aws.started();
    expect(execution!.stateMachineArn).toBe(SCALE_UP_ARN);
    expect(execution!.name).toMatch(/^up-ap-southeast-1-[0-9a-f]{16}$/);
    expect(JSON.parse(execution!.input)).toEqual({
      region: 'ap-southeast-1',
      reason: expect.stringContaining(
        'alarm edgescale-scale-up-ap-southeast-1 entered ALARM at 2026-11-21T12:00:40.989Z',
      ),
      requestedBy: 'alarm',
      requestedAt: '2026-11-21T12:00:40.989Z',
    });
    // The region holds its elastic slot (PROVISIONING, for that execution) before the workflow runs.
    expect(aws.state('ap-southeast-1')).toMatchObject({
      status: 'PROVISIONING',
      executionArn: execution!.executionArn,
      lastDecisionEventAt: '2026-11-21T12:00:40.989Z',
    });
    expect(aws.decisions()).toEqual([
      expect.objectContaining({
        region: 'ap-southeast-1',
        direction: 'up',
        source: 'alarm',
        outcome: 'started',
        executionArn: execution!.executionArn,
        reason: 'scale-up of ap-southeast-1 allowed (demand alarm); 1 of 2 elastic slots in use after it',
      }),
    ]);
  });

  it('starts the scale-down workflow for an elastic region past its minimum active time', async () => {
    aws.setState({ region: 'sa-east-1', status: 'ACTIVE', activeSince: ago(120), lastTransitionAt: ago(120) });
    const result = await handler(fixture('scale-down-alarm'), context);
    expect(result).toMatchObject({ outcome: 'started', region: 'sa-east-1' });
    expect(aws.started().map((e) => [e.stateMachineArn, e.name.slice(0, 15)])).toEqual([
      [SCALE_DOWN_ARN, 'down-sa-east-1-'],
    ]);
  });

  describe('guardrails: each one refuses, and lets through once its condition is gone', () => {
    type Case = {
      rule: string;
      event: () => AlarmEventFixture;
      refuse: () => void;
      allow: () => void;
      reason: RegExp;
    };
    const cases: Case[] = [
      {
        rule: 'always-on',
        event: () => upAlarmFor('eu-west-1'),
        refuse: () => aws.setState({ region: 'eu-west-1', status: 'INACTIVE' }),
        allow: () => undefined,
        reason: /eu-west-1 is an always-on region/,
      },
      {
        rule: 'paused',
        event: () => fixture('scale-up-alarm'),
        refuse: () => aws.setState({ region: 'ap-southeast-1', pausedUntil: '2026-11-21T13:00:00.000Z' }),
        allow: () => aws.setState({ region: 'ap-southeast-1', pausedUntil: '2026-11-21T11:00:00.000Z' }),
        reason: /paused until 2026-11-21T13:00:00.000Z/,
      },
      {
        rule: 'locked',
        event: () => fixture('scale-up-alarm'),
        refuse: () => aws.setLock('ap-southeast-1', 'arn:aws:states:us-east-1:123456789012:execution:x:y'),
        allow: () => undefined,
        reason: /another execution holds the lock of ap-southeast-1/,
      },
      {
        rule: 'execution-running',
        event: () => fixture('scale-up-alarm'),
        refuse: () => aws.runExecution(SCALE_DOWN_ARN, 'down-ap-southeast-1-manual-20261121T1150'),
        allow: () => aws.runExecution(SCALE_DOWN_ARN, 'down-ap-southeast-10-manual-20261121T1150'),
        reason: /a workflow is already working on ap-southeast-1/,
      },
      {
        rule: 'already-in-state',
        event: () => fixture('scale-up-alarm'),
        refuse: () => aws.setState({ region: 'ap-southeast-1', status: 'ACTIVE', activeSince: ago(300) }),
        allow: () => aws.setState({ region: 'ap-southeast-1', status: 'INACTIVE' }),
        reason: /already active/,
      },
      {
        rule: 'cooldown',
        event: () => fixture('scale-up-alarm'),
        refuse: () => aws.setState({ region: 'ap-southeast-1', lastTransitionAt: ago(12) }),
        allow: () => aws.setState({ region: 'ap-southeast-1', lastTransitionAt: ago(31) }),
        reason: /last transition of ap-southeast-1 12 min ago, cooldown is 30 min/,
      },
      {
        rule: 'min-active-time',
        event: () => fixture('scale-down-alarm'),
        refuse: () =>
          aws.setState({ region: 'sa-east-1', status: 'ACTIVE', activeSince: ago(45), lastTransitionAt: ago(45) }),
        allow: () =>
          aws.setState({ region: 'sa-east-1', status: 'ACTIVE', activeSince: ago(61), lastTransitionAt: ago(61) }),
        reason: /active for 45 min, minimum is 60 min/,
      },
      {
        rule: 'held',
        event: () => fixture('scale-down-alarm'),
        refuse: () =>
          aws.setState({
            region: 'sa-east-1',
            status: 'ACTIVE',
            activeSince: ago(500),
            holdUntil: '2026-11-22T00:00:00.000Z',
          }),
        allow: () => aws.setState({ region: 'sa-east-1', status: 'ACTIVE', activeSince: ago(500) }),
        reason: /held up until 2026-11-22T00:00:00.000Z/,
      },
      {
        rule: 'max-elastic',
        event: () => fixture('scale-up-alarm'),
        refuse: () => {
          aws.setState({ region: 'ap-south-1', status: 'ACTIVE', activeSince: ago(100) });
          aws.setState({ region: 'sa-east-1', status: 'PROVISIONING' });
        },
        allow: () => aws.setState({ region: 'ap-south-1', status: 'ACTIVE', activeSince: ago(100) }),
        reason: /2 of 2 elastic regions already active or provisioning/,
      },
      {
        rule: 'failed-backoff',
        event: () => fixture('scale-up-alarm'),
        refuse: () =>
          aws.setState({
            region: 'ap-southeast-1',
            status: 'FAILED',
            consecutiveFailures: 2,
            lastTransitionAt: ago(50),
          }),
        allow: () =>
          aws.setState({
            region: 'ap-southeast-1',
            status: 'FAILED',
            consecutiveFailures: 2,
            lastTransitionAt: ago(61),
          }),
        reason: /failed 2 time\(s\) in a row, last 50 min ago; next attempt after 60 min/,
      },
      {
        rule: 'failed-needs-operator',
        event: () => fixture('scale-up-alarm'),
        refuse: () =>
          aws.setState({
            region: 'ap-southeast-1',
            status: 'FAILED',
            consecutiveFailures: 3,
            lastTransitionAt: ago(900),
          }),
        allow: () =>
          aws.setState({
            region: 'ap-southeast-1',
            status: 'FAILED',
            consecutiveFailures: 1,
            lastTransitionAt: ago(900),
          }),
        reason: /left FAILED for an operator/,
      },
    ];

    it.each(cases.map((c) => [c.rule, c] as const))('%s', async (rule, c) => {
      const warn = jest.spyOn(logger, 'warn');
      c.refuse();
      const refused = await handler(c.event(), context);
      expect(refused).toMatchObject({ outcome: 'rejected', rule });
      expect(aws.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
      expect(aws.decisions()).toEqual([
        expect.objectContaining({ outcome: 'rejected', source: 'alarm', reason: expect.stringMatching(c.reason) }),
      ]);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(c.reason), expect.objectContaining({ rule }));

      if (rule === 'always-on') return; // no state makes it acceptable
      aws.items.clear();
      aws.executions.length = 0;
      aws.setState({ region: 'us-east-1', status: 'ACTIVE', activeSince: ago(10_000) });
      aws.setState({ region: 'eu-west-1', status: 'ACTIVE', activeSince: ago(10_000) });
      c.allow();
      const allowed = await handler(c.event(), context);
      expect(allowed).toMatchObject({ outcome: 'started' });
      expect(aws.sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
    });
  });

  it('drops a stale event: one older than the newest decision on the region', async () => {
    aws.setState({ region: 'ap-southeast-1', lastDecisionEventAt: '2026-11-21T12:00:50.000Z' });
    const result = await handler(fixture('scale-up-alarm'), context);
    expect(result).toMatchObject({ outcome: 'dropped', rule: 'stale-event' });
    expect(aws.started()).toHaveLength(0);
    expect(aws.state('ap-southeast-1')!.lastDecisionEventAt).toBe('2026-11-21T12:00:50.000Z');
    expect(aws.decisions()).toEqual([
      expect.objectContaining({ outcome: 'dropped', reason: expect.stringMatching(/^stale event/) }),
    ]);
  });

  it('moves the decision mark on a rejected event too, so an older event that arrives later is dropped', async () => {
    aws.setState({ region: 'ap-southeast-1', lastTransitionAt: ago(5) });
    expect(await handler(fixture('scale-up-alarm'), context)).toMatchObject({ rule: 'cooldown' });
    const older = fixture('scale-up-alarm');
    older.id = 'older-delivery';
    older.detail.state.timestamp = '2026-11-21T11:40:00.000+0000';
    expect(await handler(older, context)).toMatchObject({ outcome: 'dropped', rule: 'stale-event' });
  });

  it('records OK and INSUFFICIENT_DATA changes as ignored, starts nothing, and moves the decision mark', async () => {
    for (const name of ['scale-up-ok', 'scale-down-insufficient-data']) {
      const result = await handler(fixture(name), context);
      expect(result).toMatchObject({ outcome: 'ignored', reason: expect.stringMatching(/only a change into ALARM/) });
    }
    expect(aws.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(aws.decisions().map((d) => [d.region, d.outcome])).toEqual(
      expect.arrayContaining([
        ['ap-southeast-1', 'dropped'],
        ['ap-south-1', 'dropped'],
      ]),
    );
    expect(aws.state('ap-southeast-1')).toMatchObject({ lastDecisionEventAt: '2026-11-21T12:30:40.000Z' });
    expect(aws.state('ap-south-1')).toMatchObject({ lastDecisionEventAt: '2026-11-21T12:05:00.000Z' });
  });

  it('drops an ALARM delivered after an OK of the same alarm: the OK moved the decision mark', async () => {
    // The alarm is described as still in ALARM from that change, so only the mark can drop it.
    aws.setAlarm('edgescale-scale-up-ap-southeast-1', 'ALARM', '2026-11-21T12:00:40.989Z');
    expect(await handler(fixture('scale-up-ok'), context)).toMatchObject({ outcome: 'ignored' });
    const late = await handler(fixture('scale-up-alarm'), context);
    expect(late).toMatchObject({ outcome: 'dropped', rule: 'stale-event' });
    expect(aws.started()).toHaveLength(0);
    expect(aws.state('ap-southeast-1')).toMatchObject({ status: 'INACTIVE' });
  });

  describe('acts only on an alarm that still is in ALARM from the change its event reports', () => {
    it('drops a delayed ALARM whose alarm went back to OK, and says so in the decision record', async () => {
      aws.setAlarm('edgescale-scale-up-ap-southeast-1', 'OK', '2026-11-21T12:30:40.000Z');
      jest.setSystemTime(new Date('2026-11-21T14:00:40.989Z')); // EventBridge delivered it 2 h late
      const result = await handler(fixture('scale-up-alarm'), context);
      const reason =
        'stale event: alarm edgescale-scale-up-ap-southeast-1 is OK since 2026-11-21T12:30:40.000Z, no longer in ALARM as this event of 2026-11-21T12:00:40.989Z says (delivered 2 h after it)';
      expect(result).toEqual({ outcome: 'dropped', region: 'ap-southeast-1', rule: 'stale-event', reason });
      expect(aws.started()).toHaveLength(0);
      expect(aws.decisions()).toEqual([
        expect.objectContaining({ region: 'ap-southeast-1', source: 'alarm', outcome: 'dropped', reason }),
      ]);
      // Nothing was claimed: the region keeps its status and its slot stays free.
      expect(aws.state('ap-southeast-1')).toBeUndefined();
    });

    it('drops an ALARM event when its alarm changed state again after it (the newer change decides)', async () => {
      aws.setAlarm('edgescale-scale-up-ap-southeast-1', 'ALARM', '2026-11-21T12:20:00.000Z');
      const result = await handler(fixture('scale-up-alarm'), context);
      expect(result).toMatchObject({
        outcome: 'dropped',
        rule: 'stale-event',
        reason: expect.stringContaining('changed state again after this event of 2026-11-21T12:00:40.989Z'),
      });
      expect(aws.started()).toHaveLength(0);
    });

    it('drops an ALARM event of an alarm that no longer exists', async () => {
      aws.cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
      expect(await handler(fixture('scale-up-alarm'), context)).toMatchObject({
        outcome: 'dropped',
        reason: expect.stringContaining('alarm edgescale-scale-up-ap-southeast-1 no longer exists'),
      });
      expect(aws.started()).toHaveLength(0);
    });

    it('acts on a late event whose alarm is still in ALARM from that very change', async () => {
      aws.setAlarm('edgescale-scale-up-ap-southeast-1', 'ALARM', '2026-11-21T12:00:40.989Z');
      jest.setSystemTime(new Date('2026-11-21T15:00:00Z'));
      expect(await handler(fixture('scale-up-alarm'), context)).toMatchObject({ outcome: 'started' });
      expect(aws.cloudWatch.commandCalls(DescribeAlarmsCommand)[0]!.args[0].input).toMatchObject({
        AlarmNames: ['edgescale-scale-up-ap-southeast-1'],
      });
    });
  });

  it('refuses an alarm for a region in neither list without any write or read for it', async () => {
    const warn = jest.spyOn(logger, 'warn');
    const alarm = upAlarmFor('eu-central-1');
    expect(await handler(alarm, context)).toMatchObject({
      outcome: 'rejected',
      region: 'eu-central-1',
      rule: 'not-approved',
      reason: expect.stringMatching(/eu-central-1 is in neither regions.alwaysOn nor regions.elastic/),
    });
    const ok = upAlarmFor('eu-central-1');
    ok.detail.state = { value: 'OK', timestamp: '2026-11-21T12:30:00.000+0000' };
    expect(await handler(ok, context)).toMatchObject({ outcome: 'rejected', rule: 'not-approved' });

    expect(aws.regionItems('eu-central-1')).toEqual([]);
    expect(aws.mutations()).toBe(0);
    expect(aws.cloudWatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/eu-central-1 is in neither/),
      expect.objectContaining({ rule: 'not-approved' }),
    );
  });

  it('starts one execution when the same event is delivered twice', async () => {
    const first = await handler(fixture('scale-up-alarm'), context);
    const second = await handler(fixture('scale-up-alarm'), context);
    expect(first).toMatchObject({ outcome: 'started' });
    expect(second).toMatchObject({ outcome: 'rejected', rule: 'execution-running' });
    expect(aws.started()).toHaveLength(1);
  });

  it('starts one execution when the same event is delivered twice at the same moment', async () => {
    const results = await Promise.all([
      handler(fixture('scale-up-alarm'), context),
      handler(fixture('scale-up-alarm'), context),
    ]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['rejected', 'started']);
    expect(aws.started()).toHaveLength(1);
  });

  it('starts one scale-down when the same event is delivered twice at the same moment', async () => {
    aws.setState({ region: 'sa-east-1', status: 'ACTIVE', activeSince: ago(120), lastTransitionAt: ago(120) });
    const results = await Promise.all([
      handler(fixture('scale-down-alarm'), context),
      handler(fixture('scale-down-alarm'), context),
    ]);
    // The first decision claims the region (DRAINING) and starts; the second, deciding again after
    // its claim failed, sees the claim or the running execution and refuses.
    expect(results.map((r) => r.outcome).sort()).toEqual(['rejected', 'started']);
    const refusal = results.find((r) => r.outcome === 'rejected') as { rule?: string };
    expect(['already-in-state', 'execution-running']).toContain(refusal.rule);
    expect(aws.started()).toHaveLength(1);
  });

  it('answers a redelivery of an event whose execution already finished as a duplicate, starting nothing', async () => {
    const first = await handler(fixture('scale-up-alarm'), context);
    // The workflow failed and rolled back at once; the cooldown/backoff would refuse, so make it
    // long past, and let EventBridge deliver the same event again.
    aws.started()[0]!.status = 'FAILED';
    aws.setState({ region: 'ap-southeast-1', status: 'FAILED', consecutiveFailures: 1, lastTransitionAt: ago(120) });
    const again = await handler(fixture('scale-up-alarm'), context);
    expect(again).toMatchObject({ outcome: 'duplicate', executionArn: first.executionArn });
    expect(aws.started()).toHaveLength(1);
    // Its claim is given back: the region is FAILED again, holding no elastic slot.
    expect(aws.state('ap-southeast-1')).toMatchObject({ status: 'FAILED', consecutiveFailures: 1 });
    expect(aws.state('ap-southeast-1')!.executionArn).toBeUndefined();
  });

  it('lets only one of two elastic regions decided at the same moment take the last slot', async () => {
    aws.setState({ region: 'ap-south-1', status: 'ACTIVE', activeSince: ago(300) });
    const results = await Promise.all([
      handler(upAlarmFor('ap-southeast-1'), context),
      handler(upAlarmFor('ap-northeast-1'), context),
    ]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['rejected', 'started']);
    expect(results.find((r) => r.outcome === 'rejected')).toMatchObject({ rule: 'max-elastic' });
    expect(aws.started()).toHaveLength(1);
    const provisioning = ['ap-southeast-1', 'ap-northeast-1'].filter((r) => aws.state(r)?.status === 'PROVISIONING');
    expect(provisioning).toHaveLength(1);
  });

  it('gives the slot back when StartExecution fails', async () => {
    aws.sfn
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(handler(fixture('scale-up-alarm'), context)).rejects.toThrow('Rate exceeded');
    expect(aws.state('ap-southeast-1')).toMatchObject({ status: 'INACTIVE' });
    expect(aws.state('ap-southeast-1')!.executionArn).toBeUndefined();
  });

  it('rejects a malformed event with a clear log line and changes nothing', async () => {
    const error = jest.spyOn(logger, 'error');
    await expect(handler(fixture('malformed-state'), context)).rejects.toThrow(
      /input\.detail\.state\.value = missing.*input\.detail\.state\.timestamp = "yesterday": is not a timestamp/,
    );
    expect(error).toHaveBeenCalledWith(
      'Rejected malformed input',
      expect.objectContaining({ problems: expect.any(Array) }),
    );
    expect(aws.mutations()).toBe(0);
  });

  it('rejects an event that is not a CloudWatch alarm state change, naming the field', async () => {
    const event = fixture('scale-up-alarm');
    event.source = 'aws.ec2';
    await expect(handler(event, context)).rejects.toThrow(/input\.source = "aws\.ec2": must be "aws\.cloudwatch"/);
    expect(aws.mutations()).toBe(0);
  });

  it('ignores an alarm that is not one of its scaling alarms, or whose metric disagrees with its name', async () => {
    const error = jest.spyOn(logger, 'error');
    expect(await handler(fixture('foreign-alarm'), context)).toMatchObject({
      outcome: 'ignored',
      reason: expect.stringContaining('billing-too-high is not a scaling alarm of "edgescale"'),
    });
    const mismatched = fixture('scale-up-alarm');
    mismatched.detail.configuration.metrics[0]!.metricStat.metric.dimensions.Region = 'sa-east-1';
    expect(await handler(mismatched, context)).toMatchObject({
      outcome: 'ignored',
      reason: expect.stringContaining('watches Region=sa-east-1, but its name says ap-southeast-1'),
    });
    expect(error).toHaveBeenCalledTimes(2);
    expect(aws.mutations()).toBe(0);
  });
});
