/**
 * What every Lambda reads from its environment, validated once at cold start:
 * the autoscaler configuration (JSON, the same object `cdk synth` validated) and the names of
 * the control plane's resources.
 */
import { parseConfig, type AutoscalerConfig } from '../domain/config';

export interface Runtime {
  config: AutoscalerConfig;
  /** Region of the control plane (state table, topic, workflows). */
  homeRegion: string;
  stateTableName: string;
  notificationTopicArn?: string;
  scaleUpStateMachineArn?: string;
  scaleDownStateMachineArn?: string;
}

export const ENV = {
  config: 'AUTOSCALER_CONFIG',
  stateTable: 'STATE_TABLE_NAME',
  topic: 'NOTIFICATION_TOPIC_ARN',
  scaleUp: 'SCALE_UP_STATE_MACHINE_ARN',
  scaleDown: 'SCALE_DOWN_STATE_MACHINE_ARN',
} as const;

let cached: Runtime | undefined;

export function runtime(env: NodeJS.ProcessEnv = process.env): Runtime {
  if (cached && env === process.env) return cached;
  const rawConfig = env[ENV.config];
  if (!rawConfig) throw new Error(`${ENV.config} is not set: the Lambda must be deployed by the CDK app`);
  const config = parseConfig(JSON.parse(rawConfig), `environment ${ENV.config}`);
  const stateTableName = env[ENV.stateTable];
  if (!stateTableName) throw new Error(`${ENV.stateTable} is not set: the Lambda must be deployed by the CDK app`);
  const result: Runtime = {
    config,
    homeRegion: config.homeRegion,
    stateTableName,
    notificationTopicArn: env[ENV.topic],
    scaleUpStateMachineArn: env[ENV.scaleUp],
    scaleDownStateMachineArn: env[ENV.scaleDown],
  };
  if (env === process.env) cached = result;
  return result;
}

/** Forget the cached runtime (tests that change the environment). */
export function resetRuntime(): void {
  cached = undefined;
}
