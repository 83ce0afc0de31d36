import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteClusterCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ResourceInUseException,
  ResourceNotFoundException,
  ServerException,
  ThrottlingException,
} from '@aws-sdk/client-eks';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DeadlineExceededError,
  InvalidRequestError,
  NotOwnedError,
  TransientError,
} from '../../../functions/domain/errors';
import { CREATED_BY_TAG_KEY } from '../../../functions/domain/naming';
import { PHASE_DEADLINE_SECONDS, type Phase } from '../../../functions/domain/phase-deadlines';
import { SETTLED_WAIT_SECONDS } from '../../../functions/domain/poll-schedule';
import { exampleConfig } from '../../support/config-fixtures';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';

const eks = mockClient(EKSClient);
const ssm = mockClient(SSMClient);
const config = exampleConfig();
const region = 'ap-southeast-1';
const ours = { 'edge-autoscaler:owner': 'edgescale' };
/** `$$.Execution.Id` of the execution asking (the workflow passes it to ensure*). */
const executionId = 'arn:aws:states:us-east-1:123456789012:execution:edgescale-scale-up:up-ap-southeast-1-1';
const createdByThisExecution = { ...ours, [CREATED_BY_TAG_KEY]: executionId };
const foundation = {
  vpcId: 'vpc-1',
  subnetIds: ['subnet-a', 'subnet-b'],
  securityGroupIds: ['sg-1'],
  clusterRoleArn: 'arn:aws:iam::123456789012:role/edgescale-ap-southeast-1-eks-cluster',
  nodeRoleArn: 'arn:aws:iam::123456789012:role/edgescale-ap-southeast-1-eks-node',
  secretsKeyArn: 'arn:aws:kms:ap-southeast-1:123456789012:key/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9',
  nodeLaunchTemplate: { id: 'lt-0abc1234def567890', version: '3' },
};
const meta = { $metadata: {} };
const notFound = () => new ResourceNotFoundException({ message: 'No cluster found', ...meta });

type ResourceResult = { status: string; created?: boolean; deadline?: string; waitSeconds: number };
/** The cluster task's handler, for the actions on the cluster and nodegroup (ResourceStatus results). */
let handler: (input: unknown) => Promise<ResourceResult>;

/** The deadline a call made between `before` and now gave its phase. */
function expectDeadline(deadline: string | undefined, phase: Phase, before: number): void {
  const budget = PHASE_DEADLINE_SECONDS[phase] * 1000;
  expect(Date.parse(deadline ?? '')).toBeGreaterThanOrEqual(before + budget);
  expect(Date.parse(deadline ?? '')).toBeLessThanOrEqual(Date.now() + budget);
}
const past = () => new Date(Date.now() - 1000).toISOString();
const future = () => new Date(Date.now() + 60_000).toISOString();

beforeAll(async () => {
  setTaskEnvironment(config, { stateTableName: 'unused' });
  const module = await import('../../../functions/tasks/cluster-task');
  handler = (input) => module.handler(input, lambdaContext('cluster-task')) as Promise<ResourceResult>;
});

beforeEach(() => {
  eks.reset();
  ssm.reset();
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(foundation) } });
});

const sdkCalls = () => eks.calls().length + ssm.calls().length;

describe('cluster-task input', () => {
  it.each([
    ['an unknown action', { action: 'createEverything', region }, /input\.action/],
    ['a missing region', { action: 'ensureCluster' }, /input\.region = missing/],
    ['an empty region', { action: 'deleteCluster', region: '' }, /input\.region/],
    ['not an object', 'ensureCluster', /input/],
  ])('rejects %s with InvalidRequestError before any AWS call', async (_what, input, message) => {
    await expect(handler(input)).rejects.toThrow(InvalidRequestError);
    await expect(handler(input)).rejects.toThrow(message);
    expect(sdkCalls()).toBe(0);
  });

  it('rejects a region outside the configured lists before any AWS call', async () => {
    await expect(handler({ action: 'deleteCluster', region: 'eu-central-1' })).rejects.toThrow(
      /eu-central-1 is not approved/,
    );
    expect(sdkCalls()).toBe(0);
  });
});

