/**
 * The cluster and edge tasks' part of the warm standby tier, on a configuration with warm regions:
 * nodegroups sized for ACTIVE or WARM (UpdateNodegroupConfig), their EC2 warm pool, the edge at
 * zero replicas with its Service kept, and the readiness of the edge's pods.
 */
import { beforeAll, afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  CreateNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateNodegroupConfigCommand,
  type Nodegroup,
} from '@aws-sdk/client-eks';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { NotOwnedError, ResourceFailedError, TransientError } from '../../../functions/domain/errors';
import { PHASE_DEADLINE_SECONDS } from '../../../functions/domain/phase-deadlines';
import { POLL_PLANS } from '../../../functions/domain/poll-schedule';
import { KubernetesClient } from '../../../functions/kubernetes/kubernetes-client';
import { runClusterAction } from '../../../functions/tasks/cluster-task';
import { clusterTaskSchema, edgeTaskSchema } from '../../../functions/tasks/contract';
import { runEdgeAction, type RegionalEdgeTaskInput } from '../../../functions/tasks/edge-task';
import { KubernetesApiDouble } from '../../../sandbox/kubernetes-api-double';
import { exampleConfig } from '../../support/config-fixtures';

const eks = mockClient(EKSClient);
const elb = mockClient(ElasticLoadBalancingV2Client);
const ssm = mockClient(SSMClient);
const region = 'ap-southeast-1';
const config = exampleConfig((raw) => void (raw.warm = { regions: [region] }));
const ours = { 'edge-autoscaler:owner': 'edgescale' };
const executionId = 'arn:aws:states:us-east-1:123456789012:execution:edgescale-scale-up:up-ap-southeast-1-1';
const foundation = {
  vpcId: 'vpc-1',
  subnetIds: ['subnet-a'],
  securityGroupIds: [],
  clusterRoleArn: 'arn:aws:iam::123456789012:role/cluster',
  nodeRoleArn: 'arn:aws:iam::123456789012:role/node',
  secretsKeyArn: 'arn:aws:kms:ap-southeast-1:123456789012:key/k',
  nodeLaunchTemplate: { id: 'lt-0abc', version: '3' },
  certificateArn: 'arn:aws:acm:ap-southeast-1:123456789012:certificate/edge',
};
const serving = { minSize: 2, desiredSize: 2, maxSize: 4 };
const zero = { minSize: 0, desiredSize: 0, maxSize: 4 };
const warmPool = { enabled: true, minSize: 2, poolState: 'STOPPED', reuseOnScaleIn: true };
const notFound = () => new ResourceNotFoundException({ message: 'No node group found', $metadata: {} });

const cluster = (raw: unknown, target = config, now = new Date()) =>
  runClusterAction(clusterTaskSchema.parse(raw), {
    config: target,
    eks: new EKSClient({ region }),
    ssm: new SSMClient({ region }),
    sts: new STSClient({ region }),
    now,
  }) as Promise<{ status: string; created?: boolean; deadline?: string; waitSeconds: number }>;

const nodegroup = (fields: Partial<Nodegroup>) => ({
  nodegroup: {
    status: 'ACTIVE' as const,
    tags: ours,
    scalingConfig: serving,
    amiType: 'AL2023_x86_64_STANDARD' as const,
    ...fields,
  },
});
const updates = () => eks.commandCalls(UpdateNodegroupConfigCommand).map((c) => c.args[0].input);

beforeEach(() => {
  eks.reset();
  elb.reset();
  ssm.reset();
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(foundation) } });
  eks.on(UpdateNodegroupConfigCommand).resolves({ update: { id: 'u-1', status: 'InProgress' } });
});

