/**
 * CloudWatch's part, which moto does not play: at the end of each alarm period, every scaling
 * alarm is evaluated with evaluateAlarm over the datapoints read back from the emulator
 * (GetMetricData, the alarm's statistic and period, the evaluation range CloudWatch retrieves).
 * A change of state is written to moto (SetAlarmState, so DescribeAlarms, the reconciler and
 * `regionctl status` see it), its time kept on the simulated clock (`changedAt`, which moto cannot
 * stamp: alarm-change-times.ts) and described as the EventBridge event CloudWatch would send.
 */
import {
  GetMetricDataCommand,
  SetAlarmStateCommand,
  type CloudWatchClient,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { randomUUID } from 'node:crypto';
import {
  evaluateAlarm,
  evaluationRangeLength,
  isBreaching,
  type AlarmState,
} from '../functions/domain/alarm-evaluation';
import { DEMAND_ALARM_STATISTIC } from '../functions/domain/alarm-policy';
import { DEMAND_DIMENSION, DEMAND_METRIC_NAME, DEMAND_NAMESPACE } from '../functions/domain/demand-metric';
import { EMULATED_ACCOUNT, type ScalingAlarm } from './emulated-automation';

export interface AlarmChange {
  alarm: ScalingAlarm;
  from: AlarmState;
  to: AlarmState;
  at: number;
  reason: string;
  /** The "CloudWatch Alarm State Change" event EventBridge delivers to the decision Lambda. */
  event: Record<string, unknown>;
}

export class AlarmWatch {
  private readonly states = new Map<string, AlarmState>();
  /** Simulated time of each alarm's last change (moto stamps SetAlarmState with the real clock). */
  private readonly changeTimes = new Map<string, number>();

  /** `originMs`: start of the first alarm period (the scenario's first timestamp). */
  constructor(
    private readonly cloudWatch: CloudWatchClient,
    private readonly alarms: ScalingAlarm[],
    private readonly homeRegion: string,
    private readonly originMs: number,
  ) {
    for (const alarm of alarms) this.states.set(alarm.alarmName, 'INSUFFICIENT_DATA');
  }

  /** The direction the region's alarms ask for (the one in ALARM), if any. */
  askedDirection(region: string): 'up' | 'down' | undefined {
    return this.alarms.find((a) => a.region === region && this.states.get(a.alarmName) === 'ALARM')?.direction;
  }

  /**
   * When the alarm last changed state, on the simulated clock, as CloudWatch would stamp it (the
   * decision Lambda compares it with the event's); undefined before its first evaluated change.
   */
  changedAt(alarmName: string): number | undefined {
    return this.changeTimes.get(alarmName);
  }

  /** Evaluates the alarms whose period ends at `endMs`, and applies their changes in the emulator. */
  async evaluate(endMs: number): Promise<AlarmChange[]> {
    const due = this.alarms.filter((a) => (endMs - this.originMs) % (a.periodSeconds * 1000) === 0);
    const changes: AlarmChange[] = [];
    for (const periodSeconds of new Set(due.map((a) => a.periodSeconds))) {
      const group = due.filter((a) => a.periodSeconds === periodSeconds);
      const length = Math.max(...group.map((a) => evaluationRangeLength(a.definition.evaluationPeriods)));
      const ranges = await this.readRanges([...new Set(group.map((a) => a.region))], periodSeconds, length, endMs);
      for (const alarm of group) {
        const range = ranges.get(alarm.region)!.slice(-evaluationRangeLength(alarm.definition.evaluationPeriods));
        const from = this.states.get(alarm.alarmName)!;
        const to = evaluateAlarm(alarm.definition, range, from);
        if (to === from) continue;
        const at = Date.now(); // simulated: the evaluation runs just after the period ends
        this.states.set(alarm.alarmName, to);
        this.changeTimes.set(alarm.alarmName, at);
        const reason = stateReason(alarm, range, from, to);
        await this.cloudWatch.send(
          new SetAlarmStateCommand({ AlarmName: alarm.alarmName, StateValue: to, StateReason: reason }),
        );
        changes.push({
          alarm,
          from,
          to,
          at,
          reason,
          event: alarmStateChangeEvent(alarm, { from, to, reason, at }, this.homeRegion),
        });
      }
    }
    return changes;
  }

  /** For each region, the `length` datapoints of the periods ending at `endMs`, oldest first (null = none). */
  private async readRanges(
    regions: string[],
    periodSeconds: number,
    length: number,
    endMs: number,
  ): Promise<Map<string, Array<number | null>>> {
    const startMs = endMs - length * periodSeconds * 1000;
    const { MetricDataResults = [] } = await this.cloudWatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(startMs),
        EndTime: new Date(endMs),
        MetricDataQueries: regions.map((region, i) => ({
          Id: `r${i}`,
          ReturnData: true,
          MetricStat: {
            Metric: {
              Namespace: DEMAND_NAMESPACE,
              MetricName: DEMAND_METRIC_NAME,
              Dimensions: [{ Name: DEMAND_DIMENSION, Value: region }],
            },
            Period: periodSeconds,
            Stat: DEMAND_ALARM_STATISTIC,
          },
        })),
      }),
    );
    return new Map(
      regions.map((region, i) => [
        region,
        evaluationRange(
          MetricDataResults.find((r) => r.Id === `r${i}`),
          startMs,
          periodSeconds,
          length,
        ),
      ]),
    );
  }
}