describe('ensureCluster', () => {
  it('creates the cluster from the foundation: owner tag, STANDARD support, audit logging, secrets encrypted, access entries only, the fixed Service range', async () => {
    const createdAt = new Date();
    eks.on(DescribeClusterCommand).rejects(notFound());
    eks.on(CreateClusterCommand).resolves({ cluster: { status: 'CREATING', createdAt } });

    const before = Date.now();
    const result = await handler({ action: 'ensureCluster', region, executionId });

    expect(result).toEqual({ status: 'CREATING', created: true, deadline: result.deadline, waitSeconds: 540 });
    expectDeadline(result.deadline, 'clusterCreate', before);
    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({
      Name: '/edgescale/foundation/ap-southeast-1',
    });
    expect(eks.commandCalls(CreateClusterCommand)[0]?.args[0].input).toEqual({
      name: 'edgescale-edge-ap-southeast-1',
      version: '1.35',
      roleArn: foundation.clusterRoleArn,
      resourcesVpcConfig: {
        subnetIds: ['subnet-a', 'subnet-b'],
        securityGroupIds: ['sg-1'],
        endpointPublicAccess: true,
        publicAccessCidrs: ['0.0.0.0/0'],
        endpointPrivateAccess: true,
      },
      kubernetesNetworkConfig: { serviceIpv4Cidr: '172.20.0.0/16', ipFamily: 'ipv4' },
      logging: { clusterLogging: [{ types: ['api', 'audit', 'authenticator'], enabled: true }] },
      encryptionConfig: [{ resources: ['secrets'], provider: { keyArn: foundation.secretsKeyArn } }],
      upgradePolicy: { supportType: 'STANDARD' },
      accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: false },
      tags: createdByThisExecution,
    });
  });

  it('adopts a cluster tagged as ours without creating one, and waits what remains of its creation', async () => {
    const createdAt = new Date(Date.now() - 300_000);
    const tags = { ...ours, [CREATED_BY_TAG_KEY]: 'arn:aws:states:us-east-1:123456789012:execution:x:earlier' };
    eks.on(DescribeClusterCommand).resolves({ cluster: { status: 'CREATING', createdAt, tags } });
    const before = Date.now();
    const result = await handler({ action: 'ensureCluster', region, executionId });
    expect(result.created).toBe(false);
    expectDeadline(result.deadline, 'clusterCreate', before);
    expect(result.waitSeconds).toBeGreaterThanOrEqual(239);
    expect(result.waitSeconds).toBeLessThanOrEqual(241);
    expect(eks.commandCalls(CreateClusterCommand)).toHaveLength(0);
  });

  it('knows a cluster as its own from the tag, when the response to its CreateCluster was lost and a retry finds it', async () => {
    eks.on(DescribeClusterCommand).rejects(notFound());
    eks.on(CreateClusterCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    await expect(handler({ action: 'ensureCluster', region, executionId })).rejects.toThrow(TransientError);

    // The create took effect: the retry of the same execution finds the cluster carrying its id.
    eks.reset();
    eks
      .on(DescribeClusterCommand)
      .resolves({ cluster: { status: 'CREATING', createdAt: new Date(), tags: createdByThisExecution } });
    const retried = await handler({ action: 'ensureCluster', region, executionId });
    expect(retried).toMatchObject({ status: 'CREATING', created: true });
    expect(eks.commandCalls(CreateClusterCommand)).toHaveLength(0);
  });

  it('rejects an ensureCluster without the execution id, before any AWS call', async () => {
    await expect(handler({ action: 'ensureCluster', region })).rejects.toThrow(/input\.executionId = missing/);
    expect(sdkCalls()).toBe(0);
  });

  it('refuses a cluster of the same name that is not tagged as ours (NotOwnedError), creating nothing', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { status: 'ACTIVE', tags: { team: 'video' } } });
    await expect(handler({ action: 'ensureCluster', region, executionId })).rejects.toThrow(NotOwnedError);
    expect(eks.commandCalls(CreateClusterCommand)).toHaveLength(0);
  });

  it('tells the operator to deploy the region stack when the foundation parameter is missing', async () => {
    eks.on(DescribeClusterCommand).rejects(notFound());
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', ...meta }));
    await expect(handler({ action: 'ensureCluster', region, executionId })).rejects.toThrow(
      /no SSM parameter \/edgescale\/foundation\/ap-southeast-1 in ap-southeast-1; fix: deploy the stack edgescale-region-ap-southeast-1/,
    );
    expect(eks.commandCalls(CreateClusterCommand)).toHaveLength(0);
  });

  it('limits the public endpoint to cluster.endpointPublicAccessCidrs, the private endpoint staying on', async () => {
    eks.on(DescribeClusterCommand).rejects(notFound());
    eks.on(CreateClusterCommand).resolves({ cluster: { status: 'CREATING', createdAt: new Date() } });
    const cidrs = ['203.0.113.0/24', '198.51.100.7/32'];
    const narrowed = exampleConfig((raw) => void (raw.cluster.endpointPublicAccessCidrs = cidrs));
    const { runClusterAction } = await import('../../../functions/tasks/cluster-task');
    const clients = { eks: new EKSClient({}), ssm: new SSMClient({}), sts: new STSClient({}) };
    await runClusterAction(
      { action: 'ensureCluster', region, executionId },
      { config: narrowed, ...clients, now: new Date() },
    );
    expect(eks.commandCalls(CreateClusterCommand)[0]?.args[0].input.resourcesVpcConfig).toMatchObject({
      endpointPublicAccess: true,
      publicAccessCidrs: cidrs,
      endpointPrivateAccess: true,
    });
  });

  it.each<['ensureCluster' | 'ensureNodegroup', 'secretsKeyArn' | 'nodeLaunchTemplate']>([
    ['ensureCluster', 'secretsKeyArn'],
    ['ensureNodegroup', 'nodeLaunchTemplate'],
  ])(
    '%s refuses a foundation deployed before %s existed, naming the stack to deploy, creating nothing',
    async (action, field) => {
      eks.on(DescribeClusterCommand).rejects(notFound());
      eks.on(DescribeNodegroupCommand).rejects(notFound());
      const { [field]: _left, ...older } = foundation;
      ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(older) } });
      const refusal = handler({ action, region, executionId });
      await expect(refusal).rejects.toThrow(InvalidRequestError);
      await expect(handler({ action, region, executionId })).rejects.toThrow(
        new RegExp(`has no ${field}; fix: deploy the stack edgescale-region-ap-southeast-1`),
      );
      expect(eks.commandCalls(CreateClusterCommand).length + eks.commandCalls(CreateNodegroupCommand).length).toBe(0);
    },
  );

  it('rejects a malformed foundation document, naming the field', async () => {
    eks.on(DescribeClusterCommand).rejects(notFound());
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({ ...foundation, subnetIds: [] }) } });
    await expect(handler({ action: 'ensureCluster', region, executionId })).rejects.toThrow(/subnetIds/);
  });
});

