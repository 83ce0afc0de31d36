/**
 * What every Lambda reads once at cold start: the autoscaler configuration from its bundle (the
 * object `cdk synth` validated, in bundled-files.ts, validated again), and the names of the
 * control plane's resources from its environment.
 */
import type { AutoscalerConfig } from '../domain/config';
import { readBundledConfig } from './bundled-files';

export interface Runtime {
  config: AutoscalerConfig;
  /** Region of the control plane (state table, topic, workflows). */
  homeRegion: string;
  stateTableName: string;
  notificationTopicArn?: string;
  scaleUpStateMachineArn?: string;
  scaleDownStateMachineArn?: string;
  /** The maintenance workflows the reconciler starts. */
  edgeRolloutStateMachineArn?: string;
  clusterUpgradeStateMachineArn?: string;
}

/** The environment variables the CDK app sets. */
export const ENV = {
  stateTable: 'STATE_TABLE_NAME',
  topic: 'NOTIFICATION_TOPIC_ARN',
  scaleUp: 'SCALE_UP_STATE_MACHINE_ARN',
  scaleDown: 'SCALE_DOWN_STATE_MACHINE_ARN',
  edgeRollout: 'EDGE_ROLLOUT_STATE_MACHINE_ARN',
  clusterUpgrade: 'CLUSTER_UPGRADE_STATE_MACHINE_ARN',
} as const;

let cached: Runtime | undefined;

export function runtime(env: NodeJS.ProcessEnv = process.env): Runtime {
  if (cached && env === process.env) return cached;
  const config = readBundledConfig(env);
  const stateTableName = env[ENV.stateTable];
  if (!stateTableName) throw new Error(`${ENV.stateTable} is not set: the Lambda must be deployed by the CDK app`);
  const result: Runtime = {
    config,
    homeRegion: config.homeRegion,
    stateTableName,
    notificationTopicArn: env[ENV.topic],
    scaleUpStateMachineArn: env[ENV.scaleUp],
    scaleDownStateMachineArn: env[ENV.scaleDown],
    edgeRolloutStateMachineArn: env[ENV.edgeRollout],
    clusterUpgradeStateMachineArn: env[ENV.clusterUpgrade],
  };
  if (env === process.env) cached = result;
  return result;
}

/** Forget the cached runtime (tests that change the environment). */
export function resetRuntime(): void {
  cached = undefined;
}
