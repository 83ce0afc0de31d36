/**
 * Cluster access end to end, on what deploys: the synthesized scale-up executed with the bundled
 * task Lambdas against moto, the access-entry API emulated behind the proxy
 * (test/support/deployed-workflows.ts). After a scale-up the operator role is cluster admin
 * through an access entry; a scale-up adopting a cluster whose entry is gone makes it again.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import type { EmulatedCluster } from '../../../sandbox/eks-access-entries';
import { clusterAdminPolicyArn } from '../../../functions/domain/access-entries';
import { clusterName, OWNER_TAG_KEY, PRINCIPAL_ID_TAG_KEY } from '../../../functions/domain/naming';
import { startDeployedWorkflows, type DeployedWorkflows } from '../../support/deployed-workflows';
import { describeWithMoto, motoClientConfig } from '../../support/moto';

const PREFIX = 'wfaccess';
const ELASTIC = 'ap-southeast-1';
const OPERATOR = `arn:aws:iam::123456789012:role/${PREFIX}-eks-operator`;
let world: DeployedWorkflows;

async function describeCluster() {
  const { cluster } = await new EKSClient(motoClientConfig(ELASTIC)).send(
    new DescribeClusterCommand({ name: clusterName(PREFIX, ELASTIC) }),
  );
  return cluster!;
}

async function emulatedCluster(): Promise<EmulatedCluster> {
  const cluster = await describeCluster();
  return { name: cluster.name!, arn: cluster.arn!, createdAt: cluster.createdAt! };
}

describeWithMoto('cluster access: synthesized scale-up, bundled Lambdas, emulated access entries', () => {
  beforeAll(async () => {
    world = await startDeployedWorkflows(PREFIX);
  }, 360_000);

  afterAll(async () => {
    await world?.stop();
  });

  it('leaves the operator role cluster admin through its access entry, and the cluster encrypting its secrets', async () => {
    const up = await world.run('scaleUp', ELASTIC);
    expect(up.status).toBe('SUCCEEDED');
    const access = up.statesEntered.indexOf('EnsureClusterAccess');
    expect(access).toBeGreaterThan(0);
    expect(access).toBeLessThan(up.statesEntered.indexOf('ApplyEdge'));

    const cluster = await emulatedCluster();
    expect(world.accessEntries.list(cluster)).toEqual([OPERATOR]);
    const entry = world.accessEntries.describe(cluster, OPERATOR);
    expect(entry).toMatchObject({ type: 'STANDARD', tags: { [OWNER_TAG_KEY]: PREFIX } });
    expect(entry.tags[PRINCIPAL_ID_TAG_KEY]).toBeTruthy();
    expect(world.accessEntries.associatedPolicies(cluster, OPERATOR)).toEqual([
      expect.objectContaining({ policyArn: clusterAdminPolicyArn('aws'), accessScope: { type: 'cluster' } }),
    ]);
    // What the bundle asked of EKS, as moto keeps it: secrets encrypted with the foundation's key.
    expect((await describeCluster()).encryptionConfig).toEqual([
      { resources: ['secrets'], provider: { keyArn: expect.stringMatching(/^arn:aws:kms:ap-southeast-1:/) } },
    ]);
  }, 360_000);

  it('makes the entry again when a scale-up adopts the cluster after it was lost', async () => {
    const cluster = await emulatedCluster();
    world.accessEntries.delete(cluster, OPERATOR);
    world.proxy.reset();

    const again = await world.run('scaleUp', ELASTIC);
    expect(again.status).toBe('SUCCEEDED');
    expect(world.proxy.calls({ service: 'eks', operation: 'CreateCluster' })).toBe(0);
    expect(world.proxy.calls({ service: 'eks', operation: 'CreateAccessEntry' })).toBe(1);
    expect(world.accessEntries.list(cluster)).toEqual([OPERATOR]);
    expect(world.accessEntries.associatedPolicies(cluster, OPERATOR).map((p) => p.policyArn)).toEqual([
      clusterAdminPolicyArn('aws'),
    ]);
  }, 360_000);
});
