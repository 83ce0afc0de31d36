import { describe, expect, it } from '@jest/globals';
import { alarmDecisionEvent, reconcileActionEvent } from '../../../sandbox/decision-events';
import { observedIntervals } from '../../../sandbox/observed-report';
import { formatEvent, Timeline, type TimelineEvent } from '../../../sandbox/timeline';

const AT = Date.parse('2026-11-20T07:04:00Z');
const MINUTE = 60_000;

describe('timeline lines', () => {
  it('start with the simulated time, the kind and the region', () => {
    expect(
      formatEvent({
        kind: 'alarm',
        at: AT,
        region: 'sa-east-1',
        alarmName: 'edgescale-scale-up-sa-east-1',
        from: 'OK',
        to: 'ALARM',
      }),
    ).toBe('2026-11-20 07:04  alarm     sa-east-1       edgescale-scale-up-sa-east-1: OK -> ALARM');
    expect(
      formatEvent({
        kind: 'workflow',
        at: AT,
        region: 'sa-east-1',
        direction: 'down',
        states: ['ValidateRequest', 'LockRegion', 'WithdrawRecord'],
        waitSeconds: 360,
      }),
    ).toBe(
      '2026-11-20 07:04  workflow  sa-east-1       down: ValidateRequest > LockRegion > WithdrawRecord, then waits 360 s',
    );
  });

  it('print a repeated rejection once until the region changes, and keep every event', () => {
    const lines: string[] = [];
    const timeline = new Timeline((line) => lines.push(line));
    const rejected = (at: number): TimelineEvent =>
      reconcileActionEvent(
        {
          region: 'sa-east-1',
          action: 'rejected',
          detail: 'max-elastic: max elastic: 2 of 2 elastic regions already active',
        },
        at,
        'up',
      );
    timeline.record(rejected(AT));
    timeline.record(rejected(AT + 5 * MINUTE));
    timeline.record(
      reconcileActionEvent({ region: 'sa-east-1', action: 'scale-up-started', detail: 'allowed' }, AT + 10 * MINUTE),
    );
    timeline.record(rejected(AT + 15 * MINUTE));
    expect(timeline.events).toHaveLength(4);
    expect(lines).toEqual([
      '2026-11-20 07:04  decision  sa-east-1       scale-up rejected (the reconciler): max elastic: 2 of 2 elastic regions already active',
      '2026-11-20 07:14  decision  sa-east-1       scale-up started by the reconciler: allowed',
      '2026-11-20 07:19  decision  sa-east-1       scale-up rejected (the reconciler): max elastic: 2 of 2 elastic regions already active',
    ]);
  });
});

describe('decision events', () => {
  it('show what the decision Lambda started or refused, and nothing for a change that asks for nothing', () => {
    expect(
      alarmDecisionEvent(
        {
          outcome: 'started',
          region: 'ap-southeast-1',
          executionName: 'up-ap-southeast-1-abc',
          executionArn: 'arn',
          reason: 'allowed',
        },
        'up',
        AT,
      ),
    ).toMatchObject({
      kind: 'decision',
      source: 'alarm',
      direction: 'up',
      outcome: 'started',
      executionName: 'up-ap-southeast-1-abc',
    });
    expect(
      alarmDecisionEvent(
        { outcome: 'rejected', region: 'sa-east-1', rule: 'max-elastic', reason: 'max elastic' },
        'up',
        AT,
      ),
    ).toMatchObject({ outcome: 'rejected', rule: 'max-elastic' });
    expect(
      alarmDecisionEvent({ outcome: 'ignored', region: 'sa-east-1', reason: 'went to OK' }, 'up', AT),
    ).toBeUndefined();
  });

  it('take the direction of a reconciler rejection from its words before the alarm state', () => {
    expect(
      reconcileActionEvent(
        {
          region: 'sa-east-1',
          action: 'rejected',
          detail: 'already-in-state: already inactive: sa-east-1 needs no scale-down',
        },
        AT,
        'up',
      ),
    ).toMatchObject({
      direction: 'down',
      rule: 'already-in-state',
      detail: 'already inactive: sa-east-1 needs no scale-down',
    });
    expect(reconcileActionEvent({ region: 'eu-west-1', action: 'lock-released', detail: 'owner done' }, AT)).toEqual({
      kind: 'reconciler',
      at: AT,
      region: 'eu-west-1',
      action: 'lock-released',
      detail: 'owner done',
    });
  });
});

describe('observed serving and cluster time', () => {
  it('serves while the latency record is in the zone; a cluster costs from its scale-up start to its scale-down end', () => {
    const region = 'ap-southeast-1';
    const events: TimelineEvent[] = [
      { kind: 'decision', at: AT, region, source: 'alarm', direction: 'up', outcome: 'started', detail: '' },
      { kind: 'dns', at: AT + 10 * MINUTE, region, change: 'added', target: 'lb' },
      {
        kind: 'execution',
        at: AT + 12 * MINUTE,
        region,
        direction: 'up',
        executionName: 'u',
        status: 'SUCCEEDED',
        detail: '',
      },
      {
        kind: 'decision',
        at: AT + 90 * MINUTE,
        region,
        source: 'alarm',
        direction: 'down',
        outcome: 'started',
        detail: '',
      },
      { kind: 'dns', at: AT + 92 * MINUTE, region, change: 'removed', target: 'lb' },
      {
        kind: 'execution',
        at: AT + 110 * MINUTE,
        region,
        direction: 'down',
        executionName: 'd',
        status: 'SUCCEEDED',
        detail: '',
      },
      {
        kind: 'decision',
        at: AT + 200 * MINUTE,
        region,
        source: 'alarm',
        direction: 'up',
        outcome: 'started',
        detail: '',
      },
      {
        kind: 'execution',
        at: AT + 205 * MINUTE,
        region,
        direction: 'up',
        executionName: 'u2',
        status: 'FAILED',
        detail: '',
      },
    ];
    expect(observedIntervals(events, [region, 'us-east-1'])).toEqual({
      serving: new Map([
        [region, [[AT + 10 * MINUTE, AT + 92 * MINUTE]]],
        ['us-east-1', []],
      ]),
      cluster: new Map([
        [
          region,
          [
            [AT, AT + 110 * MINUTE],
            [AT + 200 * MINUTE, AT + 205 * MINUTE],
          ],
        ],
        ['us-east-1', []],
      ]),
    });
  });
});
