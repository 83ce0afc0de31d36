import { describe, expect, it } from '@jest/globals';
import { exampleConfig } from '../../support/config-fixtures';
import { runInVirtualWorld } from '../../support/run-in-virtual-world';
import { LOAD_BALANCER_ZONE_ID, VirtualAwsWorld } from '../../support/virtual-aws-world';

const config = exampleConfig();
const up = (region = 'ap-southeast-1') => ({ region, reason: 'test', requestedBy: 'operator' });

describe('scale-up workflow (the deployed definition, executed locally)', () => {
  it('creates the cluster, the nodegroup and the edge, adds the record, marks ACTIVE and frees the lock', async () => {
    const world = new VirtualAwsWorld(config);
    const run = await runInVirtualWorld(world, 'scaleUp', up());
    expect(run.status).toBe('SUCCEEDED');
    expect(world.clusters.get('ap-southeast-1')?.status).toBe('ACTIVE');
    expect(world.nodegroups.get('ap-southeast-1')?.status).toBe('ACTIVE');
    // The record points at the Service's load balancer, by the zone id ELBv2 reports for it.
    expect(world.recordTarget('ap-southeast-1')).toEqual({
      dnsName: world.loadBalancers.get('ap-southeast-1')?.dnsName,
      hostedZoneId: LOAD_BALANCER_ZONE_ID,
    });
    expect(world.status.get('ap-southeast-1')).toBe('ACTIVE');
    expect(world.locks.size).toBe(0);
    // The order of the steps is the contract: cluster before nodegroup before edge before DNS.
    const order = ['ensureCluster', 'ensureNodegroup', 'applyEdge', 'upsertRecord', 'finishScaling'].map((a) =>
      world.calls.indexOf(a),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('waits with few transitions: a 10-minute cluster, 3-minute nodegroup and 2-minute load balancer', async () => {
    const world = new VirtualAwsWorld(config);
    const run = await runInVirtualWorld(world, 'scaleUp', up());
    expect(run.status).toBe('SUCCEEDED');
    expect(run.waitedSeconds).toBeGreaterThanOrEqual(600 + 180 + 120);
    expect(run.statesEntered.length).toBeLessThanOrEqual(40);
    expect(run.statesEntered.filter((s) => s === 'DescribeCluster').length).toBeLessThanOrEqual(3);
  });

  it('is idempotent: a second scale-up adopts what exists and leaves one of everything', async () => {
    const world = new VirtualAwsWorld(config);
    await runInVirtualWorld(world, 'scaleUp', up());
    const again = await runInVirtualWorld(world, 'scaleUp', up());
    expect(again.status).toBe('SUCCEEDED');
    expect(world.clusters.size).toBe(1);
    expect(world.nodegroups.size).toBe(1);
    expect(world.records.size).toBe(1);
  });

  it('refuses a region outside the lists before any change, and holds no lock', async () => {
    const world = new VirtualAwsWorld(config);
    const run = await runInVirtualWorld(world, 'scaleUp', up('eu-north-1'));
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InvalidRequestError');
    expect(world.calls).toEqual(['validateScaleUp', 'notifyRefusal']);
    expect(world.locks.size).toBe(0);
  });

  it('fails cleanly when another execution holds the lock, leaving that lock alone', async () => {
    const world = new VirtualAwsWorld(config);
    world.locks.set('ap-southeast-1', 'other-execution');
    const run = await runInVirtualWorld(world, 'scaleUp', up());
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RegionLockedError');
    expect(world.locks.get('ap-southeast-1')).toBe('other-execution');
    expect(world.clusters.size).toBe(0);
  });

  it.each([
    'ensureCluster',
    'describeCluster',
    'ensureNodegroup',
    'describeNodegroup',
    'applyEdge',
    'readEdgeEndpoint',
    'upsertRecord',
    'getChange',
    'finishScaling',
  ])('retries a transient error in %s and succeeds', async (action) => {
    const world = new VirtualAwsWorld(config);
    world.inject(action, { kind: 'transient', times: 2 });
    const run = await runInVirtualWorld(world, 'scaleUp', up());
    expect(run.status).toBe('SUCCEEDED');
    expect(run.events.filter((e) => e.type === 'StateRetried')).toHaveLength(2);
    expect(world.status.get('ap-southeast-1')).toBe('ACTIVE');
  });

  it.each([
    'ensureNodegroup',
    'describeNodegroup',
    'applyEdge',
    'readEdgeEndpoint',
    'upsertRecord',
    'getChange',
    'finishScaling',
  ])(
    'rolls back everything it created after a permanent failure in %s, marks FAILED and frees the lock',
    async (action) => {
      const world = new VirtualAwsWorld(config);
      world.inject(action, { kind: 'permanent' });
      const run = await runInVirtualWorld(world, 'scaleUp', up());
      expect(run.status).toBe('FAILED');
      expect(world.leftovers('ap-southeast-1')).toEqual([]);
      expect(world.status.get('ap-southeast-1')).toBe('FAILED');
      expect(world.notifications.at(-1)).toMatch(/^up: ap-southeast-1 failed/);
    },
  );

  it('removes nothing it did not write when a later step fails: cluster, nodegroup, Service and record stay', async () => {
    const world = new VirtualAwsWorld(config);
    await runInVirtualWorld(world, 'scaleUp', up());
    const before = world.leftovers('ap-southeast-1');
    world.inject('finishScaling', { kind: 'permanent' });
    const run = await runInVirtualWorld(world, 'scaleUp', up());
    expect(run.status).toBe('FAILED');
    // The second run adopted all of it and found the record already pointing at its load balancer.
    expect(world.leftovers('ap-southeast-1')).toEqual(before);
    expect(world.clusters.get('ap-southeast-1')?.status).toBe('ACTIVE');
    expect(world.calls.filter((a) => a.startsWith('delete'))).toEqual([]);
    expect(world.locks.size).toBe(0);
  });

  it('never adopts a cluster that is not tagged as ours', async () => {
    const world = new VirtualAwsWorld(config);
    world.addCluster('ap-southeast-1', { tags: { team: 'video' } });
    const run = await runInVirtualWorld(world, 'scaleUp', up());
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('NotOwnedError');
    expect(world.clusters.get('ap-southeast-1')).toMatchObject({ status: 'ACTIVE', tags: { team: 'video' } });
    expect(world.sdkCalls.filter((c) => /^(Create|Delete)/.test(c))).toEqual([]);
    expect(world.locks.size).toBe(0);
  });
});
