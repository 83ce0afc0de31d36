/** Runs a real workflow definition locally against a VirtualAwsWorld, advancing its clock on every Wait. */
import type { WorkflowName } from '../../workflows/definitions';
import { runWorkflowLocally, type LocalRunResult, type WorkflowDefinition } from '../../workflows/run-locally';
import type { VirtualAwsWorld } from './virtual-aws-world';

let counter = 0;

/** `workflow`: a definition file of workflows/, or a definition's text (e.g. an earlier version of it). */
export function runInVirtualWorld(
  world: VirtualAwsWorld,
  workflow: WorkflowName | WorkflowDefinition,
  input: unknown,
  executionName = `${typeof workflow === 'string' ? workflow : workflow.workflow}-${++counter}`,
): Promise<LocalRunResult> {
  return runWorkflowLocally(workflow, input, {
    tasks: world.handlers(),
    executionName,
    onWait: (seconds) => world.advance(seconds),
  });
}
