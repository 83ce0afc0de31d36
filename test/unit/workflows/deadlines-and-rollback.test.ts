/**
 * The deployed definitions, executed locally in the virtual world: a resource stuck in a phase
 * fails at that phase's deadline (scale-up rolls back, scale-down fails), a resource that cannot
 * be deleted ends the workflow after one look, and the rollback removes exactly what the
 * execution wrote, whoever's call created it.
 */
import { describe, expect, it } from '@jest/globals';
import { ERROR_NAMES } from '../../../functions/domain/errors';
import { PHASE_DEADLINE_SECONDS, type Phase } from '../../../functions/domain/phase-deadlines';
import type { WorkflowName } from '../../../workflows/definitions';
import type { LocalRunResult } from '../../../workflows/run-locally';
import { exampleConfig } from '../../support/config-fixtures';
import { runInVirtualWorld } from '../../support/run-in-virtual-world';
import {
  EARLIER_EXECUTION,
  VirtualAwsWorld,
  type VirtualOutcomes,
  type VirtualTimings,
} from '../../support/virtual-aws-world';

const config = exampleConfig();
const region = 'ap-southeast-1';
const request = { region, reason: 'test', requestedBy: 'operator' };
const NEVER = Infinity;

/** The states a run entered, each once, in order of first entry. */
const path = (run: LocalRunResult) => [...new Set(run.statesEntered)];
const entered = (run: LocalRunResult, state: string) => run.statesEntered.filter((s) => s === state).length;
/** The rollback's deletions, in the order they began. */
const deletions = (world: VirtualAwsWorld) =>
  [...new Set(world.calls.filter((a) => /^delete/.test(a)))].map((a) => a.replace(/^delete/, ''));

async function activeRegion(world: VirtualAwsWorld): Promise<void> {
  const run = await runInVirtualWorld(world, 'scaleUp', request);
  expect(run.status).toBe('SUCCEEDED');
  world.calls.length = 0;
}

describe('a resource stuck in a scale-up phase fails at its deadline, and the rollback leaves nothing', () => {
  it.each<[string, Partial<VirtualTimings>, Phase, RegExp]>([
    [
      'a cluster stuck CREATING',
      { clusterCreate: NEVER },
      'clusterCreate',
      /the EKS cluster .* to be ACTIVE \(it is CREATING\)/,
    ],
    [
      'a nodegroup stuck CREATING',
      { nodegroupCreate: NEVER },
      'nodegroupCreate',
      /the EKS nodegroup .* to be ACTIVE \(it is CREATING\)/,
    ],
    [
      'a load balancer that never becomes active',
      { loadBalancerCreate: NEVER },
      'loadBalancerCreate',
      /the load balancer of the edge Service in ap-southeast-1 to be active/,
    ],
    ['a Route53 change stuck PENDING', { dnsSync: NEVER }, 'dnsChange', /the Route53 change C\d+ to be INSYNC/],
  ])('%s', async (_what, timings, phase, waitingFor) => {
    const world = new VirtualAwsWorld(config, timings);
    const run = await runInVirtualWorld(world, 'scaleUp', request);

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(ERROR_NAMES.deadlineExceeded);
    expect(run.cause).toMatch(waitingFor);
    expect(run.cause).toMatch(/its deadline .* has passed/);
    expect(world.leftovers(region)).toEqual([]);
    expect(world.status.get(region)).toBe('FAILED');
    expect(world.causes.get(region)).toMatch(
      new RegExp(`^DeadlineExceededError: Gave up waiting for ${waitingFor.source}`),
    );
    expect(world.failures.at(-1)?.error.rollback).toBeUndefined();
    // It gave up only once the phase's whole budget had passed.
    expect(run.waitedSeconds).toBeGreaterThan(PHASE_DEADLINE_SECONDS[phase]);
  });

  it('withdraws the record first, waits one TTL, then deletes the Service, the nodegroup and the cluster', async () => {
    const world = new VirtualAwsWorld(config, { dnsSync: NEVER });
    const waits: [string, number][] = [];
    const { runWorkflowLocally } = await import('../../../workflows/run-locally');
    const run = await runWorkflowLocally('scaleUp', request, {
      tasks: world.handlers(),
      executionName: 'rollback-order',
      onWait: (seconds, state) => {
        waits.push([state, seconds]);
        world.advance(seconds);
      },
    });
    expect(run.status).toBe('FAILED');
    expect(deletions(world)).toEqual(['Record', 'Edge', 'Nodegroup', 'Cluster']);
    const rollback = path(run).slice(path(run).indexOf('RollBack'));
    expect(rollback.slice(0, 4)).toEqual([
      'RollBack',
      'RollBackRecord',
      'WaitForRecordWithdrawal',
      'RollBackEdgeIfOurs',
    ]);
    expect(waits).toContainEqual(['WaitForRecordWithdrawal', config.dns.ttlSeconds]);
  });
});

describe('a resource stuck in a scale-down phase fails the scale-down at its deadline', () => {
  it('a nodegroup stuck DELETING: FailScaling, the region FAILED with its record withdrawn, the lock free', async () => {
    const world = new VirtualAwsWorld(config);
    await activeRegion(world);
    world.timings.nodegroupDelete = NEVER;
    const run = await runInVirtualWorld(world, 'scaleDown', request);

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(ERROR_NAMES.deadlineExceeded);
    expect(run.cause).toMatch(/EKS nodegroup .* to be DELETED \(it is DELETING\)/);
    expect(path(run).slice(-2)).toEqual(['FailScaling', 'ScaleDownFailed']);
    expect(run.waitedSeconds).toBeGreaterThan(PHASE_DEADLINE_SECONDS.nodegroupDelete);
    expect(world.status.get(region)).toBe('FAILED');
    expect(world.causes.get(region)).toMatch(/^DeadlineExceededError: /);
    expect(world.records.has(region)).toBe(false);
    expect(world.locks.size).toBe(0);
    // The cluster is not deleted under a nodegroup still there.
    expect(world.leftovers(region)).toEqual(['cluster ACTIVE', 'nodegroup DELETING']);
  });
});

