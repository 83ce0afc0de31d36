import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  InvalidChangeBatch,
  ListResourceRecordSetsCommand,
  PriorRequestNotComplete,
  Route53Client,
  ThrottlingException,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { InvalidRequestError, TransientError } from '../../../functions/domain/errors';
import { exampleConfig } from '../../support/config-fixtures';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';

const route53 = mockClient(Route53Client);
const config = exampleConfig();
const target = { dnsName: 'a1b2-123.elb.ap-southeast-1.amazonaws.com', hostedZoneId: 'Z1LMS91P8CMLE5' };
const meta = { $metadata: {} };

let handler: (input: unknown) => Promise<unknown>;

beforeAll(async () => {
  setTaskEnvironment(config, { stateTableName: 'unused' });
  const module = await import('../../../functions/tasks/dns-task');
  handler = (input) => module.handler(input, lambdaContext('dns-task'));
});
beforeEach(() => {
  route53.reset();
});

describe('dns-task input', () => {
  it.each([
    ['a target without hosted zone id', { action: 'upsertRecord', region: 'sa-east-1', target: { dnsName: 'x' } }],
    ['an empty change id', { action: 'getChange', changeId: '' }],
    ['an unknown action', { action: 'deleteZone', region: 'sa-east-1' }],
  ])('rejects %s before any Route53 call', async (_what, input) => {
    await expect(handler(input)).rejects.toThrow(InvalidRequestError);
    expect(route53.calls()).toHaveLength(0);
  });

  it('never touches the record of a region outside the configuration', async () => {
    await expect(handler({ action: 'deleteRecord', region: 'eu-central-1' })).rejects.toThrow(/not approved/);
    expect(route53.calls()).toHaveLength(0);
  });
});

describe('upsertRecord', () => {
  it('sends one UPSERT of the region latency alias record and polls after the typical propagation time', async () => {
    const submittedAt = new Date();
    route53
      .on(ChangeResourceRecordSetsCommand)
      .resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: submittedAt } });
    expect(await handler({ action: 'upsertRecord', region: 'sa-east-1', target })).toEqual({
      changeId: 'C1',
      status: 'PENDING',
      submittedAt: submittedAt.toISOString(),
      waitSeconds: 45,
    });
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)[0]?.args[0].input).toEqual({
      HostedZoneId: config.dns.hostedZoneId,
      ChangeBatch: {
        Comment: 'edge-autoscaler: sa-east-1 serves',
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: 'edge.cdn.example.com',
              Type: 'A',
              SetIdentifier: 'sa-east-1',
              Region: 'sa-east-1',
              AliasTarget: { DNSName: target.dnsName, HostedZoneId: target.hostedZoneId, EvaluateTargetHealth: true },
            },
          },
        ],
      },
    });
  });

  it.each([
    ['throttling', new ThrottlingException({ message: 'Rate exceeded', ...meta })],
    ['PriorRequestNotComplete', new PriorRequestNotComplete({ message: 'busy', ...meta })],
    ['an HTTP 502', Object.assign(new Error('Bad Gateway'), { name: 'Unknown', $metadata: { httpStatusCode: 502 } })],
  ])('turns %s into TransientError', async (_what, error) => {
    route53.on(ChangeResourceRecordSetsCommand).rejects(error);
    await expect(handler({ action: 'upsertRecord', region: 'sa-east-1', target })).rejects.toThrow(TransientError);
  });

  it('lets an invalid change batch through as itself (not retried)', async () => {
    route53.on(ChangeResourceRecordSetsCommand).rejects(new InvalidChangeBatch({ message: 'bad alias', ...meta }));
    await expect(handler({ action: 'upsertRecord', region: 'sa-east-1', target })).rejects.toThrow(
      expect.objectContaining({ name: 'InvalidChangeBatch' }),
    );
  });
});

describe('deleteRecord', () => {
  const record = (region: string) => ({
    Name: 'edge.cdn.example.com.',
    Type: 'A' as const,
    SetIdentifier: region,
    Region: region as 'sa-east-1',
    AliasTarget: { DNSName: `${region}.elb.amazonaws.com.`, HostedZoneId: 'Z1', EvaluateTargetHealth: true },
  });

  it('deletes exactly the region record set as Route53 holds it', async () => {
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [record('eu-west-1'), record('sa-east-1'), record('us-east-1')],
      IsTruncated: false,
    });
    route53
      .on(ChangeResourceRecordSetsCommand)
      .resolves({ ChangeInfo: { Id: '/change/C2', Status: 'PENDING', SubmittedAt: new Date() } });
    expect(await handler({ action: 'deleteRecord', region: 'sa-east-1' })).toMatchObject({
      changeId: 'C2',
      status: 'PENDING',
    });
    const changes = route53.commandCalls(ChangeResourceRecordSetsCommand)[0]?.args[0].input.ChangeBatch?.Changes;
    expect(changes).toEqual([{ Action: 'DELETE', ResourceRecordSet: record('sa-east-1') }]);
  });

  it('is done at once, without any change, when the region has no record', async () => {
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        record('eu-west-1'),
        { Name: 'other.cdn.example.com.', Type: 'A', SetIdentifier: 'sa-east-1' },
      ],
      IsTruncated: true,
      NextRecordName: 'zzz.cdn.example.com.',
      NextRecordType: 'A',
    });
    expect(await handler({ action: 'deleteRecord', region: 'sa-east-1' })).toEqual({
      status: 'INSYNC',
      waitSeconds: 0,
    });
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
    expect(route53.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(1);
  });

  it('follows the listing across pages while it is still on the record name', async () => {
    route53
      .on(ListResourceRecordSetsCommand)
      .resolvesOnce({
        ResourceRecordSets: [record('ap-south-1')],
        IsTruncated: true,
        NextRecordName: 'edge.cdn.example.com.',
        NextRecordType: 'A',
        NextRecordIdentifier: 'sa-east-1',
      })
      .resolves({ ResourceRecordSets: [record('sa-east-1')], IsTruncated: false });
    route53
      .on(ChangeResourceRecordSetsCommand)
      .resolves({ ChangeInfo: { Id: '/change/C3', Status: 'INSYNC', SubmittedAt: new Date('2026-11-21T10:00:00Z') } });
    expect(await handler({ action: 'deleteRecord', region: 'sa-east-1' })).toEqual({
      changeId: 'C3',
      status: 'INSYNC',
      submittedAt: '2026-11-21T10:00:00.000Z',
      waitSeconds: 0,
    });
    expect(route53.commandCalls(ListResourceRecordSetsCommand)[1]?.args[0].input).toMatchObject({
      StartRecordIdentifier: 'sa-east-1',
    });
  });
});

describe('getChange', () => {
  it('polls a pending change at the short interval once its typical time has passed', async () => {
    const submittedAt = new Date(Date.now() - 120_000);
    route53
      .on(GetChangeCommand)
      .resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: submittedAt } });
    expect(await handler({ action: 'getChange', changeId: '/change/C1' })).toEqual({
      changeId: 'C1',
      status: 'PENDING',
      submittedAt: submittedAt.toISOString(),
      waitSeconds: 15,
    });
    expect(route53.commandCalls(GetChangeCommand)[0]?.args[0].input).toEqual({ Id: 'C1' });
  });

  it('turns throttling into TransientError', async () => {
    route53.on(GetChangeCommand).rejects(new ThrottlingException({ message: 'slow down', ...meta }));
    await expect(handler({ action: 'getChange', changeId: 'C1' })).rejects.toThrow(TransientError);
  });
});