/** A GetMetricData result as an evaluation range: one slot per period from `startMs`, oldest first. */
export function evaluationRange(
  result: Pick<MetricDataResult, 'Timestamps' | 'Values'> | undefined,
  startMs: number,
  periodSeconds: number,
  length: number,
): Array<number | null> {
  const range: Array<number | null> = new Array(length).fill(null);
  const timestamps = result?.Timestamps ?? [];
  const values = result?.Values ?? [];
  timestamps.forEach((timestamp, i) => {
    const slot = Math.round((timestamp.getTime() - startMs) / (periodSeconds * 1000));
    if (slot >= 0 && slot < length && values[i] !== undefined) range[slot] = values[i]!;
  });
  return range;
}

const COMPARISON_TEXT = {
  GreaterThanThreshold: 'greater than',
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
} as const;

/** A state reason in CloudWatch's words. */
export function stateReason(
  alarm: ScalingAlarm,
  range: Array<number | null>,
  from: AlarmState,
  to: AlarmState,
): string {
  const { definition } = alarm;
  const recent = range.filter((v): v is number => v !== null).slice(-definition.evaluationPeriods);
  if (to === 'INSUFFICIENT_DATA' || recent.length === 0) {
    return `Insufficient Data: ${range.length} datapoints were unknown.`;
  }
  const breaching = recent.filter((v) => isBreaching(definition, v)).length;
  const shown = `[${recent.slice(-5).reverse().join(', ')}]`;
  const crossed = `${breaching} out of the last ${recent.length} datapoints ${shown} ${breaching === 1 ? 'was' : 'were'} ${COMPARISON_TEXT[definition.comparisonOperator]} the threshold (${definition.threshold})`;
  return to === 'ALARM'
    ? `Threshold Crossed: ${crossed} (minimum ${definition.datapointsToAlarm} datapoints for ${from} -> ALARM transition).`
    : `Threshold Crossed: only ${crossed} (${definition.datapointsToAlarm} needed for ALARM).`;
}

/** CloudWatch's timestamp style in alarm events: 2026-11-21T12:00:40.989+0000. */
const cloudWatchTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

/** The EventBridge event of an alarm's state change, shaped as CloudWatch sends it. */
export function alarmStateChangeEvent(
  alarm: ScalingAlarm,
  change: { from: AlarmState; to: AlarmState; reason: string; at: number },
  homeRegion: string,
): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: EMULATED_ACCOUNT,
    time: new Date(change.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: homeRegion,
    resources: [`arn:aws:cloudwatch:${homeRegion}:${EMULATED_ACCOUNT}:alarm:${alarm.alarmName}`],
    detail: {
      alarmName: alarm.alarmName,
      state: { value: change.to, reason: change.reason, timestamp: cloudWatchTime(change.at) },
      previousState: { value: change.from },
      configuration: {
        description: alarm.description,
        metrics: [
          {
            id: 'm1',
            metricStat: {
              metric: {
                namespace: DEMAND_NAMESPACE,
                name: DEMAND_METRIC_NAME,
                dimensions: { [DEMAND_DIMENSION]: alarm.region },
              },
              period: alarm.periodSeconds,
              stat: DEMAND_ALARM_STATISTIC,
            },
            returnData: true,
          },
        ],
      },
    },
  };
}