describe('cluster-task: the nodegroup sized for its end', () => {
  it('creates a warm region’s nodegroup with its EC2 warm pool, and one for a warm-up at zero nodes', async () => {
    eks.on(DescribeNodegroupCommand).rejects(notFound());
    eks.on(CreateNodegroupCommand).resolves({ nodegroup: { status: 'CREATING' } });
    await cluster({ action: 'ensureNodegroup', region, executionId });
    await cluster({ action: 'ensureNodegroup', region, executionId, target: 'WARM' });
    const [active, warm] = eks.commandCalls(CreateNodegroupCommand).map((c) => c.args[0].input);
    expect(active).toMatchObject({ scalingConfig: serving, warmPoolConfig: warmPool });
    expect(warm).toMatchObject({ scalingConfig: zero, warmPoolConfig: warmPool });
  });

  it('gives no warm pool to a region outside warm.regions, nor with warm.nodeWarmPool off', async () => {
    eks.on(DescribeNodegroupCommand).rejects(notFound());
    eks.on(CreateNodegroupCommand).resolves({ nodegroup: { status: 'CREATING' } });
    await cluster({ action: 'ensureNodegroup', region: 'ap-south-1', executionId });
    const off = exampleConfig((raw) => void (raw.warm = { regions: [region], nodeWarmPool: false }));
    await cluster({ action: 'ensureNodegroup', region, executionId }, off);
    for (const call of eks.commandCalls(CreateNodegroupCommand))
      expect(call.args[0].input.warmPoolConfig).toBeUndefined();
  });

  it('resizes an adopted ACTIVE nodegroup of other sizes and adds its missing warm pool; it is then UPDATING', async () => {
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({ scalingConfig: zero }));
    const result = await cluster({ action: 'ensureNodegroup', region, executionId });
    expect(result).toMatchObject({
      status: 'UPDATING',
      created: false,
      waitSeconds: POLL_PLANS.nodegroupScale.typicalSeconds,
    });
    expect(updates()).toEqual([
      {
        clusterName: 'edgescale-edge-ap-southeast-1',
        nodegroupName: 'edgescale-edge-nodes',
        scalingConfig: serving,
        warmPoolConfig: warmPool,
      },
    ]);
    expect(eks.commandCalls(CreateNodegroupCommand)).toHaveLength(0);
  });

  it('leaves an adopted nodegroup alone when it is sized so, or still being created', async () => {
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({ warmPoolConfig: { enabled: true } }));
    expect(await cluster({ action: 'ensureNodegroup', region, executionId })).toMatchObject({ status: 'ACTIVE' });
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({ status: 'CREATING', scalingConfig: zero }));
    expect(await cluster({ action: 'ensureNodegroup', region, executionId })).toMatchObject({ status: 'CREATING' });
    expect(updates()).toEqual([]);
  });

  it('scaleNodegroup WARM: to zero nodes, keeping the maximum; waits the update’s typical time; begins its phase', async () => {
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({ warmPoolConfig: { enabled: true } }));
    const now = new Date();
    const result = await cluster({ action: 'scaleNodegroup', region, target: 'WARM' }, config, now);
    expect(updates()).toEqual([expect.objectContaining({ scalingConfig: zero })]);
    expect(updates()[0]).not.toHaveProperty('warmPoolConfig');
    expect(result).toEqual({
      status: 'UPDATING',
      deadline: new Date(now.getTime() + PHASE_DEADLINE_SECONDS.nodegroupScale * 1000).toISOString(),
      waitSeconds: POLL_PLANS.nodegroupScale.typicalSeconds,
    });
  });

  it('scaleNodegroup ACTIVE waits for nodes from the warm pool it had, longer for launched ones', async () => {
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({ scalingConfig: zero, warmPoolConfig: { enabled: true } }));
    expect((await cluster({ action: 'scaleNodegroup', region, target: 'ACTIVE' })).waitSeconds).toBe(
      POLL_PLANS.nodesFromWarmPool.typicalSeconds,
    );
    // A pool added by this very call is empty: its nodes launch.
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({ scalingConfig: zero }));
    expect((await cluster({ action: 'scaleNodegroup', region, target: 'ACTIVE' })).waitSeconds).toBe(
      POLL_PLANS.nodesLaunch.typicalSeconds,
    );
    expect(updates().map((u) => u.scalingConfig)).toEqual([serving, serving]);
    expect(updates()[1]?.warmPoolConfig).toEqual(warmPool);
  });

  it('scaleNodegroup changes nothing for a nodegroup already sized so (a retried call)', async () => {
    eks
      .on(DescribeNodegroupCommand)
      .resolves(nodegroup({ status: 'UPDATING', scalingConfig: zero, warmPoolConfig: { enabled: true } }));
    expect(await cluster({ action: 'scaleNodegroup', region, target: 'WARM' })).toMatchObject({
      status: 'UPDATING',
      waitSeconds: POLL_PLANS.nodegroupScale.pollSeconds,
    });
    expect(updates()).toEqual([]);
  });

  it('never attaches a warm pool to a nodegroup whose launch template brings its own AMI', async () => {
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({ scalingConfig: zero, amiType: 'CUSTOM' }));
    await cluster({ action: 'scaleNodegroup', region, target: 'ACTIVE' });
    expect(updates()).toEqual([expect.not.objectContaining({ warmPoolConfig: expect.anything() })]);
  });

  it('scaleNodegroup never creates a nodegroup, nor touches one not ours', async () => {
    eks.on(DescribeNodegroupCommand).rejects(notFound());
    await expect(cluster({ action: 'scaleNodegroup', region, target: 'ACTIVE' })).rejects.toThrow(ResourceFailedError);
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({ tags: { team: 'video' } }));
    await expect(cluster({ action: 'scaleNodegroup', region, target: 'WARM' })).rejects.toThrow(NotOwnedError);
    expect(eks.commandCalls(CreateNodegroupCommand)).toHaveLength(0);
    expect(updates()).toEqual([]);
  });

  it('scaleNodegroup: an update in progress is transient (retried), a nodegroup gone meanwhile is not', async () => {
    eks.on(DescribeNodegroupCommand).resolves(nodegroup({}));
    eks
      .on(UpdateNodegroupConfigCommand)
      .rejects(new ResourceInUseException({ message: 'update in progress', $metadata: {} }));
    await expect(cluster({ action: 'scaleNodegroup', region, target: 'WARM' })).rejects.toThrow(TransientError);
    eks.on(UpdateNodegroupConfigCommand).rejects(notFound());
    await expect(cluster({ action: 'scaleNodegroup', region, target: 'WARM' })).rejects.toThrow(/no longer exists/);
  });

  it('rejects a scaleNodegroup to INACTIVE or without a target, before any AWS call', async () => {
    for (const raw of [
      { action: 'scaleNodegroup', region, target: 'INACTIVE' },
      { action: 'scaleNodegroup', region },
    ]) {
      expect(clusterTaskSchema.safeParse(raw).success).toBe(false);
    }
    expect(edgeTaskSchema.safeParse({ action: 'applyEdge', region, target: 'INACTIVE' }).success).toBe(false);
  });
});

