/**
 * The workflow metrics, as CloudWatch would receive them: the task handlers run with Powertools
 * metrics enabled and their embedded-metric-format output is read back from stdout.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeClusterCommand, DescribeNodegroupCommand, EKSClient, type Cluster } from '@aws-sdk/client-eks';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetChangeCommand, Route53Client } from '@aws-sdk/client-route-53';
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
import type { Context } from 'aws-lambda';
import { KUBERNETES_API_OVERRIDE_ENV } from '../../../functions/kubernetes/cluster-access';
import { exampleConfig } from '../../support/config-fixtures';
import { captureMetrics, enableMetrics, type EmittedMetric } from '../../support/emf-capture';
import { KubernetesApiDouble } from '../../../sandbox/kubernetes-api-double';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';
import { applyUpdateExpression } from '../../support/update-expression';

const dynamo = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
const eks = mockClient(EKSClient);
const elb = mockClient(ElasticLoadBalancingV2Client);
const route53 = mockClient(Route53Client);
const ssm = mockClient(SSMClient);
const api = new KubernetesApiDouble();
const config = exampleConfig();
const owner = 'arn:aws:states:us-east-1:123456789012:execution:edgescale-scale-up:run-1';
const ours = { 'edge-autoscaler:owner': 'edgescale' };
const service = { service: 'edge-autoscaler' };

type Handler = (input: unknown, context: Context) => Promise<unknown>;
const handlers: Record<'region' | 'cluster' | 'edge' | 'dns', Handler> = {} as never;

/** Runs one task invocation and returns the metrics it emitted; fails on any other output. */
async function metricsOf(task: keyof typeof handlers, input: unknown): Promise<EmittedMetric[]> {
  const { metrics, otherOutput } = await captureMetrics(() => handlers[task](input, lambdaContext(`${task}-task`)));
  expect(otherOutput).toEqual([]);
  for (const metric of metrics) expect(metric.namespace).toBe('EdgeAutoscaler');
  return metrics;
}
const summary = (metrics: EmittedMetric[]) =>
  metrics.map(({ name, unit, value, dimensions }) => ({ name, unit, value, dimensions }));

const secondsAgo = (seconds: number) => new Date(Date.now() - seconds * 1000);

// ---- a state table in memory (conditions are not evaluated: region-task's tests cover them) ----
const table = new Map<string, Record<string, unknown>>();
const keyOf = (key: Record<string, unknown> | undefined) => `${String(key?.pk)}|${String(key?.sk)}`;
function putState(region: string, status: string): void {
  table.set(keyOf({ pk: `region#${region}`, sk: 'state' }), {
    pk: `region#${region}`,
    sk: 'state',
    region,
    status,
    since: secondsAgo(3600).toISOString(),
    consecutiveFailures: 0,
  });
}
function putLock(region: string, acquiredAt: Date): void {
  const item = { pk: `region#${region}`, sk: 'lock', region, owner, acquiredAt: acquiredAt.toISOString() };
  table.set(keyOf(item), item);
}

beforeAll(async () => {
  enableMetrics();
  process.env[KUBERNETES_API_OVERRIDE_ENV] = await api.start();
  setTaskEnvironment(config, {
    stateTableName: 'edgescale-region-state',
    notificationTopicArn: 'arn:aws:sns:us-east-1:123456789012:edgescale-notifications',
  });
  handlers.region = (await import('../../../functions/tasks/region-task')).handler as Handler;
  handlers.cluster = (await import('../../../functions/tasks/cluster-task')).handler as Handler;
  handlers.edge = (await import('../../../functions/tasks/edge-task')).handler as Handler;
  handlers.dns = (await import('../../../functions/tasks/dns-task')).handler as Handler;
});
afterAll(async () => {
  delete process.env[KUBERNETES_API_OVERRIDE_ENV];
  await api.stop();
});
beforeEach(() => {
  for (const mock of [dynamo, sns, eks, elb, route53, ssm]) mock.reset();
  api.reset();
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
  sns.on(PublishCommand).resolves({});
  // Serving before each test: both always-on regions and one elastic region.
  for (const region of ['us-east-1', 'eu-west-1', 'ap-southeast-1']) putState(region, 'ACTIVE');
});

