/**
 * CloudWatch's alarm change times on the sandbox's simulated clock. moto stamps SetAlarmState
 * with the real clock while the sandbox's day is simulated, and the decision Lambda drops an
 * ALARM event whose alarm changed state after the event. The bundled Lambdas carry their own SDK,
 * out of reach of any middleware, so the AWS proxy in front of them rewrites their DescribeAlarms
 * answers with the times the sandbox's alarm evaluation recorded.
 */
import type { AwsFaultProxy, RemoveRule } from './aws-proxy';

/** DescribeAlarms as CloudWatch's awsJson 1.0 protocol carries it: timestamps in epoch seconds. */
interface DescribeAlarmsBody {
  MetricAlarms?: { AlarmName?: string; StateUpdatedTimestamp?: number; StateTransitionedTimestamp?: number }[];
}

/**
 * Makes every DescribeAlarms answer through `proxy` give each alarm whose change `changedAt`
 * knows (epoch ms) that time as its last update and last transition; other alarms keep moto's.
 */
export function stampAlarmChangeTimes(
  proxy: Pick<AwsFaultProxy, 'rewriteJson'>,
  changedAt: (alarmName: string) => number | undefined,
): RemoveRule {
  return proxy.rewriteJson<DescribeAlarmsBody>({ service: 'monitoring', operation: 'DescribeAlarms' }, (body) => {
    for (const alarm of body.MetricAlarms ?? []) {
      const at = changedAt(alarm.AlarmName ?? '');
      if (at === undefined) continue;
      alarm.StateUpdatedTimestamp = at / 1000;
      alarm.StateTransitionedTimestamp = at / 1000;
    }
  });
}
