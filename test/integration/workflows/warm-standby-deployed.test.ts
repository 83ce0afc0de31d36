/**
 * The warm standby tier end to end, on what deploys: the synthesized definitions executed locally
 * with the bundled task Lambdas against moto (test/support/deployed-workflows.ts), whose missing
 * UpdateNodegroupConfig behaviour and warm pools the proxy plays (sandbox/eks-nodegroup-config.ts).
 * A cold region parked WARM and resumed; a warm-up; a WARM region torn down; failures on the warm
 * path leave what a WARM region needs; and the synthesized definitions' timeouts cover the warm paths.
 */
import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { DescribeClusterCommand, DescribeNodegroupCommand, EKSClient } from '@aws-sdk/client-eks';
import { FAULTS } from '../../../sandbox/aws-proxy';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import { clusterName, nodegroupName } from '../../../functions/domain/naming';
import { LONGEST_PATH_SECONDS } from '../../../functions/domain/phase-deadlines';
import { startDeployedWorkflows, type DeployedWorkflows } from '../../support/deployed-workflows';
import { synthesizedDeployment } from '../../support/deployed-lambdas';
import { captureMetrics, enableMetrics, type EmittedMetric } from '../../support/emf-capture';
import { describeWithMoto, motoClientConfig } from '../../support/moto';

const ELASTIC = 'ap-southeast-1';
const ALWAYS_ON = 'us-east-1';
let world: DeployedWorkflows;
let config: AutoscalerConfig;

const eks = () => new EKSClient(motoClientConfig(ELASTIC));
/** The nodegroup's sizes as moto holds them. */
async function nodegroupSizes() {
  const { nodegroup } = await eks().send(
    new DescribeNodegroupCommand({
      clusterName: clusterName(config.prefix, ELASTIC),
      nodegroupName: nodegroupName(config.prefix),
    }),
  );
  return nodegroup?.scalingConfig;
}
/** The replicas the edge's Deployment asks for, as the Kubernetes API double holds it. */
function deploymentReplicas(): number | undefined {
  const path = `/clusters/${clusterName(config.prefix, ELASTIC)}/apis/apps/v1/namespaces/edge/deployments/edge-cache`;
  return (world.api.objects.get(path)?.spec as { replicas?: number } | undefined)?.replicas;
}
const serviceKept = () =>
  world.api.objects.has(`/clusters/${clusterName(config.prefix, ELASTIC)}/api/v1/namespaces/edge/services/edge`);

/** What a WARM region holds: cluster, nodegroup at zero nodes with its warm pool, the Service and its load balancer, no record. */
async function expectWarm(): Promise<void> {
  expect(await world.holdings(ELASTIC)).toEqual({
    clusters: [clusterName(config.prefix, ELASTIC)],
    nodegroups: [nodegroupName(config.prefix)],
  });
  expect(await nodegroupSizes()).toEqual({ minSize: 0, desiredSize: 0, maxSize: config.cluster.nodes.max });
  expect(
    world.nodegroupConfig.warmPool(ELASTIC, clusterName(config.prefix, ELASTIC), nodegroupName(config.prefix)),
  ).toEqual({
    enabled: true,
    minSize: config.cluster.nodes.desired,
    poolState: 'STOPPED',
    reuseOnScaleIn: true,
  });
  expect(deploymentReplicas()).toBe(0);
  expect(serviceKept()).toBe(true);
  expect(await world.loadBalancers(ELASTIC)).toHaveLength(1);
  expect(await world.latencyRecords()).toEqual([ALWAYS_ON]);
  const state = await world.store.getRegionState(ELASTIC);
  expect(state).toMatchObject({ status: 'WARM', warmSince: state.since });
  expect(await world.store.getLock(ELASTIC)).toBeUndefined();
}

/** Runs `run` with the bundles' Powertools metrics on; returns its result and the metrics the bundles emitted. */
async function withBundleMetrics<T>(run: () => Promise<T>): Promise<{ result: T; metrics: EmittedMetric[] }> {
  enableMetrics();
  await world.reloadTasks();
  try {
    let result: T | undefined;
    const { metrics } = await captureMetrics(async () => void (result = await run()));
    return { result: result as T, metrics };
  } finally {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    await world.reloadTasks();
  }
}

