/**
 * What the sandbox deploys in the emulator: provisionEmulatedDeployment's control plane and
 * foundations, and the part of the control stack that moto can hold and that does not create:
 * the state machines (the synthesized definitions of the scaling and maintenance workflows, with
 * the ARNs the task Lambdas would have: moto records their executions, the executor bridge runs
 * them) and the scaling alarms of every elastic region (names and values as the CDK app defines
 * them). Clients honour AWS_ENDPOINT_URL.
 */
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { ScalingStateMachines } from '../functions/adapters/scaling-executions';
import type { MaintenanceKind } from '../functions/domain/region-state';
import type { AlarmDefinition } from '../functions/domain/alarm-evaluation';
import { DEMAND_ALARM_STATISTIC, demandAlarmsFor } from '../functions/domain/alarm-policy';
import type { AutoscalerConfig } from '../functions/domain/config';
import { DEMAND_DIMENSION, DEMAND_METRIC_NAME, DEMAND_NAMESPACE } from '../functions/domain/demand-metric';
import {
  clusterUpgradeStateMachineName,
  edgeRolloutStateMachineName,
  scaleDownAlarmName,
  scaleDownStateMachineName,
  scaleUpAlarmName,
  scaleUpStateMachineName,
} from '../functions/domain/naming';
import { DEPLOYED_LAMBDAS } from '../infra/synthesized-deployment';
import { substituteTaskArns, TASK_SUBSTITUTIONS, type TaskLambda, type WorkflowName } from '../workflows/definitions';
import type { WorkflowDefinition } from '../workflows/run-locally';
import { provisionEmulatedDeployment, type EmulatedControlPlane } from './emulated-deployment';

export interface SandboxDeployment {
  /** The configuration with the emulator's hosted zone id. */
  config: AutoscalerConfig;
  controlPlane: EmulatedControlPlane;
  machines: ScalingStateMachines;
  /** The edge rollout and cluster upgrade state machines. */
  maintenanceMachines: Record<MaintenanceKind, string>;
  alarms: ScalingAlarm[];
}

/** Everything the deployed stacks would create, in the emulator, the state machines with `definitions`. */
export async function deployToEmulator(
  configured: AutoscalerConfig,
  definitions: Record<WorkflowName, WorkflowDefinition>,
): Promise<SandboxDeployment> {
  const { config, controlPlane } = await provisionEmulatedDeployment(configured);
  const { machines, maintenanceMachines } = await createStateMachines(config, definitions);
  const alarms = scalingAlarms(config);
  await createScalingAlarms(config, alarms);
  return { config, controlPlane, machines, maintenanceMachines, alarms };
}

/** moto's default account. */
export const EMULATED_ACCOUNT = '123456789012';

export interface ScalingAlarm {
  alarmName: string;
  region: string;
  direction: 'up' | 'down';
  periodSeconds: number;
  definition: AlarmDefinition;
  description: string;
}

/** Creates every state machine from `definitions`; returns their ARNs. */
export async function createStateMachines(
  config: AutoscalerConfig,
  definitions: Record<WorkflowName, WorkflowDefinition>,
): Promise<Pick<SandboxDeployment, 'machines' | 'maintenanceMachines'>> {
  const sfn = new SFNClient({ region: config.homeRegion, maxAttempts: 1 });
  const lambdaArns = Object.fromEntries(
    Object.keys(TASK_SUBSTITUTIONS).map((task) => [
      task,
      `arn:aws:lambda:${config.homeRegion}:${EMULATED_ACCOUNT}:function:${config.prefix}-${DEPLOYED_LAMBDAS[task as TaskLambda]}`,
    ]),
  ) as Record<TaskLambda, string>;
  const roleArn = `arn:aws:iam::${EMULATED_ACCOUNT}:role/${config.prefix}-workflows`;
  const create = async (name: string, workflow: WorkflowName) => {
    const definition = JSON.stringify(substituteTaskArns(definitions[workflow].text, lambdaArns));
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name, roleArn, definition }));
    return stateMachineArn!;
  };
  return {
    machines: {
      up: await create(scaleUpStateMachineName(config.prefix), 'scaleUp'),
      down: await create(scaleDownStateMachineName(config.prefix), 'scaleDown'),
    },
    maintenanceMachines: {
      edgeRollout: await create(edgeRolloutStateMachineName(config.prefix), 'edgeRollout'),
      clusterUpgrade: await create(clusterUpgradeStateMachineName(config.prefix), 'clusterUpgrade'),
    },
  };
}

/** The scale-up and scale-down alarm of every elastic region, as the CDK app defines them. */
export function scalingAlarms(config: AutoscalerConfig): ScalingAlarm[] {
  return config.regions.elastic.flatMap((region) => {
    const { periodSeconds, scaleUp, scaleDown } = demandAlarmsFor(config, region);
    const of = (direction: 'up' | 'down', definition: AlarmDefinition, description: string): ScalingAlarm => ({
      alarmName:
        direction === 'up' ? scaleUpAlarmName(config.prefix, region) : scaleDownAlarmName(config.prefix, region),
      region,
      direction,
      periodSeconds,
      definition,
      description,
    });
    return [
      of(
        'up',
        scaleUp,
        `Scale ${region} up: more than ${scaleUp.threshold} users in ${scaleUp.datapointsToAlarm} of ${scaleUp.evaluationPeriods} periods of ${periodSeconds} s`,
      ),
      of(
        'down',
        scaleDown,
        `Scale ${region} down: fewer than ${scaleDown.threshold} users in ${scaleDown.datapointsToAlarm} of ${scaleDown.evaluationPeriods} periods of ${periodSeconds} s (missing data is not low demand)`,
      ),
    ];
  });
}

/**
 * PutMetricAlarm for each alarm, then INSUFFICIENT_DATA, the state CloudWatch gives a new alarm
 * (moto starts them OK). moto never evaluates them: the sandbox does, with evaluateAlarm.
 */
export async function createScalingAlarms(config: AutoscalerConfig, alarms: ScalingAlarm[]): Promise<void> {
  const cloudWatch = new CloudWatchClient({ region: config.homeRegion, maxAttempts: 1 });
  for (const alarm of alarms) {
    const { definition } = alarm;
    await cloudWatch.send(
      new PutMetricAlarmCommand({
        AlarmName: alarm.alarmName,
        AlarmDescription: alarm.description,
        Namespace: DEMAND_NAMESPACE,
        MetricName: DEMAND_METRIC_NAME,
        Dimensions: [{ Name: DEMAND_DIMENSION, Value: alarm.region }],
        Statistic: DEMAND_ALARM_STATISTIC,
        Period: alarm.periodSeconds,
        EvaluationPeriods: definition.evaluationPeriods,
        DatapointsToAlarm: definition.datapointsToAlarm,
        Threshold: definition.threshold,
        ComparisonOperator: definition.comparisonOperator,
        TreatMissingData: definition.treatMissingData,
      }),
    );
    await cloudWatch.send(
      new SetAlarmStateCommand({
        AlarmName: alarm.alarmName,
        StateValue: 'INSUFFICIENT_DATA',
        StateReason: 'Unchecked: Initial alarm creation',
      }),
    );
  }
}
