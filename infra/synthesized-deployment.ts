/**
 * The deployment as `cdk synth` writes it: synthesizes the app for a configuration into a cloud
 * assembly (bundling every Lambda exactly as a deploy does) and reads back, from the control
 * stack's template and asset manifest, each Lambda's bundle and each state machine's definition
 * with its substitutions. The workflow end-to-end tests and the local sandbox run these, not the
 * TypeScript sources, so a property of what deploys (an error name a minifier mangled, a
 * definition's timeout, a task wired to the wrong Lambda) shows up where it would in AWS.
 */
import { App } from 'aws-cdk-lib';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AutoscalerConfig } from '../functions/domain/config';
import { controlStackName } from '../functions/domain/naming';
import { TASK_SUBSTITUTIONS, type TaskLambda, type WorkflowName } from '../workflows/definitions';
import type { WorkflowDefinition } from '../workflows/run-locally';
import { buildAutoscalerStacks } from './autoscaler-stacks';

/** The Lambdas of the control stack, by the handler file each is named after (`<prefix>-<handler>`). */
export const DEPLOYED_LAMBDAS = {
  regionTask: 'region-task',
  clusterTask: 'cluster-task',
  edgeTask: 'edge-task',
  dnsTask: 'dns-task',
  decide: 'decision-handler',
  reconcile: 'reconcile-handler',
  /** The collector of the edge agents' counts (traffic always, ActiveUsers with demand.source edge-counters). */
  collect: 'collect-handler',
  purge: 'purge-handler',
} as const;

export type DeployedLambda = keyof typeof DEPLOYED_LAMBDAS;

export interface BundledLambda {
  functionName: string;
  /** The bundle's entry file in the cloud assembly, and the export the function's Handler names. */
  file: string;
  exportName: string;
  /** The environment variable names the template gives the function. */
  environmentKeys: string[];
}

export interface SynthesizedDeployment {
  outdir: string;
  lambdas: Record<DeployedLambda, BundledLambda>;
  definitions: Record<WorkflowName, WorkflowDefinition>;
}

const STATE_MACHINE_SUFFIX: Record<WorkflowName, string> = {
  scaleUp: 'scale-up',
  scaleDown: 'scale-down',
  edgeRollout: 'edge-rollout',
  clusterUpgrade: 'cluster-upgrade',
};

/** Synthesizes the app for `config` into `outdir`, bundling the control stack's Lambdas, and reads it back. */
export function synthesizeDeployment(config: AutoscalerConfig, outdir: string): SynthesizedDeployment {
  const app = new App({
    outdir,
    // Only the control stack has Lambdas to bundle.
    context: { 'aws:cdk:bundling-stacks': [controlStackName(config.prefix)] },
  });
  buildAutoscalerStacks(app, config);
  app.synth();
  return readSynthesizedDeployment(outdir, config.prefix);
}

interface TemplateResource {
  Type: string;
  Properties: Record<string, unknown>;
}