describe('edge-task: the edge of a warm region', () => {
  const api = new KubernetesApiDouble();
  let apiUrl: string;
  const deploymentPath = '/apis/apps/v1/namespaces/edge/deployments/edge-cache';
  const servicePath = '/api/v1/namespaces/edge/services/edge';
  const hostname = 'edge-1.elb.ap-southeast-1.amazonaws.com';
  const edge = (input: RegionalEdgeTaskInput, now = new Date()) =>
    runEdgeAction(input, {
      config,
      eks: new EKSClient({ region }),
      elb: new ElasticLoadBalancingV2Client({ region }),
      ssm: new SSMClient({ region }),
      kubernetes: async () => new KubernetesClient({ baseUrl: apiUrl, bearerToken: 'test' }),
      agentScript: '// agent\n',
      now,
    }) as Promise<{ ready: boolean; waitSeconds: number; created?: boolean; dnsName?: string }>;
  const replicas = () => (api.objects.get(deploymentPath)?.spec as { replicas?: number } | undefined)?.replicas;

  beforeAll(async () => void (apiUrl = await api.start()));
  afterAll(() => api.stop());
  beforeEach(() => {
    api.reset();
    eks.on(DescribeClusterCommand).resolves({
      cluster: { name: 'edgescale-edge-ap-southeast-1', status: 'ACTIVE', tags: ours, endpoint: 'https://x' },
    });
    elb.on(DescribeLoadBalancersCommand).resolves({
      LoadBalancers: [{ DNSName: hostname, CanonicalHostedZoneId: 'ZLB', State: { Code: 'active' } }],
    });
  });

  it('a warm-up applies every manifest with the Deployment at zero replicas: the Service, and its load balancer, exist', async () => {
    const applied = await edge({ action: 'applyEdge', region, target: 'WARM' });
    expect(applied.created).toBe(true);
    expect(replicas()).toBe(0);
    expect(api.objects.has(servicePath)).toBe(true);
    api.provisionLoadBalancer(servicePath, hostname);
    // No pod is asked for: the edge is as ready as a WARM region's is.
    expect(await edge({ action: 'readEdgeEndpoint', region })).toMatchObject({ ready: true, dnsName: hostname });
  });

  it('is ready only once the Deployment’s replicas are available, and waits briefly for them', async () => {
    api.deploymentRolloutSeconds = 60;
    await edge({ action: 'applyEdge', region });
    api.provisionLoadBalancer(servicePath, hostname);
    expect(await edge({ action: 'readEdgeEndpoint', region })).toEqual({
      ready: false,
      waitSeconds: POLL_PLANS.edgePods.pollSeconds,
    });
    const late = new Date(Date.now() + 1000);
    await expect(
      edge({ action: 'readEdgeEndpoint', region, deadline: new Date(Date.now() - 1).toISOString() }, late),
    ).rejects.toThrow(/the edge pods in ap-southeast-1 to be available \(.* replicas of Deployment edge-cache/);
    api.deploymentRolloutSeconds = 0;
    expect(await edge({ action: 'readEdgeEndpoint', region })).toMatchObject({ ready: true });
  });

  it('fails at once when Kubernetes reports the pods’ rollout stalled', async () => {
    api.stallRollouts('');
    await edge({ action: 'applyEdge', region });
    api.provisionLoadBalancer(servicePath, hostname);
    await expect(edge({ action: 'readEdgeEndpoint', region })).rejects.toThrow(ResourceFailedError);
    await expect(edge({ action: 'readEdgeEndpoint', region })).rejects.toThrow(/do not start: .*progress deadline/);
  });

  it('parkEdge scales the Deployment to zero and keeps the Service; it creates nothing on an empty cluster', async () => {
    await edge({ action: 'applyEdge', region });
    api.provisionLoadBalancer(servicePath, hostname);
    expect(replicas()).toBe(config.edge.replicas);
    expect(await edge({ action: 'parkEdge', region })).toEqual({ ready: true, waitSeconds: 1 });
    expect(replicas()).toBe(0);
    expect(api.objects.get(servicePath)?.status).toEqual({ loadBalancer: { ingress: [{ hostname }] } });
    // The Deployment's other fields are the manifest's: only its replicas changed.
    const parked = api.requests.filter((r) => r.method === 'PATCH').at(-1)!;
    expect(parked.path).toBe(deploymentPath);
    expect((parked.body as { spec: { template: object } }).spec.template).toBeDefined();

    api.reset();
    await edge({ action: 'parkEdge', region });
    expect(api.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
    expect(api.objects.size).toBe(0);
  });

  it('parkEdge refuses a cluster that is not ours, before any Kubernetes call', async () => {
    eks
      .on(DescribeClusterCommand)
      .resolves({ cluster: { name: 'edgescale-edge-ap-southeast-1', status: 'ACTIVE', tags: {} } });
    await expect(edge({ action: 'parkEdge', region })).rejects.toThrow(NotOwnedError);
    expect(api.requests).toEqual([]);
  });

  it('a Service missing when the edge is read is a failure, not a wait, even past the deadline', async () => {
    const past = new Date(Date.now() - 1000).toISOString();
    await expect(edge({ action: 'readEdgeEndpoint', region, deadline: past })).rejects.toThrow(ResourceFailedError);
  });
});
