/**
 * moto's Step Functions records the executions the decision Lambda and the reconciler start, but
 * cannot run their Lambda tasks. The bridge finds each new RUNNING execution in the emulator (of
 * the scaling workflows and of the maintenance ones: edge rollout, cluster upgrade) and runs it
 * locally: the definition the synthesized template deploys, the bundled task Lambdas (those of the
 * latest deploy: an execution that runs across one calls the new ones, as unqualified ARNs do),
 * `$$.Execution.Id` = the emulator's execution ARN (the region lock's owner, so the reconciler's
 * DescribeExecution of a lock owner answers RUNNING while it runs), Wait states in simulated
 * proportion. With the simulated clock given, a Wait lasts its seconds of simulated time (the task
 * after it waits for them, however far the clock lags behind real time) and the steps between two
 * Waits none (the clock is held while an execution runs them: its task Lambdas, its transitions),
 * as in AWS, where a Lambda call takes well under a second: a scale-up's lead time is then the
 * workflow's waits, which the emulated cloud's lead times decide. When the local run ends, the bridge stops the execution in moto, which then
 * reports it ABORTED: the sandbox marks every finished execution that way (moto offers no call to
 * make one SUCCEEDED or FAILED), and the outcome the workflow really had is kept here and printed.
 */
import { DescribeExecutionCommand, StopExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import {
  listRunningExecutions,
  type RunningExecution,
  type ScalingStateMachines,
} from '../functions/adapters/scaling-executions';
import { listRunningMaintenance } from '../functions/adapters/maintenance-executions';
import type { MaintenanceKind } from '../functions/domain/region-state';
import type { TaskLambda, WorkflowName } from '../workflows/definitions';
import { runWorkflowLocally, type TaskHandler, type WorkflowDefinition } from '../workflows/run-locally';
import type { SimulatedClock } from './simulated-clock';
import type { Timeline, TimelineEvent, WorkflowKind } from './timeline';

export interface ExecutionOutcome {
  executionArn: string;
  executionName: string;
  /** The region of a scaling execution; `-` for a maintenance one, which works on several (`regions`). */
  region: string;
  /** The regions its tasks worked on, in order. */
  regions: string[];
  direction: WorkflowKind;
  status: 'SUCCEEDED' | 'FAILED';
  error?: string;
  cause?: string;
  startedAt: number;
  finishedAt: number;
}

export interface ExecutorBridgeDeps {
  sfn: SFNClient;
  machines: ScalingStateMachines;
  maintenanceMachines: Record<MaintenanceKind, string>;
  /** The definitions the state machines run (as synthesized). */
  definitions: Record<WorkflowName, WorkflowDefinition>;
  tasks: Record<TaskLambda, TaskHandler>;
  timeline: Timeline;
  /** Real ms that one simulated second of a Wait state lasts. */
  msPerWaitSecond: number;
  /** The simulated clock: held while an execution runs its steps, stopped at the end of each of its Waits. */
  clock?: Pick<SimulatedClock, 'now' | 'hold' | 'release' | 'reach' | 'stopAt'>;
  /** Called after each batch of steps is shown (e.g. to show the Route53 changes they made). */
  afterSteps?: () => Promise<void>;
  /** Called with each execution's outcome once its end is shown (e.g. to show a scale-up's lead time). */
  afterExecution?: (outcome: ExecutionOutcome) => void;
}

/** How a local run tells the bridge it enters a Wait state, and waits for its end before its next task. */
interface RunPace {
  waitBegins(seconds: number): void;
  waitOver(): Promise<void>;
}

/** Task state names of a definition (the steps the timeline shows). */
function taskStates(definition: WorkflowDefinition): Set<string> {
  const { States } = JSON.parse(definition.text) as { States: Record<string, { Type: string }> };
  return new Set(Object.entries(States).flatMap(([name, state]) => (state.Type === 'Task' ? [name] : [])));
}

export class ExecutorBridge {
  readonly outcomes: ExecutionOutcome[] = [];
  private readonly seen = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly steps: Record<WorkflowName, Set<string>>;
  /** Executions running their steps (not in a Wait state), and who waits for there to be none. */
  private busyRuns = 0;
  private idleWaiters: (() => void)[] = [];
  /** The task Lambdas of the latest deploy. */
  private deployedTasks: Record<TaskLambda, TaskHandler>;

  constructor(private readonly deps: ExecutorBridgeDeps) {
    this.steps = Object.fromEntries(
      Object.entries(deps.definitions).map(([workflow, definition]) => [workflow, taskStates(definition)]),
    ) as Record<WorkflowName, Set<string>>;
    this.deployedTasks = deps.tasks;
  }

  /** A deploy replaced the task Lambdas: every call from now on, of every execution, goes to these. */
  useTasks(tasks: Record<TaskLambda, TaskHandler>): void {
    this.deployedTasks = tasks;
  }

  /**
   * The task Lambdas as one run calls them: once `ready` (its last Wait over in simulated time),
   * telling the run which region each call works on (a maintenance run goes from region to region).
   */
  private tasksFor(onRegion: (region: string) => void, ready: () => Promise<void>): Record<TaskLambda, TaskHandler> {
    return Object.fromEntries(
      (Object.keys(this.deployedTasks) as TaskLambda[]).map((name) => [
        name,
        async (input: unknown) => {
          await ready();
          const region = (input as { region?: unknown } | null)?.region;
          if (typeof region === 'string') onRegion(region);
          return this.deployedTasks[name](input);
        },
      ]),
    ) as Record<TaskLambda, TaskHandler>;
  }

  /**
   * Resolves when no execution is running its steps (each is in a Wait state, or none runs). The
   * scenario waits for this before it moves the simulated clock: a Lambda call takes well under a
   * second in AWS, so simulated time must not pass while an execution calls its task Lambdas,
   * however slow this machine or the emulator is (the Wait states are what take simulated time).
   */
  whenTasksIdle(): Promise<void> {
    if (this.busyRuns === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** One execution runs its steps: the clock is held until it waits or ends (idle()). */
  private busy(): void {
    this.busyRuns += 1;
    this.deps.clock?.hold();
  }

  private idle(): void {
    this.deps.clock?.release();
    this.busyRuns -= 1;
    if (this.busyRuns === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** Starts a local run of every RUNNING execution in the emulator that is not running yet. */
  async pickUpNewExecutions(): Promise<void> {
    const running = [
      ...(await listRunningExecutions(this.deps.sfn, this.deps.machines)),
      ...(await listRunningMaintenance(this.deps.sfn, this.deps.maintenanceMachines)),
    ];
    for (const execution of running) {
      if (this.seen.has(execution.executionArn)) continue;
      this.seen.add(execution.executionArn);
      const run = this.run(execution).finally(() => this.running.delete(execution.executionArn));
      this.running.set(execution.executionArn, run);
    }
  }

  /** Waits until no execution runs, picking up those started meanwhile. */
  async drain(): Promise<void> {
    while (this.running.size > 0) {
      await Promise.all(this.running.values());
      await this.pickUpNewExecutions();
    }
  }

  /** The workflow a state machine runs, and how the timeline names its executions. */
  private workflowOf(stateMachineArn: string): { workflow: WorkflowName; kind: WorkflowKind } {
    const { machines, maintenanceMachines } = this.deps;
    if (stateMachineArn === machines.up) return { workflow: 'scaleUp', kind: 'up' };
    if (stateMachineArn === machines.down) return { workflow: 'scaleDown', kind: 'down' };
    if (stateMachineArn === maintenanceMachines.edgeRollout) return { workflow: 'edgeRollout', kind: 'rollout' };
    return { workflow: 'clusterUpgrade', kind: 'upgrade' };
  }

  /**
   * Runs the execution locally, busy (the clock held) except in its Wait states: a Wait lets
   * simulated time flow, and the task after it waits until the Wait's end in simulated time.
   */
  private async run(execution: RunningExecution): Promise<void> {
    const { clock } = this.deps;
    this.busy();
    let waiting = false;
    // The Wait under way: when it ends, a moment simulated time does not pass until the run resumes there.
    let wait: { endsAt: number; removeStop: () => void } | undefined;
    const pace: RunPace = {
      waitBegins: (seconds) => {
        const endsAt = (clock?.now() ?? 0) + seconds * 1000;
        wait?.removeStop();
        wait = { endsAt, removeStop: clock?.stopAt(endsAt) ?? (() => undefined) };
        if (!waiting) this.idle();
        waiting = true;
      },
      waitOver: async () => {
        if (!waiting) return;
        await clock?.reach(wait?.endsAt ?? 0);
        waiting = false;
        this.busy();
        wait?.removeStop();
        wait = undefined;
      },
    };
    try {
      await this.runLocally(execution, pace);
    } finally {
      wait?.removeStop();
      if (!waiting) this.idle();
    }
  }

  private async runLocally(execution: RunningExecution, pace: RunPace): Promise<void> {
    const { sfn, timeline } = this.deps;
    const { workflow, kind } = this.workflowOf(execution.stateMachineArn);
    const scaling = kind === 'up' || kind === 'down';
    const startedAt = Date.now();
    // executionName(): `<up|down>-<region>-<trigger>`; the input's region replaces it once read.
    let region = scaling
      ? (/^(?:up|down)-([a-z]{2}(?:-[a-z]+)+-\d+)-/.exec(execution.name)?.[1] ?? execution.name)
      : '-';
    const regions: string[] = [];
    let outcome: Pick<ExecutionOutcome, 'status' | 'error' | 'cause'>;
    try {
      const { input } = await sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
      const parsed = JSON.parse(input ?? '{}') as { region?: unknown };
      if (scaling && typeof parsed.region === 'string') region = parsed.region;
      const entered: string[] = [];
      // The steps since the last Wait state (or, in a maintenance run, since it moved to another
      // region), on one line; a wait of 0 s (moto's EKS is ACTIVE at once) is not shown.
      let stepsRegion = region;
      // The region of the latest task call. The executor reports a state's entry once its task has
      // begun (before the next one), so a state entered belongs to the region of the latest call.
      let taskRegion = region;
      // A poll that finds nothing new and waits again is shown once, then counted (`repeats`).
      let shown: { key: string; event: Extract<TimelineEvent, { kind: 'workflow' }>; repeats: number } | undefined;
      const showRepeats = () => {
        if (shown?.repeats) timeline.record({ ...shown.event, at: Date.now(), repeats: shown.repeats });
        shown = undefined;
      };
      const flush = async (waitSeconds?: number) => {
        if (entered.length === 0) return;
        const states = entered.splice(0);
        const key = `${stepsRegion}|${states.join('>')}|${waitSeconds ?? ''}`;
        if (shown?.key === key) {
          shown.repeats += 1;
        } else {
          showRepeats();
          const event = {
            kind: 'workflow' as const,
            at: Date.now(),
            region: stepsRegion,
            direction: kind,
            states,
            waitSeconds: waitSeconds || undefined,
          };
          timeline.record(event);
          shown = { key, event, repeats: 0 };
        }
        await this.deps.afterSteps?.().catch(() => undefined);
      };
      const result = await runWorkflowLocally(this.deps.definitions[workflow], parsed, {
        tasks: this.tasksFor(
          (called) => {
            if (!regions.includes(called)) regions.push(called);
            taskRegion = called;
          },
          () => pace.waitOver(),
        ),
        executionName: execution.name,
        executionId: execution.executionArn,
        msPerWaitSecond: this.deps.msPerWaitSecond,
        onStateEntered: (state) => {
          if (!this.steps[workflow].has(state)) return;
          if (taskRegion !== stepsRegion) {
            void flush();
            stepsRegion = taskRegion;
          }
          entered.push(state);
        },
        onWait: (seconds) => {
          pace.waitBegins(seconds);
          void flush(seconds);
        },
      });
      await flush();
      showRepeats();
      outcome = { status: result.status, error: result.error, cause: result.cause };
    } catch (error) {
      outcome = { status: 'FAILED', error: (error as Error).name, cause: (error as Error).message };
    }
    const finished: ExecutionOutcome = {
      executionArn: execution.executionArn,
      executionName: execution.name,
      region,
      regions,
      direction: kind,
      startedAt,
      finishedAt: Date.now(),
      ...outcome,
    };
    this.outcomes.push(finished);
    const minutes = Math.round((finished.finishedAt - startedAt) / 60_000);
    const where = scaling || regions.length === 0 ? '' : ` (${regions.join(', ')})`;
    timeline.record({
      kind: 'execution',
      at: finished.finishedAt,
      region,
      direction: kind,
      executionName: execution.name,
      status: finished.status,
      detail:
        finished.status === 'SUCCEEDED'
          ? `after ${minutes} min${where}`
          : `${finished.error ?? 'error'}: ${(finished.cause ?? '').slice(0, 300)}`,
    });
    this.deps.afterExecution?.(finished);
    try {
      await sfn.send(
        new StopExecutionCommand({
          executionArn: execution.executionArn,
          error: finished.status === 'FAILED' ? finished.error?.slice(0, 256) : undefined,
          cause: `sandbox: ran locally, ${finished.status}`,
        }),
      );
    } catch {
      // The emulator is gone (the sandbox is stopping): nothing left to mark.
    }
  }
}
