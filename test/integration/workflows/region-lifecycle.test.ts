/**
 * The deployed workflow definitions, executed locally (aws-local-stepfunctions) with every Task
 * bound to the real task Lambda handlers, whose AWS calls go to the moto emulator, and whose
 * Kubernetes calls go to a local API server that also plays the load-balancer controller
 * (creating and deleting real network load balancers in moto's ELBv2).
 */
/**
 * The region lifecycle end to end, on what deploys: the synthesized definitions executed locally
 * with the bundled task Lambdas against moto and a local Kubernetes API that plays the
 * load-balancer controller (test/support/deployed-workflows.ts). The fault matrix on the same
 * artifacts is deployed-fault-matrix.test.ts.
 */
import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { CreateClusterCommand, DeleteClusterCommand, DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import type { StateStore } from '../../../functions/adapters/state-store';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import { clusterName, nodegroupName } from '../../../functions/domain/naming';
import type { WorkflowName } from '../../../workflows/definitions';
import type { LocalRunResult } from '../../../workflows/run-locally';
import { startDeployedWorkflows, type DeployedWorkflows } from '../../support/deployed-workflows';
import { describeWithMoto, motoClientConfig } from '../../support/moto';

const ELASTIC = 'ap-southeast-1';
const ALWAYS_ON = 'us-east-1';
let world: DeployedWorkflows;
let config: AutoscalerConfig;
let store: StateStore;

const run = (
  workflow: WorkflowName,
  region: string,
  options?: { executionName?: string; executionId?: string },
): Promise<LocalRunResult> => world.run(workflow, region, options);
const holdings = (region: string) => world.holdings(region);
const latencyRecords = () => world.latencyRecords();
const loadBalancers = (region: string) => world.loadBalancers(region);
const eks = (region: string) => new EKSClient(motoClientConfig(region));

async function scaleDownEverything(): Promise<void> {
  world.proxy.reset();
  for (const region of config.regions.elastic) {
    const state = await store.getRegionState(region);
    const cluster = await eks(region)
      .send(new DescribeClusterCommand({ name: clusterName(config.prefix, region) }))
      .catch(() => undefined);
    if (state.status !== 'INACTIVE' || cluster) {
      await store.updateRegionState(region, (s) => ({ ...s, status: 'ACTIVE' }));
      const result = await run('scaleDown', region);
      expect(result.status).toBe('SUCCEEDED');
    }
  }
}

describeWithMoto('region lifecycle workflows: synthesized definitions, bundled Lambdas, emulated AWS', () => {
  beforeAll(async () => {
    world = await startDeployedWorkflows('wflife');
    ({ config, store } = world);
    // The always-on region comes up through the same workflow (as the reconciler does it).
    expect((await run('scaleUp', ALWAYS_ON)).status).toBe('SUCCEEDED');
  }, 360_000);

  afterEach(async () => {
    await scaleDownEverything();
    expect(await store.getLock(ELASTIC)).toBeUndefined();
  }, 180_000);

  afterAll(async () => {
    await world?.stop();
  });

  it('scales an elastic region up, then down, leaving exactly the expected resources each time', async () => {
    const alwaysOnBefore = await holdings(ALWAYS_ON);
    expect(alwaysOnBefore.clusters).toEqual([clusterName(config.prefix, ALWAYS_ON)]);

    const up = await run('scaleUp', ELASTIC);
    expect(up.status).toBe('SUCCEEDED');
    expect(await holdings(ELASTIC)).toEqual({
      clusters: [clusterName(config.prefix, ELASTIC)],
      nodegroups: [nodegroupName(config.prefix)],
    });
    expect(await latencyRecords()).toEqual([ELASTIC, ALWAYS_ON].sort());
    expect(await loadBalancers(ELASTIC)).toHaveLength(1);
    expect((await store.getRegionState(ELASTIC)).status).toBe('ACTIVE');
    expect(world.api.applied('Service').map((s) => s.metadata.name)).toContain('edge');

    const down = await run('scaleDown', ELASTIC);
    expect(down.status).toBe('SUCCEEDED');
    expect(await holdings(ELASTIC)).toEqual({ clusters: [], nodegroups: [] });
    expect(await latencyRecords()).toEqual([ALWAYS_ON]);
    expect(await loadBalancers(ELASTIC)).toEqual([]);
    expect((await store.getRegionState(ELASTIC)).status).toBe('INACTIVE');

    // The always-on region's cluster and record were untouched throughout.
    expect(await holdings(ALWAYS_ON)).toEqual(alwaysOnBefore);
    expect((await store.getRegionState(ALWAYS_ON)).status).toBe('ACTIVE');
  }, 180_000);

  it('is idempotent: scale-up twice leaves one of everything; scale-down twice succeeds', async () => {
    expect((await run('scaleUp', ELASTIC)).status).toBe('SUCCEEDED');
    expect((await run('scaleUp', ELASTIC)).status).toBe('SUCCEEDED');
    expect(await holdings(ELASTIC)).toEqual({
      clusters: [clusterName(config.prefix, ELASTIC)],
      nodegroups: [nodegroupName(config.prefix)],
    });
    expect(await latencyRecords()).toEqual([ELASTIC, ALWAYS_ON].sort());
    expect(await loadBalancers(ELASTIC)).toHaveLength(1);

    expect((await run('scaleDown', ELASTIC)).status).toBe('SUCCEEDED');
    const again = await run('scaleDown', ELASTIC);
    expect(again.status).toBe('SUCCEEDED');
    expect(again.statesEntered).toEqual(['ValidateRequest', 'IsThereWorkToDo', 'AlreadyInactive']);
  }, 180_000);

  it('waits for a cluster that takes several polls to become ACTIVE', async () => {
    // moto's clusters are ACTIVE at once: report CREATING for the first three reads.
    let reads = 0;
    const restore = world.proxy.rewriteJson<{ cluster?: { status?: string } }>(
      { service: 'eks', operation: 'DescribeCluster', region: ELASTIC },
      (body) => {
        if (body.cluster && reads++ < 3) body.cluster.status = 'CREATING';
      },
    );
    try {
      const up = await run('scaleUp', ELASTIC);
      expect(up.status).toBe('SUCCEEDED');
      expect(up.statesEntered.filter((s) => s === 'PollCluster').length).toBeGreaterThanOrEqual(2);
    } finally {
      restore();
    }
  }, 180_000);

  it('refuses to scale down an always-on region, changing nothing', async () => {
    const result = await run('scaleDown', ALWAYS_ON);
    expect(result).toMatchObject({ status: 'FAILED', error: 'RefusedError' });
    expect(await holdings(ALWAYS_ON)).toEqual({
      clusters: [clusterName(config.prefix, ALWAYS_ON)],
      nodegroups: [nodegroupName(config.prefix)],
    });
    expect(await latencyRecords()).toContain(ALWAYS_ON);
  }, 180_000);

  it('refuses to scale down the last serving region', async () => {
    expect((await run('scaleUp', ELASTIC)).status).toBe('SUCCEEDED');
    await store.updateRegionState(ALWAYS_ON, (s) => ({ ...s, status: 'INACTIVE' }));
    try {
      const result = await run('scaleDown', ELASTIC);
      expect(result).toMatchObject({ status: 'FAILED', error: 'RefusedError' });
      expect(result.cause).toMatch(/last/);
      expect(await latencyRecords()).toContain(ELASTIC);
      expect(await store.getLock(ELASTIC)).toBeUndefined();
    } finally {
      await store.updateRegionState(ALWAYS_ON, (s) => ({ ...s, status: 'ACTIVE' }));
    }
  }, 180_000);

  it('gives back a region that a decision claimed for a scale-down the workflow then refused', async () => {
    expect((await run('scaleUp', ELASTIC)).status).toBe('SUCCEEDED');
    await store.updateRegionState(ALWAYS_ON, (s) => ({ ...s, status: 'INACTIVE' }));
    // What the decision Lambda does before StartExecution: claim the region for the execution.
    const executionId = 'arn:aws:states:us-east-1:000000000000:execution:wflife-scale-down:down-claimed';
    await store.updateRegionState(ELASTIC, (s) => ({ ...s, status: 'DRAINING', executionArn: executionId }));
    try {
      const result = await run('scaleDown', ELASTIC, { executionName: 'down-claimed', executionId });
      expect(result).toMatchObject({ status: 'FAILED', error: 'RefusedError' });
      const state = await store.getRegionState(ELASTIC);
      expect(state.status).toBe('ACTIVE');
      expect(state.executionArn).toBeUndefined();
    } finally {
      await store.updateRegionState(ALWAYS_ON, (s) => ({ ...s, status: 'ACTIVE' }));
    }
  }, 180_000);

  it('refuses to scale down a cluster that is not tagged as ours', async () => {
    const region = 'ap-south-1';
    const name = clusterName(config.prefix, region);
    await eks(region).send(
      new CreateClusterCommand({
        name,
        roleArn: 'arn:aws:iam::123456789012:role/someone-else',
        resourcesVpcConfig: { subnetIds: [] },
      }),
    );
    await store.updateRegionState(region, (s) => ({ ...s, status: 'ACTIVE' }));
    try {
      const result = await run('scaleDown', region);
      expect(result).toMatchObject({ status: 'FAILED', error: 'NotOwnedError' });
      expect((await holdings(region)).clusters).toEqual([name]);
    } finally {
      // Remove the foreign cluster by hand: the autoscaler itself never will.
      await eks(region).send(new DeleteClusterCommand({ name }));
      await store.updateRegionState(region, (s) => ({ ...s, status: 'INACTIVE' }));
    }
  }, 180_000);

  it('refuses to scale up a region outside the lists, before any AWS change', async () => {
    const result = await run('scaleUp', 'eu-north-1');
    expect(result).toMatchObject({ status: 'FAILED', error: 'InvalidRequestError' });
    expect((await holdings('eu-north-1')).clusters).toEqual([]);
  }, 180_000);

  it('runs one of a concurrent scale-up and scale-down; the other fails cleanly; the lock ends free', async () => {
    expect((await run('scaleUp', ELASTIC)).status).toBe('SUCCEEDED');
    const [down, up] = await Promise.all([run('scaleDown', ELASTIC), run('scaleUp', ELASTIC)]);
    const loser = [down, up].find((r) => r.status === 'FAILED');
    expect([down.status, up.status].sort()).toEqual(['FAILED', 'SUCCEEDED']);
    expect(loser?.error).toBe('RegionLockedError');
    expect(await store.getLock(ELASTIC)).toBeUndefined();
  }, 180_000);
});
