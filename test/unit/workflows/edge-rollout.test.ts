/**
 * The edge rollout definition (workflows/edge-rollout.asl.json, as it deploys), executed locally
 * with every branch taken: each Task's input is parsed with the contract's schemas, the region
 * task's plan, lock and records are the domain's own rules on an in-memory state table, and each
 * region's edge answers as a test scripts it (rollout time, stall, /health, restore), on a
 * virtual clock the Wait states advance.
 */
import { describe, expect, it } from '@jest/globals';
import type { z } from 'zod';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import {
  ERROR_NAMES,
  EdgeUnhealthyError,
  InvalidRequestError,
  RefusedError,
  RegionLockedError,
  ResourceFailedError,
  TransientError,
} from '../../../functions/domain/errors';
import { describeIssues } from '../../../functions/domain/validation';
import { assertBeforeDeadline, PHASE_DEADLINE_SECONDS, phaseDeadline } from '../../../functions/domain/phase-deadlines';
import { nextWaitSeconds, POLL_PLANS } from '../../../functions/domain/poll-schedule';
import {
  edgeRestoreOutcome,
  maintenanceFailedState,
  maintenanceFailureCause,
  maintenanceFinishedState,
  maintenanceInputSchema,
  maintenanceStartedState,
  planMaintenance,
} from '../../../functions/domain/region-maintenance';
import type { RegionState, RegionStatus } from '../../../functions/domain/region-state';
import {
  clusterTaskSchema,
  edgeTaskSchema,
  regionTaskSchema,
  type EdgeTaskInput,
  type RegionTaskInput,
} from '../../../functions/tasks/contract';
import type { TaskLambda } from '../../../workflows/definitions';
import { runWorkflowLocally, type LocalRunResult, type TaskHandler } from '../../../workflows/run-locally';
import { exampleConfig } from '../../support/config-fixtures';

// alwaysOn: us-east-1, eu-west-1; elastic: ap-southeast-1, ap-northeast-1, sa-east-1, ap-south-1
const config = exampleConfig();
const OLD = 'a'.repeat(64);
const DESIRED = 'b'.repeat(64);
const EPOCH_MS = Date.UTC(2026, 11, 1);

/** How a region's edge answers during its rollout. */
interface EdgeScript {
  /** Seconds from the apply until the Deployments' rollout is complete (Infinity: never). */
  rolloutSeconds: number;
  /** Kubernetes reports the rollout stalled (ProgressDeadlineExceeded) at the first poll. */
  stalls: boolean;
  /** The /health answers, in order (the last one repeats). */
  health: boolean[];
  restoreFails: boolean;
}

interface VirtualEdge {
  /** The configuration the region's objects are. */
  running: string;
  /** What the last snapshot held. */
  snapshot?: string;
  appliedAt?: number;
  healthChecks: number;
  script: EdgeScript;
}

type Fault = { kind: 'transient'; times: number } | { kind: 'permanent'; error: Error };

class RolloutWorld {
  /** Virtual seconds since the world began. */
  now = 0;
  readonly states = new Map<string, RegionState>();
  readonly locks = new Map<string, string>();
  readonly edges = new Map<string, VirtualEdge>();
  /** Task actions invoked, with their region, in order (retries included). */
  readonly calls: string[] = [];
  readonly notifications: { kind: 'failed' | 'summary'; region?: string; text: string }[] = [];
  private readonly faults = new Map<string, Fault>();

  constructor(
    readonly config: AutoscalerConfig,
    regions: Record<string, RegionStatus> = {},
  ) {
    for (const region of [...config.regions.alwaysOn, ...config.regions.elastic]) {
      const status = regions[region] ?? 'ACTIVE';
      this.states.set(region, {
        region,
        status,
        since: '2026-11-30T00:00:00.000Z',
        consecutiveFailures: 0,
        edgeConfiguration: OLD,
      });
      this.edges.set(region, {
        running: OLD,
        healthChecks: 0,
        script: { rolloutSeconds: 45, stalls: false, health: [true], restoreFails: false },
      });
    }
  }

