/**
 * The warm standby tier on the deployed definitions, executed locally in the virtual world: every
 * path the lock decides (warm-standby.ts) and its failures. A warm-up builds a WARM region
 * (cluster, nodegroup at zero nodes with its warm pool, edge at zero replicas with its Service
 * and load balancer, no record); a scale-down parks an ACTIVE region there; a scale-up resumes it
 * in a few transitions and minutes; a scale-down to INACTIVE tears a WARM region down without a
 * withdrawal or a drain. A failure on the warm path leaves what a WARM region needs.
 */
import { describe, expect, it } from '@jest/globals';
import { ERROR_NAMES } from '../../../functions/domain/errors';
import { PHASE_DEADLINE_SECONDS } from '../../../functions/domain/phase-deadlines';
import { warmPrice } from '../../../functions/domain/pricing';
import type { LocalRunResult } from '../../../workflows/run-locally';
import { exampleConfig } from '../../support/config-fixtures';
import { runInVirtualWorld } from '../../support/run-in-virtual-world';
import { VirtualAwsWorld, type VirtualTimings } from '../../support/virtual-aws-world';

const region = 'ap-southeast-1';
const warmConfig = (warm: { nodeWarmPool?: boolean; maxUsdPerHour?: number } = {}) =>
  exampleConfig((raw) => void (raw.warm = { regions: [region, 'sa-east-1'], ...warm }));
const config = warmConfig();
const request = (target?: string, where = region) => ({
  region: where,
  reason: 'test',
  requestedBy: 'operator',
  ...(target && { target }),
});
const { min, desired, max } = config.cluster.nodes;
const NEVER = Infinity;

/** The states a run entered, each once, in order of first entry. */
const path = (run: LocalRunResult) => [...new Set(run.statesEntered)];

/** What a WARM region holds: cluster, nodegroup at zero nodes, the edge's Service and load balancer, no record, no pod. */
function expectWarm(world: VirtualAwsWorld, where = region): void {
  expect(world.status.get(where)).toBe('WARM');
  expect(world.clusters.get(where)?.status).toBe('ACTIVE');
  expect(world.nodegroups.get(where)).toMatchObject({ sizes: { minSize: 0, desiredSize: 0, maxSize: max } });
  expect(world.kubernetesObjects.get(where)?.has('/api/v1/namespaces/edge/services/edge')).toBe(true);
  expect(world.loadBalancers.get(where)?.state).toBe('active');
  expect(world.deploymentReplicas(where)).toEqual([0]);
  expect(world.records.has(where)).toBe(false);
  expect(world.locks.size).toBe(0);
}

async function warmRegion(timings: Partial<VirtualTimings> = {}, cfg = config): Promise<VirtualAwsWorld> {
  const world = new VirtualAwsWorld(cfg, timings);
  const warmUp = await runInVirtualWorld(world, 'scaleUp', request('WARM'));
  expect(warmUp.status).toBe('SUCCEEDED');
  world.calls.length = 0;
  world.sdkCalls.length = 0;
  return world;
}

async function activeRegion(world = new VirtualAwsWorld(config)): Promise<VirtualAwsWorld> {
  const up = await runInVirtualWorld(world, 'scaleUp', request());
  expect(up.status).toBe('SUCCEEDED');
  world.calls.length = 0;
  world.sdkCalls.length = 0;
  return world;
}