/** Back to an INACTIVE elastic region with nothing in AWS, through the workflow itself. */
async function tearDown(): Promise<void> {
  world.proxy.reset();
  world.nodegroupConfig.install(world.proxy);
  const state = await world.store.getRegionState(ELASTIC);
  const cluster = await eks()
    .send(new DescribeClusterCommand({ name: clusterName(config.prefix, ELASTIC) }))
    .catch(() => undefined);
  if (state.status === 'INACTIVE' && !cluster) return;
  if (state.status !== 'WARM') await world.store.updateRegionState(ELASTIC, (s) => ({ ...s, status: 'ACTIVE' }));
  const down = await world.run('scaleDown', ELASTIC, { target: 'INACTIVE' });
  expect(down.status).toBe('SUCCEEDED');
}

describeWithMoto('the warm standby tier: synthesized definitions, bundled Lambdas, emulated AWS', () => {
  beforeAll(async () => {
    world = await startDeployedWorkflows('wfwarm');
    // A deployment whose elastic region ap-southeast-1 is a warm region (warm pool on, the default).
    config = await world.redeploy((c) => ({ ...c, warm: { ...c.warm, regions: [ELASTIC] } }));
    expect((await world.run('scaleUp', ALWAYS_ON)).status).toBe('SUCCEEDED');
  }, 360_000);

  afterEach(tearDown, 180_000);

  afterAll(async () => {
    await world?.stop();
  });

  it('parks a cold ACTIVE region WARM and brings it back ACTIVE on the warm path, the same load balancer serving', async () => {
    expect((await world.run('scaleUp', ELASTIC)).status).toBe('SUCCEEDED');
    const [loadBalancer] = await world.loadBalancers(ELASTIC);

    // No target: a warm region goes WARM while the warm tier's cost cap allows.
    const park = await world.run('scaleDown', ELASTIC);
    expect(park.status).toBe('SUCCEEDED');
    expect(park.statesEntered).toEqual(
      expect.arrayContaining(['WithdrawRecord', 'Drain', 'ParkEdge', 'ParkNodegroup']),
    );
    expect(park.statesEntered).toContain('PollNodegroupPark');
    expect(park.statesEntered.at(-1)).toBe('RegionWarm');
    await expectWarm();

    const { result: resume, metrics } = await withBundleMetrics(() => world.run('scaleUp', ELASTIC));
    expect(resume.status).toBe('SUCCEEDED');
    // The bundled region task records the warm path's lead time apart from the cold one's: the
    // forecaster reads it back as the warm tier's lead time.
    const leadTimes = metrics.filter((m) => m.name.endsWith('LeadTimeSeconds'));
    expect(leadTimes).toEqual([
      {
        namespace: 'EdgeAutoscaler',
        name: 'WarmScaleUpLeadTimeSeconds',
        unit: 'Seconds',
        value: resume.waitedSeconds,
        dimensions: { service: 'edge-autoscaler', Region: ELASTIC },
      },
    ]);
    expect(resume.statesEntered).toEqual(expect.arrayContaining(['ResumeNodegroup', 'WaitForNodes', 'UpsertRecord']));
    expect(resume.statesEntered).not.toContain('EnsureCluster');
    expect(resume.statesEntered.length).toBeLessThanOrEqual(20);
    expect(resume.waitedSeconds).toBeLessThanOrEqual(240);
    expect(await nodegroupSizes()).toEqual({ minSize: 2, desiredSize: 2, maxSize: 4 });
    expect(deploymentReplicas()).toBe(config.edge.replicas);
    expect(await world.loadBalancers(ELASTIC)).toEqual([loadBalancer]);
    expect(await world.latencyRecords()).toEqual([ELASTIC, ALWAYS_ON].sort());
    const state = await world.store.getRegionState(ELASTIC);
    expect(state).toMatchObject({ status: 'ACTIVE', transitionTarget: 'ACTIVE' });
    // The transition is over: where it came from is no claim's business any more, nor when it was WARM.
    expect(state.transitionFrom).toBeUndefined();
    expect(state.warmSince).toBeUndefined();
  }, 180_000);

  it('warms an INACTIVE region up: cluster, nodegroup at zero nodes with its warm pool, load balancer, no record', async () => {
    const warmUp = await world.run('scaleUp', ELASTIC, { target: 'WARM' });
    expect(warmUp.status).toBe('SUCCEEDED');
    expect(warmUp.statesEntered).toContain('FinishWarmUp');
    expect(warmUp.statesEntered).not.toContain('UpsertRecord');
    await expectWarm();
  }, 180_000);

  it('tears a WARM region down to INACTIVE without a withdrawal or a drain, leaving nothing', async () => {
    expect((await world.run('scaleUp', ELASTIC, { target: 'WARM' })).status).toBe('SUCCEEDED');
    const down = await world.run('scaleDown', ELASTIC);
    expect(down.status).toBe('SUCCEEDED');
    expect(down.statesEntered).not.toContain('WithdrawRecord');
    expect(down.statesEntered).not.toContain('Drain');
    expect(await world.holdings(ELASTIC)).toEqual({ clusters: [], nodegroups: [] });
    expect(await world.loadBalancers(ELASTIC)).toEqual([]);
    expect(await world.latencyRecords()).toEqual([ALWAYS_ON]);
    expect((await world.store.getRegionState(ELASTIC)).status).toBe('INACTIVE');
  }, 180_000);

  it.each([
    ['the record that cannot be written', { service: 'route53', operation: 'ChangeResourceRecordSets' }],
    ['the nodegroup that cannot be resized', { service: 'eks', operation: 'UpdateNodegroupConfig', region: ELASTIC }],
  ])(
    'after a failure on the warm path (%s) keeps what a WARM region needs, its pods and nodes stopped, FAILED',
    async (_what, match) => {
      expect((await world.run('scaleUp', ELASTIC, { target: 'WARM' })).status).toBe('SUCCEEDED');
      const removeFault = world.proxy.failNextCall(match, FAULTS.accessDenied);
      const resume = await world.run('scaleUp', ELASTIC);
      removeFault();

      expect(resume).toMatchObject({ status: 'FAILED', error: 'AccessDeniedException' });
      expect(resume.statesEntered).toEqual(expect.arrayContaining(['ParkEdgeOnRollback', 'ParkNodegroupOnRollback']));
      expect(resume.statesEntered).not.toContain('RollBackCluster');
      expect(await world.holdings(ELASTIC)).toEqual({
        clusters: [clusterName(config.prefix, ELASTIC)],
        nodegroups: [nodegroupName(config.prefix)],
      });
      expect(await nodegroupSizes()).toMatchObject({ minSize: 0, desiredSize: 0 });
      expect(deploymentReplicas()).toBe(0);
      expect(serviceKept()).toBe(true);
      expect(await world.loadBalancers(ELASTIC)).toHaveLength(1);
      expect(await world.latencyRecords()).toEqual([ALWAYS_ON]);
      const state = await world.store.getRegionState(ELASTIC);
      expect(state.status).toBe('FAILED');
      expect(state.lastFailureCause).toMatch(/AccessDenied/);
      expect(await world.store.getLock(ELASTIC)).toBeUndefined();
    },
    180_000,
  );

  it('deploys definitions whose timeouts cover the warm paths and whose lock decides each path', () => {
    const { definitions } = synthesizedDeployment();
    for (const [workflow, warmPath] of [
      ['scaleUp', LONGEST_PATH_SECONDS.resume],
      ['scaleDown', LONGEST_PATH_SECONDS.park],
    ] as const) {
      const definition = JSON.parse(definitions[workflow].text) as {
        TimeoutSeconds: number;
        States: Record<string, { Choices?: { StringEquals?: string; Next?: string }[]; ResultPath?: string }>;
      };
      expect(definition.TimeoutSeconds).toBeGreaterThan(Math.max(warmPath, LONGEST_PATH_SECONDS[workflow]));
      expect(definition.States.LockRegion?.ResultPath).toBe('$.lock');
      const paths = (definition.States.ChoosePath?.Choices ?? []).map((c) => c.StringEquals);
      expect(paths.sort()).toEqual(
        (workflow === 'scaleUp' ? ['create', 'resume', 'warmUp'] : ['park', 'teardown', 'warmTeardown']).sort(),
      );
    }
  });
});