describe('transient AWS errors become TransientError (retried by the workflow)', () => {
  it.each([
    ['throttling', new ThrottlingException({ message: 'Rate exceeded', ...meta })],
    ['a server error', new ServerException({ message: 'oops', $metadata: { httpStatusCode: 500 } })],
    [
      'an HTTP 503',
      Object.assign(new Error('Service Unavailable'), { name: 'Unknown', $metadata: { httpStatusCode: 503 } }),
    ],
    ['PriorRequestNotComplete', Object.assign(new Error('wait'), { name: 'PriorRequestNotComplete' })],
  ])('on DescribeCluster: %s', async (_what, error) => {
    eks.on(DescribeClusterCommand).rejects(error);
    await expect(handler({ action: 'describeCluster', region })).rejects.toThrow(TransientError);
  });

  it('on DeleteCluster while a nodegroup still exists (ResourceInUseException)', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { status: 'ACTIVE', tags: ours } });
    eks.on(DeleteClusterCommand).rejects(new ResourceInUseException({ message: 'has nodegroups', ...meta }));
    await expect(handler({ action: 'deleteCluster', region })).rejects.toThrow(/DeleteCluster: ResourceInUseException/);
  });

  it('but not on a refusal that waiting cannot fix', async () => {
    eks.on(DescribeClusterCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(handler({ action: 'describeCluster', region })).rejects.toThrow(
      expect.objectContaining({ name: 'AccessDeniedException' }),
    );
  });
});

