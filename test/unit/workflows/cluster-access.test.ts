/**
 * The scale-up's access step (EnsureClusterAccess), in the deployed definition executed locally:
 * the cluster's admin entries exist once it is ACTIVE and before anything talks to its
 * Kubernetes API, an adopted cluster missing them gets them, and the step retries and rolls back
 * like every other.
 */
import { describe, expect, it } from '@jest/globals';
import type { EmulatedCluster } from '../../../sandbox/eks-access-entries';
import { clusterAdminPolicyArn } from '../../../functions/domain/access-entries';
import { OWNER_TAG_KEY, PRINCIPAL_ID_TAG_KEY } from '../../../functions/domain/naming';
import { exampleConfig } from '../../support/config-fixtures';
import { runInVirtualWorld } from '../../support/run-in-virtual-world';
import { VIRTUAL_OPERATOR_ROLE_ID, VirtualAwsWorld } from '../../support/virtual-aws-world';

const REGION = 'ap-southeast-1';
const ADMIN = 'arn:aws:iam::000000000000:role/platform-admins';
const OPERATOR = 'arn:aws:iam::000000000000:role/edgescale-eks-operator';
const config = exampleConfig((raw) => void (raw.cluster.adminRoleArns = [ADMIN]));
const up = () => ({ region: REGION, reason: 'test', requestedBy: 'operator' });

/** The region's cluster as its access entries know it. */
function clusterOf(world: VirtualAwsWorld): EmulatedCluster {
  const resource = world.clusters.get(REGION)!;
  return {
    name: resource.name,
    arn: `arn:aws:eks:${REGION}:000000000000:cluster/${resource.name}`,
    createdAt: world.dateAt(resource.createdAt),
  };
}

/** Who holds the cluster admin policy at cluster scope on the region's cluster. */
function clusterAdmins(world: VirtualAwsWorld): string[] {
  const cluster = clusterOf(world);
  return world.accessEntries
    .list(cluster)
    .filter((principal) =>
      world.accessEntries
        .associatedPolicies(cluster, principal)
        .some((p) => p.policyArn === clusterAdminPolicyArn('aws') && p.accessScope.type === 'cluster'),
    )
    .sort();
}

describe('scale-up: cluster access', () => {
  it('makes the operator role and the configured admins cluster admins after ACTIVE, before the Kubernetes API is used', async () => {
    const world = new VirtualAwsWorld(config);
    const run = await runInVirtualWorld(world, 'scaleUp', up());
    expect(run.status).toBe('SUCCEEDED');
    expect(clusterAdmins(world)).toEqual([OPERATOR, ADMIN]);

    const access = run.statesEntered.indexOf('EnsureClusterAccess');
    const lastClusterPoll = run.statesEntered.lastIndexOf('IsClusterReady');
    expect(access).toBe(lastClusterPoll + 1);
    expect(access).toBeLessThan(run.statesEntered.indexOf('ApplyEdge'));
  });

  it('repairs an adopted cluster of ours that has no access entries', async () => {
    const world = new VirtualAwsWorld(config);
    world.addCluster(REGION);
    const run = await runInVirtualWorld(world, 'scaleUp', up());
    expect(run.status).toBe('SUCCEEDED');
    expect(clusterAdmins(world)).toEqual([OPERATOR, ADMIN]);
    expect(world.sdkCalls).not.toContain('CreateCluster');
  });

  it("tags the operator's entry with the owner tag and the operator role's unique id", async () => {
    const world = new VirtualAwsWorld(config);
    await runInVirtualWorld(world, 'scaleUp', up());
    expect(world.accessEntries.describe(clusterOf(world), OPERATOR).tags).toEqual({
      [OWNER_TAG_KEY]: 'edgescale',
      [PRINCIPAL_ID_TAG_KEY]: VIRTUAL_OPERATOR_ROLE_ID,
    });
  });

  it('retries a transient error of the access step and serves', async () => {
    const world = new VirtualAwsWorld(config);
    world.inject('ensureClusterAccess', { kind: 'transient', times: 2 });
    const run = await runInVirtualWorld(world, 'scaleUp', up());
    expect(run.status).toBe('SUCCEEDED');
    expect(run.events.filter((e) => e.type === 'StateRetried')).toHaveLength(2);
    expect(clusterAdmins(world)).toEqual([OPERATOR, ADMIN]);
  });

  it('rolls the cluster back after a permanent failure of the access step, marks FAILED and frees the lock', async () => {
    const world = new VirtualAwsWorld(config);
    world.inject('ensureClusterAccess', { kind: 'permanent' });
    const run = await runInVirtualWorld(world, 'scaleUp', up());
    expect(run.status).toBe('FAILED');
    expect(run.statesEntered).not.toContain('EnsureNodegroup');
    expect(world.leftovers(REGION)).toEqual([]);
    expect(world.status.get(REGION)).toBe('FAILED');
  });
});
