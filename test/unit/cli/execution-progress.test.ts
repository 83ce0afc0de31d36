import { describe, expect, it } from '@jest/globals';
import {
  formatElapsed,
  outcomeLines,
  progressFromHistory,
  readableCause,
  statusLine,
  stepLine,
} from '../../../cli/execution-progress';
import { recordedHistory } from '../../support/execution-histories';

const NAME = 'up-ap-southeast-1-manual-20261121T100000Z';

describe('progress of a recorded successful scale-up', () => {
  const { events } = recordedHistory('scale-up-succeeded');
  const progress = progressFromHistory(events);

  it('lists the states entered in order, counting the visits of poll loops', () => {
    expect(progress.outcome).toBe('SUCCEEDED');
    expect(progress.visits.map((v) => v.name).slice(0, 7)).toEqual([
      'ValidateRequest',
      'LockRegion',
      'EnsureCluster',
      'WaitForCluster',
      'DescribeCluster',
      'IsClusterReady',
      'PollCluster',
    ]);
    expect(progress.visits.filter((v) => v.name === 'DescribeCluster').map((v) => v.visit)).toEqual([1, 2, 3]);
    expect(progress.visits.at(-1)).toMatchObject({ name: 'RegionActive', kind: 'Succeed' });
    const wait = progress.visits.find((v) => v.name === 'WaitForCluster')!;
    expect(wait.exitedAt!.getTime() - wait.enteredAt.getTime()).toBe(540_000);
  });

  it('renders one plain line per state with the time since the start', () => {
    const lines = progress.visits.map((v) => stepLine(v, progress.startedAt));
    expect(lines[0]).toBe('    +0:00  ValidateRequest (Task)');
    expect(lines).toContain('    +9:03  DescribeCluster (Task)');
    expect(lines).toContain('   +10:03  DescribeCluster (Task, 2nd time)');
    expect(lines).toContain('   +11:04  DescribeCluster (Task, 3rd time)');
    expect(lines.at(-1)).toBe('   +15:11  RegionActive (Succeed)');
  });

  it('reports the success with its duration', () => {
    expect(outcomeLines(progress, NAME)).toEqual([`${NAME} SUCCEEDED after 15:11 (27 states)`]);
  });

  it('shows a running execution on one status line: elapsed, step number, current state and its time', () => {
    const running = progressFromHistory(events.filter((e) => e.timestamp! < new Date('2026-11-21T10:05:00Z')));
    expect(running.outcome).toBe('RUNNING');
    expect(statusLine(running, NAME, new Date('2026-11-21T10:05:00Z'))).toBe(
      `${NAME}  5:00  step 4: WaitForCluster (Wait) for 4:56`,
    );
    expect(statusLine(progressFromHistory([]), NAME, new Date())).toBe(`${NAME}  0:00  starting`);
  });
});

describe('progress of a recorded failed scale-up', () => {
  const progress = progressFromHistory(recordedHistory('scale-up-failed').events);

  it('carries the execution error and cause, and the state whose task failed', () => {
    expect(progress.outcome).toBe('FAILED');
    expect(progress.error).toBe('NotOwnedError');
    expect(progress.visits.find((v) => v.error)).toMatchObject({ name: 'EnsureNodegroup', error: 'NotOwnedError' });
  });

  it('explains the failure: where, the error, and the Lambda message rather than its JSON', () => {
    expect(outcomeLines(progress, NAME)).toEqual([
      `${NAME} FAILED after 14:08 at EnsureNodegroup (last state: FailScaling)`,
      '  error: NotOwnedError',
      '  cause: NotOwnedError: nodegroup edgescale-edge-nodes of cluster edgescale-edge-ap-southeast-1 exists but is not tagged edge-autoscaler:owner = edgescale; it is never adopted or deleted',
    ]);
  });
});

describe('progress details', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 10, 21, 10, 0, s));

  it('forgets a task failure that a retry recovered from', () => {
    const progress = progressFromHistory([
      { type: 'ExecutionStarted', timestamp: at(0), id: 1 },
      { type: 'TaskStateEntered', timestamp: at(1), id: 2, stateEnteredEventDetails: { name: 'EnsureCluster' } },
      {
        type: 'TaskFailed',
        timestamp: at(2),
        id: 3,
        taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'TransientError' },
      },
      { type: 'TaskSucceeded', timestamp: at(5), id: 4 },
      { type: 'TaskStateExited', timestamp: at(5), id: 5, stateExitedEventDetails: { name: 'EnsureCluster' } },
    ]);
    expect(progress.visits[0]!.error).toBeUndefined();
  });

  it('reports a timed-out and an aborted execution with their error', () => {
    const timedOut = progressFromHistory([
      { type: 'ExecutionStarted', timestamp: at(0), id: 1 },
      { type: 'WaitStateEntered', timestamp: at(1), id: 2, stateEnteredEventDetails: { name: 'Drain' } },
      {
        type: 'ExecutionTimedOut',
        timestamp: at(9),
        id: 3,
        executionTimedOutEventDetails: { error: 'States.Timeout' },
      },
    ]);
    expect(outcomeLines(timedOut, 'down-x')).toEqual([
      'down-x TIMED_OUT after 0:09 (last state: Drain)',
      '  error: States.Timeout',
    ]);
    const aborted = progressFromHistory([
      { type: 'ExecutionStarted', timestamp: at(0), id: 1 },
      { type: 'ExecutionAborted', timestamp: at(3), id: 2, executionAbortedEventDetails: {} },
    ]);
    expect(outcomeLines(aborted, 'down-x')).toEqual(['down-x ABORTED after 0:03', '  error: none reported']);
  });

  it('formats elapsed time as m:ss or h:mm:ss', () => {
    expect(formatElapsed(0)).toBe('0:00');
    expect(formatElapsed(65_000)).toBe('1:05');
    expect(formatElapsed(3_723_000)).toBe('1:02:03');
  });

  it('shows a literal Fail-state cause as it is', () => {
    expect(readableCause('the EKS cluster is FAILED')).toBe('the EKS cluster is FAILED');
    expect(readableCause('{"errorMessage":"boom"}')).toBe('boom');
  });
});
