/**
 * The region task's part of the warm standby tier, on a configuration with warm regions and a
 * state table in memory: where a transition ends (the plan's target), the path the lock decides
 * from the status the region (or its claim) had, the WARM end, and a claim of a WARM region
 * given back.
 */
import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeClusterCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { InvalidRequestError, RefusedError } from '../../../functions/domain/errors';
import { warmPrice } from '../../../functions/domain/pricing';
import type {
  RegionState,
  RegionStatus,
  ScaleDirection,
  TransitionTarget,
} from '../../../functions/domain/region-state';
import type { TransitionPath } from '../../../functions/domain/warm-standby';
import { exampleConfig } from '../../support/config-fixtures';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';
import { applyUpdateExpression } from '../../support/update-expression';

const dynamo = mockClient(DynamoDBDocumentClient);
const eks = mockClient(EKSClient);
const ssm = mockClient(SSMClient);
const sns = mockClient(SNSClient);
const WARM_REGIONS = ['ap-southeast-1', 'sa-east-1'];
// Room for one WARM region in the warm tier (at today's price), so the cap is easy to reach.
const config = exampleConfig(
  (raw) => void (raw.warm = { regions: WARM_REGIONS, maxUsdPerHour: 1.5 * warmPrice(exampleConfig()).usdPerHour }),
);
const region = 'ap-southeast-1';
const owner = 'arn:aws:states:us-east-1:123456789012:execution:edgescale-scale-up:up-ap-southeast-1-1';
const foundation = {
  vpcId: 'vpc-1',
  subnetIds: ['subnet-a'],
  securityGroupIds: [],
  clusterRoleArn: 'arn:cluster',
  nodeRoleArn: 'arn:node',
};
const ourCluster = {
  cluster: {
    name: 'edgescale-edge-ap-southeast-1',
    status: 'ACTIVE' as const,
    tags: { 'edge-autoscaler:owner': 'edgescale' },
  },
};

let handler: (input: unknown) => Promise<unknown>;

const table = new Map<string, Record<string, unknown>>();
const keyOf = (key: Record<string, unknown> | undefined) => `${String(key?.pk)}|${String(key?.sk)}`;
function putState(state: Partial<RegionState> & Pick<RegionState, 'region' | 'status'>): void {
  table.set(keyOf({ pk: `region#${state.region}`, sk: 'state' }), {
    pk: `region#${state.region}`,
    sk: 'state',
    since: '2026-11-21T10:00:00.000Z',
    consecutiveFailures: 0,
    ...state,
  });
}
const stateOf = (r: string) => table.get(keyOf({ pk: `region#${r}`, sk: 'state' })) as RegionState | undefined;
const lockOf = (r: string) => table.get(keyOf({ pk: `region#${r}`, sk: 'lock' }));

beforeAll(async () => {
  setTaskEnvironment(config, {
    stateTableName: 'edgescale-region-state',
    notificationTopicArn: 'arn:aws:sns:us-east-1:123456789012:edgescale-notifications',
  });
  const module = await import('../../../functions/tasks/region-task');
  handler = (input) => module.handler(input, lambdaContext('region-task'));
});
beforeEach(() => {
  for (const mock of [dynamo, eks, ssm, sns]) mock.reset();
  table.clear();
  dynamo.on(GetCommand).callsFake((input: { Key: Record<string, unknown> }) => ({ Item: table.get(keyOf(input.Key)) }));
  dynamo.on(PutCommand).callsFake((input: { Item: Record<string, unknown> }) => {
    table.set(keyOf(input.Item), input.Item);
    return {};
  });
  dynamo.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
    table.set(keyOf(input.Key), applyUpdateExpression(table.get(keyOf(input.Key)), input));
    return {};
  });
  dynamo.on(DeleteCommand).callsFake((input: { Key: Record<string, unknown> }) => {
    table.delete(keyOf(input.Key));
    return {};
  });
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(foundation) } });
  eks.on(DescribeClusterCommand).resolves(ourCluster);
  sns.on(PublishCommand).resolves({});
  for (const r of config.regions.alwaysOn) putState({ region: r, status: 'ACTIVE' });
});

