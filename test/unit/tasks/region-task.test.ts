import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { InvalidRequestError, NotOwnedError, RefusedError, TransientError } from '../../../functions/domain/errors';
import { exampleConfig } from '../../support/config-fixtures';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';

const dynamo = mockClient(DynamoDBDocumentClient);
const eks = mockClient(EKSClient);
const ssm = mockClient(SSMClient);
const sns = mockClient(SNSClient);
const config = exampleConfig();
const topic = 'arn:aws:sns:us-east-1:123456789012:edgescale-notifications';
const foundation = {
  vpcId: 'vpc-1',
  subnetIds: ['subnet-a'],
  securityGroupIds: [],
  clusterRoleArn: 'arn:cluster',
  nodeRoleArn: 'arn:node',
};

let handler: (input: unknown) => Promise<unknown>;

beforeAll(async () => {
  setTaskEnvironment(config, { stateTableName: 'edgescale-region-state', notificationTopicArn: topic });
  const module = await import('../../../functions/tasks/region-task');
  handler = (input) => module.handler(input, lambdaContext('region-task'));
});
beforeEach(() => {
  for (const mock of [dynamo, eks, ssm, sns]) mock.reset();
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(foundation) } });
});
const sdkCalls = () => [dynamo, eks, ssm, sns].reduce((n, m) => n + m.calls().length, 0);

describe('validateScaleUp', () => {
  it.each([
    ['no region', {}, /input\.region = missing/],
    ['an unknown field', { region: 'sa-east-1', force: true }, /force/],
    ['an unknown requester', { region: 'sa-east-1', requestedBy: 'cron' }, /input\.requestedBy = "cron"/],
    ['a malformed time', { region: 'sa-east-1', requestedAt: 'yesterday' }, /input\.requestedAt/],
  ])('rejects a request with %s before any AWS call, naming the field', async (_what, request, message) => {
    await expect(handler({ action: 'validateScaleUp', request })).rejects.toThrow(InvalidRequestError);
    await expect(handler({ action: 'validateScaleUp', request })).rejects.toThrow(message);
    expect(sdkCalls()).toBe(0);
  });

  it('rejects a region outside the lists, naming it and the approved regions, before any AWS call', async () => {
    await expect(handler({ action: 'validateScaleUp', request: { region: 'eu-central-1' } })).rejects.toThrow(
      /eu-central-1 is not approved: it is in neither regions\.alwaysOn \[us-east-1, eu-west-1\] nor regions\.elastic \[ap-southeast-1, ap-northeast-1, sa-east-1, ap-south-1\]/,
    );
    expect(sdkCalls()).toBe(0);
  });

  it('returns the plan with defaults and the region foundation', async () => {
    dynamo.on(GetCommand).resolves({});
    expect(await handler({ action: 'validateScaleUp', request: { region: 'sa-east-1' } })).toEqual({
      region: 'sa-east-1',
      reason: 'manual request',
      requestedBy: 'operator',
      clusterName: 'edgescale-edge-sa-east-1',
      nodegroupName: 'edgescale-edge-nodes',
      foundation,
      noop: false,
      drainWaitSeconds: 360,
      // How long a rollback waits after withdrawing the record it wrote: the record's TTL.
      recordTtlSeconds: config.dns.ttlSeconds,
      target: 'ACTIVE',
    });
  });
});

describe('validateScaleDown', () => {
  it('refuses an always-on region before any AWS call', async () => {
    await expect(handler({ action: 'validateScaleDown', request: { region: 'us-east-1' } })).rejects.toThrow(
      RefusedError,
    );
    expect(sdkCalls()).toBe(0);
  });

  it('refuses when the cluster of that name is not tagged as ours', async () => {
    // us-east-1 serves, so the last-serving-region rule lets the ownership check decide.
    dynamo.on(GetCommand).callsFake((input: { Key: { pk: string } }) =>
      input.Key.pk === 'region#us-east-1'
        ? {
            Item: {
              pk: 'region#us-east-1',
              sk: 'state',
              region: 'us-east-1',
              status: 'ACTIVE',
              since: '2026-11-21T00:00:00Z',
              consecutiveFailures: 0,
            },
          }
        : {},
    );
    eks
      .on(DescribeClusterCommand)
      .resolves({ cluster: { name: 'edgescale-edge-sa-east-1', status: 'ACTIVE', tags: {} } });
    await expect(handler({ action: 'validateScaleDown', request: { region: 'sa-east-1' } })).rejects.toThrow(
      NotOwnedError,
    );
  });

  it('turns DynamoDB throttling into TransientError', async () => {
    dynamo
      .on(GetCommand)
      .rejects(
        Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException', $metadata: {} }),
      );
    await expect(handler({ action: 'validateScaleDown', request: { region: 'sa-east-1' } })).rejects.toThrow(
      TransientError,
    );
  });
});

describe('lockRegion, finishScaling, failScaling, notifyRefusal', () => {
  it('reject a malformed input before any AWS call', async () => {
    for (const input of [
      { action: 'lockRegion', region: 'sa-east-1', direction: 'up' },
      { action: 'lockRegion', region: 'sa-east-1', owner: 'x', direction: 'sideways' },
      { action: 'finishScaling', region: 'sa-east-1', owner: 'x', direction: 'up', recordTarget: { dnsName: 1 } },
      { action: 'failScaling', region: 'sa-east-1', owner: 'x', direction: 'up' },
    ]) {
      await expect(handler(input)).rejects.toThrow(InvalidRequestError);
    }
    expect(sdkCalls()).toBe(0);
  });

  it('failScaling leaves the state alone when another execution holds the lock, and still notifies', async () => {
    dynamo
      .on(GetCommand)
      .resolves({ Item: { pk: 'region#sa-east-1', sk: 'lock', owner: 'arn:other', acquiredAt: 'x' } });
    sns.on(PublishCommand).resolves({});
    const error = { Error: 'RegionLockedError', Cause: 'locked' };
    expect(
      await handler({ action: 'failScaling', region: 'sa-east-1', owner: 'arn:me', direction: 'up', error }),
    ).toEqual({
      notified: true,
    });
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.Subject).toBe('[edgescale] Scale-up of sa-east-1 FAILED');
  });

  it('notifyRefusal publishes why, using what it can read from a malformed request', async () => {
    sns.on(PublishCommand).resolves({});
    const error = {
      Error: 'InvalidRequestError',
      Cause: JSON.stringify({ errorMessage: 'Region eu-central-1 is not approved' }),
    };
    await handler({ action: 'notifyRefusal', request: { region: 'eu-central-1', reason: 42 }, direction: 'up', error });
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input).toEqual({
      TopicArn: topic,
      Subject: '[edgescale] Scale-up of eu-central-1 refused',
      Message:
        '[edgescale] Scale-up of eu-central-1 refused, nothing was changed: InvalidRequestError: Region eu-central-1 is not approved.',
    });
    expect(dynamo.calls()).toHaveLength(0);
  });
});
