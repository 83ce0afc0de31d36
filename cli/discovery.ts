/**
 * Finds the deployed autoscaler from its control stack (`<prefix>-control` in the home region):
 * the stack's outputs name the state table, the workflows and the configuration parameter, whose
 * JSON value is the deployed configuration. No ARN is ever copied by hand.
 */
import { DescribeStacksCommand, type Output as StackOutput } from '@aws-sdk/client-cloudformation';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { approvedRegions, ConfigError, parseConfig, type AutoscalerConfig } from '../functions/domain/config';
import { CONTROL_OUTPUTS, controlStackName } from '../functions/domain/naming';
import type { AwsClients } from './aws-clients';
import { CliError } from './cli-error';
import type { Target } from './command-env';
import { EXIT } from './exit-codes';

export interface Deployment {
  stackName: string;
  /** The region the control stack was found in. */
  homeRegion: string;
  stateTableName: string;
  notificationTopicArn: string;
  scaleUpStateMachineArn: string;
  scaleDownStateMachineArn: string;
  configParameterName: string;
  dashboardName?: string;
  /** Absent from a deployment older than `regionctl purge`. */
  purgeFunctionName?: string;
  /** Absent from a deployment older than edge rollouts. */
  edgeRolloutStateMachineArn?: string;
  /** Absent from a deployment older than cluster upgrades. */
  clusterUpgradeStateMachineArn?: string;
  config: AutoscalerConfig;
}

const REQUIRED_OUTPUTS = [
  CONTROL_OUTPUTS.stateTableName,
  CONTROL_OUTPUTS.notificationTopicArn,
  CONTROL_OUTPUTS.scaleUpStateMachineArn,
  CONTROL_OUTPUTS.scaleDownStateMachineArn,
  CONTROL_OUTPUTS.configParameterName,
];

export async function discoverDeployment(
  clients: Pick<AwsClients, 'cloudFormation' | 'ssm'>,
  target: Target,
): Promise<Deployment> {
  const stackName = controlStackName(target.prefix);
  const homeRegion = target.homeRegion ?? (await clients.cloudFormation.config.region());
  const outputs = await readStackOutputs(clients, stackName, homeRegion);
  const missing = REQUIRED_OUTPUTS.filter((key) => !outputs.has(key));
  if (missing.length > 0) {
    throw new CliError(
      `Stack ${stackName} in ${homeRegion} has no output ${missing.join(', ')}: it is not (yet) a complete autoscaler deployment; fix: wait for "cdk deploy" to finish, or redeploy with this version`,
      EXIT.environment,
    );
  }
  const configParameterName = outputs.get(CONTROL_OUTPUTS.configParameterName)!;
  return {
    stackName,
    homeRegion,
    stateTableName: outputs.get(CONTROL_OUTPUTS.stateTableName)!,
    notificationTopicArn: outputs.get(CONTROL_OUTPUTS.notificationTopicArn)!,
    scaleUpStateMachineArn: outputs.get(CONTROL_OUTPUTS.scaleUpStateMachineArn)!,
    scaleDownStateMachineArn: outputs.get(CONTROL_OUTPUTS.scaleDownStateMachineArn)!,
    configParameterName,
    dashboardName: outputs.get(CONTROL_OUTPUTS.dashboardName),
    purgeFunctionName: outputs.get(CONTROL_OUTPUTS.purgeFunctionName),
    edgeRolloutStateMachineArn: outputs.get(CONTROL_OUTPUTS.edgeRolloutStateMachineArn),
    clusterUpgradeStateMachineArn: outputs.get(CONTROL_OUTPUTS.clusterUpgradeStateMachineArn),
    config: await readDeployedConfig(clients, configParameterName, stackName, homeRegion),
  };
}

async function readStackOutputs(
  clients: Pick<AwsClients, 'cloudFormation'>,
  stackName: string,
  homeRegion: string,
): Promise<Map<string, string>> {
  let outputs: StackOutput[];
  try {
    const { Stacks = [] } = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = Stacks[0]?.Outputs ?? [];
  } catch (error) {
    if ((error as Error).name === 'ValidationError' && /does not exist/i.test((error as Error).message)) {
      throw new CliError(
        `The autoscaler is not deployed here: no stack ${stackName} in ${homeRegion} for these credentials; fix: pass --region <its home region> and --prefix <its prefix>, or deploy it with "npx cdk deploy --all"`,
        EXIT.environment,
      );
    }
    throw error;
  }
  return new Map(outputs.filter((o) => o.OutputKey && o.OutputValue).map((o) => [o.OutputKey!, o.OutputValue!]));
}

async function readDeployedConfig(
  clients: Pick<AwsClients, 'ssm'>,
  parameterName: string,
  stackName: string,
  homeRegion: string,
): Promise<AutoscalerConfig> {
  let value: string | undefined;
  try {
    const { Parameter } = await clients.ssm.send(new GetParameterCommand({ Name: parameterName }));
    value = Parameter?.Value;
  } catch (error) {
    if ((error as Error).name !== 'ParameterNotFound') throw error;
  }
  if (value === undefined) {
    throw new CliError(
      `Stack ${stackName} names the configuration parameter ${parameterName}, but it does not exist in ${homeRegion}; fix: redeploy the control stack ("npx cdk deploy ${stackName}")`,
      EXIT.environment,
    );
  }
  const source = `parameter ${parameterName}`;
  try {
    return parseConfig(JSON.parse(value), source);
  } catch (error) {
    const detail = error instanceof ConfigError ? error.message : `Not JSON: ${(error as Error).message}`;
    throw new CliError(`The deployed configuration cannot be read. ${detail}`, EXIT.environment);
  }
}

/** Refuses a region outside the two lists, naming the approved ones. */
export function requireApprovedRegion(config: AutoscalerConfig, region: string): void {
  if (approvedRegions(config).includes(region)) return;
  throw new CliError(
    `Region ${region} is not approved for this autoscaler; approved regions: ${config.regions.alwaysOn.join(', ')} (always-on), ${config.regions.elastic.join(', ') || 'none'} (elastic); fix: use one of them, or add it to the configuration and deploy`,
    EXIT.refused,
  );
}
