import { GetExecutionHistoryCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { progressFromHistory, stepLine } from '../../../cli/execution-progress';
import { WAIT_POLL_MS, watchExecution } from '../../../cli/execution-watch';
import { EXIT } from '../../../cli/exit-codes';
import { capturedOutput } from '../../support/captured-output';
import { recordedHistory, type RecordedHistory } from '../../support/execution-histories';

const sfnMock = mockClient(SFNClient);
const NAME = 'up-ap-southeast-1-manual-20261121T100000Z';

/** Each poll sees the history as it stood at the next of these times (the last poll sees all of it). */
function serveHistoryOverTime(name: RecordedHistory, cutoffs: string[]) {
  const { executionArn, events } = recordedHistory(name);
  const snapshots: HistoryEvent[][] = [...cutoffs.map((t) => events.filter((e) => e.timestamp! < new Date(t))), events];
  let poll = 0;
  sfnMock
    .on(GetExecutionHistoryCommand, { executionArn })
    .callsFake(() => ({ events: snapshots[Math.min(poll++, snapshots.length - 1)] }));
  return { executionArn, events, polls: () => poll };
}

/** A clock that starts at the first poll's cutoff and moves 5 minutes per sleep, as the cutoffs do. */
function watchEnv(isTTY: boolean) {
  const sleeps: number[] = [];
  let clock = new Date('2026-11-21T10:05:00Z').getTime();
  return {
    out: capturedOutput(isTTY),
    clients: { sfn: new SFNClient({ region: 'us-east-1' }) },
    now: () => new Date(clock),
    sleep: async (ms: number) => {
      sleeps.push(ms);
      clock += 5 * 60_000;
    },
    sleeps,
  };
}

describe('watchExecution (--wait) over recorded execution histories', () => {
  beforeEach(() => {
    sfnMock.reset();
  });

  it('prints every state entered exactly once, in order, across polls, and exits 0 on success', async () => {
    const { executionArn, events, polls } = serveHistoryOverTime('scale-up-succeeded', [
      '2026-11-21T10:05:00Z',
      '2026-11-21T10:12:00Z',
    ]);
    const env = watchEnv(false);
    const code = await watchExecution(env, { arn: executionArn, name: NAME });
    const progress = progressFromHistory(events);
    expect(code).toBe(EXIT.ok);
    expect(polls()).toBe(3);
    expect(env.sleeps).toEqual([WAIT_POLL_MS, WAIT_POLL_MS]);
    expect(env.out.lines).toEqual([
      `Waiting for ${NAME} (Ctrl-C stops waiting; the workflow goes on):`,
      ...progress.visits.map((v) => stepLine(v, progress.startedAt)),
      `${NAME} SUCCEEDED after 15:11 (27 states)`,
    ]);
    expect(env.out.errors).toEqual([]);
  });

  it('exits non-zero with the error and cause on stderr when the workflow fails', async () => {
    const { executionArn } = serveHistoryOverTime('scale-up-failed', ['2026-11-21T10:08:00Z']);
    const env = watchEnv(false);
    const code = await watchExecution(env, { arn: executionArn, name: NAME });
    expect(code).toBe(EXIT.failed);
    expect(env.out.errors).toEqual([
      `${NAME} FAILED after 14:08 at EnsureNodegroup (last state: FailScaling)`,
      '  error: NotOwnedError',
      expect.stringMatching(
        /^ {2}cause: NotOwnedError: nodegroup edgescale-edge-nodes .* is not tagged edge-autoscaler:owner = edgescale/,
      ),
    ]);
    expect(env.out.lines).toContain('   +10:04  EnsureNodegroup (Task)');
  });

  it('on a terminal, updates one status line per poll instead of printing a line per state', async () => {
    const { executionArn } = serveHistoryOverTime('scale-up-succeeded', [
      '2026-11-21T10:05:00Z',
      '2026-11-21T10:10:00Z',
    ]);
    const env = watchEnv(true);
    const code = await watchExecution(env, { arn: executionArn, name: NAME });
    expect(code).toBe(EXIT.ok);
    expect(env.out.statuses).toEqual([
      `${NAME}  5:00  step 4: WaitForCluster (Wait) for 4:56`,
      `${NAME}  10:00  step 7: PollCluster (Wait) for 0:56`,
      `${NAME}  15:11  step 27: RegionActive (Succeed) for 0:00`,
    ]);
    expect(env.out.lines).toEqual([
      `Waiting for ${NAME} (Ctrl-C stops waiting; the workflow goes on):`,
      `${NAME} SUCCEEDED after 15:11 (27 states)`,
    ]);
  });
});