describe('region-task: scale-ups and scale-downs started, succeeded, failed, and the active regions', () => {
  it('lockRegion counts a started scale-up in its region and the active regions at that moment', async () => {
    const metrics = await metricsOf('region', { action: 'lockRegion', region: 'sa-east-1', owner, direction: 'up' });
    expect(summary(metrics)).toEqual([
      { name: 'ScaleUpStarted', unit: 'Count', value: 1, dimensions: { ...service, Region: 'sa-east-1' } },
      { name: 'ActiveRegions', unit: 'Count', value: 3, dimensions: service },
      { name: 'ActiveElasticRegions', unit: 'Count', value: 1, dimensions: service },
    ]);
  });

  it('finishScaling up counts the success, the lead time from the lock, and the region now active', async () => {
    putState('sa-east-1', 'PROVISIONING');
    putLock('sa-east-1', secondsAgo(900));
    const metrics = await metricsOf('region', {
      action: 'finishScaling',
      region: 'sa-east-1',
      owner,
      direction: 'up',
      recordTarget: { dnsName: 'lb.elb.amazonaws.com', hostedZoneId: 'ZLB' },
    });
    expect(summary(metrics)).toEqual([
      { name: 'ScaleUpSucceeded', unit: 'Count', value: 1, dimensions: { ...service, Region: 'sa-east-1' } },
      { name: 'ScaleUpLeadTimeSeconds', unit: 'Seconds', value: 900, dimensions: { ...service, Region: 'sa-east-1' } },
      { name: 'ActiveRegions', unit: 'Count', value: 4, dimensions: service },
      { name: 'ActiveElasticRegions', unit: 'Count', value: 2, dimensions: service },
    ]);
  });

  it('finishScaling up from WARM (the warm path) records its lead time apart from the cold one', async () => {
    putState('sa-east-1', 'PROVISIONING');
    const key = keyOf({ pk: 'region#sa-east-1', sk: 'state' });
    table.set(key, { ...table.get(key), transitionFrom: 'WARM', transitionTarget: 'ACTIVE' });
    putLock('sa-east-1', secondsAgo(180));
    const metrics = await metricsOf('region', {
      action: 'finishScaling',
      region: 'sa-east-1',
      owner,
      direction: 'up',
      recordTarget: { dnsName: 'lb.elb.amazonaws.com', hostedZoneId: 'ZLB' },
    });
    expect(summary(metrics).map((m) => m.name)).toEqual([
      'ScaleUpSucceeded',
      'WarmScaleUpLeadTimeSeconds',
      'ActiveRegions',
      'ActiveElasticRegions',
    ]);
    expect(summary(metrics)[1]).toEqual({
      name: 'WarmScaleUpLeadTimeSeconds',
      unit: 'Seconds',
      value: 180,
      dimensions: { ...service, Region: 'sa-east-1' },
    });
  });

  it('finishScaling down counts the success (no lead time) and one active region less', async () => {
    putState('ap-southeast-1', 'DRAINING');
    putLock('ap-southeast-1', secondsAgo(600));
    const metrics = await metricsOf('region', {
      action: 'finishScaling',
      region: 'ap-southeast-1',
      owner,
      direction: 'down',
    });
    expect(summary(metrics)).toEqual([
      { name: 'ScaleDownSucceeded', unit: 'Count', value: 1, dimensions: { ...service, Region: 'ap-southeast-1' } },
      { name: 'ActiveRegions', unit: 'Count', value: 2, dimensions: service },
      { name: 'ActiveElasticRegions', unit: 'Count', value: 0, dimensions: service },
    ]);
  });

  it('failScaling counts the failure in its region', async () => {
    putState('ap-south-1', 'PROVISIONING');
    putLock('ap-south-1', secondsAgo(300));
    const metrics = await metricsOf('region', {
      action: 'failScaling',
      region: 'ap-south-1',
      owner,
      direction: 'up',
      error: { Error: 'ResourceFailedError', Cause: 'the EKS cluster is FAILED' },
    });
    expect(summary(metrics)).toEqual([
      { name: 'ScaleUpFailed', unit: 'Count', value: 1, dimensions: { ...service, Region: 'ap-south-1' } },
      { name: 'ActiveRegions', unit: 'Count', value: 3, dimensions: service },
      { name: 'ActiveElasticRegions', unit: 'Count', value: 1, dimensions: service },
    ]);
  });

  it('notifyRefusal counts the refusal fleet-wide: a refused request may name any region', async () => {
    const metrics = await metricsOf('region', {
      action: 'notifyRefusal',
      request: { region: 'eu-central-1' },
      direction: 'up',
      error: { Error: 'InvalidRequestError', Cause: 'not approved' },
    });
    expect(summary(metrics)).toEqual([{ name: 'ScaleUpRefused', unit: 'Count', value: 1, dimensions: service }]);
  });
});