describe('a resource that cannot be deleted ends the workflow after one look (no hot loop)', () => {
  /** A deletion that fails: what the world answers, the state that sees it, and the cause it reports. */
  type FailedDeletion = [outcomes: Partial<VirtualOutcomes>, poll: string, cause: RegExp];
  const nodegroupDeleteFailed: FailedDeletion = [
    { nodegroupDelete: 'DELETE_FAILED' },
    'DescribeNodegroupDeletion',
    /the nodegroup is DELETE_FAILED while being deleted/,
  ];
  const clusterDeleteFailed: FailedDeletion = [
    { clusterDelete: 'FAILED' },
    'DescribeClusterDeletion',
    /the EKS cluster is FAILED while being deleted/,
  ];
  it.each<[WorkflowName, string, ...FailedDeletion]>([
    ['scaleUp', 'a nodegroup DELETE_FAILED during the rollback', ...nodegroupDeleteFailed],
    ['scaleUp', 'a cluster FAILED during the rollback', ...clusterDeleteFailed],
    ['scaleDown', 'a nodegroup DELETE_FAILED', ...nodegroupDeleteFailed],
    ['scaleDown', 'a cluster FAILED', ...clusterDeleteFailed],
  ])('%s: %s goes to FailScaling', async (workflow, _what, outcomes, poll, cause) => {
    const world = new VirtualAwsWorld(config);
    if (workflow === 'scaleDown') await activeRegion(world);
    // The scale-up fails once everything exists (the record is written), so that its rollback deletes it all.
    if (workflow === 'scaleUp') world.inject('finishScaling', { kind: 'permanent' });
    // The deletion fails at once: the first look after the deletion's first wait sees it failed.
    Object.assign(world.outcomes, outcomes);
    Object.assign(world.timings, { nodegroupDelete: 0, clusterDelete: 0 });
    const run = await runInVirtualWorld(world, workflow, request);

    expect(run.status).toBe('FAILED');
    expect(entered(run, poll)).toBe(1);
    expect(run.statesEntered.slice(run.statesEntered.indexOf(poll) + 2)).toEqual([
      `${poll.replace(/^Describe/, '').replace(/Deletion$/, '')}DeletionFailed`,
      'FailScaling',
      workflow === 'scaleUp' ? 'ScaleUpFailed' : 'ScaleDownFailed',
    ]);
    expect(run.statesEntered.length).toBeLessThan(workflow === 'scaleUp' ? 60 : 33);
    const { error } = world.failures.at(-1)!;
    if (workflow === 'scaleUp') {
      // The execution fails with what made it roll back; the rollback's own failure is kept beside it.
      expect(run.error).toBe('Error');
      expect(run.cause).toMatch(/finishScaling: permanent failure/);
      expect(error.rollback).toEqual({ Error: ERROR_NAMES.resourceFailed, Cause: expect.stringMatching(cause) });
    } else {
      expect(run.error).toBe(ERROR_NAMES.resourceFailed);
      expect(error).toEqual({ Error: ERROR_NAMES.resourceFailed, Cause: expect.stringMatching(cause) });
    }
    expect(world.status.get(region)).toBe('FAILED');
    expect(world.locks.size).toBe(0);
  });
});

describe('the rollback removes what this execution wrote, and only that (finding 4)', () => {
  it.each(['CreateCluster', 'CreateNodegroup'])(
    'a resource whose %s response was lost is still known as this execution’s, and deleted by the rollback',
    async (operation) => {
      const world = new VirtualAwsWorld(config);
      world.loseResponse(operation);
      world.inject('applyEdge', { kind: 'permanent' });
      const run = await runInVirtualWorld(world, 'scaleUp', request);

      expect(run.status).toBe('FAILED');
      // The create took effect once; the retry found the resource with this execution's tag.
      expect(world.sdkCalls.filter((c) => c === operation)).toHaveLength(1);
      const ensure = operation === 'CreateCluster' ? 'ensureCluster' : 'ensureNodegroup';
      expect(world.calls.filter((a) => a === ensure)).toHaveLength(2);
      expect(run.events.filter((e) => e.type === 'StateRetried')).toHaveLength(1);
      expect(deletions(world)).toEqual(['Edge', 'Nodegroup', 'Cluster']);
      expect(world.leftovers(region)).toEqual([]);
      expect(world.status.get(region)).toBe('FAILED');
    },
  );

  it.each(['getChange', 'finishScaling'])(
    'with an adopted cluster (created by another execution), a failure in %s removes the record, Service and nodegroup it wrote, and keeps the cluster',
    async (action) => {
      const world = new VirtualAwsWorld(config);
      world.addCluster(region, { status: 'ACTIVE', tags: world.tagsOf(EARLIER_EXECUTION) });
      world.inject(action, { kind: 'permanent' });
      const run = await runInVirtualWorld(world, 'scaleUp', request);

      expect(run.status).toBe('FAILED');
      expect(deletions(world)).toEqual(['Record', 'Edge', 'Nodegroup']);
      expect(world.leftovers(region)).toEqual(['cluster ACTIVE']);
      expect(world.clusters.get(region)?.tags).toEqual(world.tagsOf(EARLIER_EXECUTION));
      expect(world.status.get(region)).toBe('FAILED');
      expect(entered(run, 'WaitForRecordWithdrawal')).toBe(1);
    },
  );
});
