/**
 * Automatic scaling in the home region: per elastic region a scale-up and a scale-down alarm on
 * the demand metric, an EventBridge rule that hands their state changes to the decision Lambda
 * (with a dead-letter queue and an alarm on it), and the scheduled reconciler, which also starts
 * the maintenance workflows (edge rollout, cluster upgrade).
 */
import { ArnFormat, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { AlarmDefinition } from '../functions/domain/alarm-evaluation';
import { DEMAND_ALARM_STATISTIC, demandAlarmsFor } from '../functions/domain/alarm-policy';
import { ENV } from '../functions/commons/runtime';
import { approvedRegions, type AutoscalerConfig } from '../functions/domain/config';
import type { MaintenanceKind } from '../functions/domain/region-state';
import { DEMAND_DIMENSION, DEMAND_METRIC_NAME, DEMAND_NAMESPACE } from '../functions/domain/demand-metric';
import {
  clusterName,
  clusterUpgradeStateMachineName,
  edgeRolloutStateMachineName,
  scaleDownAlarmName,
  scaleDownStateMachineName,
  scaleUpAlarmName,
  scaleUpStateMachineName,
  scalingAlarmNamePrefix,
} from '../functions/domain/naming';
import { AutoscalerFunction } from './autoscaler-function';
import { edgeWorkloadFiles } from './config-source';
import { acknowledgeControlTowerRule } from './policy-validation';

export interface ScalingAutomationProps {
  config: AutoscalerConfig;
  stateTable: dynamodb.ITableV2;
  notifications: sns.ITopic;
  scaleUp: sfn.IStateMachine;
  scaleDown: sfn.IStateMachine;
  /** The maintenance workflows the reconciler starts: the edge rollout, and the cluster upgrade where deployed. */
  maintenance: { edgeRollout: sfn.IStateMachine; clusterUpgrade?: sfn.IStateMachine };
}

/** The variable of the reconciler's environment that names each maintenance workflow. */
const MAINTENANCE_ENV: Record<MaintenanceKind, string> = {
  edgeRollout: ENV.edgeRollout,
  clusterUpgrade: ENV.clusterUpgrade,
};

const MAINTENANCE_STATE_MACHINE_NAMES: Record<MaintenanceKind, (prefix: string) => string> = {
  edgeRollout: edgeRolloutStateMachineName,
  clusterUpgrade: clusterUpgradeStateMachineName,
};

export interface RegionScalingAlarms {
  region: string;
  scaleUp: cloudwatch.Alarm;
  scaleDown: cloudwatch.Alarm;
}

export class ScalingAutomation extends Construct {
  readonly alarms: RegionScalingAlarms[];
  readonly decisionFunction: lambda.Function;
  readonly reconcilerFunction: lambda.Function;
  readonly deadLetterQueue: sqs.Queue;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ScalingAutomationProps) {
    super(scope, id);
    const { config, stateTable, notifications, scaleUp, scaleDown } = props;

    this.alarms = config.regions.elastic.map((region) => this.regionAlarms(config, region));

    // Events EventBridge could not deliver, and decisions that failed after Lambda's retries.
    // SSE-SQS rather than the stack's key: EventBridge can write to it without a key policy, so a
    // key-policy mistake cannot silently drop the last copy of a failed event.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: `${config.prefix}-scaling-dlq`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // Marks it as a dead-letter queue (Control Tower CT.SQS.PR.1); allowAll is SQS's default, and
      // byQueue cannot name its senders, which are EventBridge and Lambda, not queues.
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the scaling rule, the schedule and the two Lambdas.',
    });
    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmName: `${config.prefix}-scaling-dead-letters`,
      alarmDescription:
        'Alarm state changes or reconciler runs could not be processed; read the messages in the scaling dead-letter queue.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.deadLetterAlarm.addAlarmAction(new cwActions.SnsAction(notifications));

    const environment = {
      [ENV.scaleUp]: scaleUp.stateMachineArn,
      [ENV.scaleDown]: scaleDown.stateMachineArn,
      [ENV.topic]: notifications.topicArn,
    };
    this.decisionFunction = new AutoscalerFunction(this, 'DecisionFunction', {
      config,
      entry: 'decide/decision-handler',
      stateTableName: stateTable.tableName,
      environment,
      timeout: Duration.seconds(30),
      description: 'Decides on scaling alarm state changes and starts the scale-up or scale-down workflow',
    }).function;
    this.reconcilerFunction = new AutoscalerFunction(this, 'ReconcilerFunction', {
      config,
      entry: 'reconcile/reconcile-handler',
      stateTableName: stateTable.tableName,
      // What the edge task renders the edge workload from (agent, custom manifests): the desired
      // edge configuration is computed from the same inputs.
      bundledFiles: edgeWorkloadFiles(config),
      environment: { ...environment, ...maintenanceEnvironment(props.maintenance) },
      timeout: Duration.minutes(2),
      description: 'Retries what alarms still ask for, keeps always-on regions up and repairs drift',
    }).function;

    for (const fn of [this.decisionFunction, this.reconcilerFunction]) {
      fn.configureAsyncInvoke({
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
        onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      });
      this.grantScaling(fn, props);
      this.grantAlarmReads(fn);
    }
    this.grantReconcilerReads(this.reconcilerFunction, config);
    this.grantMaintenanceStarts(this.reconcilerFunction, props);

    new events.Rule(this, 'AlarmStateChangeRule', {
      ruleName: `${config.prefix}-scaling-alarm-changes`,
      description: 'Scaling alarm state changes to the decision Lambda',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: events.Match.prefix(scalingAlarmNamePrefix(config.prefix)) },
      },
      targets: [
        new targets.LambdaFunction(this.decisionFunction, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });
    new events.Rule(this, 'ReconcileSchedule', {
      ruleName: `${config.prefix}-reconcile`,
      description: `Runs the reconciler every ${config.scaling.reconcileIntervalMinutes} minutes`,
      schedule: events.Schedule.rate(Duration.minutes(config.scaling.reconcileIntervalMinutes)),
      targets: [
        new targets.LambdaFunction(this.reconcilerFunction, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 2,
          // A run older than one interval is superseded by the next one.
          maxEventAge: Duration.minutes(Math.max(1, config.scaling.reconcileIntervalMinutes)),
        }),
      ],
    });
  }

  /**
   * Missing data never tears a region down (a broken publisher is not "zero users"):
   * - scale-down treats a missing datapoint as NOT_BREACHING: only real datapoints below the
   *   threshold count towards its M of N, so silence keeps the alarm OK and the region up.
   * - scale-up treats it as MISSING: real datapoints above the threshold still fire it when some
   *   are missing, and a publisher that went silent shows as INSUFFICIENT_DATA (visible in
   *   `regionctl status` and on the dashboard) rather than passing for low demand. Only a change
   *   into ALARM acts, so INSUFFICIENT_DATA starts nothing.
   */
  private regionAlarms(config: AutoscalerConfig, region: string): RegionScalingAlarms {
    // The same alarm definitions the simulator and the sandbox evaluate (functions/domain/alarm-policy.ts).
    const alarms = demandAlarmsFor(config, region);
    const metric = new cloudwatch.Metric({
      namespace: DEMAND_NAMESPACE,
      metricName: DEMAND_METRIC_NAME,
      dimensionsMap: { [DEMAND_DIMENSION]: region },
      period: Duration.seconds(alarms.periodSeconds),
      statistic: DEMAND_ALARM_STATISTIC,
    });
    const alarm = (id: string, alarmName: string, definition: AlarmDefinition, alarmDescription: string) => {
      const scalingAlarm = new cloudwatch.Alarm(this, id, {
        alarmName,
        alarmDescription,
        metric,
        threshold: definition.threshold,
        comparisonOperator: COMPARISON[definition.comparisonOperator],
        evaluationPeriods: definition.evaluationPeriods,
        datapointsToAlarm: definition.datapointsToAlarm,
        treatMissingData: MISSING_DATA[definition.treatMissingData],
      });
      acknowledgeControlTowerRule(
        scalingAlarm,
        'CT.CLOUDWATCH.PR.1',
        'A scaling alarm acts through EventBridge: the AlarmStateChangeRule hands its state changes to the decision Lambda (with retries and the dead-letter queue). It needs no alarm action; the workflows notify the outcome of each scaling.',
      );
      return scalingAlarm;
    };
    const { scaleUp: up, scaleDown: down } = alarms;
    return {
      region,
      scaleUp: alarm(
        `ScaleUp-${region}`,
        scaleUpAlarmName(config.prefix, region),
        up,
        `Scale ${region} up: more than ${up.threshold} users in ${up.datapointsToAlarm} of ${up.evaluationPeriods} periods of ${alarms.periodSeconds} s`,
      ),
      scaleDown: alarm(
        `ScaleDown-${region}`,
        scaleDownAlarmName(config.prefix, region),
        down,
        `Scale ${region} down: fewer than ${down.threshold} users in ${down.datapointsToAlarm} of ${down.evaluationPeriods} periods of ${alarms.periodSeconds} s (missing data is not low demand)`,
      ),
    };
  }

  /** What both Lambdas need: read the fleet, start the workflows, write state and decisions. */
  private grantScaling(fn: lambda.Function, props: ScalingAutomationProps): void {
    const { prefix } = props.config;
    for (const machine of [props.scaleUp, props.scaleDown]) {
      machine.grantStartExecution(fn);
      machine.grant(fn, 'states:ListExecutions');
    }
    // DescribeExecution (the reconciler checks a lock's owner) on the executions of the two
    // workflows only; execution names are generated per trigger, hence the wildcard.
    const executions = [scaleUpStateMachineName(prefix), scaleDownStateMachineName(prefix)].map((name) =>
      stackArn(this, 'states', 'execution', `${name}:*`),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: executions.map((a) => a.arn) }),
    );
    for (const { nag } of executions) {
      Validations.of(fn.role!).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nag}]`,
        reason:
          'states:DescribeExecution on the executions of one scaling workflow; execution names are generated per trigger.',
      });
    }
    props.stateTable.grantReadWriteData(fn);
    props.notifications.grantPublish(fn);
  }

  /**
   * Both read the scaling alarms' current state: the decision Lambda acts only on an alarm still
   * in ALARM (an event may arrive late), the reconciler re-decides the alarms still in ALARM.
   */
  private grantAlarmReads(fn: lambda.Function): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:DescribeAlarms'],
        resources: this.alarms.flatMap((a) => [a.scaleUp.alarmArn, a.scaleDown.alarmArn]),
      }),
    );
  }

  /**
   * The reconciler starts the maintenance workflows and lists their running executions; it
   * describes their executions too: one of them may own a region's lock (step 1 of a pass).
   */
  private grantMaintenanceStarts(fn: lambda.Function, props: ScalingAutomationProps): void {
    for (const [kind, machine] of maintenanceMachines(props.maintenance)) {
      machine.grantStartExecution(fn);
      machine.grant(fn, 'states:ListExecutions');
      const executions = stackArn(
        this,
        'states',
        'execution',
        `${MAINTENANCE_STATE_MACHINE_NAMES[kind](props.config.prefix)}:*`,
      );
      fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions.arn] }),
      );
      Validations.of(fn.role!).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${executions.nag}]`,
        reason:
          'states:DescribeExecution on the executions of one maintenance workflow; execution names are generated per trigger.',
      });
    }
  }

  /** The reconciler also reads EKS clusters, the latency records and the demand history. */
  private grantReconcilerReads(fn: lambda.Function, config: AutoscalerConfig): void {
    const stack = Stack.of(this);
    // The forecast's one GetMetricData request per pass (functions/adapters/demand-history.ts).
    // IAM knows no resource type and no condition key for cloudwatch:GetMetricData: it cannot be
    // narrowed to the EdgeAutoscaler namespace, so it is granted on "*" (reads only, no write).
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
    Validations.of(fn.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:GetMetricData (the demand forecast reads ActiveUsers and the scale-up lead times) has no resource type nor condition key: it cannot be scoped; it only reads metrics.',
    });
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['eks:DescribeCluster'],
        resources: approvedRegions(config).map((region) =>
          stack.formatArn({
            service: 'eks',
            region,
            resource: 'cluster',
            resourceName: clusterName(config.prefix, region),
          }),
        ),
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['route53:ListResourceRecordSets'],
        resources: [`arn:${stack.partition}:route53:::hostedzone/${config.dns.hostedZoneId}`],
      }),
    );
  }
}

