/**
 * Executes a workflow definition locally (aws-local-stepfunctions), with each Task state bound
 * to an in-process handler chosen by the Lambda its Resource names. The definition is either a
 * file of workflows/ (unit tests, the benchmark) or the one a synthesized template deploys
 * (infra/synthesized-deployment.ts: the end-to-end tests and the sandbox).
 *
 * Every run also checks two properties of the definition that AWS would not report: no Wait
 * state lasts less than one second (a 0 s poll loop spins until the history limit), and no run
 * enters more than MAX_STATES_PER_RUN states.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import {
  readDefinitionText,
  substituteTaskArns,
  TASK_SUBSTITUTIONS,
  type TaskLambda,
  type WorkflowName,
} from './definitions';

/** Definitions already validated by aws-local-stepfunctions in this process (their JSON text). */
const validatedDefinitions = new Set<string>();

type Execution = ReturnType<StateMachine['run']>;
export type EventLog = Execution['eventLogs'] extends AsyncIterable<infer E> ? E : never;

export type TaskHandler = (input: unknown) => Promise<unknown>;

/** A definition's text with its `${Placeholder}` task ARNs, as a file or a template holds it. */
export interface WorkflowDefinition {
  workflow: WorkflowName;
  text: string;
}

/** Far above any run of the deployed workflows (a scale-up polled to its every deadline enters ~400). */
export const MAX_STATES_PER_RUN = 2000;