describe('a warm-up (scale-up, target WARM)', () => {
  it('builds the cluster, a nodegroup at zero nodes with its warm pool and the edge at zero replicas; no record; WARM', async () => {
    const world = new VirtualAwsWorld(config);
    const run = await runInVirtualWorld(world, 'scaleUp', request('WARM'));

    expect(run.status).toBe('SUCCEEDED');
    expectWarm(world);
    expect(world.nodegroups.get(region)?.warmPool).toBe(true);
    expect(path(run)).toEqual(expect.arrayContaining(['WithdrawStrayRecord', 'EnsureCluster', 'FinishWarmUp']));
    expect(path(run)).not.toContain('UpsertRecord');
    expect(run.statesEntered.at(-1)).toBe('RegionWarm');
    expect(world.notifications.at(-1)).toBe(`up: ${region} done, WARM`);
  });

  it('withdraws a record a failed run left behind before it builds anything', async () => {
    const world = await activeRegion();
    world.inject('finishScaling', { kind: 'permanent' });
    // A failed re-run of the scale-up that found the record already there: FAILED, its record kept.
    expect((await runInVirtualWorld(world, 'scaleUp', request())).status).toBe('FAILED');
    expect(world.records.has(region)).toBe(true);
    world.calls.length = 0;

    const run = await runInVirtualWorld(world, 'scaleUp', request('WARM'));
    expect(run.status).toBe('SUCCEEDED');
    expect(world.calls.indexOf('deleteRecord')).toBeLessThan(world.calls.indexOf('ensureCluster'));
    expect(path(run)).toEqual(expect.arrayContaining(['WaitForStrayRecordWithdrawal', 'GetStrayRecordChange']));
    // The nodes it had are stopped: the adopted nodegroup is resized to zero.
    expectWarm(world);
  });

  it('is idempotent: a second warm-up adopts everything and leaves one of each', async () => {
    const world = await warmRegion();
    const again = await runInVirtualWorld(world, 'scaleUp', request('WARM'));
    expect(again.status).toBe('SUCCEEDED');
    expect(world.sdkCalls.filter((c) => /^Create/.test(c))).toEqual([]);
    expectWarm(world);
  });

  it('refuses a warm-up of a region that serves, before any change', async () => {
    const world = await activeRegion();
    const run = await runInVirtualWorld(world, 'scaleUp', request('WARM'));
    expect(run).toMatchObject({ status: 'FAILED', error: ERROR_NAMES.refused });
    expect(run.cause).toMatch(/scale it down with target WARM/);
    expect(world.calls).toEqual(['validateScaleUp', 'notifyRefusal']);
    expect(world.status.get(region)).toBe('ACTIVE');
  });

  it.each([
    ['a region outside warm.regions', request('WARM', 'ap-south-1'), /ap-south-1 is not in warm\.regions/],
    ['a scale-up to INACTIVE', request('INACTIVE'), /a scale-up cannot end INACTIVE/],
  ])('rejects %s as an invalid request, changing nothing', async (_what, input, cause) => {
    const world = new VirtualAwsWorld(config);
    const run = await runInVirtualWorld(world, 'scaleUp', input);
    expect(run).toMatchObject({ status: 'FAILED', error: ERROR_NAMES.invalidRequest });
    expect(run.cause).toMatch(cause);
    expect(world.calls).toEqual(['validateScaleUp', 'notifyRefusal']);
  });

  it('rolls back what it created when the load balancer never comes up, and marks the region FAILED', async () => {
    const world = new VirtualAwsWorld(config, { loadBalancerCreate: NEVER });
    const run = await runInVirtualWorld(world, 'scaleUp', request('WARM'));
    expect(run).toMatchObject({ status: 'FAILED', error: ERROR_NAMES.deadlineExceeded });
    expect(world.leftovers(region)).toEqual([]);
    expect(world.status.get(region)).toBe('FAILED');
  });
});

