/**
 * The decision Lambda: target of the EventBridge rule on the scaling alarms' state changes.
 * Parses the CloudWatch "Alarm State Change" event (a malformed one is rejected before any AWS
 * call), maps it to (region, direction), and hands a change into ALARM to the shared scaling
 * path (policy, slot guard, StartExecution, decision record). Changes to OK or
 * INSUFFICIENT_DATA are recorded as ignored: only entering ALARM asks for a transition.
 */
import { createHash } from 'node:crypto';
import { StateStore } from '../adapters/state-store';
import { documentClient, sfnClient } from '../commons/aws-clients';
import { lambdaHandler, logger } from '../commons/observability';
import { runtime, type Runtime } from '../commons/runtime';
import { alarmStateChangeEventSchema, scalingAlarmOf, type AlarmStateChangeEvent } from './alarm-event';
import { requestScaling, type ScalingDeps, type ScalingOutcome } from './scaling-requests';

export type AlarmDecision = ScalingOutcome | { outcome: 'ignored'; region?: string; reason: string };

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
  deps: ScalingDeps,
  now: Date,
): Promise<AlarmDecision> {
  const mapping = scalingAlarmOf(deps.config.prefix, event);
  if (!mapping.ok) {
    logger.error(`Ignored alarm event ${event.id}: ${mapping.problem}`, { alarmName: event.detail.alarmName });
    return { outcome: 'ignored', reason: mapping.problem };
  }
  const { alarm } = mapping;
  if (alarm.state !== 'ALARM') {
    const reason = `alarm ${alarm.alarmName} went to ${alarm.state}: only a change into ALARM asks for a scale-${alarm.direction}`;
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
  return requestScaling(
    {
      request: { region: alarm.region, direction: alarm.direction, source: 'alarm', eventAt: alarm.changedAt },
      trigger: alarmTrigger(alarm.alarmName, event.detail.state.timestamp),
      reason: `alarm ${alarm.alarmName} entered ALARM at ${alarm.changedAt.toISOString()}: ${alarm.reason}`,
      eventId: event.id,
    },
    deps,
    now,
  );
}

export const handler = lambdaHandler(alarmStateChangeEventSchema, async (event) =>
  decideOnAlarmEvent(event, scalingDeps(runtime()), new Date()),
);
