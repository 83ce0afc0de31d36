/**
 * The decision Lambda: target of the EventBridge rule on the scaling alarms' state changes.
 * Parses the CloudWatch "Alarm State Change" event (a malformed one is rejected before any AWS
 * call) and maps it to (region, direction). A region in neither list is refused with no write
 * of any kind. A change into ALARM is acted on only if CloudWatch says the alarm still is in
 * ALARM from that change (EventBridge may deliver hours late); it then goes to the shared scaling
 * path (policy, slot guard, StartExecution, decision record). A change to OK or INSUFFICIENT_DATA
 * asks for nothing, but moves the region's decision mark, so that an older ALARM event
 * delivered after it is dropped.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { createHash } from 'node:crypto';
import { describeAlarmStates } from '../adapters/scaling-alarms';
import { StateStore } from '../adapters/state-store';
import { cloudWatchClient, documentClient, sfnClient } from '../commons/aws-clients';
import { lambdaHandler, logger } from '../commons/observability';
import { runtime, type Runtime } from '../commons/runtime';
import { regionList } from '../domain/config';
import { notApprovedVerdict, staleAlarmEvent } from '../domain/scaling-policy';
import {
  alarmStateChangeEventSchema,
  scalingAlarmOf,
  type AlarmStateChangeEvent,
  type ScalingAlarm,
} from './alarm-event';
import {
  reportOutcome,
  requestScaling,
  type ScalingDeps,
  type ScalingOutcome,
  type ScalingTrigger,
} from './scaling-requests';

export type AlarmDecision = ScalingOutcome | { outcome: 'ignored'; region?: string; reason: string };

/** The decision Lambda also reads the alarm's current state (CloudWatch DescribeAlarms). */
export interface AlarmDecisionDeps extends ScalingDeps {
  cloudWatch: CloudWatchClient;
}

export function scalingDeps(rt: Runtime): ScalingDeps {
  const { scaleUpStateMachineArn: up, scaleDownStateMachineArn: down } = rt;
  if (!up || !down) {
    throw new Error(
      'SCALE_UP_STATE_MACHINE_ARN and SCALE_DOWN_STATE_MACHINE_ARN must be set: the Lambda must be deployed by the CDK app',
    );
  }
  const dynamo = documentClient(rt.homeRegion);
  return {
    config: rt.config,
    store: new StateStore(dynamo, rt.stateTableName),
    dynamo,
    tableName: rt.stateTableName,
    sfn: sfnClient(rt.homeRegion),
    machines: { up, down },
  };
}

/** The same alarm change (name + state timestamp) always yields the same execution name. */
export function alarmTrigger(alarmName: string, changedAt: string): string {
  return createHash('sha256').update(`${alarmName}|${changedAt}`).digest('hex').slice(0, 16);
}

export async function decideOnAlarmEvent(
  event: AlarmStateChangeEvent,
  deps: AlarmDecisionDeps,
  now: Date,
): Promise<AlarmDecision> {
  const mapping = scalingAlarmOf(deps.config.prefix, event);
  if (!mapping.ok) {
    logger.error(`Ignored alarm event ${event.id}: ${mapping.problem}`, { alarmName: event.detail.alarmName });
    return { outcome: 'ignored', reason: mapping.problem };
  }
  const { alarm } = mapping;
  const trigger: ScalingTrigger = {
    request: { region: alarm.region, direction: alarm.direction, source: 'alarm', eventAt: alarm.changedAt },
    trigger: alarmTrigger(alarm.alarmName, event.detail.state.timestamp),
    reason: `alarm ${alarm.alarmName} entered ALARM at ${alarm.changedAt.toISOString()}: ${alarm.reason}`,
    eventId: event.id,
  };
  if (!regionList(deps.config, alarm.region)) {
    // Before anything else: no mark, no decision record, no AWS call for a region outside the lists.
    const { reason } = notApprovedVerdict(alarm.region);
    return reportOutcome(trigger, deps, now, {
      outcome: 'rejected',
      region: alarm.region,
      rule: 'not-approved',
      reason,
    });
  }
  if (alarm.state !== 'ALARM') return markAlarmCleared(event, alarm, deps, now);

  const [current] = await describeAlarmStates(deps.cloudWatch, [alarm.alarmName]);
  const stale = staleAlarmEvent(
    alarm,
    current && { state: current.state, changedAt: current.transitionedAt ?? current.updatedAt },
    now,
  );
  if (stale) {
    return reportOutcome(trigger, deps, now, {
      outcome: 'dropped',
      region: alarm.region,
      rule: stale.rule,
      reason: stale.reason,
    });
  }
  return requestScaling(trigger, deps, now);
}

/**
 * A change to OK or INSUFFICIENT_DATA starts nothing, but it is the region's newest demand signal:
 * it moves the decision mark, so an older ALARM event that EventBridge delivers later is dropped.
 */
async function markAlarmCleared(
  event: AlarmStateChangeEvent,
  alarm: ScalingAlarm,
  deps: ScalingDeps,
  now: Date,
): Promise<AlarmDecision> {
  const at = alarm.changedAt.toISOString();
  const newest = await deps.store.advanceDecisionMark(alarm.region, at, now);
  const reason =
    `alarm ${alarm.alarmName} went to ${alarm.state} at ${at}: only a change into ALARM asks for a scale-${alarm.direction}` +
    (newest
      ? `; ALARM events of ${alarm.region} older than this are dropped from now on`
      : `; a newer event on ${alarm.region} was decided already`);
  await deps.store.recordDecision(
    {
      region: alarm.region,
      at: now.toISOString(),
      direction: alarm.direction,
      source: 'alarm',
      outcome: 'dropped',
      reason,
      eventId: event.id,
    },
    now,
  );
  logger.info(`Ignored: ${reason}`, { region: alarm.region });
  return { outcome: 'ignored', region: alarm.region, reason };
}

export const handler = lambdaHandler(alarmStateChangeEventSchema, async (event) => {
  const rt = runtime();
  return decideOnAlarmEvent(event, { ...scalingDeps(rt), cloudWatch: cloudWatchClient(rt.homeRegion) }, new Date());
});
