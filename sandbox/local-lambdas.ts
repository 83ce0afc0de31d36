/**
 * The Lambdas as they deploy, invoked in-process: the decision Lambda, the reconciler, the four
 * task Lambdas and (with edge-counted demand) the demand collector, each loaded from the bundle `cdk synth` packaged (infra/synthesized-deployment.ts),
 * with the environment the CDK app gives them, and the emulated deployment's configuration in a file
 * they read instead of the one bundled (AUTOSCALER_CONFIG_FILE). They are loaded only once that environment is set:
 * Powertools reads its log level and metrics switch as it loads, the SDK clients their endpoint
 * when first used.
 */
import type { Context } from 'aws-lambda';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScalingStateMachines } from '../functions/adapters/scaling-executions';
import { EDGE_HEALTH_URL_OVERRIDE_ENV } from '../functions/adapters/edge-health';
import { CONFIG_FILE_ENV } from '../functions/commons/bundled-files';
import { ENV } from '../functions/commons/runtime';
import type { PeriodCollection } from '../functions/collect/demand-collector';
import type { AlarmDecision } from '../functions/decide/decision-handler';
import type { AutoscalerConfig } from '../functions/domain/config';
import type { MaintenanceKind } from '../functions/domain/region-state';
import { SERVICE_NAME } from '../functions/domain/metric-names';
import { KUBERNETES_API_OVERRIDE_ENV } from '../functions/kubernetes/cluster-access';
import type { ReconcileAction } from '../functions/reconcile/reconciler';
import {
  DEPLOYED_LAMBDAS,
  loadBundledHandler,
  type DeployedLambda,
  type SynthesizedDeployment,
} from '../infra/synthesized-deployment';
import type { TaskHandler } from '../workflows/run-locally';
import type { TaskLambda } from '../workflows/definitions';
import type { EmulatedControlPlane } from './emulated-deployment';

export interface LambdaEnvironment {
  /** AUTOSCALER_CONFIG_FILE: the configuration with the emulator's hosted zone id (writeLambdaConfigFile). */
  configFile: string;
  controlPlane: EmulatedControlPlane;
  machines: ScalingStateMachines;
  maintenanceMachines: Record<MaintenanceKind, string>;
  /** EDGE_KUBERNETES_API_URL: the Kubernetes API double, `{cluster}` standing for the cluster's name. */
  kubernetesApiUrl: string;
  /** EDGE_HEALTH_URL: the load balancers the double plays, `{hostname}` standing for the Service's. */
  edgeHealthUrl: string;
  /** AWS_ENDPOINT_URL: where the Lambdas' SDK clients send their requests. */
  awsEndpoint: string;
}

/**
 * Writes the configuration the Lambdas read instead of their bundled one into `dir`; returns the
 * file's path. Written again for a deploy of a changed configuration (bundles loaded after it read it).
 */
export function writeLambdaConfigFile(config: AutoscalerConfig, dir: string): string {
  const file = join(dir, 'autoscaler-config.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/**
 * The variables the CDK app sets on the functions, plus the configuration file they read instead
 * of their bundled one, their AWS endpoint and quiet Powertools for a readable terminal.
 */
export function lambdaEnvironmentVariables(env: LambdaEnvironment): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: env.awsEndpoint,
    [CONFIG_FILE_ENV]: env.configFile,
    [ENV.stateTable]: env.controlPlane.stateTableName,
    [ENV.topic]: env.controlPlane.notificationTopicArn,
    [ENV.scaleUp]: env.machines.up,
    [ENV.scaleDown]: env.machines.down,
    [ENV.edgeRollout]: env.maintenanceMachines.edgeRollout,
    [ENV.clusterUpgrade]: env.maintenanceMachines.clusterUpgrade,
    [KUBERNETES_API_OVERRIDE_ENV]: env.kubernetesApiUrl,
    [EDGE_HEALTH_URL_OVERRIDE_ENV]: env.edgeHealthUrl,
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
}

export interface LocalLambdas {
  decide(event: unknown): Promise<AlarmDecision>;
  reconcile(event: unknown): Promise<{ actions: ReconcileAction[] }>;
  /** Deployed with demand.source edge-counters only. */
  collect?(event: unknown): Promise<{ periods: PeriodCollection[] }>;
  tasks: Record<TaskLambda, TaskHandler>;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Loads the bundles of `deployment`, once `environment` (lambdaEnvironmentVariables()) is set
 * in this process, each as a new Lambda environment: its configuration, clients and caches start
 * empty. Refuses a bundle whose template sets a variable that `environment` lacks.
 */
export async function loadBundledLambdas(
  deployment: SynthesizedDeployment,
  environment: Record<string, string>,
  prefix: string,
): Promise<LocalLambdas> {
  const load = async (lambda: DeployedLambda) => {
    const bundle = deployment.lambdas[lambda];
    const unset = bundle.environmentKeys.filter((key) => !(key in environment));
    if (unset.length) {
      throw new Error(`${bundle.functionName}: the template sets ${unset.join(', ')}, which the sandbox does not`);
    }
    const handler = await loadBundledHandler<Handler>(bundle);
    const functionName = `${prefix}-${DEPLOYED_LAMBDAS[lambda]}`;
    return (event: unknown): Promise<unknown> => handler(event, lambdaContext(functionName));
  };
  return {
    decide: (await load('decide')) as LocalLambdas['decide'],
    reconcile: (await load('reconcile')) as LocalLambdas['reconcile'],
    ...(deployment.lambdas.collect ? { collect: (await load('collect')) as LocalLambdas['collect'] } : {}),
    tasks: {
      regionTask: await load('regionTask'),
      clusterTask: await load('clusterTask'),
      edgeTask: await load('edgeTask'),
      dnsTask: await load('dnsTask'),
    },
  };
}

let invocations = 0;

/** A minimal Lambda context, as the Lambda runtime passes one. */
export function lambdaContext(functionName: string): Context {
  invocations += 1;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: `sandbox-${invocations}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'sandbox',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
