/**
 * A deployed autoscaler as regionctl finds it, created in the emulator: the control stack
 * `<prefix>-control` (a trivial resource and literal Outputs under CONTROL_OUTPUTS), the scaling
 * and edge rollout state machines (a Pass state each: moto cannot run the real workflows), the configuration
 * parameter, the state table, and a hosted zone whose id replaces the configured one. The purge
 * Lambda's name is an output as deployed, but no function exists (moto cannot run one): a test
 * gives regionctl purge an invoker that runs the bundle in-process.
 */
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { AutoscalerConfig } from '../../functions/domain/config';
import {
  CONTROL_OUTPUTS,
  configParameterName,
  controlStackName,
  clusterUpgradeStateMachineName,
  edgeRolloutStateMachineName,
  purgeFunctionName,
  scaleDownStateMachineName,
  scaleUpStateMachineName,
  stateTableName,
} from '../../functions/domain/naming';
import { createHostedZone, createStateTable, zoneNameOf } from '../../sandbox/emulated-deployment';

export interface EmulatedControlStack {
  config: AutoscalerConfig;
  stackName: string;
  stateTableName: string;
  scaleUpStateMachineArn: string;
  scaleDownStateMachineArn: string;
  edgeRolloutStateMachineArn: string;
  clusterUpgradeStateMachineArn: string;
  configParameterName: string;
}

let counter = 0;
/** A prefix no other test uses, so suites sharing the emulator never see each other's resources. */
export function uniquePrefix(base: string): string {
  counter += 1;
  return `${base}${counter}${Math.random().toString(36).slice(2, 6)}`.slice(0, 20);
}

const PASS_DEFINITION = JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } });

export async function deployControlStack(config: AutoscalerConfig): Promise<EmulatedControlStack> {
  const region = config.homeRegion;
  const clientConfig = { region, maxAttempts: 1 };
  const hostedZoneId = await createHostedZone(zoneNameOf(config.dns.recordName), config.prefix);
  const deployed: AutoscalerConfig = { ...config, dns: { ...config.dns, hostedZoneId } };

  const tableName = stateTableName(config.prefix);
  await createStateTable(region, tableName);
  const sfn = new SFNClient(clientConfig);
  const roleArn = `arn:aws:iam::123456789012:role/${config.prefix}-workflow`;
  const [up, down, rollout, upgrade] = await Promise.all(
    [
      scaleUpStateMachineName(config.prefix),
      scaleDownStateMachineName(config.prefix),
      edgeRolloutStateMachineName(config.prefix),
      clusterUpgradeStateMachineName(config.prefix),
    ].map((name) => sfn.send(new CreateStateMachineCommand({ name, roleArn, definition: PASS_DEFINITION }))),
  );
  const parameterName = configParameterName(config.prefix);
  await new SSMClient(clientConfig).send(
    new PutParameterCommand({ Name: parameterName, Type: 'String', Overwrite: true, Value: JSON.stringify(deployed) }),
  );
  const outputs: Record<string, string> = {
    [CONTROL_OUTPUTS.stateTableName]: tableName,
    [CONTROL_OUTPUTS.notificationTopicArn]: `arn:aws:sns:${region}:123456789012:${config.prefix}-notifications`,
    [CONTROL_OUTPUTS.scaleUpStateMachineArn]: up!.stateMachineArn!,
    [CONTROL_OUTPUTS.scaleDownStateMachineArn]: down!.stateMachineArn!,
    [CONTROL_OUTPUTS.edgeRolloutStateMachineArn]: rollout!.stateMachineArn!,
    [CONTROL_OUTPUTS.clusterUpgradeStateMachineArn]: upgrade!.stateMachineArn!,
    [CONTROL_OUTPUTS.configParameterName]: parameterName,
    [CONTROL_OUTPUTS.dashboardName]: `${config.prefix}-autoscaler`,
    [CONTROL_OUTPUTS.purgeFunctionName]: purgeFunctionName(config.prefix),
  };
  const stackName = controlStackName(config.prefix);
  await new CloudFormationClient(clientConfig).send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateBody: JSON.stringify({
        Resources: { Placeholder: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
        Outputs: Object.fromEntries(Object.entries(outputs).map(([key, value]) => [key, { Value: value }])),
      }),
    }),
  );
  return {
    config: deployed,
    stackName,
    stateTableName: tableName,
    scaleUpStateMachineArn: up!.stateMachineArn!,
    scaleDownStateMachineArn: down!.stateMachineArn!,
    edgeRolloutStateMachineArn: rollout!.stateMachineArn!,
    clusterUpgradeStateMachineArn: upgrade!.stateMachineArn!,
    configParameterName: parameterName,
  };
}