describe('step durations of a scale-up, per region', () => {
  const region = 'ap-northeast-1';
  const executionStartedAt = secondsAgo(1200).toISOString();

  it('cluster-task times the creation of a cluster this execution created when it first sees it ACTIVE', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { status: 'ACTIVE', createdAt: secondsAgo(660), tags: ours } });
    const metrics = await metricsOf('cluster', { action: 'describeCluster', region, executionStartedAt });
    expect(summary(metrics)).toEqual([
      { name: 'ClusterCreateSeconds', unit: 'Seconds', value: 660, dimensions: { ...service, Region: region } },
    ]);
  });

  it('cluster-task times the nodegroup the same way', async () => {
    eks
      .on(DescribeNodegroupCommand)
      .resolves({ nodegroup: { status: 'ACTIVE', createdAt: secondsAgo(150), tags: ours } });
    const metrics = await metricsOf('cluster', { action: 'describeNodegroup', region, executionStartedAt });
    expect(summary(metrics)).toEqual([
      { name: 'NodegroupCreateSeconds', unit: 'Seconds', value: 150, dimensions: { ...service, Region: region } },
    ]);
  });

  it.each([
    ['still CREATING', { status: 'CREATING', createdAt: secondsAgo(60) }, executionStartedAt],
    [
      'adopted (created before this execution)',
      { status: 'ACTIVE', createdAt: secondsAgo(86_400) },
      executionStartedAt,
    ],
    [
      'polled without an execution start (rollback, scale-down)',
      { status: 'ACTIVE', createdAt: secondsAgo(60) },
      undefined,
    ],
  ] as Array<[string, Cluster, string | undefined]>)(
    'cluster-task records nothing for a cluster %s',
    async (_what, cluster, startedAt) => {
      eks.on(DescribeClusterCommand).resolves({ cluster: { ...cluster, tags: ours } });
      expect(await metricsOf('cluster', { action: 'describeCluster', region, executionStartedAt: startedAt })).toEqual(
        [],
      );
    },
  );

  it('edge-task times the load balancer from the creation of the edge Service to its endpoint ready', async () => {
    eks.on(DescribeClusterCommand).resolves({
      cluster: { name: 'edgescale-edge-ap-northeast-1', status: 'ACTIVE', createdAt: secondsAgo(900), tags: ours },
    });
    const servicePath = '/api/v1/namespaces/edge/services/edge';
    const hostname = 'a0123-456.elb.ap-northeast-1.amazonaws.com';
    // The region's foundation holds the certificate the edge's TLS listener serves.
    const certificateArn = 'arn:aws:acm:ap-northeast-1:123456789012:certificate/edge';
    const foundation = {
      vpcId: 'vpc-1',
      subnetIds: ['subnet-a'],
      securityGroupIds: [],
      clusterRoleArn: 'r',
      nodeRoleArn: 'n',
    };
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({ ...foundation, certificateArn }) } });
    expect(await metricsOf('edge', { action: 'applyEdge', region })).toEqual([]);
    api.objects.get(servicePath)!.metadata.creationTimestamp = secondsAgo(240).toISOString();
    api.provisionLoadBalancer(servicePath, hostname);
    elb.on(DescribeLoadBalancersCommand).resolves({
      LoadBalancers: [{ DNSName: hostname, CanonicalHostedZoneId: 'Z31USIVHYNEOWT', State: { Code: 'active' } }],
    });
    const metrics = await metricsOf('edge', { action: 'readEdgeEndpoint', region, executionStartedAt });
    expect(summary(metrics)).toEqual([
      { name: 'EdgeEndpointSeconds', unit: 'Seconds', value: 240, dimensions: { ...service, Region: region } },
    ]);
  });

  it('dns-task times the record change from its submission to INSYNC, in the region the workflow names', async () => {
    route53
      .on(GetChangeCommand)
      .resolves({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: secondsAgo(75) } });
    const metrics = await metricsOf('dns', { action: 'getChange', changeId: 'C1', region });
    expect(summary(metrics)).toEqual([
      { name: 'DnsInSyncSeconds', unit: 'Seconds', value: 75, dimensions: { ...service, Region: region } },
    ]);
    expect(await metricsOf('dns', { action: 'getChange', changeId: 'C1' })).toEqual([]);
  });

  it('dns-task records nothing while the change is PENDING, and prints no "No application metrics" warning', async () => {
    route53
      .on(GetChangeCommand)
      .resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: secondsAgo(20) } });
    const { metrics, otherOutput } = await captureMetrics(() =>
      handlers.dns({ action: 'getChange', changeId: 'C1', region }, lambdaContext('dns-task')),
    );
    expect(metrics).toEqual([]);
    expect(otherOutput).toEqual([]);
  });
});
