/**
 * The EventBridge "CloudWatch Alarm State Change" event, as CloudWatch sends it, parsed with zod;
 * and the mapping of a scaling alarm's event to the region and direction it asks for.
 */
import { z } from 'zod';
import { DEMAND_DIMENSION } from '../domain/demand-metric';
import { parseScalingAlarmName } from '../domain/naming';

export const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;

const timestamp = z.string().refine((value) => !Number.isNaN(Date.parse(value)), {
  error: 'is not a timestamp; CloudWatch sends e.g. "2026-11-21T10:04:40.989+0000"',
});

const alarmState = z.object({
  value: z.enum(ALARM_STATES, { error: `must be one of ${ALARM_STATES.join(', ')}` }),
  reason: z.string().default(''),
  timestamp,
});

const metricStat = z.object({
  metric: z.object({
    namespace: z.string().optional(),
    name: z.string().optional(),
    dimensions: z.record(z.string(), z.string()).default({}),
  }),
  period: z.number().optional(),
  stat: z.string().optional(),
});

export const alarmStateChangeEventSchema = z.object({
  id: z.string().min(1),
  source: z.literal('aws.cloudwatch', { error: 'must be "aws.cloudwatch": only CloudWatch alarm events are decided' }),
  'detail-type': z.literal('CloudWatch Alarm State Change', {
    error: 'must be "CloudWatch Alarm State Change"',
  }),
  time: timestamp,
  region: z.string(),
  resources: z.array(z.string()).default([]),
  detail: z.object({
    alarmName: z.string().min(1),
    state: alarmState,
    previousState: alarmState.partial().optional(),
    configuration: z
      .object({
        description: z.string().optional(),
        metrics: z.array(z.object({ id: z.string().optional(), metricStat: metricStat.optional() })).default([]),
      })
      .default({ metrics: [] }),
  }),
});

export type AlarmStateChangeEvent = z.output<typeof alarmStateChangeEventSchema>;

export interface ScalingAlarm {
  region: string;
  direction: 'up' | 'down';
  alarmName: string;
  state: (typeof ALARM_STATES)[number];
  /** When the alarm changed state (what stale-event dropping compares). */
  changedAt: Date;
  reason: string;
}

export type AlarmMapping = { ok: true; alarm: ScalingAlarm } | { ok: false; problem: string };

/**
 * The scaling alarm an event is about, or why it is not one of ours: an alarm name outside the
 * naming rule, or a metric whose Region dimension disagrees with the name.
 */
export function scalingAlarmOf(prefix: string, event: AlarmStateChangeEvent): AlarmMapping {
  const { alarmName, state, configuration } = event.detail;
  const target = parseScalingAlarmName(prefix, alarmName);
  if (!target) {
    return {
      ok: false,
      problem: `alarm ${alarmName} is not a scaling alarm of "${prefix}" (expected ${prefix}-scale-up-<region> or ${prefix}-scale-down-<region>)`,
    };
  }
  const dimensionRegion = configuration.metrics
    .map((m) => m.metricStat?.metric.dimensions[DEMAND_DIMENSION])
    .find((value) => value !== undefined);
  if (dimensionRegion !== undefined && dimensionRegion !== target.region) {
    return {
      ok: false,
      problem: `alarm ${alarmName} watches Region=${dimensionRegion}, but its name says ${target.region}; fix the alarm definition`,
    };
  }
  return {
    ok: true,
    alarm: {
      ...target,
      alarmName,
      state: state.value,
      changedAt: new Date(state.timestamp),
      reason: state.reason,
    },
  };
}