describe('the warm path (scale-up of a WARM region)', () => {
  it('serves within 4 minutes in at most 20 transitions: nodes from the warm pool, pods, record; no cluster work', async () => {
    const world = await warmRegion();
    const run = await runInVirtualWorld(world, 'scaleUp', request());

    expect(run.status).toBe('SUCCEEDED');
    expect(run.statesEntered.length).toBeLessThanOrEqual(20);
    expect(run.waitedSeconds).toBeLessThanOrEqual(240);
    expect(world.status.get(region)).toBe('ACTIVE');
    expect(world.nodegroups.get(region)?.sizes).toEqual({ minSize: min, desiredSize: desired, maxSize: max });
    expect(world.podsServing(region)).toBe(true);
    expect(world.recordTarget(region)?.dnsName).toBe(world.loadBalancers.get(region)?.dnsName);
    expect(world.calls).not.toContain('ensureCluster');
    expect(world.sdkCalls.filter((c) => /^(Create|Delete)/.test(c))).toEqual([]);
    // Access entries first, then the Deployment scaled up, then the nodes it waits for.
    const order = ['ensureClusterAccess', 'applyEdge', 'scaleNodegroup', 'readEdgeEndpoint', 'upsertRecord'].map((a) =>
      world.calls.indexOf(a),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(world.notifications.at(-1)).toBe(`up: ${region} done, ACTIVE`);
  });

  it('without a warm pool waits for launched nodes, polling a little more', async () => {
    const cold = warmConfig({ nodeWarmPool: false });
    const world = await warmRegion({}, cold);
    expect(world.nodegroups.get(region)?.warmPool).toBeFalsy();
    const run = await runInVirtualWorld(world, 'scaleUp', request());
    expect(run.status).toBe('SUCCEEDED');
    expect(run.waitedSeconds).toBeGreaterThanOrEqual(world.timings.nodesLaunch);
    expect(run.statesEntered.length).toBeLessThanOrEqual(20);
  });

  it('adds the warm pool to a WARM region’s nodegroup that lacks one (made before warm.nodeWarmPool) as it resumes it', async () => {
    const world = await warmRegion();
    world.nodegroups.get(region)!.warmPool = false;
    const run = await runInVirtualWorld(world, 'scaleUp', request());
    expect(run.status).toBe('SUCCEEDED');
    expect(world.nodegroups.get(region)?.warmPool).toBe(true);
  });

  it.each(['ensureClusterAccess', 'applyEdge', 'scaleNodegroup', 'readEdgeEndpoint'])(
    'retries a transient error in %s and serves',
    async (action) => {
      const world = await warmRegion();
      world.inject(action, { kind: 'transient', times: 2 });
      const run = await runInVirtualWorld(world, 'scaleUp', request());
      expect(run.status).toBe('SUCCEEDED');
      expect(run.events.filter((e) => e.type === 'StateRetried')).toHaveLength(2);
      expect(world.status.get(region)).toBe('ACTIVE');
    },
  );

  it.each<[string, Partial<VirtualTimings>, RegExp]>([
    ['pods that never become available', { podsStart: NEVER }, /the edge pods in ap-southeast-1 to be available/],
    ['a record change stuck PENDING', { dnsSync: NEVER }, /the Route53 change C\d+ to be INSYNC/],
  ])(
    'after %s rolls back to what a WARM region has: FAILED, record withdrawn, no pod, no node',
    async (_what, timings, cause) => {
      const world = await warmRegion();
      Object.assign(world.timings, timings);
      const run = await runInVirtualWorld(world, 'scaleUp', request());

      expect(run).toMatchObject({ status: 'FAILED', error: ERROR_NAMES.deadlineExceeded });
      expect(run.cause).toMatch(cause);
      expect(world.status.get(region)).toBe('FAILED');
      expect(world.causes.get(region)).toMatch(/^DeadlineExceededError: /);
      // Nothing a WARM region needs is deleted; the pods and nodes it started are stopped again.
      expect(world.calls.filter((a) => /^delete(Edge|Nodegroup|Cluster)$/.test(a))).toEqual([]);
      expect(world.records.has(region)).toBe(false);
      expect(world.deploymentReplicas(region)).toEqual([0]);
      expect(world.nodegroups.get(region)?.sizes).toMatchObject({ desiredSize: 0, minSize: 0 });
      expect(world.clusters.get(region)?.status).toBe('ACTIVE');
      expect(world.loadBalancers.get(region)?.state).toBe('active');
      expect(world.locks.size).toBe(0);
      expect(path(run).slice(-4)).toEqual([
        'ParkEdgeOnRollback',
        'ParkNodegroupOnRollback',
        'FailScaling',
        'ScaleUpFailed',
      ]);
      expect(world.failures.at(-1)?.error.rollback).toBeUndefined();
    },
  );

  it('a nodegroup gone while WARM fails the resume (ResourceFailedError) without creating one; the next scale-up goes the cold way', async () => {
    const world = await warmRegion();
    world.nodegroups.delete(region);
    const run = await runInVirtualWorld(world, 'scaleUp', request());
    expect(run).toMatchObject({ status: 'FAILED', error: ERROR_NAMES.resourceFailed });
    expect(run.cause).toMatch(/does not exist/);
    expect(world.sdkCalls).not.toContain('CreateNodegroup');
    // The rollback's own park of the missing nodegroup failed too: kept beside the cause.
    expect(world.failures.at(-1)?.error.rollback?.Error).toBe(ERROR_NAMES.resourceFailed);
    expect(world.status.get(region)).toBe('FAILED');

    const again = await runInVirtualWorld(world, 'scaleUp', request());
    expect(again.status).toBe('SUCCEEDED');
    expect(path(again)).toContain('EnsureCluster');
    expect(world.podsServing(region)).toBe(true);
  });
});

describe('a scale-down of a warm region', () => {
  it('parks an ACTIVE region WARM while the cost cap allows: record withdrawn, drained, pods and nodes to zero, the rest kept', async () => {
    const world = await activeRegion();
    const waits: [string, number][] = [];
    const { runWorkflowLocally } = await import('../../../workflows/run-locally');
    const run = await runWorkflowLocally('scaleDown', request(), {
      tasks: world.handlers(),
      executionName: 'park',
      onWait: (seconds, state) => {
        waits.push([state, seconds]);
        world.advance(seconds);
      },
    });

    expect(run.status).toBe('SUCCEEDED');
    expectWarm(world);
    expect(world.calls.filter((a) => /^delete(Edge|Nodegroup|Cluster)$/.test(a))).toEqual([]);
    const first = (action: string) => world.calls.indexOf(action);
    expect(first('deleteRecord')).toBeLessThan(first('parkEdge'));
    expect(first('parkEdge')).toBeLessThan(first('scaleNodegroup'));
    expect(waits).toContainEqual(['Drain', config.dns.ttlSeconds + config.scaling.drainSeconds]);
    expect(waits.map(([s]) => s)).toContain('WaitForNodegroupPark');
    expect(run.statesEntered.at(-1)).toBe('RegionWarm');
    expect(world.notifications.at(-1)).toBe(`down: ${region} done, WARM`);
  });

  it('goes INACTIVE instead when the warm tier is at its cost cap', async () => {
    // Room for one WARM region (priced on the virtual world's day).
    const capped = warmConfig({
      maxUsdPerHour: warmPrice(config, undefined, new Date('2026-11-20T00:00:00Z')).usdPerHour,
    });
    const world = await warmRegion({}, capped);
    // sa-east-1 takes the warm tier's one place; ap-southeast-1 is then brought up.
    expect((await runInVirtualWorld(world, 'scaleUp', request(undefined))).status).toBe('SUCCEEDED');
    world.status.set('sa-east-1', 'WARM');
    const run = await runInVirtualWorld(world, 'scaleDown', request());
    expect(run.status).toBe('SUCCEEDED');
    expect(world.status.get(region)).toBe('INACTIVE');
    expect(world.leftovers(region)).toEqual([]);
  });

  it('tears a WARM region down to INACTIVE with no withdrawal and no drain', async () => {
    const world = await warmRegion();
    const run = await runInVirtualWorld(world, 'scaleDown', request());

    expect(run.status).toBe('SUCCEEDED');
    expect(path(run)).not.toContain('WithdrawRecord');
    expect(path(run)).not.toContain('Drain');
    expect(world.leftovers(region)).toEqual([]);
    expect(world.status.get(region)).toBe('INACTIVE');
    // It serves nobody: taking it down is no last-serving-region question, even with nothing else serving.
    const alone = await warmRegion();
    for (const other of config.regions.alwaysOn) alone.status.set(other, 'INACTIVE');
    expect((await runInVirtualWorld(alone, 'scaleDown', request())).status).toBe('SUCCEEDED');
  });

  it('has nothing to do for a WARM region asked to end WARM', async () => {
    const world = await warmRegion();
    const run = await runInVirtualWorld(world, 'scaleDown', request('WARM'));
    expect(run.status).toBe('SUCCEEDED');
    expect(run.statesEntered).toEqual(['ValidateRequest', 'IsThereWorkToDo', 'AlreadyWarm']);
    expectWarm(world);
  });

  it('honours an explicit target INACTIVE for an ACTIVE warm region', async () => {
    const world = await activeRegion();
    const run = await runInVirtualWorld(world, 'scaleDown', request('INACTIVE'));
    expect(run.status).toBe('SUCCEEDED');
    expect(world.leftovers(region)).toEqual([]);
  });

  it.each([
    ['WARM for a region outside warm.regions', 'ap-south-1', ERROR_NAMES.invalidRequest, /not in warm\.regions/],
    ['WARM for a region with no cluster to keep', 'sa-east-1', ERROR_NAMES.refused, /no cluster to keep/],
  ])('refuses %s, changing nothing', async (_what, where, error, cause) => {
    const world = new VirtualAwsWorld(config);
    world.status.set(where, 'INACTIVE');
    const run = await runInVirtualWorld(world, 'scaleDown', request('WARM', where));
    expect(run).toMatchObject({ status: 'FAILED', error });
    expect(run.cause).toMatch(cause);
    expect(world.calls).toEqual(['validateScaleDown', 'notifyRefusal']);
  });

  it.each(['parkEdge', 'scaleNodegroup', 'describeNodegroup'])(
    'retries a transient error in %s and ends WARM',
    async (action) => {
      const world = await activeRegion();
      world.inject(action, { kind: 'transient', times: 1 });
      const run = await runInVirtualWorld(world, 'scaleDown', request());
      expect(run.status).toBe('SUCCEEDED');
      expect(run.events.some((e) => e.type === 'StateRetried')).toBe(true);
      expectWarm(world);
    },
  );

  it('marks the region FAILED, its record withdrawn, when the nodegroup is DEGRADED as it is scaled to zero', async () => {
    const world = await activeRegion();
    world.outcomes.nodegroupUpdate = 'DEGRADED';
    const run = await runInVirtualWorld(world, 'scaleDown', request());
    expect(run).toMatchObject({ status: 'FAILED', error: ERROR_NAMES.resourceFailed });
    expect(run.cause).toMatch(/the nodegroup is DEGRADED while being scaled to zero/);
    expect(path(run).slice(-3)).toEqual(['NodegroupParkFailed', 'FailScaling', 'ScaleDownFailed']);
    expect(world.status.get(region)).toBe('FAILED');
    expect(world.records.has(region)).toBe(false);
    expect(world.clusters.get(region)?.status).toBe('ACTIVE');
    expect(world.locks.size).toBe(0);
  });

  it('fails a park whose nodegroup stays UPDATING at the phase deadline', async () => {
    const world = await activeRegion();
    world.timings.nodegroupUpdate = NEVER;
    const run = await runInVirtualWorld(world, 'scaleDown', request());
    expect(run).toMatchObject({ status: 'FAILED', error: ERROR_NAMES.deadlineExceeded });
    expect(run.cause).toMatch(/EKS nodegroup .* to be ACTIVE \(it is UPDATING\)/);
    expect(run.waitedSeconds).toBeGreaterThan(PHASE_DEADLINE_SECONDS.nodegroupScale);
    expect(world.status.get(region)).toBe('FAILED');
  });
});

describe('the warm cycle', () => {
  it('cold -> ACTIVE -> WARM -> ACTIVE -> INACTIVE, one of everything at each step, nothing left at the end', async () => {
    const world = await activeRegion();
    const lb = world.loadBalancers.get(region)?.dnsName;
    expect((await runInVirtualWorld(world, 'scaleDown', request())).status).toBe('SUCCEEDED');
    expectWarm(world);
    const resume = await runInVirtualWorld(world, 'scaleUp', request());
    expect(resume.status).toBe('SUCCEEDED');
    // The same load balancer serves again: none was created for the warm path.
    expect(world.recordTarget(region)?.dnsName).toBe(lb);
    expect(world.clusters.size).toBe(1);
    expect(world.nodegroups.size).toBe(1);
    expect((await runInVirtualWorld(world, 'scaleDown', request('INACTIVE'))).status).toBe('SUCCEEDED');
    expect(world.leftovers(region)).toEqual([]);
    expect(world.status.get(region)).toBe('INACTIVE');
  });
});
