import { describe, expect, it } from '@jest/globals';
import { historyTable } from '../../../cli/commands/history';

const now = new Date('2026-11-21T12:00:00Z');
const at = (hhmm: string) => new Date(`2026-11-21T${hhmm}:00Z`);

describe('history table', () => {
  it('merges decisions and executions newest first, with the outcome and detail of each', () => {
    const lines = historyTable(
      [
        {
          region: 'sa-east-1',
          at: '2026-11-21T11:30:00.000Z',
          direction: 'down',
          source: 'alarm',
          outcome: 'rejected',
          reason: 'min active time: sa-east-1 has been active for 20 min, minimum is 60 min',
        },
        {
          region: 'sa-east-1',
          at: '2026-11-21T09:59:58.000Z',
          direction: 'up',
          source: 'operator',
          outcome: 'started',
          reason: 'launch',
        },
      ],
      [
        {
          name: 'up-sa-east-1-manual-20261121T100000Z',
          arn: 'arn:1',
          direction: 'up',
          region: 'sa-east-1',
          status: 'SUCCEEDED',
          startedAt: at('10:00'),
          stoppedAt: at('10:14'),
        },
        {
          name: 'up-sa-east-1-alarm-1a2b',
          arn: 'arn:2',
          direction: 'up',
          region: 'sa-east-1',
          status: 'FAILED',
          startedAt: at('08:00'),
          stoppedAt: at('08:12'),
          failure: {
            error: 'ResourceFailedError',
            cause:
              '{"errorType":"ResourceFailedError","errorMessage":"cluster edgescale-edge-sa-east-1 is CREATE_FAILED"}',
          },
        },
        {
          name: 'down-sa-east-1-manual-20261121T115000Z',
          arn: 'arn:3',
          direction: 'down',
          region: 'sa-east-1',
          status: 'RUNNING',
          startedAt: at('11:50'),
        },
      ],
      now,
    );
    expect(lines).toEqual([
      'TIME                  KIND       WHAT                                    OUTCOME    DETAIL',
      '--------------------  ---------  --------------------------------------  ---------  ------------------------------------------------------------------------',
      '2026-11-21 11:50:00Z  execution  down-sa-east-1-manual-20261121T115000Z  RUNNING    running for 10 min',
      '2026-11-21 11:30:00Z  decision   down by alarm                           rejected   min active time: sa-east-1 has been active for 20 min, minimum is 60 min',
      '2026-11-21 10:00:00Z  execution  up-sa-east-1-manual-20261121T100000Z    SUCCEEDED  took 14 min',
      '2026-11-21 09:59:58Z  decision   up by operator                          started    launch',
      '2026-11-21 08:00:00Z  execution  up-sa-east-1-alarm-1a2b                 FAILED     ResourceFailedError: cluster edgescale-edge-sa-east-1 is CREATE_FAILED',
    ]);
  });
});
