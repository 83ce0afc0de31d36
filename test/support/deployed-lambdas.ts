/**
 * The Lambdas as they deploy, for the integration tests: the bundles of the deployment that the
 * integration project's global setup synthesized (moto-global-setup.ts), loaded in-process.
 */
import {
  loadBundledHandler,
  readSynthesizedDeployment,
  type DeployedLambda,
  type SynthesizedDeployment,
} from '../../infra/synthesized-deployment';
import { dirname, join } from 'node:path';
import { EDGE_AGENT_FILE } from '../../functions/domain/edge-manifests';
import type { TaskLambda } from '../../workflows/definitions';
import type { TaskHandler } from '../../workflows/run-locally';
import { exampleConfig } from './config-fixtures';
import { lambdaContext } from './lambda-context';

export const SYNTHESIZED_DEPLOYMENT_DIR = 'SYNTHESIZED_DEPLOYMENT_DIR';

/**
 * The synthesized deployment of the example configuration, which each bundle carries: the tests run
 * the bundles with their own configurations through AUTOSCALER_CONFIG_FILE (setTaskEnvironment).
 */
export function synthesizedDeployment(): SynthesizedDeployment {
  const outdir = process.env[SYNTHESIZED_DEPLOYMENT_DIR];
  if (!outdir) throw new Error(`${SYNTHESIZED_DEPLOYMENT_DIR} is not set: run through the integration jest project`);
  return readSynthesizedDeployment(outdir, exampleConfig().prefix);
}

/** The edge agent as the synthesized edge task ships it, beside its bundle (and in the edges' ConfigMap). */
export function shippedEdgeAgent(): string {
  return join(dirname(synthesizedDeployment().lambdas.edgeTask.file), EDGE_AGENT_FILE);
}

export type BundledHandler = (event: unknown, context: unknown) => Promise<unknown>;

/** A fresh load of one bundled Lambda (set its environment first: it reads it on first use). */
export function loadBundledLambda(lambda: DeployedLambda): Promise<BundledHandler> {
  return loadBundledHandler<BundledHandler>(synthesizedDeployment().lambdas[lambda]);
}

/** The four bundled task Lambdas, freshly loaded, as the local workflow runner calls them. */
export async function loadBundledTasks(): Promise<Record<TaskLambda, TaskHandler>> {
  const tasks = {} as Record<TaskLambda, TaskHandler>;
  for (const task of ['regionTask', 'clusterTask', 'edgeTask', 'dnsTask'] as const) {
    const handler = await loadBundledLambda(task);
    tasks[task] = (input) => handler(input, lambdaContext(task));
  }
  return tasks;
}

/** What the Lambda runtime reports for an invocation: the result, or the error's type and message. */
export type InvocationOutcome = { ok: true; result: unknown } | { ok: false; errorType: string; errorMessage: string };

/**
 * Invokes a handler and reports its outcome as the Node.js Lambda runtime does: a thrown error
 * becomes `errorType` = its `name` (what Step Functions' Retry and Catch match) and `errorMessage`.
 */
export async function invokeAsLambda(
  handler: (event: unknown, context: unknown) => Promise<unknown>,
  event: unknown,
  context: unknown,
): Promise<InvocationOutcome> {
  try {
    return { ok: true, result: await handler(event, context) };
  } catch (error) {
    const e = error as { name?: unknown; message?: unknown };
    return { ok: false, errorType: String(e?.name ?? 'Error'), errorMessage: String(e?.message ?? error) };
  }
}
