/**
 * Where the CDK app reads the configuration from: the `autoscaler` context key of cdk.json,
 * or a JSON file named by `-c autoscalerConfig=PATH`; and the files the configuration names
 * (`edge.manifestsPath`), read at synth and shipped in the Lambdas' bundles. Validation itself
 * lives in functions/domain.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseConfig, type AutoscalerConfig } from '../functions/domain/config';
import { parseEdgeManifests, type KubernetesManifest } from '../functions/domain/edge-manifests';
import type { BundledFiles } from './lambda-bundling';

export const CONFIG_CONTEXT_KEY = 'autoscaler';
export const CONFIG_PATH_CONTEXT_KEY = 'autoscalerConfig';

interface ContextReader {
  tryGetContext(key: string): unknown;
}

/** `at`: also check what cannot be deployed on that date (see ConfigCheckOptions). */
export function readConfigFile(path: string, at?: Date): AutoscalerConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(resolve(path), 'utf8'));
  } catch (error) {
    throw new Error(
      `Cannot read the autoscaler configuration file ${path}: ${(error as Error).message}. Fix: pass a readable JSON file.`,
      { cause: error },
    );
  }
  return parseConfig(raw, path, { at });
}

/** How messages name the configuration in cdk.json. */
export const CDK_JSON_CONFIG_SOURCE = `cdk.json context "${CONFIG_CONTEXT_KEY}"`;

/**
 * The raw `autoscaler` context of `<dir>/cdk.json` (undefined when it has none), for the tools
 * that run in the project folder. Throws the file's own problem when it cannot be read or parsed.
 */
export function readCdkJsonContext(dir = '.'): unknown {
  const cdkJson = JSON.parse(readFileSync(resolve(dir, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context?.[CONFIG_CONTEXT_KEY];
}

/** The configuration of `<dir>/cdk.json`, validated (ConfigError naming every problem). */
export function loadCdkJsonConfig(dir = '.'): AutoscalerConfig {
  return parseConfig(readCdkJsonContext(dir), CDK_JSON_CONFIG_SOURCE);
}

/**
 * The configuration the app deploys: validated also against the date of the synth (a Kubernetes
 * version past EKS's extended support cannot be deployed).
 */
export function loadConfig(context: ContextReader, now: Date = new Date()): AutoscalerConfig {
  const path = context.tryGetContext(CONFIG_PATH_CONTEXT_KEY);
  if (typeof path === 'string' && path.length > 0) return readConfigFile(path, now);
  const raw = context.tryGetContext(CONFIG_CONTEXT_KEY);
  if (raw === undefined) {
    throw new Error(
      `No autoscaler configuration: add the "${CONFIG_CONTEXT_KEY}" object to the context of cdk.json or pass -c ${CONFIG_PATH_CONTEXT_KEY}=PATH.`,
    );
  }
  return parseConfig(raw, CDK_JSON_CONFIG_SOURCE, { at: now });
}

/**
 * What `cdk synth` cannot build a deployment from, beyond the configuration's own fields (those
 * are a ConfigError): a file the configuration names, a limit of what AWS can carry. Its message
 * names the file or limit, the problem and the fix; the CDK app prints it alone.
 */
export class DeploymentInputError extends Error {
  override readonly name = 'DeploymentInputError';
}

/**
 * The custom edge manifests of `edge.manifestsPath` (relative to the directory `cdk` runs in),
 * validated: a DeploymentInputError naming the file and the problem otherwise.
 */
export function readEdgeManifestsFile(path: string): KubernetesManifest[] {
  const named = `${path} (edge.manifestsPath)`;
  const what = `the edge manifests file ${named}`;
  const fix =
    'fix: point edge.manifestsPath at a JSON array of Kubernetes objects, relative to the directory cdk runs in';
  let text: string;
  try {
    text = readFileSync(resolve(path), 'utf8');
  } catch (error) {
    throw new DeploymentInputError(`Cannot read ${what}: ${(error as Error).message}; ${fix}`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new DeploymentInputError(`${capitalized(what)} is not JSON: ${(error as Error).message}; ${fix}`, {
      cause: error,
    });
  }
  try {
    return parseEdgeManifests(raw, named);
  } catch (error) {
    throw new DeploymentInputError((error as Error).message, { cause: error });
  }
}

/**
 * What the Lambdas that render the edge workload (the edge task, and the reconciler, which
 * fingerprints it) carry in their bundles: the built edge agent, and the custom manifests when the
 * configuration names them.
 */
export function edgeWorkloadFiles(config: AutoscalerConfig): Omit<BundledFiles, 'config'> {
  const path = config.edge.manifestsPath;
  return { edgeAgent: true, ...(path ? { edgeManifests: readEdgeManifestsFile(path) } : {}) };
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
