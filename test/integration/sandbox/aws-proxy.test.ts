import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DescribeAlarmsCommand, PutMetricDataCommand, CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteClusterCommand,
  DeleteNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ListFargateProfilesCommand,
  ListNodegroupsCommand,
  ResourceInUseException,
} from '@aws-sdk/client-eks';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { CreateTopicCommand, NotFoundException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  FAULTS,
  SDK_MAX_ATTEMPTS,
  startAwsFaultProxy,
  type AwsFault,
  type AwsFaultProxy,
  type CallMatch,
} from '../../../sandbox/aws-proxy';
import { describeWithMoto, motoEndpoint } from '../../support/moto';

/** Other suites share the emulator: every name here carries this run's id. */
const id = `fp${Date.now().toString(36)}`;
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

interface Sendable {
  send(command: never): Promise<unknown>;
  destroy(): void;
}

describeWithMoto('AWS fault proxy between SDK clients and the emulator', () => {
  let proxy: AwsFaultProxy;
  const clients: Sendable[] = [];
  /** A client of `Client` in `region`, pointed at the proxy (or at moto itself with `direct`). */
  function client<C extends Sendable>(
    Client: new (config: object) => C,
    region = 'us-east-1',
    options: { maxAttempts?: number; direct?: boolean } = {},
  ): C {
    const endpoint = options.direct ? motoEndpoint() : proxy.endpoint;
    const created = new Client({ region, endpoint, credentials, maxAttempts: options.maxAttempts ?? 1 });
    clients.push(created);
    return created;
  }
  const documents = (region = 'us-east-1') => DynamoDBDocumentClient.from(client(DynamoDBClient, region));

  /** What the client saw when a call failed. */
  async function failure(call: Promise<unknown>): Promise<{ name: string; status?: number; attempts?: number }> {
    const error = (await call.then(
      () => {
        throw new Error('the call succeeded');
      },
      (e: unknown) => e,
    )) as { name: string; $metadata?: { httpStatusCode?: number; attempts?: number } };
    return { name: error.name, status: error.$metadata?.httpStatusCode, attempts: error.$metadata?.attempts };
  }
  /** What the client sees of an injected fault; one attempt unless the SDK retried it. */
  const asSeen = (fault: AwsFault, attempts = 1) => ({ name: fault.code, status: fault.status, attempts });

  beforeAll(async () => {
    proxy = await startAwsFaultProxy(motoEndpoint());
  });
  afterEach(() => proxy.reset());
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await proxy.close();
  });

  describe('EKS (restJson1)', () => {
    const eks = () => client(EKSClient, 'eu-north-1');
    const cluster = `${id}-edge`;
    const describeCluster: CallMatch = { service: 'eks', operation: 'DescribeCluster' };

    beforeAll(async () => {
      await eks().send(
        new CreateClusterCommand({
          name: cluster,
          roleArn: 'arn:aws:iam::123456789012:role/cluster',
          resourcesVpcConfig: { subnetIds: ['subnet-1'] },
        }),
      );
    });

    it('forwards a call to the emulator and counts it', async () => {
      const { cluster: described } = await eks().send(new DescribeClusterCommand({ name: cluster }));
      expect(described?.name).toBe(cluster);
      expect(described?.status).toBe('ACTIVE');
      expect(proxy.calls(describeCluster)).toBe(1);
      expect(proxy.calls({ ...describeCluster, region: 'eu-north-1' })).toBe(1);
      expect(proxy.calls({ ...describeCluster, region: 'us-east-1' })).toBe(0);
    });

    it("answers an injected fault itself, which the SDK parses into the service's error", async () => {
      proxy.failNext({ service: 'eks', operation: 'DeleteCluster' }, FAULTS.resourceInUse);
      const deletion = eks().send(new DeleteClusterCommand({ name: cluster }));
      await expect(deletion).rejects.toBeInstanceOf(ResourceInUseException);
      expect(await failure(deletion)).toEqual(asSeen(FAULTS.resourceInUse));
      // The fault was not forwarded: the cluster is still there.
      expect((await eks().send(new DescribeClusterCommand({ name: cluster }))).cluster?.status).toBe('ACTIVE');
    });

    it('fails exactly `times` matching calls, then forwards again', async () => {
      proxy.failNext(describeCluster, FAULTS.throttling, 2);
      expect(await failure(eks().send(new DescribeClusterCommand({ name: cluster })))).toEqual(
        asSeen(FAULTS.throttling),
      );
      expect(await failure(eks().send(new DescribeClusterCommand({ name: cluster })))).toEqual(
        asSeen(FAULTS.throttling),
      );
      expect((await eks().send(new DescribeClusterCommand({ name: cluster }))).cluster?.name).toBe(cluster);
      expect(proxy.calls(describeCluster)).toBe(3);
    });

    it('rewrites the response the client sees (a cluster still CREATING) until the rule is removed', async () => {
      const stopRewriting = proxy.rewriteJson<{ cluster: { status: string } }>(describeCluster, (body) => {
        body.cluster.status = 'CREATING';
      });
      const rewritten = await eks().send(new DescribeClusterCommand({ name: cluster }));
      expect(rewritten.cluster?.status).toBe('CREATING');
      expect(rewritten.cluster?.name).toBe(cluster);
      stopRewriting();
      expect((await eks().send(new DescribeClusterCommand({ name: cluster }))).cluster?.status).toBe('ACTIVE');
    });

    it('forwards untouched a request it does not recognise, and applies no rule to it', async () => {
      // The emulator knows ListFargateProfiles; the proxy's route table does not.
      const listFargateProfiles: CallMatch = { service: 'eks', operation: 'ListFargateProfiles' };
      proxy.failNext(listFargateProfiles, FAULTS.accessDenied);
      const direct = client(EKSClient, 'eu-north-1', { direct: true });
      const viaMoto = await direct.send(new ListFargateProfilesCommand({ clusterName: cluster }));
      const viaProxy = await eks().send(new ListFargateProfilesCommand({ clusterName: cluster }));
      expect(viaProxy.fargateProfileNames).toEqual([]);
      expect(viaProxy.fargateProfileNames).toEqual(viaMoto.fargateProfileNames);
      expect(proxy.calls(listFargateProfiles)).toBe(0);
    });
  });

  describe('Route53 (restXml)', () => {
    const route53 = () => client(Route53Client);
    const recordName = `edge.${id}.example.com`;
    const changeRecords: CallMatch = { service: 'route53', operation: 'ChangeResourceRecordSets' };
    let zoneId = '';
    const upsert = (ip: string) =>
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: { Name: recordName, Type: 'A', TTL: 60, ResourceRecords: [{ Value: ip }] },
            },
          ],
        },
      });
    const recordValue = async () => {
      const { ResourceRecordSets = [] } = await route53().send(
        new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }),
      );
      return ResourceRecordSets.find((r) => r.Name === `${recordName}.`)?.ResourceRecords?.[0]?.Value;
    };

    beforeAll(async () => {
      const { HostedZone } = await route53().send(
        new CreateHostedZoneCommand({ Name: `${id}.example.com`, CallerReference: `${id}-zone` }),
      );
      zoneId = HostedZone!.Id!.replace('/hostedzone/', '');
    });

    it('forwards a change batch and a listing to the emulator', async () => {
      const { ChangeInfo } = await route53().send(upsert('192.0.2.1'));
      expect(ChangeInfo?.Status).toBe('INSYNC');
      expect(await recordValue()).toBe('192.0.2.1');
      expect(proxy.calls(changeRecords)).toBe(1);
      expect(proxy.calls({ service: 'route53', operation: 'ListResourceRecordSets' })).toBe(1);
    });

    it('answers PriorRequestNotComplete without applying the change', async () => {
      proxy.failNext(changeRecords, FAULTS.priorRequestNotComplete);
      expect(await failure(route53().send(upsert('192.0.2.2')))).toEqual(asSeen(FAULTS.priorRequestNotComplete));
      expect(await recordValue()).toBe('192.0.2.1');
    });

    it('rewrites a change to PENDING, and GetChange with it', async () => {
      const pending = (body: string) => body.replace('<Status>INSYNC</Status>', '<Status>PENDING</Status>');
      proxy.rewriteResponses(changeRecords, pending);
      proxy.rewriteResponses({ service: 'route53', operation: 'GetChange' }, pending);
      const { ChangeInfo } = await route53().send(upsert('192.0.2.3'));
      expect(ChangeInfo?.Status).toBe('PENDING');
      expect((await route53().send(new GetChangeCommand({ Id: ChangeInfo!.Id! }))).ChangeInfo?.Status).toBe('PENDING');
      expect(await recordValue()).toBe('192.0.2.3');
    });

    it('reports a rewrite that throws as an error naming the proxy, at once', async () => {
      proxy.rewriteJson(changeRecords, () => undefined);
      const seen = await failure(route53().send(upsert('192.0.2.4')));
      expect(seen).toEqual({ name: 'AwsFaultProxyError', status: 400, attempts: 1 });
      await expect(route53().send(upsert('192.0.2.4'))).rejects.toThrow(/aws-fault-proxy: .*JSON/);
    });
  });

  describe('ELBv2 (awsQuery)', () => {
    const describeLoadBalancers: CallMatch = { service: 'elasticloadbalancing', operation: 'DescribeLoadBalancers' };

    it("forwards a call and passes the emulator's own error through", async () => {
      const { LoadBalancers } = await client(ElasticLoadBalancingV2Client).send(new DescribeLoadBalancersCommand({}));
      expect(Array.isArray(LoadBalancers)).toBe(true);
      const missing = client(ElasticLoadBalancingV2Client).send(
        new DescribeLoadBalancersCommand({ Names: [`${id}-missing`] }),
      );
      expect(await failure(missing)).toMatchObject({ name: 'LoadBalancerNotFoundException', status: 400 });
      expect(proxy.calls(describeLoadBalancers)).toBe(2);
    });

    it('injects a fault in one region only', async () => {
      proxy.failNext({ ...describeLoadBalancers, region: 'ap-southeast-1' }, FAULTS.serviceUnavailable);
      await client(ElasticLoadBalancingV2Client, 'us-east-1').send(new DescribeLoadBalancersCommand({}));
      expect(
        await failure(
          client(ElasticLoadBalancingV2Client, 'ap-southeast-1').send(new DescribeLoadBalancersCommand({})),
        ),
      ).toEqual(asSeen(FAULTS.serviceUnavailable));
      expect(proxy.calls({ ...describeLoadBalancers, region: 'us-east-1' })).toBe(1);
      expect(proxy.calls({ ...describeLoadBalancers, region: 'ap-southeast-1' })).toBe(1);
    });
  });

  describe('DynamoDB through lib-dynamodb (awsJson 1.0)', () => {
    const table = `${id}-state`;
    const putItem: CallMatch = { service: 'dynamodb', operation: 'PutItem' };

    beforeAll(async () => {
      await client(DynamoDBClient).send(
        new CreateTableCommand({
          TableName: table,
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    });

    it('forwards writes and reads', async () => {
      await documents().send(new PutCommand({ TableName: table, Item: { pk: 'region#eu-west-1', status: 'ACTIVE' } }));
      const { Item } = await documents().send(new GetCommand({ TableName: table, Key: { pk: 'region#eu-west-1' } }));
      expect(Item).toEqual({ pk: 'region#eu-west-1', status: 'ACTIVE' });
    });

    it('fails `times` writes with ProvisionedThroughputExceededException, none of which lands', async () => {
      proxy.failNext(putItem, FAULTS.provisionedThroughputExceeded, 2);
      const put = (status: string) =>
        documents().send(new PutCommand({ TableName: table, Item: { pk: 'region#sa-east-1', status } }));
      expect(await failure(put('first'))).toEqual(asSeen(FAULTS.provisionedThroughputExceeded));
      expect(await failure(put('second'))).toEqual(asSeen(FAULTS.provisionedThroughputExceeded));
      const nothingYet = await documents().send(new GetCommand({ TableName: table, Key: { pk: 'region#sa-east-1' } }));
      expect(nothingYet.Item).toBeUndefined();
      await put('third');
      const { Item } = await documents().send(new GetCommand({ TableName: table, Key: { pk: 'region#sa-east-1' } }));
      expect(Item?.status).toBe('third');
      expect(proxy.calls(putItem)).toBe(3);
    });

    it('failNextCall outlasts the retries of a Lambda client for a throttle, and fails a permanent fault once', async () => {
      const lambdaLike = DynamoDBDocumentClient.from(
        client(DynamoDBClient, 'us-east-1', { maxAttempts: SDK_MAX_ATTEMPTS }),
      );
      const getItem: CallMatch = { service: 'dynamodb', operation: 'GetItem' };
      const get = () => lambdaLike.send(new GetCommand({ TableName: table, Key: { pk: 'region#eu-west-1' } }));

      proxy.failNextCall(getItem, FAULTS.throttling);
      expect(await failure(get())).toEqual(asSeen(FAULTS.throttling, SDK_MAX_ATTEMPTS));
      expect(proxy.calls(getItem)).toBe(SDK_MAX_ATTEMPTS);
      expect((await get()).Item?.status).toBe('ACTIVE');

      proxy.reset();
      proxy.failNextCall(getItem, FAULTS.accessDenied);
      expect(await failure(get())).toEqual(asSeen(FAULTS.accessDenied));
      expect((await get()).Item?.status).toBe('ACTIVE');
      expect(proxy.calls(getItem)).toBe(2);
    });
  });

  describe('SSM (awsJson 1.1)', () => {
    const parameter = `/${id}/foundation`;

    it('forwards a parameter read, and answers AccessDeniedException 403 when told', async () => {
      await client(SSMClient).send(new PutParameterCommand({ Name: parameter, Value: '{"vpc":1}', Type: 'String' }));
      const { Parameter } = await client(SSMClient).send(new GetParameterCommand({ Name: parameter }));
      expect(Parameter?.Value).toBe('{"vpc":1}');
      proxy.failNext({ service: 'ssm', operation: 'GetParameter' }, FAULTS.accessDenied);
      expect(await failure(client(SSMClient).send(new GetParameterCommand({ Name: parameter })))).toEqual(
        asSeen(FAULTS.accessDenied),
      );
    });
  });

  describe('SNS (awsQuery)', () => {
    const publish: CallMatch = { service: 'sns', operation: 'Publish' };

    it('forwards a publish, and answers an injected 500', async () => {
      const { TopicArn } = await client(SNSClient).send(new CreateTopicCommand({ Name: `${id}-notifications` }));
      const { MessageId } = await client(SNSClient).send(new PublishCommand({ TopicArn, Message: 'scaled up' }));
      expect(MessageId).toBeTruthy();
      proxy.failNext(publish, FAULTS.internalFailure);
      expect(await failure(client(SNSClient).send(new PublishCommand({ TopicArn, Message: 'again' })))).toEqual(
        asSeen(FAULTS.internalFailure),
      );
    });

    it("sends the query error code the service would, so the SDK maps it to the service's modeled error", async () => {
      proxy.failNext(publish, { code: 'NotFound', status: 404 });
      const call = client(SNSClient).send(
        new PublishCommand({ TopicArn: `arn:aws:sns:us-east-1:1:${id}`, Message: 'm' }),
      );
      await expect(call).rejects.toBeInstanceOf(NotFoundException);
    });
  });

  describe('CloudWatch (awsJson 1.0 in query-compatible mode)', () => {
    it('forwards metric data and alarm reads, and answers an injected throttle', async () => {
      const cloudWatch = client(CloudWatchClient, 'eu-west-1');
      await cloudWatch.send(
        new PutMetricDataCommand({ Namespace: `${id}/Edge`, MetricData: [{ MetricName: 'Requests', Value: 1 }] }),
      );
      const { MetricAlarms } = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: id }));
      expect(MetricAlarms).toEqual([]);
      expect(proxy.calls({ service: 'monitoring', operation: 'PutMetricData', region: 'eu-west-1' })).toBe(1);
      proxy.failNext({ service: 'monitoring', operation: 'PutMetricData' }, FAULTS.throttling);
      const throttled = cloudWatch.send(
        new PutMetricDataCommand({ Namespace: `${id}/Edge`, MetricData: [{ MetricName: 'Requests', Value: 2 }] }),
      );
      expect(await failure(throttled)).toEqual(asSeen(FAULTS.throttling));
      // The query-compatible client also reads the code and fault type as awsQuery would report them.
      await expect(throttled).rejects.toMatchObject({ Error: { Code: 'ThrottlingException', Type: 'Sender' } });
    });
  });

  describe('recognises every operation the workflows call', () => {
    const eks = () => client(EKSClient);
    const route53 = () => client(Route53Client);
    const table = `${id}-unused`;
    const cases: [CallMatch, () => Promise<unknown>][] = [
      [
        { service: 'eks', operation: 'CreateCluster' },
        () => eks().send(new CreateClusterCommand({ name: 'c', roleArn: 'r', resourcesVpcConfig: {} })),
      ],
      [{ service: 'eks', operation: 'DescribeCluster' }, () => eks().send(new DescribeClusterCommand({ name: 'c' }))],
      [{ service: 'eks', operation: 'DeleteCluster' }, () => eks().send(new DeleteClusterCommand({ name: 'c' }))],
      [
        { service: 'eks', operation: 'CreateNodegroup' },
        () =>
          eks().send(new CreateNodegroupCommand({ clusterName: 'c', nodegroupName: 'n', nodeRole: 'r', subnets: [] })),
      ],
      [
        { service: 'eks', operation: 'DescribeNodegroup' },
        () => eks().send(new DescribeNodegroupCommand({ clusterName: 'c', nodegroupName: 'n' })),
      ],
      [
        { service: 'eks', operation: 'DeleteNodegroup' },
        () => eks().send(new DeleteNodegroupCommand({ clusterName: 'c', nodegroupName: 'n' })),
      ],
      [
        { service: 'eks', operation: 'ListNodegroups' },
        () => eks().send(new ListNodegroupsCommand({ clusterName: 'c' })),
      ],
      [
        { service: 'route53', operation: 'ChangeResourceRecordSets' },
        () => route53().send(new ChangeResourceRecordSetsCommand({ HostedZoneId: 'Z1', ChangeBatch: { Changes: [] } })),
      ],
      [
        { service: 'route53', operation: 'GetChange' },
        () => route53().send(new GetChangeCommand({ Id: '/change/C1' })),
      ],
      [
        { service: 'route53', operation: 'ListResourceRecordSets' },
        () => route53().send(new ListResourceRecordSetsCommand({ HostedZoneId: '/hostedzone/Z1' })),
      ],
      [
        { service: 'elasticloadbalancing', operation: 'DescribeLoadBalancers' },
        () => client(ElasticLoadBalancingV2Client).send(new DescribeLoadBalancersCommand({})),
      ],
      [
        { service: 'dynamodb', operation: 'PutItem' },
        () => documents().send(new PutCommand({ TableName: table, Item: { pk: 'a' } })),
      ],
      [
        { service: 'dynamodb', operation: 'UpdateItem' },
        () =>
          documents().send(
            new UpdateCommand({
              TableName: table,
              Key: { pk: 'a' },
              UpdateExpression: 'SET n = :n',
              ExpressionAttributeValues: { ':n': 1 },
            }),
          ),
      ],
      [
        { service: 'dynamodb', operation: 'GetItem' },
        () => documents().send(new GetCommand({ TableName: table, Key: { pk: 'a' } })),
      ],
      [
        { service: 'dynamodb', operation: 'DeleteItem' },
        () => documents().send(new DeleteCommand({ TableName: table, Key: { pk: 'a' } })),
      ],
      [
        { service: 'dynamodb', operation: 'TransactWriteItems' },
        () =>
          documents().send(
            new TransactWriteCommand({ TransactItems: [{ Put: { TableName: table, Item: { pk: 'a' } } }] }),
          ),
      ],
      [
        { service: 'dynamodb', operation: 'Query' },
        () =>
          documents().send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': 'a' },
            }),
          ),
      ],
      [
        { service: 'ssm', operation: 'GetParameter' },
        () => client(SSMClient).send(new GetParameterCommand({ Name: '/p' })),
      ],
      [
        { service: 'sns', operation: 'Publish' },
        () => client(SNSClient).send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:1:t', Message: 'm' })),
      ],
      [
        { service: 'sts', operation: 'GetCallerIdentity' },
        () => client(STSClient).send(new GetCallerIdentityCommand({})),
      ],
      [
        { service: 'states', operation: 'StartExecution' },
        () =>
          client(SFNClient).send(
            new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:s' }),
          ),
      ],
      [
        { service: 'states', operation: 'DescribeExecution' },
        () =>
          client(SFNClient).send(
            new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:1:execution:s:e' }),
          ),
      ],
      [
        { service: 'monitoring', operation: 'PutMetricData' },
        () => client(CloudWatchClient).send(new PutMetricDataCommand({ Namespace: 'n', MetricData: [] })),
      ],
      [
        { service: 'monitoring', operation: 'DescribeAlarms' },
        () => client(CloudWatchClient).send(new DescribeAlarmsCommand({})),
      ],
    ];

    it.each(cases.map(([match, call]) => [`${match.service} ${match.operation}`, match, call] as const))(
      '%s',
      async (_name, match, call) => {
        proxy.failNext(match, FAULTS.internalFailure);
        expect(await failure(call())).toEqual(asSeen(FAULTS.internalFailure));
        expect(proxy.calls(match)).toBe(1);
      },
    );
  });
});