function maintenanceMachines(
  maintenance: ScalingAutomationProps['maintenance'],
): [MaintenanceKind, sfn.IStateMachine][] {
  return (Object.entries(maintenance) as [MaintenanceKind, sfn.IStateMachine | undefined][]).filter(
    (entry): entry is [MaintenanceKind, sfn.IStateMachine] => entry[1] !== undefined,
  );
}

function maintenanceEnvironment(maintenance: ScalingAutomationProps['maintenance']): Record<string, string> {
  return Object.fromEntries(
    maintenanceMachines(maintenance).map(([kind, machine]) => [MAINTENANCE_ENV[kind], machine.stateMachineArn]),
  );
}

/** An ARN in the construct's stack, and how cdk-nag prints it (for a specific acknowledgement). */
function stackArn(scope: Construct, service: string, resource: string, resourceName: string) {
  const stack = Stack.of(scope);
  const arn = stack.formatArn({ service, resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  return { arn, nag: `arn:<AWS::Partition>:${service}:${region}:${account}:${resource}:${resourceName}` };
}

export const COMPARISON: Record<AlarmDefinition['comparisonOperator'], cloudwatch.ComparisonOperator> = {
  GreaterThanThreshold: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  GreaterThanOrEqualToThreshold: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  LessThanThreshold: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
  LessThanOrEqualToThreshold: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
};

export const MISSING_DATA: Record<AlarmDefinition['treatMissingData'], cloudwatch.TreatMissingData> = {
  missing: cloudwatch.TreatMissingData.MISSING,
  ignore: cloudwatch.TreatMissingData.IGNORE,
  breaching: cloudwatch.TreatMissingData.BREACHING,
  notBreaching: cloudwatch.TreatMissingData.NOT_BREACHING,
};
