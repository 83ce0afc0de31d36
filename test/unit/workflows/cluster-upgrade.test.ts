/**
 * The cluster upgrade definition (workflows/cluster-upgrade.asl.json, as it deploys), executed
 * locally with every branch taken: each Task's input is parsed with the contract's schemas, the
 * region task's plan, lock and records are the domain's own rules on an in-memory state table,
 * and each region's cluster is a virtual EKS that applies the version rules
 * (kubernetes-versions.ts), the poll schedule and the phase deadlines, its updates taking the
 * time a test scripts, on a virtual clock the Wait states advance.
 */
import { describe, expect, it } from '@jest/globals';
import type { z } from 'zod';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import {
  ERROR_NAMES,
  InvalidRequestError,
  RefusedError,
  RegionLockedError,
  ResourceFailedError,
  TransientError,
} from '../../../functions/domain/errors';
import { nextMinorVersion, nextUpgradeStep } from '../../../functions/domain/kubernetes-versions';
import { assertBeforeDeadline, PHASE_DEADLINE_SECONDS, phaseDeadline } from '../../../functions/domain/phase-deadlines';
import { nextWaitSeconds, POLL_PLANS, SETTLED_WAIT_SECONDS } from '../../../functions/domain/poll-schedule';
import {
  maintenanceFailedState,
  maintenanceFailureCause,
  maintenanceFinishedState,
  maintenanceInputSchema,
  maintenanceStartedState,
  planMaintenance,
} from '../../../functions/domain/region-maintenance';
import type { RegionState, RegionStatus } from '../../../functions/domain/region-state';
import { describeIssues } from '../../../functions/domain/validation';
import {
  clusterTaskSchema,
  regionTaskSchema,
  type ClusterTaskInput,
  type ClusterVersions,
  type RegionTaskInput,
  type VersionUpdateStatus,
} from '../../../functions/tasks/contract';
import { readDefinitionText, type TaskLambda } from '../../../workflows/definitions';
import { runWorkflowLocally, type LocalRunResult, type TaskHandler } from '../../../workflows/run-locally';
import { exampleConfig } from '../../support/config-fixtures';

// alwaysOn: us-east-1, eu-west-1; elastic: ap-southeast-1, ap-northeast-1, sa-east-1, ap-south-1
const config = exampleConfig(); // cluster.kubernetesVersion 1.35
const EPOCH_MS = Date.UTC(2026, 11, 1);
const ELASTIC_FIRST = ['ap-southeast-1', 'ap-northeast-1', 'sa-east-1', 'ap-south-1', 'us-east-1', 'eu-west-1'];

interface VirtualUpdate {
  id: string;
  of: 'cluster' | 'nodegroup';
  version: string;
  releaseVersion?: string;
  startedAt: number;
  status: 'InProgress' | 'Successful' | 'Failed';
}

/** How a region's EKS answers. */
interface ClusterScript {
  /** Seconds a control-plane / nodegroup update takes (Infinity: never ends). */
  controlPlaneSeconds: number;
  nodegroupSeconds: number;
  /** The next update of this kind is reported Failed at its first poll. */
  failNext?: 'cluster' | 'nodegroup';
  /** A status EKS never sends, at the next poll. */
  oddStatus?: string;
}

interface VirtualCluster {
  version: string;
  nodegroupVersion: string;
  releaseVersion: string;
  updates: VirtualUpdate[];
  script: ClusterScript;
}

type Fault = { kind: 'transient'; times: number } | { kind: 'permanent'; error: Error };

class UpgradeWorld {
  /** Virtual seconds since the world began. */
  now = 0;
  readonly states = new Map<string, RegionState>();
  readonly locks = new Map<string, string>();
  readonly clusters = new Map<string, VirtualCluster>();
  /** Task actions invoked, with their region, in order (retries included). */
  readonly calls: string[] = [];
  /** Every update started, in order: "<region> cluster|nodegroup <version>|patch". */
  readonly started: string[] = [];
  readonly notifications: { kind: 'failed' | 'summary'; region?: string; text: string }[] = [];
  private readonly faults = new Map<string, Fault>();
  private updateCount = 0;

