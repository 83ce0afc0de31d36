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
import { mockClient } from 'aws-sdk-client-mock';
import { InvalidRequestError, NotOwnedError, TransientError } from '../../../functions/domain/errors';
import { exampleConfig } from '../../support/config-fixtures';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';

const eks = mockClient(EKSClient);
const ssm = mockClient(SSMClient);
const config = exampleConfig();
const region = 'ap-southeast-1';
const ours = { 'edge-autoscaler:owner': 'edgescale' };
const foundation = {
  vpcId: 'vpc-1',
  subnetIds: ['subnet-a', 'subnet-b'],
  securityGroupIds: ['sg-1'],
  clusterRoleArn: 'arn:aws:iam::123456789012:role/edgescale-ap-southeast-1-eks-cluster',
  nodeRoleArn: 'arn:aws:iam::123456789012:role/edgescale-ap-southeast-1-eks-node',
};
const meta = { $metadata: {} };
const notFound = () => new ResourceNotFoundException({ message: 'No cluster found', ...meta });

let handler: (input: unknown) => Promise<{ status: string; created?: boolean; waitSeconds: number }>;

beforeAll(async () => {
  setTaskEnvironment(config, { stateTableName: 'unused' });
  const module = await import('../../../functions/tasks/cluster-task');
  handler = (input) => module.handler(input, lambdaContext('cluster-task'));
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
  it('creates the cluster from the foundation: owner tag, STANDARD support, audit logging, creator as admin', async () => {
    const createdAt = new Date();
    eks.on(DescribeClusterCommand).rejects(notFound());
    eks.on(CreateClusterCommand).resolves({ cluster: { status: 'CREATING', createdAt } });

    const result = await handler({ action: 'ensureCluster', region });

    expect(result).toEqual({ status: 'CREATING', created: true, waitSeconds: 540 });
    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({
      Name: '/edgescale/foundation/ap-southeast-1',
    });
    expect(eks.commandCalls(CreateClusterCommand)[0]?.args[0].input).toEqual({
      name: 'edgescale-edge-ap-southeast-1',
      version: '1.33',
      roleArn: foundation.clusterRoleArn,
      resourcesVpcConfig: {
        subnetIds: ['subnet-a', 'subnet-b'],
        securityGroupIds: ['sg-1'],
        endpointPublicAccess: true,
        endpointPrivateAccess: true,
      },
      logging: { clusterLogging: [{ types: ['api', 'audit', 'authenticator'], enabled: true }] },
      upgradePolicy: { supportType: 'STANDARD' },
      accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP', bootstrapClusterCreatorAdminPermissions: true },
      tags: ours,
    });
  });

  it('adopts a cluster tagged as ours without creating one, and waits what remains of its creation', async () => {
    const createdAt = new Date(Date.now() - 300_000);
    eks.on(DescribeClusterCommand).resolves({ cluster: { status: 'CREATING', createdAt, tags: ours } });
    const result = await handler({ action: 'ensureCluster', region });
    expect(result.created).toBe(false);
    expect(result.waitSeconds).toBeGreaterThanOrEqual(239);
    expect(result.waitSeconds).toBeLessThanOrEqual(241);
    expect(eks.commandCalls(CreateClusterCommand)).toHaveLength(0);
  });

  it('refuses a cluster of the same name that is not tagged as ours (NotOwnedError), creating nothing', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { status: 'ACTIVE', tags: { team: 'video' } } });
    await expect(handler({ action: 'ensureCluster', region })).rejects.toThrow(NotOwnedError);
    expect(eks.commandCalls(CreateClusterCommand)).toHaveLength(0);
  });

  it('tells the operator to deploy the region stack when the foundation parameter is missing', async () => {
    eks.on(DescribeClusterCommand).rejects(notFound());
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', ...meta }));
    await expect(handler({ action: 'ensureCluster', region })).rejects.toThrow(
      /no SSM parameter \/edgescale\/foundation\/ap-southeast-1 in ap-southeast-1; fix: deploy the stack edgescale-region-ap-southeast-1/,
    );
    expect(eks.commandCalls(CreateClusterCommand)).toHaveLength(0);
  });

  it('rejects a malformed foundation document, naming the field', async () => {
    eks.on(DescribeClusterCommand).rejects(notFound());
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({ ...foundation, subnetIds: [] }) } });
    await expect(handler({ action: 'ensureCluster', region })).rejects.toThrow(/subnetIds/);
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
    for (const action of ['describeCluster', 'deleteCluster', 'describeNodegroup', 'deleteNodegroup']) {
      expect(await handler({ action, region })).toEqual({ status: 'DELETED', waitSeconds: 0 });
    }
    expect(eks.commandCalls(DeleteClusterCommand)).toHaveLength(0);
  });

  it('deletes our cluster and waits the typical deletion time first', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { status: 'ACTIVE', tags: ours } });
    eks.on(DeleteClusterCommand).resolves({});
    expect(await handler({ action: 'deleteCluster', region })).toEqual({ status: 'DELETING', waitSeconds: 180 });
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
    expect(await handler({ action: 'deleteNodegroup', region })).toEqual({ status: 'DELETING', waitSeconds: 30 });
    expect(eks.calls()).toHaveLength(1);
  });

  it('returns a failed status for the workflow to decide on', async () => {
    eks.on(DescribeNodegroupCommand).resolves({ nodegroup: { status: 'CREATE_FAILED', tags: ours } });
    expect(await handler({ action: 'describeNodegroup', region })).toEqual({ status: 'CREATE_FAILED', waitSeconds: 0 });
  });
});

describe('ensureNodegroup', () => {
  it('creates the nodegroup with the configured instance types and scaling, the node role, subnets and tag', async () => {
    eks.on(DescribeNodegroupCommand).rejects(notFound());
    eks.on(CreateNodegroupCommand).resolves({ nodegroup: { status: 'CREATING', createdAt: new Date() } });
    expect(await handler({ action: 'ensureNodegroup', region })).toEqual({
      status: 'CREATING',
      created: true,
      waitSeconds: 150,
    });
    expect(eks.commandCalls(CreateNodegroupCommand)[0]?.args[0].input).toEqual({
      clusterName: 'edgescale-edge-ap-southeast-1',
      nodegroupName: 'edgescale-edge-nodes',
      nodeRole: foundation.nodeRoleArn,
      subnets: foundation.subnetIds,
      instanceTypes: ['t3.medium'],
      capacityType: 'ON_DEMAND',
      scalingConfig: { minSize: 2, desiredSize: 2, maxSize: 4 },
      tags: ours,
    });
  });

  it('adopts our existing nodegroup', async () => {
    eks.on(DescribeNodegroupCommand).resolves({ nodegroup: { status: 'ACTIVE', tags: ours } });
    expect(await handler({ action: 'ensureNodegroup', region })).toEqual({
      status: 'ACTIVE',
      created: false,
      waitSeconds: 0,
    });
    expect(eks.commandCalls(CreateNodegroupCommand)).toHaveLength(0);
  });
});
