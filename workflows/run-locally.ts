/**
 * Executes a workflow definition file locally (aws-local-stepfunctions), with each Task state
 * bound to an in-process handler chosen by the Lambda its Resource names. Used by the workflow
 * tests, the benchmark and the local sandbox: the definition executed is the deployed one.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import { substitutedDefinition, TASK_SUBSTITUTIONS, type TaskLambda, type WorkflowName } from './definitions';

type Execution = ReturnType<StateMachine['run']>;
export type EventLog = Execution['eventLogs'] extends AsyncIterable<infer E> ? E : never;

export type TaskHandler = (input: unknown) => Promise<unknown>;

export interface LocalRunOptions {
  /** The handler of each task Lambda. */
  tasks: Record<TaskLambda, TaskHandler>;
  /** Execution name; `$$.Execution.Id` becomes a Step Functions-style ARN made from it. */
  executionName: string;
  /** Real milliseconds each Wait state lasts locally (default 1). */
  waitMs?: number;
  /**
   * Called when a Wait state begins, with the seconds it asks for, before the state after it
   * runs (the local Wait lasts `waitMs`, a timer, while this runs in the same microtask queue):
   * a virtual clock advances here.
   */
  onWait?: (seconds: number, stateName: string) => void;
  /** Called with each state entered (for live timelines). */
  onStateEntered?: (stateName: string) => void;
}

export interface LocalRunResult {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
  /** States entered, in order: the state transitions Step Functions would bill. */
  statesEntered: string[];
  /** Total seconds the Wait states asked for (the simulated duration of the run). */
  waitedSeconds: number;
  events: EventLog[];
}

const LOCAL_ARN = (task: TaskLambda) => `arn:aws:lambda:us-east-1:000000000000:function:local-${task}`;

export async function runWorkflowLocally(
  workflow: WorkflowName,
  input: unknown,
  options: LocalRunOptions,
): Promise<LocalRunResult> {
  const arns = Object.fromEntries(
    Object.keys(TASK_SUBSTITUTIONS).map((t) => [t, LOCAL_ARN(t as TaskLambda)]),
  ) as Record<TaskLambda, string>;
  const definition = substitutedDefinition(workflow, arns) as {
    States: Record<string, { Type: string; Resource?: string }>;
  };
  const taskOfArn = new Map(Object.entries(arns).map(([task, arn]) => [arn, task as TaskLambda]));

  const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const waitTimeOverrides: Record<string, number> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Wait') waitTimeOverrides[name] = Math.max(1, options.waitMs ?? 1);
    if (state.Type === 'Task') {
      const task = taskOfArn.get(state.Resource ?? '');
      if (!task) throw new Error(`State ${name} of ${workflow} calls an unknown resource ${state.Resource}`);
      taskResourceLocalHandlers[name] = (taskInput) => options.tasks[task](taskInput);
    }
  }

  let waitedSeconds = 0;
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
  const statesEntered: string[] = [];

  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: taskResourceLocalHandlers as never,
      waitTimeOverrides,
      // Retries happen at once locally; the definition's backoff is asserted statically.
      retryIntervalOverrides: Object.fromEntries(Object.keys(taskResourceLocalHandlers).map((n) => [n, 0])),
    },
    context: {
      Execution: {
        Id: `arn:aws:states:us-east-1:000000000000:execution:local-${workflow}:${options.executionName}`,
        Name: options.executionName,
        Input: input,
        StartTime: new Date().toISOString(),
      },
    } as never,
  });

  // Follow the event log as it grows, to learn each Wait state's requested duration.
  const events: EventLog[] = [];
  for await (const event of execution.eventLogs) {
    events.push(event);
    if (event.type === 'StateEntered') {
      statesEntered.push(event.state.name);
      options.onStateEntered?.(event.state.name);
      if (event.state.type === 'Wait') {
        const seconds = waitSecondsOf(definition.States[event.state.name] as WaitState, event.state.input);
        waitedSeconds += seconds;
        options.onWait?.(seconds, event.state.name);
      }
    }
  }
  try {
    const output = await execution.result;
    return { status: 'SUCCEEDED', output, statesEntered, waitedSeconds, events };
  } catch {
    const failed = events.findLast((e) => e.type === 'ExecutionFailed') as
      { Error?: string; Cause?: unknown } | undefined;
    return {
      status: 'FAILED',
      error: failed?.Error,
      cause: typeof failed?.Cause === 'string' ? failed.Cause : JSON.stringify(failed?.Cause),
      statesEntered,
      waitedSeconds,
      events,
    };
  }
}

interface WaitState {
  Seconds?: number;
  SecondsPath?: string;
}

function waitSecondsOf(state: WaitState, input: unknown): number {
  if (state.Seconds !== undefined) return state.Seconds;
  if (!state.SecondsPath) return 0;
  let value: unknown = input;
  for (const key of state.SecondsPath.replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)) {
    value = (value as Record<string, unknown> | undefined)?.[key];
  }
  return typeof value === 'number' ? value : 0;
}