/** Reads the Lambdas and the state machine definitions of `<prefix>-control` from a cloud assembly. */
export function readSynthesizedDeployment(outdir: string, prefix: string): SynthesizedDeployment {
  const stack = controlStackName(prefix);
  const template = readJson(join(outdir, `${stack}.template.json`)) as { Resources: Record<string, TemplateResource> };
  const assets = readJson(join(outdir, `${stack}.assets.json`)) as {
    files: Record<string, { source: { path: string } }>;
  };
  const resources = Object.entries(template.Resources);

  const lambdaByLogicalId = new Map<string, DeployedLambda>();
  const lambdas = {} as Record<DeployedLambda, BundledLambda>;
  for (const [logicalId, resource] of resources) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const functionName = String(resource.Properties.FunctionName);
    const lambda = (Object.keys(DEPLOYED_LAMBDAS) as DeployedLambda[]).find(
      (l) => functionName === `${prefix}-${DEPLOYED_LAMBDAS[l]}`,
    );
    if (!lambda) continue;
    const code = resource.Properties.Code as { S3Key?: string };
    const hash = code.S3Key?.replace(/\.zip$/, '') ?? '';
    const asset = assets.files[hash];
    if (!asset) throw new Error(`${functionName}: no asset ${code.S3Key} in ${stack}.assets.json`);
    const [fileName, exportName] = String(resource.Properties.Handler).split('.');
    const file = join(outdir, asset.source.path, `${fileName}.mjs`);
    if (!existsSync(file)) throw new Error(`${functionName}: the bundle ${file} is missing (was the stack bundled?)`);
    const environment = (resource.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables;
    lambdas[lambda] = {
      functionName,
      file,
      exportName: exportName ?? 'handler',
      environmentKeys: Object.keys(environment ?? {}).sort(),
    };
    lambdaByLogicalId.set(logicalId, lambda);
  }
  const missing = (Object.keys(DEPLOYED_LAMBDAS) as DeployedLambda[]).filter((l) => !lambdas[l]);
  if (missing.length) throw new Error(`${stack} deploys no function for ${missing.join(', ')}`);

  const definitions = {} as Record<WorkflowName, WorkflowDefinition>;
  for (const [, resource] of resources) {
    if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const name = String(resource.Properties.StateMachineName);
    const workflow = (Object.keys(STATE_MACHINE_SUFFIX) as WorkflowName[]).find(
      (w) => name === `${prefix}-${STATE_MACHINE_SUFFIX[w]}`,
    );
    if (!workflow) continue;
    checkTaskWiring(name, resource.Properties.DefinitionSubstitutions, lambdaByLogicalId);
    definitions[workflow] = { workflow, text: String(resource.Properties.DefinitionString) };
  }
  for (const workflow of Object.keys(STATE_MACHINE_SUFFIX) as WorkflowName[]) {
    if (!definitions[workflow]) throw new Error(`${stack} deploys no ${STATE_MACHINE_SUFFIX[workflow]} state machine`);
  }
  return { outdir, lambdas, definitions };
}

/** Each `${Placeholder}` of a deployed definition must be the ARN of the task Lambda it is named after. */
function checkTaskWiring(
  stateMachine: string,
  substitutions: unknown,
  lambdaByLogicalId: Map<string, DeployedLambda>,
): void {
  const given = (substitutions ?? {}) as Record<string, { 'Fn::GetAtt'?: [string, string] }>;
  for (const [task, placeholder] of Object.entries(TASK_SUBSTITUTIONS) as [TaskLambda, string][]) {
    const [logicalId, attribute] = given[placeholder]?.['Fn::GetAtt'] ?? [];
    const wired = logicalId ? lambdaByLogicalId.get(logicalId) : undefined;
    if (wired !== task || attribute !== 'Arn') {
      throw new Error(
        `${stateMachine}: \${${placeholder}} is ${JSON.stringify(given[placeholder])}, not the ARN of the ${task} Lambda`,
      );
    }
  }
}

let loads = 0;

/**
 * Loads a bundle's handler in this process, as a new Lambda environment would: from a fresh copy
 * of the file, so that its module state (cached configuration, SDK clients) starts empty and
 * reads the environment as it is now. The copy sits beside the original, so that the files the
 * handler reads from its bundle (the configuration, the edge agent, the geolocation databases) are
 * found.
 */
export async function loadBundledHandler<H = (event: unknown, context: unknown) => Promise<unknown>>(
  lambda: BundledLambda,
): Promise<H> {
  const copy = join(dirname(lambda.file), `.loaded-${process.pid}-${++loads}.mjs`);
  copyFileSync(lambda.file, copy);
  const module = (await import(pathToFileURL(copy).href)) as Record<string, unknown>;
  const handler = module[lambda.exportName];
  if (typeof handler !== 'function') throw new Error(`${lambda.functionName}: ${copy} exports no ${lambda.exportName}`);
  return handler as H;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}