describe('describe and delete', () => {
  it('reports a missing cluster or nodegroup as DELETED', async () => {
    eks.on(DescribeClusterCommand).rejects(notFound());
    eks.on(DescribeNodegroupCommand).rejects(notFound());
    for (const action of ['describeCluster', 'describeNodegroup']) {
      expect(await handler({ action, region })).toEqual({ status: 'DELETED', waitSeconds: SETTLED_WAIT_SECONDS });
    }
    for (const action of ['deleteCluster', 'deleteNodegroup']) {
      expect(await handler({ action, region })).toEqual({
        status: 'DELETED',
        deadline: expect.any(String),
        waitSeconds: SETTLED_WAIT_SECONDS,
      });
    }
    expect(eks.commandCalls(DeleteClusterCommand)).toHaveLength(0);
  });

  it('deletes our cluster and waits the typical deletion time first', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { status: 'ACTIVE', tags: ours } });
    eks.on(DeleteClusterCommand).resolves({});
    const before = Date.now();
    const result = await handler({ action: 'deleteCluster', region });
    expect(result).toEqual({ status: 'DELETING', deadline: result.deadline, waitSeconds: 180 });
    expectDeadline(result.deadline, 'clusterDelete', before);
    expect(eks.commandCalls(DeleteClusterCommand)[0]?.args[0].input).toEqual({ name: 'edgescale-edge-ap-southeast-1' });
  });

  it('never deletes a cluster or nodegroup without our tag', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { status: 'ACTIVE', tags: {} } });
    eks
      .on(DescribeNodegroupCommand)
      .resolves({ nodegroup: { status: 'ACTIVE', tags: { 'edge-autoscaler:owner': 'other' } } });
    await expect(handler({ action: 'deleteCluster', region })).rejects.toThrow(NotOwnedError);
    await expect(handler({ action: 'deleteNodegroup', region })).rejects.toThrow(/has edge-autoscaler:owner=other/);
    expect(eks.calls().filter((c) => c.args[0].constructor.name.startsWith('Delete'))).toHaveLength(0);
  });

  it('does not ask again for a deletion already under way, and polls it', async () => {
    eks.on(DescribeNodegroupCommand).resolves({ nodegroup: { status: 'DELETING', tags: ours } });
    const before = Date.now();
    const result = await handler({ action: 'deleteNodegroup', region });
    expect(result).toEqual({ status: 'DELETING', deadline: result.deadline, waitSeconds: 30 });
    expectDeadline(result.deadline, 'nodegroupDelete', before);
    expect(eks.calls()).toHaveLength(1);
  });

  it('returns a failed status for the workflow to decide on', async () => {
    eks.on(DescribeNodegroupCommand).resolves({ nodegroup: { status: 'CREATE_FAILED', tags: ours } });
    expect(await handler({ action: 'describeNodegroup', region })).toEqual({
      status: 'CREATE_FAILED',
      waitSeconds: SETTLED_WAIT_SECONDS,
    });
  });
});