  date(): Date {
    return new Date(EPOCH_MS + this.now * 1000);
  }

  script(region: string, script: Partial<EdgeScript>): void {
    Object.assign(this.edges.get(region)!.script, script);
  }

  inject(action: string, fault: Fault): void {
    this.faults.set(action, fault);
  }

  /** The regions whose edge was touched (snapshot or later), in order. */
  touched(): string[] {
    return [...new Set(this.calls.filter((c) => /^(snapshotEdge|rolloutEdge) /.test(c)).map((c) => c.split(' ')[1]!))];
  }

  handlers(): Record<TaskLambda, TaskHandler> {
    const unused = async () => {
      throw new Error('the edge rollout calls only the region, cluster and edge tasks');
    };
    return {
      regionTask: this.task(regionTaskSchema, (input) => this.regionTask(input)),
      edgeTask: this.task(edgeTaskSchema, (input) => this.edgeTask(input)),
      clusterTask: this.task(clusterTaskSchema, async (input) => {
        if (input.action !== 'ensureClusterAccess') throw new Error(`the edge rollout does not call ${input.action}`);
        return { created: [], repaired: [], removed: [], unchanged: ['the operator role'], leftAlone: [] };
      }),
      dnsTask: unused,
    };
  }

  run(input: unknown, executionName = 'rollout-1'): Promise<LocalRunResult> {
    return runWorkflowLocally('edgeRollout', input, {
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
        return planMaintenance(this.config, input.kind, input.target!, parsed.data, [...this.states.values()]);
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
        const holder = this.locks.get(region);
        if (holder && holder !== owner) throw new RegionLockedError(`Region ${region} is locked by ${holder}`);
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
        const restore = edgeRestoreOutcome(error);
        this.notifications.push({
          kind: 'failed',
          region,
          text: `${cause} (${typeof restore === 'object' ? 'restore failed' : restore})`,
        });
        return { notified: true };
      }
      case 'notifyMaintenance':
        this.notifications.push({ kind: 'summary', text: input.error?.Error ?? 'finished' });
        return { notified: true };
      default:
        throw new Error(`the edge rollout does not call ${input.action}`);
    }
  }

  // ---- the edge task: each region's edge as the test scripted it ----

  private async edgeTask(input: EdgeTaskInput): Promise<unknown> {
    if (input.action === 'describeDesiredEdge') return { configuration: DESIRED };
    const edge = this.edges.get(input.region)!;
    const now = this.date();
    switch (input.action) {
      case 'snapshotEdge':
        edge.snapshot = edge.running;
        return { objects: `the objects of ${edge.running}`, absent: [] };
      case 'rolloutEdge':
        edge.running = DESIRED;
        edge.appliedAt = this.now;
        return {
          configuration: DESIRED,
          deadline: phaseDeadline('edgeRollout', now),
          waitSeconds: nextWaitSeconds(POLL_PLANS.edgeRollout, now, now),
        };
      case 'readEdgeRollout': {
        if (edge.script.stalls)
          throw new ResourceFailedError(`The edge rollout in ${input.region} stalled: ProgressDeadlineExceeded`);
        if (this.now - edge.appliedAt! >= edge.script.rolloutSeconds) return { ready: true, waitSeconds: 1 };
        assertBeforeDeadline(`the edge rollout in ${input.region} to complete`, input.deadline, now);
        return { ready: false, waitSeconds: POLL_PLANS.edgeRollout.pollSeconds };
      }
      case 'checkEdgeHealth': {
        const answers = edge.script.health;
        const healthy = answers[Math.min(edge.healthChecks++, answers.length - 1)];
        if (!healthy) throw new EdgeUnhealthyError(`The edge of ${input.region} did not answer /health with 200`);
        return { healthy: true, attempts: 1 };
      }
      case 'restoreEdge':
        if (edge.script.restoreFails) throw new ResourceFailedError(`Kubernetes PATCH in ${input.region} refused`);
        edge.running = edge.snapshot!;
        return { restored: ['/apis/apps/v1/namespaces/edge/deployments/edge-cache'], deleted: [] };
      default:
        throw new Error(`the edge rollout does not call ${input.action}`);
    }
  }
}

