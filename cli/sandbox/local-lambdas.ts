/**
 * The real Lambda handlers, invoked in-process: the decision Lambda, the reconciler and the four
 * task Lambdas, with the environment the CDK app gives them. They are imported only once that
 * environment is set, because Powertools reads its log level and metrics switch as it loads.
 */
import type { Context } from 'aws-lambda';
import type { ScalingStateMachines } from '../../functions/adapters/scaling-executions';
import { resetClients } from '../../functions/commons/aws-clients';
import { ENV, resetRuntime } from '../../functions/commons/runtime';
import type { AlarmDecision } from '../../functions/decide/decision-handler';
import type { AutoscalerConfig } from '../../functions/domain/config';
import { KUBERNETES_API_OVERRIDE_ENV } from '../../functions/kubernetes/cluster-access';
import type { ReconcileAction } from '../../functions/reconcile/reconciler';
import type { TaskHandler } from '../../workflows/run-locally';
import type { TaskLambda } from '../../workflows/definitions';
import type { EmulatedControlPlane } from './emulated-deployment';

export interface LambdaEnvironment {
  /** The configuration with the emulator's hosted zone id. */
  config: AutoscalerConfig;
  controlPlane: EmulatedControlPlane;
  machines: ScalingStateMachines;
  /** EDGE_KUBERNETES_API_URL: the Kubernetes API double, `{cluster}` standing for the cluster's name. */
  kubernetesApiUrl: string;
}

/** The variables the CDK app sets on every function, plus quiet Powertools for a readable terminal. */
export function lambdaEnvironmentVariables(env: LambdaEnvironment): Record<string, string> {
  return {
    [ENV.config]: JSON.stringify(env.config),
    [ENV.stateTable]: env.controlPlane.stateTableName,
    [ENV.topic]: env.controlPlane.notificationTopicArn,
    [ENV.scaleUp]: env.machines.up,
    [ENV.scaleDown]: env.machines.down,
    [KUBERNETES_API_OVERRIDE_ENV]: env.kubernetesApiUrl,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
}

export interface LocalLambdas {
  decide(event: unknown): Promise<AlarmDecision>;
  reconcile(event: unknown): Promise<{ actions: ReconcileAction[] }>;
  tasks: Record<TaskLambda, TaskHandler>;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Loads the handlers, once lambdaEnvironmentVariables() are set in this process (the handlers
 * read them through runtime()), forgetting any cached runtime and SDK client.
 */
export async function loadLocalLambdas(prefix: string): Promise<LocalLambdas> {
  resetRuntime();
  resetClients();
  // One after the other: jest's ESM loader fails on concurrent imports that share dependencies.
  const handlerOf = async (module: Promise<{ handler: unknown }>) => (await module).handler as Handler;
  const decide = await handlerOf(import('../../functions/decide/decision-handler'));
  const reconcile = await handlerOf(import('../../functions/reconcile/reconcile-handler'));
  const regionTask = await handlerOf(import('../../functions/tasks/region-task'));
  const clusterTask = await handlerOf(import('../../functions/tasks/cluster-task'));
  const edgeTask = await handlerOf(import('../../functions/tasks/edge-task'));
  const dnsTask = await handlerOf(import('../../functions/tasks/dns-task'));
  const invoke =
    (handler: Handler, name: string) =>
    (event: unknown): Promise<unknown> =>
      handler(event, lambdaContext(`${prefix}-${name}`));
  return {
    decide: invoke(decide, 'decide') as LocalLambdas['decide'],
    reconcile: invoke(reconcile, 'reconcile') as LocalLambdas['reconcile'],
    tasks: {
      regionTask: invoke(regionTask, 'region-task'),
      clusterTask: invoke(clusterTask, 'cluster-task'),
      edgeTask: invoke(edgeTask, 'edge-task'),
      dnsTask: invoke(dnsTask, 'dns-task'),
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
