/**
 * One alarm on the workflows' executions that ended badly: FAILED or TIMED_OUT, in any workflow
 * (scale-up, scale-down, edge rollout, cluster upgrade), at least once in 5 minutes. Its action is
 * the notification topic.
 *
 * It sees what the task Lambdas cannot report themselves: an execution whose FailScaling step
 * could not run, or one stopped by the workflow timeout with the region still locked. (A failed
 * scale-up that rolled back also sends its own one-line notification, with the cause.) A request
 * the workflow refuses ends FAILED too: rare, since the decision Lambda and regionctl check the
 * same rules first, and its own notification says why.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { workflowFailureAlarmName } from '../functions/domain/naming';

export interface WorkflowFailureAlarmProps {
  prefix: string;
  scaleUp: sfn.IStateMachine;
  scaleDown: sfn.IStateMachine;
  /** The maintenance workflows (edge rollout, cluster upgrade), watched the same way. */
  maintenance: sfn.IStateMachine[];
  notifications: sns.ITopic;
}

const PERIOD = Duration.minutes(5);

export class WorkflowFailureAlarm extends Construct {
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: WorkflowFailureAlarmProps) {
    super(scope, id);
    const sum = { period: PERIOD, statistic: cloudwatch.Stats.SUM };
    // FILL(…, 0): a workflow without failures publishes no datapoint, which must not blank the sum.
    const watched = [props.scaleUp, props.scaleDown, ...props.maintenance];
    const usingMetrics: Record<string, cloudwatch.IMetric> = {};
    watched.forEach((machine, i) => {
      usingMetrics[`failed${i}`] = machine.metricFailed(sum);
      usingMetrics[`timedOut${i}`] = machine.metricTimedOut(sum);
    });
    const failures = new cloudwatch.MathExpression({
      expression: Object.keys(usingMetrics)
        .map((id) => `FILL(${id}, 0)`)
        .join(' + '),
      usingMetrics,
      period: PERIOD,
      label: 'Executions failed or timed out',
    });
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmName: workflowFailureAlarmName(props.prefix),
      alarmDescription:
        'A scale-up, scale-down, edge rollout or cluster upgrade execution failed or timed out; see the failure ' +
        'notification, or the execution in the Step Functions console (`regionctl history <region>`).',
      metric: failures,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarm.addAlarmAction(new cwActions.SnsAction(props.notifications));
  }
}
