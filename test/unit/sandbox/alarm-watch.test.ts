import { describe, expect, it } from '@jest/globals';
import { alarmStateChangeEvent, evaluationRange, stateReason } from '../../../sandbox/alarm-watch';
import { scalingAlarms } from '../../../sandbox/emulated-automation';
import { alarmStateChangeEventSchema, scalingAlarmOf } from '../../../functions/decide/alarm-event';
import { exampleConfig } from '../../support/config-fixtures';

const config = exampleConfig();
const START = Date.parse('2026-11-20T10:00:00Z');
const MINUTE = 60_000;
const alarmOf = (name: string) => scalingAlarms(config).find((a) => a.alarmName === name)!;

describe('the scaling alarms the sandbox creates', () => {
  it('are the scale-up and scale-down alarm of every elastic region, with its threshold override', () => {
    const alarms = scalingAlarms(config);
    expect(alarms.map((a) => a.alarmName)).toEqual(
      config.regions.elastic.flatMap((r) => [`edgescale-scale-up-${r}`, `edgescale-scale-down-${r}`]),
    );
    expect(alarmOf('edgescale-scale-up-sa-east-1').definition).toMatchObject({
      threshold: 300,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'missing',
    });
    expect(alarmOf('edgescale-scale-down-sa-east-1').definition).toMatchObject({
      threshold: 80,
      evaluationPeriods: 15,
      treatMissingData: 'notBreaching',
    });
  });
});

describe('evaluationRange', () => {
  it('puts each datapoint GetMetricData returns (newest first) in its period, oldest first, null where none', () => {
    const result = {
      Timestamps: [new Date(START + 4 * MINUTE), new Date(START + 2 * MINUTE), new Date(START)],
      Values: [700, 650, 120],
    };
    expect(evaluationRange(result, START, 60, 5)).toEqual([120, null, 650, null, 700]);
  });

  it('is all missing when the metric has no datapoint', () => {
    expect(evaluationRange(undefined, START, 60, 3)).toEqual([null, null, null]);
  });
});

describe('the alarm state change event', () => {
  const alarm = alarmOf('edgescale-scale-up-ap-southeast-1');
  const range = [400, 520, 610, 700, null, 530, 540];
  const reason = stateReason(alarm, range, 'OK', 'ALARM');
  const event = alarmStateChangeEvent(alarm, { from: 'OK', to: 'ALARM', reason, at: START + 40_989 }, 'us-east-1');

  it('explains the change in CloudWatch words', () => {
    expect(reason).toBe(
      'Threshold Crossed: 5 out of the last 5 datapoints [540, 530, 700, 610, 520] were greater than the threshold (500) (minimum 3 datapoints for OK -> ALARM transition).',
    );
    expect(stateReason(alarm, [510, 400, 300, 200, 100], 'ALARM', 'OK')).toBe(
      'Threshold Crossed: only 1 out of the last 5 datapoints [100, 200, 300, 400, 510] was greater than the threshold (500) (3 needed for ALARM).',
    );
    expect(stateReason(alarm, [null, null], 'ALARM', 'INSUFFICIENT_DATA')).toBe(
      'Insufficient Data: 2 datapoints were unknown.',
    );
  });

  it('is what the decision Lambda accepts and maps to the region and direction', () => {
    const parsed = alarmStateChangeEventSchema.parse(event);
    expect(parsed.detail.state).toEqual({ value: 'ALARM', reason, timestamp: '2026-11-20T10:00:40.989+0000' });
    expect(scalingAlarmOf(config.prefix, parsed)).toEqual({
      ok: true,
      alarm: {
        region: 'ap-southeast-1',
        direction: 'up',
        alarmName: 'edgescale-scale-up-ap-southeast-1',
        state: 'ALARM',
        changedAt: new Date(START + 40_989),
        reason,
      },
    });
  });
});
