/**
 * A workflow's progress, read from its Step Functions execution history (GetExecutionHistory
 * events, oldest first), and how `regionctl up|down --wait` shows it. Pure: no AWS calls.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';

export type ExecutionOutcome = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One entry into a state; a poll loop enters its Wait and check states several times. */
export interface StateVisit {
  name: string;
  /** The state's type, from the event: Task, Wait, Choice, Pass, Parallel, Map, Succeed, Fail. */
  kind: string;
  enteredAt: Date;
  exitedAt?: Date;
  /** 1 for the first entry into this state, 2 for the second... */
  visit: number;
  /** The error of the state's task when its last attempt failed (a retried attempt that succeeded clears it). */
  error?: string;
}

export interface ExecutionProgress {
  startedAt?: Date;
  visits: StateVisit[];
  outcome: ExecutionOutcome;
  endedAt?: Date;
  /** The execution's error and cause when it failed, timed out or was aborted. */
  error?: string;
  cause?: string;
}

const TASK_FAILURES = new Set(['TaskFailed', 'TaskTimedOut', 'LambdaFunctionFailed', 'LambdaFunctionTimedOut']);
const TASK_SUCCESSES = new Set(['TaskSucceeded', 'LambdaFunctionSucceeded']);

const ENDINGS: Record<string, ExecutionOutcome> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionTimedOut: 'TIMED_OUT',
  ExecutionAborted: 'ABORTED',
};

export function progressFromHistory(events: HistoryEvent[]): ExecutionProgress {
  const progress: ExecutionProgress = { visits: [], outcome: 'RUNNING' };
  const entries = new Map<string, number>();
  for (const event of events) {
    const type = event.type ?? '';
    const at = event.timestamp ? new Date(event.timestamp) : undefined;
    if (type === 'ExecutionStarted') {
      progress.startedAt = at;
    } else if (type.endsWith('StateEntered') && event.stateEnteredEventDetails?.name) {
      const name = event.stateEnteredEventDetails.name;
      const visit = (entries.get(name) ?? 0) + 1;
      entries.set(name, visit);
      progress.visits.push({ name, kind: type.slice(0, -'StateEntered'.length), enteredAt: at ?? new Date(0), visit });
    } else if (type.endsWith('StateExited') && event.stateExitedEventDetails?.name) {
      const name = event.stateExitedEventDetails.name;
      const open = progress.visits.findLast((v) => v.name === name && !v.exitedAt);
      if (open) open.exitedAt = at;
    } else if (TASK_FAILURES.has(type)) {
      const open = progress.visits.at(-1);
      const details =
        event.taskFailedEventDetails ??
        event.taskTimedOutEventDetails ??
        event.lambdaFunctionFailedEventDetails ??
        event.lambdaFunctionTimedOutEventDetails;
      if (open) open.error = details?.error ?? type;
    } else if (TASK_SUCCESSES.has(type)) {
      const open = progress.visits.at(-1);
      if (open) delete open.error;
    } else if (type in ENDINGS) {
      progress.outcome = ENDINGS[type]!;
      progress.endedAt = at;
      const details =
        event.executionFailedEventDetails ?? event.executionTimedOutEventDetails ?? event.executionAbortedEventDetails;
      progress.error = details?.error;
      progress.cause = details?.cause;
    }
  }
  return progress;
}

/** Milliseconds as `m:ss` or `h:mm:ss`. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

const since = (from: Date | undefined, to: Date) => formatElapsed(from ? to.getTime() - from.getTime() : 0);

function describeVisit(visit: StateVisit): string {
  return visit.visit > 1
    ? `${visit.name} (${visit.kind}, ${ordinal(visit.visit)} time)`
    : `${visit.name} (${visit.kind})`;
}

/** A plain line for a state entered: `+12:30  WaitForCluster (Wait, 2nd time)`. */
export function stepLine(visit: StateVisit, startedAt: Date | undefined): string {
  return `${`+${since(startedAt ?? visit.enteredAt, visit.enteredAt)}`.padStart(9)}  ${describeVisit(visit)}`;
}

/** The single progress line of a terminal: elapsed time, step count and the current state. */
export function statusLine(progress: ExecutionProgress, executionName: string, now: Date): string {
  const at = progress.endedAt ?? now;
  const current = progress.visits.at(-1);
  const where = current
    ? `step ${progress.visits.length}: ${describeVisit(current)} for ${since(current.enteredAt, at)}`
    : 'starting';
  return `${executionName}  ${since(progress.startedAt, at)}  ${where}`;
}

/** What the operator reads when the execution has ended. */
export function outcomeLines(progress: ExecutionProgress, executionName: string): string[] {
  const took = progress.endedAt ? ` after ${since(progress.startedAt, progress.endedAt)}` : '';
  const steps = `${progress.visits.length} states`;
  if (progress.outcome === 'SUCCEEDED') return [`${executionName} SUCCEEDED${took} (${steps})`];
  const failedState = progress.visits.find((v) => v.error);
  const lastState = progress.visits.findLast((v) => v.kind !== 'Fail');
  const where =
    (failedState ? ` at ${failedState.name}` : '') +
    (lastState && lastState !== failedState ? ` (last state: ${lastState.name})` : '');
  const lines = [
    `${executionName} ${progress.outcome}${took}${where}`,
    `  error: ${progress.error ?? 'none reported'}`,
  ];
  if (progress.cause) lines.push(`  cause: ${readableCause(progress.cause)}`);
  return lines;
}

/**
 * A Lambda task's failure cause is a JSON document ({"errorType", "errorMessage", "trace"});
 * the operator needs only its message. Any other cause is shown as it is.
 */
export function readableCause(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorType?: unknown; errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') {
      return typeof parsed.errorType === 'string' ? `${parsed.errorType}: ${parsed.errorMessage}` : parsed.errorMessage;
    }
  } catch {
    // not JSON: a Fail state's literal Cause
  }
  return cause;
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${{ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] ?? 'th'}`;
}