describe('phase deadlines of the polls', () => {
  it('fails with DeadlineExceededError when the cluster is not yet what its phase awaits after the deadline', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { status: 'CREATING', createdAt: new Date(), tags: ours } });
    const poll = { action: 'describeCluster', region, awaiting: 'ACTIVE' };
    expect(await handler({ ...poll, deadline: future() })).toMatchObject({ status: 'CREATING' });
    await expect(handler({ ...poll, deadline: past() })).rejects.toThrow(DeadlineExceededError);
    await expect(handler({ ...poll, deadline: past() })).rejects.toThrow(
      /Gave up waiting for the EKS cluster edgescale-edge-ap-southeast-1 to be ACTIVE \(it is CREATING\): its deadline .* has passed/,
    );
  });

  it('reports the awaited status even after the deadline: the phase is done', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { status: 'ACTIVE', tags: ours } });
    eks.on(DescribeNodegroupCommand).rejects(notFound());
    expect(await handler({ action: 'describeCluster', region, awaiting: 'ACTIVE', deadline: past() })).toMatchObject({
      status: 'ACTIVE',
    });
    expect(await handler({ action: 'describeNodegroup', region, awaiting: 'DELETED', deadline: past() })).toMatchObject(
      { status: 'DELETED' },
    );
  });

  it('fails a nodegroup deletion still DELETING after its deadline', async () => {
    eks.on(DescribeNodegroupCommand).resolves({ nodegroup: { status: 'DELETING', tags: ours } });
    await expect(
      handler({ action: 'describeNodegroup', region, awaiting: 'DELETED', deadline: past() }),
    ).rejects.toThrow(/the EKS nodegroup edgescale-edge-nodes to be DELETED \(it is DELETING\)/);
  });

  it('never expires a poll without a deadline, and rejects a deadline that is not a date', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { status: 'CREATING', tags: ours } });
    expect(await handler({ action: 'describeCluster', region, awaiting: 'ACTIVE' })).toMatchObject({
      status: 'CREATING',
    });
    await expect(handler({ action: 'describeCluster', region, deadline: 'tomorrow' })).rejects.toThrow(
      /input\.deadline/,
    );
  });
});

describe('ensureNodegroup', () => {
  it('creates the nodegroup with the configured instance types and scaling, the node role, subnets, launch template and tag', async () => {
    eks.on(DescribeNodegroupCommand).rejects(notFound());
    eks.on(CreateNodegroupCommand).resolves({ nodegroup: { status: 'CREATING', createdAt: new Date() } });
    const before = Date.now();
    const result = await handler({ action: 'ensureNodegroup', region, executionId });
    expect(result).toEqual({ status: 'CREATING', created: true, deadline: result.deadline, waitSeconds: 150 });
    expectDeadline(result.deadline, 'nodegroupCreate', before);
    expect(eks.commandCalls(CreateNodegroupCommand)[0]?.args[0].input).toEqual({
      clusterName: 'edgescale-edge-ap-southeast-1',
      nodegroupName: 'edgescale-edge-nodes',
      nodeRole: foundation.nodeRoleArn,
      subnets: foundation.subnetIds,
      // The foundation's template tags the instances, volumes and interfaces; no remote access (SSH).
      launchTemplate: { id: 'lt-0abc1234def567890', version: '3' },
      instanceTypes: ['t3.medium'],
      capacityType: 'ON_DEMAND',
      scalingConfig: { minSize: 2, desiredSize: 2, maxSize: 4 },
      tags: createdByThisExecution,
    });
  });

  it('adopts our existing nodegroup: created by this execution only when its tag says so', async () => {
    eks.on(DescribeNodegroupCommand).resolves({ nodegroup: { status: 'ACTIVE', tags: ours } });
    expect(await handler({ action: 'ensureNodegroup', region, executionId })).toEqual({
      status: 'ACTIVE',
      created: false,
      deadline: expect.any(String),
      waitSeconds: SETTLED_WAIT_SECONDS,
    });
    eks.on(DescribeNodegroupCommand).resolves({ nodegroup: { status: 'CREATING', tags: createdByThisExecution } });
    expect(await handler({ action: 'ensureNodegroup', region, executionId })).toMatchObject({ created: true });
    expect(eks.commandCalls(CreateNodegroupCommand)).toHaveLength(0);
  });
});
