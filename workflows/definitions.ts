/**
 * The workflow definition files: one per workflow, deployed by CDK (the text inline in the
 * template, with the task Lambdas' ARNs as definition substitutions) and executed by the tests
 * and the local sandbox. One source of truth.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const WORKFLOWS = {
  scaleUp: fileURLToPath(new URL('./scale-up.asl.json', import.meta.url)),
  scaleDown: fileURLToPath(new URL('./scale-down.asl.json', import.meta.url)),
  edgeRollout: fileURLToPath(new URL('./edge-rollout.asl.json', import.meta.url)),
  clusterUpgrade: fileURLToPath(new URL('./cluster-upgrade.asl.json', import.meta.url)),
} as const;

export type WorkflowName = keyof typeof WORKFLOWS;
/** The workflows that change a region's status (their input is workflow-input.ts's). */
export type ScalingWorkflowName = 'scaleUp' | 'scaleDown';
/** The workflows that maintain serving regions (their input is region-maintenance.ts's). */
export type MaintenanceWorkflowName = Exclude<WorkflowName, ScalingWorkflowName>;

/** The placeholders each definition uses for its task Lambdas (`${...}` in Resource fields). */
export const TASK_SUBSTITUTIONS = {
  regionTask: 'RegionTaskFunctionArn',
  clusterTask: 'ClusterTaskFunctionArn',
  edgeTask: 'EdgeTaskFunctionArn',
  dnsTask: 'DnsTaskFunctionArn',
} as const;

export type TaskLambda = keyof typeof TASK_SUBSTITUTIONS;

export function readDefinitionText(workflow: WorkflowName): string {
  return readFileSync(WORKFLOWS[workflow], 'utf8');
}

/** The definition file with each `${Placeholder}` replaced, as CloudFormation would at deploy time. */
export function substitutedDefinition(
  workflow: WorkflowName,
  arns: Record<TaskLambda, string>,
): Record<string, unknown> {
  return substituteTaskArns(readDefinitionText(workflow), arns);
}

/** A definition text with each task's `${Placeholder}` replaced by its ARN, parsed. */
export function substituteTaskArns(text: string, arns: Record<TaskLambda, string>): Record<string, unknown> {
  let substituted = text;
  for (const [task, placeholder] of Object.entries(TASK_SUBSTITUTIONS)) {
    substituted = substituted.replaceAll(`\${${placeholder}}`, arns[task as TaskLambda]);
  }
  return JSON.parse(substituted);
}