  constructor(
    readonly config: AutoscalerConfig,
    version = '1.33',
    regions: Record<string, RegionStatus> = {},
  ) {
    for (const region of [...config.regions.alwaysOn, ...config.regions.elastic]) {
      const status = regions[region] ?? 'ACTIVE';
      this.states.set(region, {
        region,
        status,
        since: '2026-11-30T00:00:00.000Z',
        consecutiveFailures: 0,
        kubernetesVersion: version,
      });
      this.clusters.set(region, {
        version,
        nodegroupVersion: version,
        releaseVersion: `${version}.0-20261101`,
        updates: [],
        script: { controlPlaneSeconds: 720, nodegroupSeconds: 1200 },
      });
    }
  }

  date(): Date {
    return new Date(EPOCH_MS + this.now * 1000);
  }

  runs(region: string, version: string): void {
    const cluster = this.clusters.get(region)!;
    Object.assign(cluster, { version, nodegroupVersion: version, releaseVersion: `${version}.0-20261101` });
    this.states.get(region)!.kubernetesVersion = version;
  }

  script(region: string, script: Partial<ClusterScript>): void {
    Object.assign(this.clusters.get(region)!.script, script);
  }

  inject(action: string, fault: Fault): void {
    this.faults.set(action, fault);
  }

  /** The regions whose cluster an update was started in, in order. */
  touched(): string[] {
    return [...new Set(this.started.map((s) => s.split(' ')[0]!))];
  }

  handlers(): Record<TaskLambda, TaskHandler> {
    const unused = async () => {
      throw new Error('the cluster upgrade calls only the region and cluster tasks');
    };
    return {
      regionTask: this.task(regionTaskSchema, (input) => this.regionTask(input)),
      clusterTask: this.task(clusterTaskSchema, (input) => this.clusterTask(input)),
      edgeTask: unused,
      dnsTask: unused,
    };
  }

  run(input: unknown, executionName = 'upgrade-1'): Promise<LocalRunResult> {
    return runWorkflowLocally('clusterUpgrade', input, {
      tasks: this.handlers(),
      executionName,
      onWait: (seconds) => void (this.now += seconds),
    });
  }

  private task<S extends z.ZodType>(schema: S, run: (input: z.output<S>) => Promise<unknown>): TaskHandler {
    return async (raw) => {
      const { action, region } = (raw ?? {}) as { action?: string; region?: string };
      this.calls.push(region ? `${action} ${region}` : String(action));
      const parsed = schema.safeParse(raw);
      if (!parsed.success) throw new InvalidRequestError(describeIssues(parsed.error, 'input', raw).join('; '));
      const fault = this.faults.get(String(action));
      if (fault?.kind === 'transient' && fault.times > 0) {
        fault.times -= 1;
        throw new TransientError(`${action}: Rate exceeded (injected)`);
      }
      if (fault?.kind === 'permanent') {
        this.faults.delete(String(action));
        throw fault.error;
      }
      return run(parsed.data);
    };
  }

  // ---- the region task: plan, lock, records, notifications (the domain's rules, in memory) ----

  private async regionTask(input: RegionTaskInput): Promise<unknown> {
    const now = this.date();
    switch (input.action) {
      case 'planMaintenance': {
        const parsed = maintenanceInputSchema.safeParse(input.request);
        if (!parsed.success)
          throw new InvalidRequestError(describeIssues(parsed.error, 'input', input.request).join('; '));
        const target = input.target ?? this.config.cluster.kubernetesVersion;
        return planMaintenance(this.config, input.kind, target, parsed.data, [...this.states.values()]);
      }
      case 'lockForMaintenance': {
        const { region, owner, kind, target } = input;
        const holder = this.locks.get(region);
        if (holder && holder !== owner) throw new RegionLockedError(`Region ${region} is locked by ${holder}`);
        const state = this.states.get(region)!;
        if (state.status !== 'ACTIVE') throw new RefusedError(`${kind} of ${region} skipped: it is ${state.status}`);
        this.states.set(region, maintenanceStartedState(state, kind, target, owner, now));
        this.locks.set(region, owner);
        return {};
      }
      case 'finishMaintenance': {
        const { region, owner, kind, target } = input;
        this.states.set(region, maintenanceFinishedState(this.states.get(region)!, kind, target, owner, now));
        this.locks.delete(region);
        return {};
      }
      case 'failMaintenance': {
        const { region, owner, kind, target, error } = input;
        const holder = this.locks.get(region);
        const cause = maintenanceFailureCause(kind, error);
        if (!holder || holder === owner) {
          this.states.set(region, maintenanceFailedState(this.states.get(region)!, kind, target, owner, cause, now));
          this.locks.delete(region);
        }
        this.notifications.push({ kind: 'failed', region, text: cause });
        return { notified: true };
      }
      case 'notifyMaintenance':
        this.notifications.push({ kind: 'summary', text: input.error?.Error ?? 'finished' });
        return { notified: true };
      default:
        throw new Error(`the cluster upgrade does not call ${input.action}`);
    }
  }