export interface LocalRunOptions {
  /** The handler of each task Lambda. */
  tasks: Record<TaskLambda, TaskHandler>;
  /** Execution name; `$$.Execution.Id` becomes a Step Functions-style ARN made from it. */
  executionName: string;
  /** `$$.Execution.Id` (the region lock's owner), e.g. the ARN of an execution started in an emulator. */
  executionId?: string;
  /** Real milliseconds that one second of a Wait state lasts locally (default 0: a Wait takes ~1 ms). */
  msPerWaitSecond?: number;
  /** Called as each Wait state begins, with the seconds it asks for (a virtual clock advances here). */
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

interface StateDefinition {
  Type: string;
  Resource?: string;
  ResultPath?: string | null;
  SecondsPath?: string;
  Seconds?: number;
  /** Map states: the states each iteration runs (ItemProcessor, or the older Iterator). */
  ItemProcessor?: { States: Record<string, StateDefinition> };
  Iterator?: { States: Record<string, StateDefinition> };
}

/**
 * Every state of a definition by name, the states of its Map iterations included (the library
 * finds task handlers and Wait overrides by state name at any depth; state names are unique
 * across a definition's levels, which the workflow tests assert).
 */
export function allStates(states: Record<string, StateDefinition>): Record<string, StateDefinition> {
  const found: Record<string, StateDefinition> = {};
  for (const [name, state] of Object.entries(states)) {
    found[name] = state;
    const nested = state.ItemProcessor ?? state.Iterator;
    if (nested) Object.assign(found, allStates(nested.States));
  }
  return found;
}

/** The longest timer Node runs as asked (2^31-1 ms), in whole seconds. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

const LOCAL_ARN = (task: TaskLambda) => `arn:aws:lambda:us-east-1:000000000000:function:local-${task}`;

export async function runWorkflowLocally(
  source: WorkflowName | WorkflowDefinition,
  input: unknown,
  options: LocalRunOptions,
): Promise<LocalRunResult> {
  const { workflow, text } =
    typeof source === 'string' ? { workflow: source, text: readDefinitionText(source) } : source;
  const arns = Object.fromEntries(
    Object.keys(TASK_SUBSTITUTIONS).map((t) => [t, LOCAL_ARN(t as TaskLambda)]),
  ) as Record<TaskLambda, string>;
  const definition = substituteTaskArns(text, arns) as {
    States: Record<string, StateDefinition>;
    TimeoutSeconds?: number;
  };
  // The library arms a real-time timer of TimeoutSeconds, and Node fires a timer longer than
  // 2^31-1 ms (24.8 days: the cluster upgrade's timeout is longer) at once. A local run lasts
  // milliseconds: cap the timer there (each definition's own timeout is asserted by its tests).
  if (definition.TimeoutSeconds !== undefined) {
    definition.TimeoutSeconds = Math.min(definition.TimeoutSeconds, MAX_TIMER_SECONDS);
  }
  const states = allStates(definition.States);
  const taskOfArn = new Map(Object.entries(arns).map(([task, arn]) => [arn, task as TaskLambda]));

  // The latest result stored at each ResultPath, to evaluate Wait states' SecondsPath (all of the
  // form `$.<result path>.<field>`) at the moment the Wait begins.
  const resultsByPath = new Map<string, unknown>([['$', input]]);
  const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [name, state] of Object.entries(states)) {
    if (state.Type !== 'Task') continue;
    const task = taskOfArn.get(state.Resource ?? '');
    if (!task) throw new Error(`State ${name} of ${workflow} calls an unknown resource ${state.Resource}`);
    taskResourceLocalHandlers[name] = async (taskInput) => {
      const result = await options.tasks[task](taskInput);
      if (state.ResultPath) resultsByPath.set(state.ResultPath, result);
      return result;
    };
  }

  let waitedSeconds = 0;
  const tooShortWaits: string[] = [];
  // The library reads a Wait state's override as the state begins: this is where the clock moves.
  const waitTimeOverrides = new Proxy({} as Record<string, number>, {
    get(_target, stateName) {
      const state = states[String(stateName)];
      if (!state || state.Type !== 'Wait') return undefined;
      const seconds = waitSecondsOf(state, resultsByPath);
      if (!(seconds >= 1)) tooShortWaits.push(`${String(stateName)} (${seconds} s)`);
      waitedSeconds += seconds;
      options.onWait?.(seconds, String(stateName));
      return Math.max(1, seconds * (options.msPerWaitSecond ?? 0));
    },
  });

  // Validating a definition compiles the ASL schema again each time (0.2-0.6 s); the result is the
  // same for the same text, so each definition is validated once per process.
  const definitionText = JSON.stringify(definition);
  const machine = new StateMachine(definition as never, {
    validationOptions: { checkArn: false, noValidate: validatedDefinitions.has(definitionText) },
  });
  validatedDefinitions.add(definitionText);
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: taskResourceLocalHandlers as never,
      waitTimeOverrides,
      // Retries happen at once locally; the definition's backoff is asserted statically.
      retryIntervalOverrides: Object.fromEntries(Object.keys(taskResourceLocalHandlers).map((n) => [n, 0])),
    },
    context: {
      Execution: {
        Id:
          options.executionId ??
          `arn:aws:states:us-east-1:000000000000:execution:local-${workflow}:${options.executionName}`,
        Name: options.executionName,
        Input: input,
        StartTime: new Date().toISOString(),
      },
    } as never,
  });

  const events: EventLog[] = [];
  const statesEntered: string[] = [];
  for await (const event of execution.eventLogs) {
    events.push(event);
    if (event.type === 'StateEntered') {
      statesEntered.push(event.state.name);
      options.onStateEntered?.(event.state.name);
      if (statesEntered.length > MAX_STATES_PER_RUN) {
        execution.abort();
        throw new Error(
          `${workflow} entered more than ${MAX_STATES_PER_RUN} states (a loop without end?); last: ${statesEntered.slice(-10).join(' > ')}`,
        );
      }
    }
  }
  if (tooShortWaits.length > 0) {
    throw new Error(`${workflow}: Wait states shorter than 1 s: ${tooShortWaits.join(', ')}`);
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

function waitSecondsOf(state: StateDefinition, resultsByPath: Map<string, unknown>): number {
  if (state.Seconds !== undefined) return state.Seconds;
  const path = state.SecondsPath ?? '';
  const cut = path.lastIndexOf('.');
  const holder = resultsByPath.get(path.slice(0, cut)) as Record<string, unknown> | undefined;
  const value = holder?.[path.slice(cut + 1)];
  if (typeof value !== 'number')
    throw new Error(`Wait state: ${path} is not a number of seconds (got ${JSON.stringify(value)})`);
  return value;
}