const ELASTIC_FIRST = ['ap-southeast-1', 'ap-northeast-1', 'sa-east-1', 'ap-south-1', 'us-east-1', 'eu-west-1'];
const runs = (world: RolloutWorld, state: string) =>
  world.calls.filter((c) => c === state || c.startsWith(`${state} `));

describe('edge rollout workflow (the deployed definition, executed locally)', () => {
  it('rolls the desired configuration out to every ACTIVE region that lacks it, one at a time, the canary first and baked', async () => {
    const world = new RolloutWorld(config, { 'ap-south-1': 'INACTIVE' });
    world.states.get('sa-east-1')!.edgeConfiguration = DESIRED;
    world.edges.get('sa-east-1')!.running = DESIRED;
    const bakes: number[] = [];
    const run = await runWorkflowLocally(
      'edgeRollout',
      { reason: 'new origin' },
      {
        tasks: world.handlers(),
        executionName: 'happy',
        onWait: (seconds, state) => {
          if (state === 'BakeCanary') bakes.push(seconds);
          world.now += seconds;
        },
      },
    );

    expect(run.status).toBe('SUCCEEDED');
    const updated = ['ap-southeast-1', 'ap-northeast-1', 'us-east-1', 'eu-west-1'];
    expect(world.touched()).toEqual(updated);
    for (const region of updated) {
      expect(world.edges.get(region)!.running).toBe(DESIRED);
      expect(world.states.get(region)).toMatchObject({
        status: 'ACTIVE',
        edgeConfiguration: DESIRED,
        maintenance: { edgeRollout: { status: 'SUCCEEDED', target: DESIRED } },
      });
    }
    // Left alone: the region already at the target, and the one not serving.
    expect(world.calls.filter((c) => / (sa-east-1|ap-south-1)$/.test(c))).toEqual([]);
    expect(world.edges.get('ap-south-1')!.running).toBe(OLD);
    expect(world.locks.size).toBe(0);

    // The canary alone: baked for canaryBakeSeconds and checked again before the next region is locked.
    expect(bakes).toEqual([config.edge.rollout.canaryBakeSeconds]);
    const canaryDone = world.calls.indexOf('finishMaintenance ap-southeast-1');
    expect(world.calls.slice(0, canaryDone + 1).filter((c) => c.startsWith('checkEdgeHealth'))).toEqual([
      'checkEdgeHealth ap-southeast-1',
      'checkEdgeHealth ap-southeast-1',
    ]);
    expect(world.calls.indexOf('lockForMaintenance ap-northeast-1')).toBeGreaterThan(canaryDone);
    // The others are checked once, and one region is finished before the next is locked.
    expect(runs(world, 'checkEdgeHealth')).toHaveLength(updated.length + 1);
    for (const [i, region] of updated.slice(1).entries()) {
      expect(world.calls.indexOf(`lockForMaintenance ${region}`)).toBeGreaterThan(
        world.calls.indexOf(`finishMaintenance ${updated[i]}`),
      );
    }
    expect(world.notifications).toEqual([{ kind: 'summary', text: 'finished' }]);
  });

  it('takes the configured canary first', async () => {
    const world = new RolloutWorld(
      exampleConfig((raw) => void (raw.edge.rollout = { canaryRegion: 'eu-west-1', canaryBakeSeconds: 600 })),
    );
    const run = await world.run({});
    expect(run.status).toBe('SUCCEEDED');
    expect(world.touched()).toEqual(['eu-west-1', ...ELASTIC_FIRST.filter((r) => r !== 'eu-west-1')]);
    expect(runs(world, 'checkEdgeHealth').slice(0, 2)).toEqual([
      'checkEdgeHealth eu-west-1',
      'checkEdgeHealth eu-west-1',
    ]);
    expect(run.waitedSeconds).toBeGreaterThanOrEqual(600);
  });

  it('bakes no canary when it rolls out a single region', async () => {
    const world = new RolloutWorld(config);
    const run = await world.run({ regions: ['eu-west-1'] });
    expect(run.status).toBe('SUCCEEDED');
    expect(world.touched()).toEqual(['eu-west-1']);
    expect(run.statesEntered).not.toContain('BakeCanary');
  });

  it('skips a region whose lock another execution holds, leaves that lock alone, and updates the others', async () => {
    const world = new RolloutWorld(config);
    world.locks.set('ap-northeast-1', 'arn:aws:states:us-east-1:000000000000:execution:scale-down:other');
    const run = await world.run({});
    expect(run.status).toBe('SUCCEEDED');
    expect(world.touched()).toEqual(ELASTIC_FIRST.filter((r) => r !== 'ap-northeast-1'));
    expect(world.locks.get('ap-northeast-1')).toMatch(/scale-down:other$/);
    expect(world.states.get('ap-northeast-1')).toMatchObject({ edgeConfiguration: OLD });
    expect(world.states.get('ap-northeast-1')!.maintenance).toBeUndefined();
    expect(world.states.get('eu-west-1')!.edgeConfiguration).toBe(DESIRED);
  });

  it('skips a region that is no longer ACTIVE when its turn comes', async () => {
    const world = new RolloutWorld(config);
    // The region starts going down while the canary bakes.
    const handlers = world.handlers();
    const regionTask = handlers.regionTask;
    handlers.regionTask = async (input) => {
      const { action, region } = input as { action: string; region?: string };
      if (action === 'lockForMaintenance' && region === 'ap-northeast-1') {
        world.states.get(region)!.status = 'DRAINING';
      }
      return regionTask(input);
    };
    const run = await runWorkflowLocally(
      'edgeRollout',
      {},
      { tasks: handlers, executionName: 'draining', onWait: (s) => void (world.now += s) },
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.statesEntered).toContain('RegionSkipped');
    expect(world.touched()).not.toContain('ap-northeast-1');
    expect(world.touched()).toHaveLength(5);
    expect(world.locks.size).toBe(0);
  });

  it('does nothing but report when every region already runs the target', async () => {
    const world = new RolloutWorld(config);
    for (const state of world.states.values()) state.edgeConfiguration = DESIRED;
    const run = await world.run({});
    expect(run.status).toBe('SUCCEEDED');
    expect(world.calls).toEqual(['describeDesiredEdge', 'planMaintenance', 'notifyMaintenance']);
  });

  it('retries transient errors of each step and finishes', async () => {
    const world = new RolloutWorld(config);
    for (const action of ['snapshotEdge', 'rolloutEdge', 'readEdgeRollout', 'checkEdgeHealth', 'finishMaintenance']) {
      world.inject(action, { kind: 'transient', times: 2 });
    }
    const run = await world.run({ regions: ['eu-west-1'] });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.events.filter((e) => e.type === 'StateRetried')).toHaveLength(10);
    expect(world.states.get('eu-west-1')!.edgeConfiguration).toBe(DESIRED);
  });
});

