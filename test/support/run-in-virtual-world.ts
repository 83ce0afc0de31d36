/** Runs a real workflow definition locally against a VirtualAwsWorld, advancing its clock on every Wait. */
import type { WorkflowName } from '../../workflows/definitions';
import { runWorkflowLocally, type LocalRunResult } from '../../workflows/run-locally';
import type { VirtualAwsWorld } from './virtual-aws-world';

let counter = 0;

export function runInVirtualWorld(
  world: VirtualAwsWorld,
  workflow: WorkflowName,
  input: unknown,
  executionName = `${workflow}-${++counter}`,
): Promise<LocalRunResult> {
  return runWorkflowLocally(workflow, input, {
    tasks: world.handlers(),
    executionName,
    onWait: (seconds) => world.advance(seconds),
  });
}
