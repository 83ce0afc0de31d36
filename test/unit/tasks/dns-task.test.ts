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
import { DeadlineExceededError, InvalidRequestError, TransientError } from '../../../functions/domain/errors';
import { PHASE_DEADLINE_SECONDS } from '../../../functions/domain/phase-deadlines';
import { SETTLED_WAIT_SECONDS } from '../../../functions/domain/poll-schedule';
import { exampleConfig } from '../../support/config-fixtures';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';

const route53 = mockClient(Route53Client);
const config = exampleConfig();
const target = { dnsName: 'a1b2-123.elb.ap-southeast-1.amazonaws.com', hostedZoneId: 'Z1LMS91P8CMLE5' };
const meta = { $metadata: {} };

/** A region's latency record as Route53 lists it (an alias of `dnsName` in zone `hostedZoneId`). */
const record = (region: string, dnsName = `${region}.elb.amazonaws.com.`, hostedZoneId = 'Z1') => ({
  Name: 'edge.cdn.example.com.',
  Type: 'A' as const,
  SetIdentifier: region,
  Region: region as 'sa-east-1',
  AliasTarget: { DNSName: dnsName, HostedZoneId: hostedZoneId, EvaluateTargetHealth: true },
});

let handler: (input: unknown) => Promise<{ deadline?: string } & Record<string, unknown>>;

/** The record change deadline a call made between `before` and now returned. */
function expectDnsDeadline(deadline: string | undefined, before: number): void {
  const budget = PHASE_DEADLINE_SECONDS.dnsChange * 1000;
  expect(Date.parse(deadline ?? '')).toBeGreaterThanOrEqual(before + budget);
  expect(Date.parse(deadline ?? '')).toBeLessThanOrEqual(Date.now() + budget);
}

beforeAll(async () => {
  setTaskEnvironment(config, { stateTableName: 'unused' });
  const module = await import('../../../functions/tasks/dns-task');
  handler = (input) => module.handler(input, lambdaContext('dns-task')) as never;
});
beforeEach(() => {
  route53.reset();
  // No record of any region yet, unless a test says otherwise.
  route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [], IsTruncated: false });
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
    const before = Date.now();
    const result = await handler({ action: 'upsertRecord', region: 'sa-east-1', target });
    expect(result).toEqual({
      changeId: 'C1',
      status: 'PENDING',
      submittedAt: submittedAt.toISOString(),
      written: true,
      deadline: result.deadline,
      waitSeconds: 45,
    });
    expectDnsDeadline(result.deadline, before);
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

  it('leaves a record that already points at the target as it is: not written by this call, in sync at once', async () => {
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [record('sa-east-1', `${target.dnsName}.`, target.hostedZoneId)],
      IsTruncated: false,
    });
    expect(await handler({ action: 'upsertRecord', region: 'sa-east-1', target })).toEqual({
      status: 'INSYNC',
      written: false,
      deadline: expect.any(String),
      waitSeconds: SETTLED_WAIT_SECONDS,
    });
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('rewrites a record that points elsewhere (written: the rollback withdraws it)', async () => {
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [record('sa-east-1', 'old-lb.elb.amazonaws.com.', target.hostedZoneId)],
      IsTruncated: false,
    });
    route53
      .on(ChangeResourceRecordSetsCommand)
      .resolves({ ChangeInfo: { Id: '/change/C9', Status: 'PENDING', SubmittedAt: new Date() } });
    expect(await handler({ action: 'upsertRecord', region: 'sa-east-1', target })).toMatchObject({
      changeId: 'C9',
      written: true,
    });
    const [change] = route53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input.ChangeBatch!.Changes!;
    expect(change).toMatchObject({
      Action: 'UPSERT',
      ResourceRecordSet: {
        SetIdentifier: 'sa-east-1',
        AliasTarget: { DNSName: target.dnsName, HostedZoneId: target.hostedZoneId, EvaluateTargetHealth: true },
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
      deadline: expect.any(String),
      waitSeconds: SETTLED_WAIT_SECONDS,
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
    const before = Date.now();
    const result = await handler({ action: 'deleteRecord', region: 'sa-east-1' });
    expect(result).toEqual({
      changeId: 'C3',
      status: 'INSYNC',
      submittedAt: '2026-11-21T10:00:00.000Z',
      deadline: result.deadline,
      waitSeconds: SETTLED_WAIT_SECONDS,
    });
    expectDnsDeadline(result.deadline, before);
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

  it('fails with DeadlineExceededError when the change is still PENDING after its deadline, not once it is INSYNC', async () => {
    const deadline = new Date(Date.now() - 1000).toISOString();
    route53
      .on(GetChangeCommand)
      .resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date(0) } });
    await expect(handler({ action: 'getChange', changeId: 'C1', deadline })).rejects.toThrow(DeadlineExceededError);
    await expect(handler({ action: 'getChange', changeId: 'C1', deadline })).rejects.toThrow(
      /the Route53 change C1 to be INSYNC: its deadline .* has passed/,
    );
    route53
      .on(GetChangeCommand)
      .resolves({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date(0) } });
    expect(await handler({ action: 'getChange', changeId: 'C1', deadline })).toMatchObject({ status: 'INSYNC' });
  });
});