  // ---- the cluster task: each region's EKS, with the version rules of EKS ----

  private async clusterTask(input: ClusterTaskInput): Promise<ClusterVersions | VersionUpdateStatus> {
    const cluster = this.clusters.get(input.region)!;
    const now = this.date();
    this.settle(cluster);
    switch (input.action) {
      case 'readVersions': {
        const target = input.target ?? this.config.cluster.kubernetesVersion;
        const step = nextUpgradeStep({ cluster: cluster.version, nodegroup: cluster.nodegroupVersion }, target);
        return {
          clusterVersion: cluster.version,
          nodegroupVersion: cluster.nodegroupVersion,
          releaseVersion: cluster.releaseVersion,
          target,
          next: step.step,
          toVersion: step.step === 'done' ? undefined : step.toVersion,
        };
      }
      case 'updateClusterVersion': {
        const running = cluster.updates.find((u) => u.of === 'cluster' && u.status === 'InProgress');
        if (running) return this.result(running, 'clusterVersionUpdate', now);
        if (cluster.version === input.version) return this.done(input.version);
        if (input.version !== nextMinorVersion(cluster.version)) {
          throw new RefusedError(`Refused to update from ${cluster.version} to ${input.version}: one minor at a time`);
        }
        if (cluster.nodegroupVersion !== cluster.version) throw new RefusedError('update the nodegroup first');
        this.started.push(`${input.region} cluster ${input.version}`);
        return this.result(this.start(cluster, 'cluster', input.version), 'clusterVersionUpdate', now);
      }
      case 'updateNodegroupVersion': {
        const running = cluster.updates.find((u) => u.of === 'nodegroup' && u.status === 'InProgress');
        if (running) return this.result(running, 'nodegroupVersionUpdate', now);
        if (input.version !== undefined && input.version !== cluster.version) {
          throw new RefusedError(`nodes move to their control plane's version, ${cluster.version}`);
        }
        if (input.version !== undefined && cluster.nodegroupVersion === input.version) return this.done(input.version);
        const version = input.version ?? cluster.nodegroupVersion;
        this.started.push(`${input.region} nodegroup ${input.version ?? 'patch'}`);
        const update = this.start(cluster, 'nodegroup', version, `${version}.9-20261201`);
        return this.result(update, 'nodegroupVersionUpdate', now);
      }
      case 'describeClusterUpdate':
      case 'describeNodegroupUpdate': {
        const update = cluster.updates.find((u) => u.id === input.updateId)!;
        if (cluster.script.oddStatus)
          return { ...this.result(update, 'clusterVersionUpdate', now), status: cluster.script.oddStatus };
        if (update.status === 'Failed') throw new ResourceFailedError(`EKS reports the update ${update.id} Failed`);
        if (update.status !== 'Successful') {
          assertBeforeDeadline(`the update ${update.id} to finish`, input.deadline, now);
        }
        const phase = update.of === 'cluster' ? 'clusterVersionUpdate' : 'nodegroupVersionUpdate';
        return { ...this.result(update, phase, now), deadline: input.deadline };
      }
      default:
        throw new Error(`the cluster upgrade does not call ${input.action}`);
    }
  }

  private start(cluster: VirtualCluster, of: VirtualUpdate['of'], version: string, releaseVersion?: string) {
    const failed = cluster.script.failNext === of;
    if (failed) cluster.script.failNext = undefined;
    const update: VirtualUpdate = {
      id: `u-${++this.updateCount}`,
      of,
      version,
      releaseVersion,
      startedAt: this.now,
      status: failed ? 'Failed' : 'InProgress',
    };
    cluster.updates.push(update);
    return update;
  }