describe('a failure stops the rollout, restores the region it happened in, and leaves later regions untouched', () => {
  /** A failed rollout: the canary restored and FAILED, nothing else touched, the lock free, both notifications sent. */
  function expectStoppedAtCanary(world: RolloutWorld, run: LocalRunResult, error: string): void {
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(error);
    expect(run.statesEntered.slice(-4)).toEqual(['FailRegion', 'RegionFailed', 'NotifyStopped', 'RolloutStopped']);
    expect(world.touched()).toEqual(['ap-southeast-1']);
    for (const region of ELASTIC_FIRST.slice(1)) {
      expect(world.states.get(region)).toMatchObject({ edgeConfiguration: OLD });
      expect(world.states.get(region)!.maintenance).toBeUndefined();
      expect(world.edges.get(region)!.running).toBe(OLD);
    }
    expect(world.states.get('ap-southeast-1')).toMatchObject({
      status: 'ACTIVE',
      edgeConfiguration: OLD,
      maintenance: {
        edgeRollout: { status: 'FAILED', target: DESIRED, cause: expect.stringMatching(new RegExp(`^${error}: `)) },
      },
    });
    expect(world.locks.size).toBe(0);
    expect(world.notifications.map((n) => n.kind)).toEqual(['failed', 'summary']);
  }

  it('a rollout still incomplete at its deadline: DeadlineExceededError, restore, FailRegion, and the rollout stops', async () => {
    const world = new RolloutWorld(config);
    world.script('ap-southeast-1', { rolloutSeconds: Infinity });
    const run = await world.run({});
    expectStoppedAtCanary(world, run, ERROR_NAMES.deadlineExceeded);
    expect(run.statesEntered.slice(-6, -4)).toEqual(['ReadRollout', 'RestoreEdge']);
    expect(world.edges.get('ap-southeast-1')!.running).toBe(OLD);
    expect(world.notifications[0]!.text).toMatch(/\(restored\)$/);
    // It gave up only once the phase's budget had passed, polling at the plan's interval.
    expect(run.waitedSeconds).toBeGreaterThan(PHASE_DEADLINE_SECONDS.edgeRollout);
    const polls = runs(world, 'readEdgeRollout').length;
    expect(polls).toBeLessThanOrEqual(
      Math.ceil(PHASE_DEADLINE_SECONDS.edgeRollout / POLL_PLANS.edgeRollout.pollSeconds) + 2,
    );
  });

  it('a rollout Kubernetes reports stalled is restored at its first poll', async () => {
    const world = new RolloutWorld(config);
    world.script('ap-southeast-1', { stalls: true });
    const run = await world.run({});
    expectStoppedAtCanary(world, run, ERROR_NAMES.resourceFailed);
    expect(runs(world, 'readEdgeRollout')).toHaveLength(1);
    expect(world.edges.get('ap-southeast-1')!.running).toBe(OLD);
  });

  it('an edge that does not answer /health after its rollout is restored', async () => {
    const world = new RolloutWorld(config);
    world.script('ap-southeast-1', { health: [false] });
    const run = await world.run({});
    expectStoppedAtCanary(world, run, ERROR_NAMES.edgeUnhealthy);
    expect(run.statesEntered).not.toContain('BakeCanary');
    expect(world.edges.get('ap-southeast-1')!.running).toBe(OLD);
  });

  it('a canary that turns unhealthy during its bake is restored', async () => {
    const world = new RolloutWorld(config);
    world.script('ap-southeast-1', { health: [true, false] });
    const run = await world.run({});
    expectStoppedAtCanary(world, run, ERROR_NAMES.edgeUnhealthy);
    expect(run.statesEntered).toContain('CheckCanaryHealth');
    expect(world.edges.get('ap-southeast-1')!.running).toBe(OLD);
  });

  it('a restore that fails still fails the region, records both causes and releases the lock', async () => {
    const world = new RolloutWorld(config);
    world.script('ap-southeast-1', { health: [false], restoreFails: true });
    const run = await world.run({});
    expectStoppedAtCanary(world, run, ERROR_NAMES.edgeUnhealthy);
    expect(world.states.get('ap-southeast-1')!.maintenance?.edgeRollout?.cause).toMatch(
      /^EdgeUnhealthyError: .*; the restore failed too: ResourceFailedError: Kubernetes PATCH in ap-southeast-1 refused$/,
    );
    expect(world.notifications[0]!.text).toMatch(/\(restore failed\)$/);
    // What failed to restore is left as it is: the region runs (part of) the new edge.
    expect(world.edges.get('ap-southeast-1')!.running).toBe(DESIRED);
  });

  it('a failure in a later region stops there: earlier regions keep the update, later ones are not touched', async () => {
    const world = new RolloutWorld(config);
    world.script('sa-east-1', { rolloutSeconds: Infinity });
    const run = await world.run({});
    expect(run.status).toBe('FAILED');
    expect(world.touched()).toEqual(['ap-southeast-1', 'ap-northeast-1', 'sa-east-1']);
    expect(world.states.get('ap-northeast-1')!.edgeConfiguration).toBe(DESIRED);
    expect(world.edges.get('sa-east-1')!.running).toBe(OLD);
    for (const region of ['ap-south-1', 'us-east-1', 'eu-west-1']) expect(world.edges.get(region)!.running).toBe(OLD);
  });

  it('a failure to record the update restores the region too', async () => {
    const world = new RolloutWorld(config);
    world.inject('finishMaintenance', {
      kind: 'permanent',
      error: new Error('finishMaintenance: permanent failure (injected)'),
    });
    const run = await world.run({});
    expect(run.status).toBe('FAILED');
    expect(run.statesEntered).toContain('RestoreEdge');
    expect(world.edges.get('ap-southeast-1')!.running).toBe(OLD);
    expect(world.locks.size).toBe(0);
  });

  it('a failed snapshot fails the region without a restore: nothing was applied', async () => {
    const world = new RolloutWorld(config);
    world.inject('snapshotEdge', {
      kind: 'permanent',
      error: new ResourceFailedError('The snapshot of the edge objects takes 300 KB'),
    });
    const run = await world.run({});
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(ERROR_NAMES.resourceFailed);
    expect(runs(world, 'rolloutEdge')).toEqual([]);
    expect(runs(world, 'restoreEdge')).toEqual([]);
    expect(world.notifications[0]!.text).toMatch(/\(unchanged\)$/);
    expect(world.locks.size).toBe(0);
  });
});

