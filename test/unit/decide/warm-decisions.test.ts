/**
 * The decision path of the warm standby tier, on a configuration with warm regions: a decision
 * claims a WARM region for a scale-up (PROVISIONING towards ACTIVE, from WARM), an ACTIVE warm
 * region for a scale-down that keeps it WARM, gives a WARM region back as WARM, and a warm-up in
 * progress holds no elastic slot in the claim's condition.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exampleConfig } from '../../support/config-fixtures';
import { setTaskEnvironment } from '../../support/lambda-context';
import { FakeControlPlane, SCALE_DOWN_ARN, SCALE_UP_ARN } from './fake-control-plane';

type Handler = (event: unknown, context: Context) => Promise<Record<string, unknown>>;
interface AlarmEvent {
  resources: string[];
  detail: {
    alarmName: string;
    configuration: { metrics: { metricStat: { metric: { dimensions: Record<string, string> } } }[] };
  };
}

const WARM_REGIONS = ['ap-southeast-1', 'sa-east-1'];
const config = exampleConfig((raw) => void (raw.warm = { regions: WARM_REGIONS }));
const NOW = new Date('2026-11-21T12:01:00Z');
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();
const context = {
  functionName: 'edgescale-decision-handler',
  awsRequestId: 'r-1',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

/** A fixture alarm event of `direction`, aimed at `region`. */
function alarmFor(direction: 'up' | 'down', region: string): AlarmEvent {
  const file = direction === 'up' ? 'scale-up-alarm' : 'scale-down-alarm';
  const event = JSON.parse(
    readFileSync(fileURLToPath(new URL(`../../fixtures/alarm-events/${file}.json`, import.meta.url)), 'utf8'),
  ) as AlarmEvent;
  const name = `edgescale-scale-${direction}-${region}`;
  event.detail.alarmName = name;
  event.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`];
  event.detail.configuration.metrics[0]!.metricStat.metric.dimensions.Region = region;
  return event;
}

let handler: Handler;
let aws: FakeControlPlane;

beforeAll(async () => {
  setTaskEnvironment(config, { stateTableName: 'edgescale-region-state' });
  process.env.SCALE_UP_STATE_MACHINE_ARN = SCALE_UP_ARN;
  process.env.SCALE_DOWN_STATE_MACHINE_ARN = SCALE_DOWN_ARN;
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.AWS_REGION = 'us-east-1';
  ({ handler } = (await import('../../../functions/decide/decision-handler')) as unknown as { handler: Handler });
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
  for (const region of config.regions.alwaysOn) {
    aws.setState({ region, status: 'ACTIVE', activeSince: ago(10_000), lastTransitionAt: ago(10_000) });
  }
});
afterEach(() => {
  aws.restore();
  jest.useRealTimers();
});

const inputOf = (index = 0) => JSON.parse(aws.started()[index]!.input) as Record<string, unknown>;

describe('decisions on warm regions', () => {
  it('claims a WARM region for its scale-up: PROVISIONING towards ACTIVE, from WARM, taking an elastic slot', async () => {
    aws.setState({ region: 'ap-southeast-1', status: 'WARM', warmSince: ago(120), lastTransitionAt: ago(120) });
    const result = await handler(alarmFor('up', 'ap-southeast-1'), context);
    expect(result).toMatchObject({ outcome: 'started', region: 'ap-southeast-1' });
    expect(aws.started()[0]?.stateMachineArn).toBe(SCALE_UP_ARN);
    expect(inputOf()).toMatchObject({ region: 'ap-southeast-1', target: 'ACTIVE' });
    expect(aws.state('ap-southeast-1')).toMatchObject({
      status: 'PROVISIONING',
      transitionFrom: 'WARM',
      transitionTarget: 'ACTIVE',
      executionArn: aws.started()[0]!.executionArn,
      warmSince: ago(120),
    });
  });

  it('claims an ACTIVE warm region for a scale-down that keeps it WARM, and says so in the input', async () => {
    aws.setState({ region: 'sa-east-1', status: 'ACTIVE', activeSince: ago(120), lastTransitionAt: ago(120) });
    expect(await handler(alarmFor('down', 'sa-east-1'), context)).toMatchObject({ outcome: 'started' });
    expect(aws.started()[0]?.stateMachineArn).toBe(SCALE_DOWN_ARN);
    expect(inputOf()).toMatchObject({ region: 'sa-east-1', target: 'WARM' });
    expect(aws.state('sa-east-1')).toMatchObject({
      status: 'DRAINING',
      transitionFrom: 'ACTIVE',
      transitionTarget: 'WARM',
    });
  });

  it('leaves the input of a region that never goes WARM as it was (no target)', async () => {
    aws.setState({ region: 'ap-south-1', status: 'ACTIVE', activeSince: ago(120), lastTransitionAt: ago(120) });
    expect(await handler(alarmFor('down', 'ap-south-1'), context)).toMatchObject({ outcome: 'started' });
    expect(inputOf()).not.toHaveProperty('target');
    expect(aws.state('ap-south-1')).toMatchObject({ status: 'DRAINING', transitionTarget: 'INACTIVE' });
  });

  it('gives a WARM region back as WARM when StartExecution fails', async () => {
    aws.setState({ region: 'ap-southeast-1', status: 'WARM', since: ago(120), lastTransitionAt: ago(120) });
    aws.sfn
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(handler(alarmFor('up', 'ap-southeast-1'), context)).rejects.toThrow('Rate exceeded');
    expect(aws.state('ap-southeast-1')).toMatchObject({ status: 'WARM', since: ago(120) });
    expect(aws.state('ap-southeast-1')!.executionArn).toBeUndefined();
  });

  it('counts a warm-up in progress as holding no slot: the last slot stays free for a scale-up', async () => {
    // Max 2 elastic: ap-south-1 serves, sa-east-1 is warming up (PROVISIONING towards WARM).
    aws.setState({ region: 'ap-south-1', status: 'ACTIVE', activeSince: ago(300) });
    aws.setState({
      region: 'sa-east-1',
      status: 'PROVISIONING',
      transitionTarget: 'WARM',
      executionArn: 'arn:warm-up',
    });
    expect(await handler(alarmFor('up', 'ap-northeast-1'), context)).toMatchObject({ outcome: 'started' });
    expect(aws.state('ap-northeast-1')).toMatchObject({ status: 'PROVISIONING', transitionTarget: 'ACTIVE' });
  });
});