  private settle(cluster: VirtualCluster): void {
    for (const u of cluster.updates) {
      const seconds = u.of === 'cluster' ? cluster.script.controlPlaneSeconds : cluster.script.nodegroupSeconds;
      if (u.status !== 'InProgress' || this.now - u.startedAt < seconds) continue;
      u.status = 'Successful';
      if (u.of === 'cluster') cluster.version = u.version;
      else Object.assign(cluster, { nodegroupVersion: u.version, releaseVersion: u.releaseVersion });
    }
  }

  private result(
    update: VirtualUpdate,
    phase: 'clusterVersionUpdate' | 'nodegroupVersionUpdate',
    now: Date,
  ): VersionUpdateStatus {
    const startedAt = new Date(EPOCH_MS + update.startedAt * 1000);
    const status = update.status === 'Failed' ? 'InProgress' : update.status;
    return {
      updateId: update.id,
      status,
      version: update.version,
      releaseVersion: update.releaseVersion,
      deadline: phaseDeadline(phase, startedAt),
      waitSeconds: status === 'InProgress' ? nextWaitSeconds(POLL_PLANS[phase], startedAt, now) : SETTLED_WAIT_SECONDS,
    };
  }

  private done(version: string): VersionUpdateStatus {
    return { status: 'Successful', version, waitSeconds: SETTLED_WAIT_SECONDS };
  }
}

const runsOf = (world: UpgradeWorld, action: string) => world.calls.filter((c) => c.startsWith(`${action} `));

