/**
 * The node patch schedule (cluster.nodePatchSchedule): EventBridge Scheduler starts the cluster
 * upgrade workflow with `patchNodes`, which moves the nodes of every ACTIVE region, one region at
 * a time, to the latest AMI release of their Kubernetes version (and upgrades a region still
 * below cluster.kubernetesVersion on the way). A region that is locked then is skipped; the next
 * scheduled run patches it.
 */
import { Duration, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { AutoscalerConfig } from '../functions/domain/config';
import type { MaintenanceInputRaw } from '../functions/domain/region-maintenance';

export interface NodePatchScheduleProps {
  config: AutoscalerConfig;
  /** The expression (config.cluster.nodePatchSchedule). */
  expression: string;
  clusterUpgrade: sfn.IStateMachine;
  /** Where a start that could not be delivered goes. */
  deadLetterQueue: sqs.IQueue;
}

/** The workflow input of a scheduled patch (region-maintenance.ts), as documented for StartExecution. */
export function nodePatchInput(expression: string, scheduledTime: string): MaintenanceInputRaw {
  return {
    reason: `node patch schedule (cluster.nodePatchSchedule ${expression})`,
    requestedBy: 'reconciler',
    requestedAt: scheduledTime,
    patchNodes: true,
  };
}

export class NodePatchSchedule extends Construct {
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: NodePatchScheduleProps) {
    super(scope, id);
    const { config, expression } = props;
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Starts the cluster upgrade workflow on the node patch schedule',
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      scheduleName: `${config.prefix}-patch-nodes`,
      description: 'Moves the nodes of every ACTIVE region to the latest AMI release of their Kubernetes version',
      schedule: scheduler.ScheduleExpression.expression(expression, TimeZone.ETC_UTC),
      target: new schedulerTargets.StepFunctionsStartExecution(props.clusterUpgrade, {
        role,
        input: scheduler.ScheduleTargetInput.fromObject(
          nodePatchInput(expression, scheduler.ContextAttribute.scheduledTime),
        ),
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: 2,
        // A start later than this waits for the next scheduled run instead.
        maxEventAge: Duration.hours(1),
      }),
    });
  }
}