describe('cluster access before the Kubernetes API', () => {
  it('ensures the access entries of each region after its lock and before its snapshot', async () => {
    const world = new RolloutWorld(config);
    const run = await world.run({ regions: ['eu-west-1'] });
    expect(run.status).toBe('SUCCEEDED');
    const calls = world.calls.filter((c) => c.endsWith(' eu-west-1')).map((c) => c.split(' ')[0]);
    expect(calls.slice(0, 3)).toEqual(['lockForMaintenance', 'ensureClusterAccess', 'snapshotEdge']);
  });

  it('a cluster whose access cannot be ensured fails its region without touching its edge', async () => {
    const world = new RolloutWorld(config);
    world.inject('ensureClusterAccess', {
      kind: 'permanent',
      error: new ResourceFailedError('Cluster x authenticates with the aws-auth ConfigMap only'),
    });
    const run = await world.run({});
    expect(run.status).toBe('FAILED');
    expect(world.touched()).toEqual([]);
    expect(world.locks.size).toBe(0);
  });
});

describe('a rollout that cannot be planned changes nothing', () => {
  it.each<[string, unknown]>([
    ['a region outside the lists', { regions: ['eu-north-1'] }],
    ['a field the input does not have', { region: 'eu-west-1' }],
    ['an empty list of regions', { regions: [] }],
  ])('refuses %s before any lock or edge call', async (_what, input) => {
    const world = new RolloutWorld(config);
    const run = await world.run(input);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(ERROR_NAMES.invalidRequest);
    expect(run.statesEntered.at(-1)).toBe('RolloutRefused');
    expect(world.calls).toEqual(['describeDesiredEdge', 'planMaintenance']);
    expect(world.locks.size).toBe(0);
  });

  it('stops before planning when the desired configuration cannot be rendered', async () => {
    const world = new RolloutWorld(config);
    world.inject('describeDesiredEdge', {
      kind: 'permanent',
      error: new InvalidRequestError('Edge manifest Foo is not a supported kind'),
    });
    const run = await world.run({});
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(ERROR_NAMES.invalidRequest);
    expect(world.calls).toEqual(['describeDesiredEdge']);
  });
});