describe('cluster upgrade workflow (the deployed definition, executed locally)', () => {
  it('takes every ACTIVE region from 1.33 to 1.35 one minor at a time, control plane before nodes, one region at a time', async () => {
    const world = new UpgradeWorld(config, '1.33', { 'ap-south-1': 'INACTIVE' });
    world.runs('sa-east-1', '1.35');
    const run = await world.run({ reason: 'Kubernetes 1.35' });

    expect(run.status).toBe('SUCCEEDED');
    const upgraded = ['ap-southeast-1', 'ap-northeast-1', 'us-east-1', 'eu-west-1'];
    expect(world.touched()).toEqual(upgraded);
    for (const region of upgraded) {
      expect(world.started.filter((s) => s.startsWith(`${region} `))).toEqual([
        `${region} cluster 1.34`,
        `${region} nodegroup 1.34`,
        `${region} cluster 1.35`,
        `${region} nodegroup 1.35`,
      ]);
      expect(world.clusters.get(region)).toMatchObject({ version: '1.35', nodegroupVersion: '1.35' });
      expect(world.states.get(region)).toMatchObject({
        status: 'ACTIVE',
        kubernetesVersion: '1.35',
        maintenance: { clusterUpgrade: { status: 'SUCCEEDED', target: '1.35' } },
      });
    }
    // Left alone: the region already at the target, and the one not serving.
    expect(world.calls.filter((c) => / (sa-east-1|ap-south-1)$/.test(c))).toEqual([]);
    expect(world.clusters.get('ap-south-1')!.version).toBe('1.33');
    expect(world.locks.size).toBe(0);
    // One region is finished before the next is locked.
    for (const [i, region] of upgraded.slice(1).entries()) {
      expect(world.calls.indexOf(`lockForMaintenance ${region}`)).toBeGreaterThan(
        world.calls.indexOf(`finishMaintenance ${upgraded[i]}`),
      );
    }
    expect(world.notifications).toEqual([{ kind: 'summary', text: 'finished' }]);
    expect(run.statesEntered).not.toContain('PatchNodes');
  });

  it('waits the typical time of each update first, then polls at its interval', async () => {
    const world = new UpgradeWorld(config, '1.34');
    const waits: [string, number][] = [];
    const run = await runWorkflowLocally(
      'clusterUpgrade',
      { regions: ['eu-west-1'] },
      {
        tasks: world.handlers(),
        executionName: 'timing',
        onWait: (seconds, state) => {
          waits.push([state, seconds]);
          world.now += seconds;
        },
      },
    );
    expect(run.status).toBe('SUCCEEDED');
    // Control plane: done at 720 s (8 min typical, then a poll a minute); nodes at 1200 s (10 min, then every 2).
    expect(waits).toEqual([
      ['WaitForControlPlane', POLL_PLANS.clusterVersionUpdate.typicalSeconds],
      ['WaitForControlPlane', 60],
      ['WaitForControlPlane', 60],
      ['WaitForControlPlane', 60],
      ['WaitForControlPlane', 60],
      ['WaitForNodes', POLL_PLANS.nodegroupVersionUpdate.typicalSeconds],
      ['WaitForNodes', 120],
      ['WaitForNodes', 120],
      ['WaitForNodes', 120],
      ['WaitForNodes', 120],
      ['WaitForNodes', 120],
    ]);
  });

  it('brings nodes behind their control plane to its version before moving the control plane on', async () => {
    const world = new UpgradeWorld(config, '1.34');
    world.clusters.get('eu-west-1')!.nodegroupVersion = '1.33';
    const run = await world.run({ regions: ['eu-west-1'] });
    expect(run.status).toBe('SUCCEEDED');
    expect(world.started).toEqual(['eu-west-1 nodegroup 1.34', 'eu-west-1 cluster 1.35', 'eu-west-1 nodegroup 1.35']);
  });

  it('skips a region whose lock another execution holds, leaves that lock alone, and upgrades the others', async () => {
    const world = new UpgradeWorld(config);
    world.locks.set('ap-northeast-1', 'arn:aws:states:us-east-1:000000000000:execution:scale-down:other');
    const run = await world.run({});
    expect(run.status).toBe('SUCCEEDED');
    expect(run.statesEntered).toContain('RegionSkipped');
    expect(world.touched()).toEqual(ELASTIC_FIRST.filter((r) => r !== 'ap-northeast-1'));
    expect(world.locks.get('ap-northeast-1')).toMatch(/scale-down:other$/);
    expect(world.clusters.get('ap-northeast-1')!.version).toBe('1.33');
    expect(world.states.get('ap-northeast-1')!.maintenance).toBeUndefined();
    expect(runsOf(world, 'readVersions').filter((c) => c.endsWith('ap-northeast-1'))).toEqual([]);
  });

  it('skips a region that is no longer ACTIVE when its turn comes', async () => {
    const world = new UpgradeWorld(config);
    const handlers = world.handlers();
    const regionTask = handlers.regionTask;
    handlers.regionTask = async (input) => {
      const { action, region } = input as { action: string; region?: string };
      if (action === 'lockForMaintenance' && region === 'us-east-1') world.states.get(region)!.status = 'DRAINING';
      return regionTask(input);
    };
    const run = await runWorkflowLocally(
      'clusterUpgrade',
      {},
      { tasks: handlers, executionName: 'draining', onWait: (s) => void (world.now += s) },
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(world.touched()).toEqual(ELASTIC_FIRST.filter((r) => r !== 'us-east-1'));
    expect(world.locks.size).toBe(0);
  });

  it('does nothing but report when every region runs the target', async () => {
    const world = new UpgradeWorld(config, '1.35');
    const run = await world.run({});
    expect(run.status).toBe('SUCCEEDED');
    expect(world.calls).toEqual(['planMaintenance', 'notifyMaintenance']);
  });

  it('records the target for a region whose state lagged behind its cluster (nothing to update)', async () => {
    const world = new UpgradeWorld(config, '1.35');
    world.states.get('eu-west-1')!.kubernetesVersion = '1.34';
    const run = await world.run({});
    expect(run.status).toBe('SUCCEEDED');
    expect(world.started).toEqual([]);
    expect(world.states.get('eu-west-1')).toMatchObject({ kubernetesVersion: '1.35' });
  });

  it('goes on when the control plane reached the version by other means before its update started', async () => {
    const world = new UpgradeWorld(config, '1.34');
    const handlers = world.handlers();
    const clusterTask = handlers.clusterTask;
    handlers.clusterTask = async (input) => {
      const { action, region } = input as { action: string; region: string };
      // Someone upgraded the control plane by hand between the read and the update.
      if (action === 'updateClusterVersion') world.clusters.get(region)!.version = '1.35';
      return clusterTask(input);
    };
    const run = await runWorkflowLocally(
      'clusterUpgrade',
      { regions: ['eu-west-1'] },
      { tasks: handlers, executionName: 'by-hand', onWait: (s) => void (world.now += s) },
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.statesEntered).not.toContain('WaitForControlPlane');
    expect(world.started).toEqual(['eu-west-1 nodegroup 1.35']);
  });

  it('retries transient errors of each step, and a start whose response was lost finds its own update', async () => {
    const world = new UpgradeWorld(config, '1.34');
    for (const action of ['lockForMaintenance', 'readVersions', 'describeClusterUpdate', 'finishMaintenance']) {
      world.inject(action, { kind: 'transient', times: 2 });
    }
    // The update starts, but the answer is lost: the retry is handed the update in progress.
    const handlers = world.handlers();
    const clusterTask = handlers.clusterTask;
    let lost = false;
    handlers.clusterTask = async (input) => {
      const result = await clusterTask(input);
      if ((input as { action: string }).action === 'updateClusterVersion' && !lost) {
        lost = true;
        throw new TransientError('updateClusterVersion: socket hang up (injected)');
      }
      return result;
    };
    const run = await runWorkflowLocally(
      'clusterUpgrade',
      { regions: ['eu-west-1'] },
      { tasks: handlers, executionName: 'retries', onWait: (s) => void (world.now += s) },
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.events.filter((e) => e.type === 'StateRetried')).toHaveLength(9);
    expect(world.started).toEqual(['eu-west-1 cluster 1.35', 'eu-west-1 nodegroup 1.35']);
    expect(world.states.get('eu-west-1')!.kubernetesVersion).toBe('1.35');
  });
});

describe('node patches (patchNodes, the node patch schedule)', () => {
  it('moves the nodes of every ACTIVE region at the version to the latest AMI release of it', async () => {
    const world = new UpgradeWorld(config, '1.35', { 'ap-south-1': 'INACTIVE' });
    const run = await world.run({ reason: 'node patch schedule', requestedBy: 'reconciler', patchNodes: true });
    expect(run.status).toBe('SUCCEEDED');
    const patched = ELASTIC_FIRST.filter((r) => r !== 'ap-south-1');
    expect(world.started).toEqual(patched.map((r) => `${r} nodegroup patch`));
    for (const region of patched) {
      expect(world.clusters.get(region)).toMatchObject({ nodegroupVersion: '1.35', releaseVersion: '1.35.9-20261201' });
      expect(world.states.get(region)!.maintenance?.clusterUpgrade).toMatchObject({
        status: 'SUCCEEDED',
        target: '1.35',
      });
    }
    expect(runsOf(world, 'describeNodegroupUpdate').length).toBeGreaterThanOrEqual(patched.length);
  });

  it('does not replace the nodes twice: a region upgraded in this run is not patched again', async () => {
    const world = new UpgradeWorld(config, '1.35');
    world.runs('us-east-1', '1.34');
    const run = await world.run({ patchNodes: true });
    expect(run.status).toBe('SUCCEEDED');
    expect(world.started.filter((s) => s.startsWith('us-east-1 '))).toEqual([
      'us-east-1 cluster 1.35',
      'us-east-1 nodegroup 1.35',
    ]);
    expect(world.started.filter((s) => s.endsWith(' patch'))).toHaveLength(5);
  });
});

describe('a failure stops the upgrade in the region it happened in and leaves later regions untouched', () => {
  function expectStoppedAtFirst(world: UpgradeWorld, run: LocalRunResult, error: string): void {
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(error);
    expect(run.statesEntered.slice(-4)).toEqual(['FailRegion', 'RegionFailed', 'NotifyStopped', 'UpgradeStopped']);
    expect(world.touched()).toEqual(['ap-southeast-1']);
    for (const region of ELASTIC_FIRST.slice(1)) {
      expect(world.clusters.get(region)!.version).toBe('1.33');
      expect(world.states.get(region)!.maintenance).toBeUndefined();
    }
    expect(world.states.get('ap-southeast-1')).toMatchObject({
      status: 'ACTIVE',
      kubernetesVersion: '1.33',
      maintenance: {
        clusterUpgrade: { status: 'FAILED', target: '1.35', cause: expect.stringMatching(new RegExp(`^${error}: `)) },
      },
    });
    expect(world.locks.size).toBe(0);
    expect(world.notifications.map((n) => n.kind)).toEqual(['failed', 'summary']);
  }

  it('an update EKS reports Failed: ResourceFailedError, nothing rolled back, the upgrade stops', async () => {
    const world = new UpgradeWorld(config);
    world.script('ap-southeast-1', { failNext: 'cluster' });
    const run = await world.run({});
    expectStoppedAtFirst(world, run, ERROR_NAMES.resourceFailed);
    expect(run.statesEntered.slice(-5, -4)).toEqual(['DescribeControlPlaneUpdate']);
  });

  it('a control-plane update still running at its deadline: DeadlineExceededError', async () => {
    const world = new UpgradeWorld(config);
    world.script('ap-southeast-1', { controlPlaneSeconds: Infinity });
    const run = await world.run({});
    expectStoppedAtFirst(world, run, ERROR_NAMES.deadlineExceeded);
    // It gave up only once the phase's budget had passed, polling at the plan's interval.
    expect(run.waitedSeconds).toBeGreaterThan(PHASE_DEADLINE_SECONDS.clusterVersionUpdate);
    expect(runsOf(world, 'describeClusterUpdate').length).toBeLessThanOrEqual(
      Math.ceil(PHASE_DEADLINE_SECONDS.clusterVersionUpdate / POLL_PLANS.clusterVersionUpdate.pollSeconds) + 2,
    );
  });

  it('a nodegroup update still running at its deadline: the control plane stays upgraded, the region FAILED', async () => {
    const world = new UpgradeWorld(config);
    world.script('ap-southeast-1', { nodegroupSeconds: Infinity });
    const run = await world.run({});
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(ERROR_NAMES.deadlineExceeded);
    expect(world.clusters.get('ap-southeast-1')).toMatchObject({ version: '1.34', nodegroupVersion: '1.33' });
    expect(run.waitedSeconds).toBeGreaterThan(PHASE_DEADLINE_SECONDS.nodegroupVersionUpdate);
    expect(world.touched()).toEqual(['ap-southeast-1']);
  });

  it('a node patch EKS reports Failed stops the schedule run too', async () => {
    const world = new UpgradeWorld(config, '1.35');
    world.script('ap-southeast-1', { failNext: 'nodegroup' });
    const run = await world.run({ patchNodes: true });
    expect(run.status).toBe('FAILED');
    expect(run.statesEntered).toContain('DescribePatch');
    expect(world.started).toEqual(['ap-southeast-1 nodegroup patch']);
  });

  it('a control plane newer than the target (RefusedError) fails the region: it is never downgraded', async () => {
    const world = new UpgradeWorld(config);
    world.clusters.get('ap-southeast-1')!.version = '1.36';
    world.clusters.get('ap-southeast-1')!.nodegroupVersion = '1.36';
    const run = await world.run({});
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(ERROR_NAMES.refused);
    expect(world.started).toEqual([]);
    expect(world.states.get('ap-southeast-1')!.maintenance?.clusterUpgrade?.status).toBe('FAILED');
  });

  it('an update status the workflow cannot read fails the region rather than wait on it', async () => {
    const world = new UpgradeWorld(config);
    world.script('ap-southeast-1', { oddStatus: 'Cancelling' });
    const run = await world.run({});
    expect(run.status).toBe('FAILED');
    expect(run.statesEntered).toContain('UpdateStatusUnknown');
    expect(run.error).toBe(ERROR_NAMES.resourceFailed);
  });

  it('a next step the workflow cannot read fails the region', async () => {
    const world = new UpgradeWorld(config);
    const handlers = world.handlers();
    handlers.clusterTask = async () => ({
      clusterVersion: '1.33',
      nodegroupVersion: '1.33',
      target: '1.35',
      next: 'later',
    });
    const run = await runWorkflowLocally('clusterUpgrade', {}, { tasks: handlers, executionName: 'odd' });
    expect(run.status).toBe('FAILED');
    expect(run.statesEntered).toContain('VersionsUnknown');
    expect(world.locks.size).toBe(0);
  });

  it('a failure to record the failure still stops the upgrade with the region error and notifies', async () => {
    const world = new UpgradeWorld(config);
    world.script('ap-southeast-1', { failNext: 'cluster' });
    world.inject('failMaintenance', { kind: 'permanent', error: new Error('DynamoDB down (injected)') });
    const run = await world.run({});
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(ERROR_NAMES.resourceFailed);
    expect(run.statesEntered.slice(-3)).toEqual(['RegionFailed', 'NotifyStopped', 'UpgradeStopped']);
  });

  it('a stop summary that cannot be sent still ends with the region error', async () => {
    const world = new UpgradeWorld(config);
    world.script('ap-southeast-1', { failNext: 'cluster' });
    world.inject('notifyMaintenance', { kind: 'permanent', error: new Error('SNS down (injected)') });
    const run = await world.run({});
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(ERROR_NAMES.resourceFailed);
    expect(run.statesEntered.slice(-2)).toEqual(['NotifyStopped', 'UpgradeStopped']);
    expect(world.notifications.map((n) => n.kind)).toEqual(['failed']);
  });

  it('a summary that cannot be sent fails the run after every region was handled', async () => {
    const world = new UpgradeWorld(config, '1.34');
    world.inject('notifyMaintenance', { kind: 'permanent', error: new Error('SNS down (injected)') });
    const run = await world.run({ regions: ['eu-west-1'] });
    expect(run.status).toBe('FAILED');
    expect(run.statesEntered.at(-1)).toBe('SummaryNotSent');
    expect(world.states.get('eu-west-1')!.kubernetesVersion).toBe('1.35');
  });
});

describe('an upgrade that cannot be planned changes nothing', () => {
  it.each<[string, unknown]>([
    ['a region outside the lists', { regions: ['eu-north-1'] }],
    ['a field the input does not have', { region: 'eu-west-1' }],
    ['patchNodes that is not a boolean', { patchNodes: 'yes' }],
  ])('refuses %s before any lock or cluster call', async (_what, input) => {
    const world = new UpgradeWorld(config);
    const run = await world.run(input);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(ERROR_NAMES.invalidRequest);
    expect(run.statesEntered.at(-1)).toBe('UpgradeRefused');
    expect(world.calls).toEqual(['planMaintenance']);
  });
});

describe('the clusterUpgrade definition', () => {
  interface State {
    Type: string;
    Resource?: string;
    Parameters?: Record<string, unknown>;
    ResultPath?: string | null;
    SecondsPath?: string;
    Retry?: { ErrorEquals: string[] }[];
    Catch?: { ErrorEquals: string[]; Next: string }[];
    Next?: string;
  }
  const definition = JSON.parse(readDefinitionText('clusterUpgrade')) as { States: Record<string, State> };
  const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');

  it('retries TransientError on every task and catches every other error', () => {
    for (const [name, task] of tasks) {
      expect({ name, retried: task.Retry?.some((r) => r.ErrorEquals.includes('TransientError')) }).toEqual({
        name,
        retried: true,
      });
      expect({ name, caught: task.Catch?.some((c) => c.ErrorEquals.includes('States.ALL')) }).toEqual({
        name,
        caught: true,
      });
    }
  });

  it('bounds every update poll by the deadline its update began with, and waits as the last answer said', () => {
    const polls = tasks.filter(([, s]) => String(s.Parameters?.action).endsWith('Update'));
    expect(polls.map(([name]) => name).sort()).toEqual([
      'DescribeControlPlaneUpdate',
      'DescribeNodesUpdate',
      'DescribePatch',
    ]);
    for (const [, poll] of polls) {
      expect(poll.Parameters?.['deadline.$']).toBe('$.update.deadline');
      expect(poll.ResultPath).toBe('$.update');
    }
    for (const [, wait] of Object.entries(definition.States).filter(([, s]) => s.Type === 'Wait')) {
      expect(wait.SecondsPath).toBe('$.update.waitSeconds');
    }
  });

  it('sends the control plane the next minor readVersions chose, and nodes their control plane version', () => {
    expect(definition.States.UpdateControlPlane?.Parameters).toMatchObject({
      action: 'updateClusterVersion',
      'version.$': '$.versions.toVersion',
    });
    expect(definition.States.UpdateNodes?.Parameters).toMatchObject({
      action: 'updateNodegroupVersion',
      'version.$': '$.versions.toVersion',
    });
    expect(definition.States.PatchNodes?.Parameters).toEqual({
      action: 'updateNodegroupVersion',
      'region.$': '$.current.region',
    });
  });
});
