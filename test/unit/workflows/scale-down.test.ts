import { describe, expect, it } from '@jest/globals';
import { exampleConfig } from '../../support/config-fixtures';
import { runInVirtualWorld } from '../../support/run-in-virtual-world';
import { VirtualAwsWorld } from '../../support/virtual-aws-world';

const config = exampleConfig();
const request = (region = 'ap-southeast-1') => ({ region, reason: 'test', requestedBy: 'operator' });

async function worldWithActiveRegion(region = 'ap-southeast-1'): Promise<VirtualAwsWorld> {
  const world = new VirtualAwsWorld(config);
  const run = await runInVirtualWorld(world, 'scaleUp', request(region));
  expect(run.status).toBe('SUCCEEDED');
  world.calls.length = 0;
  return world;
}

describe('scale-down workflow (the deployed definition, executed locally)', () => {
  it('withdraws the record first, drains, then deletes the Service, the nodegroup and the cluster', async () => {
    const world = await worldWithActiveRegion();
    const run = await runInVirtualWorld(world, 'scaleDown', request());
    expect(run.status).toBe('SUCCEEDED');
    expect(world.leftovers('ap-southeast-1')).toEqual([]);
    expect(world.status.get('ap-southeast-1')).toBe('INACTIVE');
    const first = (action: string) => world.calls.indexOf(action);
    expect(first('deleteRecord')).toBeLessThan(first('deleteEdge'));
    expect(first('deleteEdge')).toBeLessThan(first('deleteNodegroup'));
    expect(first('deleteNodegroup')).toBeLessThan(first('deleteCluster'));
    // The drain wait (TTL + drain time) sits between the withdrawal and the first deletion.
    const drain = run.events.find((e) => e.type === 'StateEntered' && e.state.name === 'Drain');
    expect(drain).toBeDefined();
  });

  it('waits the record TTL plus the configured drain time after the record is in sync', async () => {
    const world = await worldWithActiveRegion();
    const waits: [string, number][] = [];
    const { runWorkflowLocally } = await import('../../../workflows/run-locally');
    await runWorkflowLocally('scaleDown', request(), {
      tasks: world.handlers(),
      executionName: 'drain-check',
      onWait: (seconds, state) => {
        waits.push([state, seconds]);
        world.advance(seconds);
      },
    });
    expect(waits).toContainEqual(['Drain', config.dns.ttlSeconds + config.scaling.drainSeconds]);
    const states = waits.map(([s]) => s);
    expect(states.indexOf('WaitForWithdrawal')).toBeLessThan(states.indexOf('Drain'));
  });

  it('is a no-op for an inactive region, and succeeds twice in a row', async () => {
    const world = await worldWithActiveRegion();
    expect((await runInVirtualWorld(world, 'scaleDown', request())).status).toBe('SUCCEEDED');
    world.calls.length = 0;
    const again = await runInVirtualWorld(world, 'scaleDown', request());
    expect(again.status).toBe('SUCCEEDED');
    expect(again.statesEntered).toEqual(['ValidateRequest', 'IsThereWorkToDo', 'AlreadyInactive']);
    expect(world.calls).toEqual(['validateScaleDown']);
  });

  it('refuses an always-on region without changing anything', async () => {
    const world = new VirtualAwsWorld(config);
    const run = await runInVirtualWorld(world, 'scaleDown', request('us-east-1'));
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RefusedError');
    expect(world.calls).toEqual(['validateScaleDown', 'notifyRefusal']);
    expect(world.status.get('us-east-1')).toBe('ACTIVE');
  });

  it('refuses to take down the last serving region', async () => {
    const lonely = exampleConfig((raw) => {
      raw.regions.alwaysOn = ['us-east-1'];
    });
    const world = new VirtualAwsWorld(lonely);
    world.status.set('us-east-1', 'INACTIVE');
    await runInVirtualWorld(world, 'scaleUp', request('ap-southeast-1'));
    const run = await runInVirtualWorld(world, 'scaleDown', request('ap-southeast-1'));
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RefusedError');
    expect(run.cause).toMatch(/last region serving users/);
    expect(world.records.has('ap-southeast-1')).toBe(true);
  });

  it('refuses a cluster that is not tagged as ours', async () => {
    const world = new VirtualAwsWorld(config);
    world.addCluster('ap-south-1', { tags: { team: 'video' } });
    const run = await runInVirtualWorld(world, 'scaleDown', request('ap-south-1'));
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('NotOwnedError');
    expect(world.clusters.get('ap-south-1')?.status).toBe('ACTIVE');
  });

  it('lets one of a concurrent scale-up and scale-down win; the other fails cleanly; the lock ends free', async () => {
    const world = await worldWithActiveRegion();
    const [down, up] = await Promise.all([
      runInVirtualWorld(world, 'scaleDown', request()),
      runInVirtualWorld(world, 'scaleUp', request()),
    ]);
    const outcomes = [down.status, up.status].sort();
    expect(outcomes).toEqual(['FAILED', 'SUCCEEDED']);
    expect([down, up].find((r) => r.status === 'FAILED')?.error).toBe('RegionLockedError');
    expect(world.locks.size).toBe(0);
  });

  it.each([
    'deleteRecord',
    'getChange',
    'deleteEdge',
    'deleteNodegroup',
    'describeNodegroup',
    'deleteCluster',
    'describeCluster',
    'finishScaling',
  ])('retries a transient error in %s and completes', async (action) => {
    const world = await worldWithActiveRegion();
    world.inject(action, { kind: 'transient', times: 1 });
    const run = await runInVirtualWorld(world, 'scaleDown', request());
    expect(run.status).toBe('SUCCEEDED');
    expect(run.events.some((e) => e.type === 'StateRetried')).toBe(true);
    expect(world.clusters.size).toBe(0);
  });

  it.each(['deleteRecord', 'deleteEdge', 'deleteNodegroup', 'deleteCluster'])(
    'after a permanent failure in %s marks the region FAILED, keeps its record withdrawn and frees the lock',
    async (action) => {
      const world = await worldWithActiveRegion();
      world.inject(action, { kind: 'permanent' });
      const run = await runInVirtualWorld(world, 'scaleDown', request());
      expect(run.status).toBe('FAILED');
      expect(world.status.get('ap-southeast-1')).toBe('FAILED');
      expect(world.locks.size).toBe(0);
      expect(world.notifications.at(-1)).toMatch(/^down: ap-southeast-1 failed/);
    },
  );
});
