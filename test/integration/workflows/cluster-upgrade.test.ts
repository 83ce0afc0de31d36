/**
 * The cluster upgrade end to end, on what deploys: the synthesized definition executed locally
 * with the bundled task Lambdas against moto, EKS's version updates played by the proxy
 * (sandbox/eks-version-updates.ts: each update takes its simulated minutes) and a virtual
 * clock (test/support/deployed-workflows.ts). Two regions come up at Kubernetes 1.33 through the
 * real scale-up, then a configuration with 1.35 is deployed and the regions are upgraded.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { DescribeClusterCommand, DescribeNodegroupCommand, EKSClient } from '@aws-sdk/client-eks';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import { clusterName, nodegroupName } from '../../../functions/domain/naming';
import { startDeployedWorkflows, type DeployedWorkflows } from '../../support/deployed-workflows';
import { describeWithMoto, motoClientConfig } from '../../support/moto';

const ELASTIC = 'ap-southeast-1';
const ALWAYS_ON = 'us-east-1';
const OTHER_EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:wfupg-scale-down:holder';

let world: DeployedWorkflows;

/** A `cdk deploy` with another cluster.kubernetesVersion. */
const deployVersion = (kubernetesVersion: string) =>
  world.redeploy((c: AutoscalerConfig) => ({ ...c, cluster: { ...c.cluster, kubernetesVersion } }));

/** What EKS (moto, through the emulation) reports of the region's cluster and nodegroup. */
async function versionsIn(region: string) {
  // Through the proxy: the emulation keeps the versions moto does not.
  const eks = new EKSClient({ ...motoClientConfig(region), endpoint: world.proxy.endpoint });
  const name = clusterName(world.config.prefix, region);
  const { cluster } = await eks.send(new DescribeClusterCommand({ name }));
  const { nodegroup } = await eks.send(
    new DescribeNodegroupCommand({ clusterName: name, nodegroupName: nodegroupName(world.config.prefix) }),
  );
  return { cluster: cluster?.version, nodes: nodegroup?.version, release: nodegroup?.releaseVersion };
}

/** The updates the emulation ran in a region since `since` (index into its history), as "<what> <version>". */
const updatesIn = (region: string, since = 0) =>
  world.eksVersions
    .updates(region)
    .slice(since)
    .map((u) => `${u.nodegroup ? 'nodegroup' : 'control plane'} ${u.patch ? 'patch' : u.toVersion}`);

describeWithMoto('cluster upgrade: synthesized definition, bundled Lambdas, emulated EKS version updates', () => {
  beforeAll(async () => {
    world = await startDeployedWorkflows('wfupg');
    await deployVersion('1.33');
    for (const region of [ELASTIC, ALWAYS_ON]) expect((await world.run('scaleUp', region)).status).toBe('SUCCEEDED');
    await deployVersion('1.35');
  }, 720_000);

  afterAll(async () => {
    await world?.stop();
  });

  it('the regions came up at 1.33, the version deployed then', async () => {
    for (const region of [ELASTIC, ALWAYS_ON]) {
      expect(await versionsIn(region)).toMatchObject({ cluster: '1.33', nodes: '1.33' });
    }
  });

  it('skips a region whose lock another execution holds, and upgrades the other 1.33 -> 1.34 -> 1.35, control plane before nodes', async () => {
    await world.store.acquireLock(ALWAYS_ON, OTHER_EXECUTION);
    const run = await world.runMaintenance('clusterUpgrade', { reason: 'Kubernetes 1.35' });
    expect([run.status, run.error, run.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    expect(run.statesEntered).toContain('RegionSkipped');

    expect(updatesIn(ELASTIC)).toEqual([
      'control plane 1.34',
      'nodegroup 1.34',
      'control plane 1.35',
      'nodegroup 1.35',
    ]);
    expect(await versionsIn(ELASTIC)).toMatchObject({ cluster: '1.35', nodes: '1.35' });
    expect(await world.store.getRegionState(ELASTIC)).toMatchObject({
      status: 'ACTIVE',
      kubernetesVersion: '1.35',
      maintenance: { clusterUpgrade: { status: 'SUCCEEDED', target: '1.35' } },
    });
    // The locked region: not touched, its lock left to its holder.
    expect(updatesIn(ALWAYS_ON)).toEqual([]);
    expect(await versionsIn(ALWAYS_ON)).toMatchObject({ cluster: '1.33', nodes: '1.33' });
    expect((await world.store.getLock(ALWAYS_ON))?.owner).toBe(OTHER_EXECUTION);
    expect(await world.store.getLock(ELASTIC)).toBeUndefined();
    // The updates took their simulated minutes: the workflow waited on them.
    expect(run.waitedSeconds).toBeGreaterThanOrEqual(2 * (600 + 900));
  }, 360_000);

  it('upgrades the skipped region on the next run, once its lock is free; the one already at 1.35 is left alone', async () => {
    await world.store.releaseLock(ALWAYS_ON, OTHER_EXECUTION);
    const before = world.eksVersions.updates(ELASTIC).length;
    const run = await world.runMaintenance('clusterUpgrade', { requestedBy: 'reconciler', reason: 'reconciler' });
    expect(run.status).toBe('SUCCEEDED');
    expect(updatesIn(ALWAYS_ON)).toEqual([
      'control plane 1.34',
      'nodegroup 1.34',
      'control plane 1.35',
      'nodegroup 1.35',
    ]);
    expect(world.eksVersions.updates(ELASTIC)).toHaveLength(before);
    expect(await world.store.getRegionState(ALWAYS_ON)).toMatchObject({ kubernetesVersion: '1.35' });
  }, 360_000);

  it('patches the nodes of every ACTIVE region to the latest AMI release of their version (patchNodes)', async () => {
    const since: Record<string, number> = {
      [ELASTIC]: updatesIn(ELASTIC).length,
      [ALWAYS_ON]: updatesIn(ALWAYS_ON).length,
    };
    const releases: Record<string, string | undefined> = {
      [ELASTIC]: (await versionsIn(ELASTIC)).release,
      [ALWAYS_ON]: (await versionsIn(ALWAYS_ON)).release,
    };
    world.eksVersions.publishRelease('1.35', '1.35.4-20261208');
    const run = await world.runMaintenance('clusterUpgrade', {
      reason: 'node patch schedule',
      requestedBy: 'reconciler',
      patchNodes: true,
    });
    expect(run.status).toBe('SUCCEEDED');
    for (const region of [ELASTIC, ALWAYS_ON]) {
      expect(updatesIn(region, since[region])).toEqual(['nodegroup patch']);
      const after = await versionsIn(region);
      expect(after).toEqual({ cluster: '1.35', nodes: '1.35', release: '1.35.4-20261208' });
      expect(releases[region]).not.toBe('1.35.4-20261208');
    }
  }, 360_000);
});
