/** Reads the current state of the scaling alarms (CloudWatch DescribeAlarms by name). */
import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';

export interface AlarmStateView {
  alarmName: string;
  state: string;
  updatedAt?: Date;
  /** When the alarm's state value last changed (StateTransitionedTimestamp; moto only reports updatedAt). */
  transitionedAt?: Date;
}

/** DescribeAlarms accepts at most 100 names per call. */
const NAMES_PER_CALL = 100;

export async function describeAlarmStates(
  cloudWatch: CloudWatchClient,
  alarmNames: string[],
): Promise<AlarmStateView[]> {
  const states: AlarmStateView[] = [];
  for (let i = 0; i < alarmNames.length; i += NAMES_PER_CALL) {
    let nextToken: string | undefined;
    do {
      const page = await cloudWatch.send(
        new DescribeAlarmsCommand({
          AlarmNames: alarmNames.slice(i, i + NAMES_PER_CALL),
          AlarmTypes: ['MetricAlarm'],
          NextToken: nextToken,
        }),
      );
      for (const alarm of page.MetricAlarms ?? []) {
        if (alarm.AlarmName && alarm.StateValue) {
          states.push({
            alarmName: alarm.AlarmName,
            state: alarm.StateValue,
            updatedAt: alarm.StateUpdatedTimestamp,
            transitionedAt: alarm.StateTransitionedTimestamp,
          });
        }
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }
  return states;
}