const plan = (action: 'validateScaleUp' | 'validateScaleDown', request: Record<string, unknown>) =>
  handler({ action, request: { region, ...request } }) as Promise<{ target: string; noop: boolean }>;

describe('validateScaleUp and validateScaleDown: where the transition ends', () => {
  it('a scale-up ends ACTIVE unless it asks for WARM (a warm-up)', async () => {
    expect((await plan('validateScaleUp', {})).target).toBe('ACTIVE');
    expect((await plan('validateScaleUp', { target: 'WARM' })).target).toBe('WARM');
  });

  it('refuses a warm-up of a region that serves, and of a region outside warm.regions', async () => {
    putState({ region, status: 'ACTIVE' });
    await expect(plan('validateScaleUp', { target: 'WARM' })).rejects.toThrow(RefusedError);
    await expect(
      handler({ action: 'validateScaleUp', request: { region: 'ap-south-1', target: 'WARM' } }),
    ).rejects.toThrow(InvalidRequestError);
  });

  it('a scale-down of an ACTIVE warm region ends WARM while the warm tier has room, else INACTIVE', async () => {
    putState({ region, status: 'ACTIVE' });
    expect((await plan('validateScaleDown', {})).target).toBe('WARM');
    // sa-east-1 on its way to WARM takes the tier's one place.
    putState({ region: 'sa-east-1', status: 'DRAINING', transitionTarget: 'WARM' });
    expect((await plan('validateScaleDown', {})).target).toBe('INACTIVE');
    // Asked for, WARM is what it gets: the cap is the policy's, not a safety rule.
    expect((await plan('validateScaleDown', { target: 'WARM' })).target).toBe('WARM');
  });

  it('a region a decision claimed from ACTIVE resolves as the ACTIVE region it was', async () => {
    putState({ region, status: 'DRAINING', executionArn: owner, transitionFrom: 'ACTIVE' });
    expect((await plan('validateScaleDown', {})).target).toBe('WARM');
  });

  it('a WARM region goes down to INACTIVE, with no last-serving-region refusal when nothing else serves', async () => {
    for (const r of config.regions.alwaysOn) putState({ region: r, status: 'INACTIVE' });
    putState({ region, status: 'WARM' });
    expect(await plan('validateScaleDown', {})).toMatchObject({ target: 'INACTIVE', noop: false });
  });

  it('a WARM region asked to end WARM has nothing to do; one with no cluster cannot be sent there', async () => {
    putState({ region, status: 'WARM' });
    expect(await plan('validateScaleDown', { target: 'WARM' })).toMatchObject({ target: 'WARM', noop: true });
    eks.on(DescribeClusterCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    putState({ region, status: 'ACTIVE' });
    await expect(plan('validateScaleDown', { target: 'WARM' })).rejects.toThrow(/no cluster to keep warm/);
  });
});

describe('lockRegion: the path from the status the region, or its claim, had', () => {
  const lock = (direction: 'up' | 'down', target?: string, by = owner) =>
    handler({ action: 'lockRegion', region, owner: by, direction, ...(target && { target }) });

  it.each<[RegionStatus, ScaleDirection, TransitionTarget, TransitionPath]>([
    ['WARM', 'up', 'ACTIVE', 'resume'],
    ['INACTIVE', 'up', 'ACTIVE', 'create'],
    ['FAILED', 'up', 'WARM', 'warmUp'],
    ['ACTIVE', 'down', 'WARM', 'park'],
    ['ACTIVE', 'down', 'INACTIVE', 'teardown'],
    ['WARM', 'down', 'INACTIVE', 'warmTeardown'],
  ])('%s, %s towards %s: %s', async (status, direction, target, path) => {
    putState({ region, status });
    expect(await lock(direction, target)).toEqual({ region, from: status, target, path });
    expect(stateOf(region)).toMatchObject({
      status: direction === 'up' ? 'PROVISIONING' : 'DRAINING',
      executionArn: owner,
      transitionFrom: status,
      transitionTarget: target,
    });
    expect(lockOf(region)).toMatchObject({ owner });
  });

  it('a region a decision claimed from WARM for this execution resumes; retried, the lock decides the same', async () => {
    putState({
      region,
      status: 'PROVISIONING',
      executionArn: owner,
      transitionFrom: 'WARM',
      transitionTarget: 'ACTIVE',
    });
    expect(await lock('up', 'ACTIVE')).toMatchObject({ from: 'WARM', path: 'resume' });
    expect(await lock('up', 'ACTIVE')).toMatchObject({ from: 'WARM', path: 'resume' });
  });

  it('refuses a warm-up of a region that serves by now, releasing the lock again', async () => {
    putState({ region, status: 'ACTIVE' });
    await expect(lock('up', 'WARM')).rejects.toThrow(RefusedError);
    expect(lockOf(region)).toBeUndefined();
    expect(stateOf(region)?.status).toBe('ACTIVE');
  });
});

describe('finishScaling and a claim given back', () => {
  it('ends a warm-up WARM: no record, no active time, the edge configuration it applied; notifies "is warm"', async () => {
    putState({
      region,
      status: 'PROVISIONING',
      executionArn: owner,
      transitionFrom: 'INACTIVE',
      transitionTarget: 'WARM',
      consecutiveFailures: 2,
    });
    await handler({ action: 'finishScaling', region, owner, direction: 'up', edgeConfiguration: 'hash-1' });
    const state = stateOf(region)!;
    expect(state).toMatchObject({ status: 'WARM', edgeConfiguration: 'hash-1', consecutiveFailures: 0 });
    expect(state.warmSince).toBe(state.since);
    expect(state).not.toHaveProperty('activeSince');
    expect(state).not.toHaveProperty('recordTarget');
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.Subject).toBe('[edgescale] ap-southeast-1 is warm');
  });

  it('ends a scale-down to WARM without its record target, keeping its edge configuration', async () => {
    putState({
      region,
      status: 'DRAINING',
      executionArn: owner,
      transitionFrom: 'ACTIVE',
      transitionTarget: 'WARM',
      activeSince: '2026-11-21T08:00:00.000Z',
      recordTarget: { dnsName: 'lb', hostedZoneId: 'Z' },
      edgeConfiguration: 'hash-1',
    });
    await handler({ action: 'finishScaling', region, owner, direction: 'down' });
    expect(stateOf(region)).toMatchObject({ status: 'WARM', edgeConfiguration: 'hash-1' });
    expect(stateOf(region)).not.toHaveProperty('recordTarget');
    expect(stateOf(region)).not.toHaveProperty('activeSince');
  });

  it('ends a resume ACTIVE and forgets when it became WARM', async () => {
    putState({
      region,
      status: 'PROVISIONING',
      executionArn: owner,
      transitionFrom: 'WARM',
      transitionTarget: 'ACTIVE',
      warmSince: '2026-11-21T01:00:00.000Z',
    });
    await handler({
      action: 'finishScaling',
      region,
      owner,
      direction: 'up',
      recordTarget: { dnsName: 'lb', hostedZoneId: 'Z' },
    });
    expect(stateOf(region)).toMatchObject({ status: 'ACTIVE', recordTarget: { dnsName: 'lb', hostedZoneId: 'Z' } });
    expect(stateOf(region)).not.toHaveProperty('warmSince');
  });

  it('gives a WARM region claimed for a refused execution back to WARM', async () => {
    putState({
      region,
      status: 'PROVISIONING',
      executionArn: owner,
      transitionFrom: 'WARM',
      transitionTarget: 'ACTIVE',
      warmSince: '2026-11-21T01:00:00.000Z',
    });
    await handler({
      action: 'notifyRefusal',
      request: { region },
      direction: 'up',
      owner,
      error: { Error: 'RegionLockedError', Cause: 'locked' },
    });
    expect(stateOf(region)).toMatchObject({ status: 'WARM', warmSince: '2026-11-21T01:00:00.000Z' });
    expect(stateOf(region)).not.toHaveProperty('executionArn');
  });
});
