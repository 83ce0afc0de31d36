/**
 * The files a Lambda reads from its own bundle, beside index.mjs, written there at synth by
 * infra/lambda-bundling.ts: the validated configuration (every Lambda), the built edge agent and
 * the operator's custom edge manifests (the edge task and the reconciler). Nothing is read from
 * a path of the machine that ran `cdk synth`, and nothing large travels in the environment
 * (Lambda allows 4 KB of it in all).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfig, type AutoscalerConfig } from '../domain/config';
import {
  EDGE_AGENT_FILE,
  EDGE_AGENT_SCRIPT_ENV,
  parseEdgeManifests,
  type KubernetesManifest,
} from '../domain/edge-manifests';
import { InvalidRequestError } from '../domain/errors';

/** The configuration as `cdk synth` validated it (JSON). */
export const BUNDLED_CONFIG_FILE = 'autoscaler-config.json';
/** The content of `edge.manifestsPath` as `cdk synth` validated it (JSON array of Kubernetes objects). */
export const BUNDLED_EDGE_MANIFESTS_FILE = 'edge-manifests.json';

/**
 * A configuration file to read instead of the bundled one, like AWS_CONFIG_FILE. The CDK app never
 * sets it: it is for the tests and the sandbox, which run the bundles built for one configuration
 * with another (the emulator's hosted zone, a test prefix).
 */
export const CONFIG_FILE_ENV = 'AUTOSCALER_CONFIG_FILE';

/** A file beside the running bundle (from source: beside this module, where none is). */
function besideBundle(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/** The configuration bundled with this Lambda, or the file CONFIG_FILE_ENV names; validated. */
export function readBundledConfig(env: NodeJS.ProcessEnv = process.env): AutoscalerConfig {
  const override = env[CONFIG_FILE_ENV];
  const file = override ?? besideBundle(BUNDLED_CONFIG_FILE);
  const source = override ? `${file} (named by ${CONFIG_FILE_ENV})` : `${file} (bundled at synth)`;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const fix = override
      ? `point ${CONFIG_FILE_ENV} at a JSON configuration file, or unset it to read the bundled one`
      : `deploy the Lambda with the CDK app, which writes ${BUNDLED_CONFIG_FILE} beside index.mjs`;
    throw new Error(`Cannot read the autoscaler configuration ${source}: ${(error as Error).message}; fix: ${fix}`, {
      cause: error,
    });
  }
  return parseConfig(raw, source);
}

let agentScript: string | undefined;

/**
 * The built edge agent the default edge ships in a ConfigMap. EDGE_AGENT_SCRIPT names another
 * build: the unit tests' hook for handlers run from source, which have no bundle.
 */
export function edgeAgentScript(): string {
  agentScript ??= readFileSync(process.env[EDGE_AGENT_SCRIPT_ENV] ?? besideBundle(EDGE_AGENT_FILE), 'utf8');
  return agentScript;
}

let customManifests: KubernetesManifest[] | undefined;

/**
 * The operator's edge manifests (`edge.manifestsPath`, read and validated at synth, bundled as
 * edge-manifests.json), or undefined when the configuration names none: the default edge.
 */
export function customEdgeManifests(config: AutoscalerConfig): KubernetesManifest[] | undefined {
  if (!config.edge.manifestsPath) return undefined;
  customManifests ??= readBundledManifests();
  return customManifests;
}

function readBundledManifests(): KubernetesManifest[] {
  const file = besideBundle(BUNDLED_EDGE_MANIFESTS_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InvalidRequestError(
      `The configuration names edge.manifestsPath, but this Lambda cannot read the manifests bundled for it (${file}): ${(error as Error).message}; ` +
        'fix: deploy with the CDK app for this configuration, which bundles the file at synth',
    );
  }
  return parseEdgeManifests(raw, `${file} (bundled from edge.manifestsPath)`);
}
