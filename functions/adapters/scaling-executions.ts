/**
 * The scale-up and scale-down workflow executions, seen from the decision Lambda and the
 * reconciler: which run for which region, starting one idempotently, and an execution's status.
 * Execution names follow executionName() in functions/domain/naming.ts: `<up|down>-<region>-<trigger>`.
 */
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { WorkflowInputRaw } from '../domain/workflow-input';
import { isAwsError } from './aws-errors';

export interface ScalingStateMachines {
  up: string;
  down: string;
}

export interface RunningExecution {
  name: string;
  executionArn: string;
  stateMachineArn: string;
}

/** True when the execution name belongs to `region` (either direction). */
export function isExecutionFor(name: string, region: string): boolean {
  return name.startsWith(`up-${region}-`) || name.startsWith(`down-${region}-`);
}

/** The ARN an execution of that name has: `...:stateMachine:<sm>` -> `...:execution:<sm>:<name>`. */
export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** Every RUNNING execution of both workflows. */
export async function listRunningExecutions(
  sfn: SFNClient,
  machines: ScalingStateMachines,
): Promise<RunningExecution[]> {
  const running: RunningExecution[] = [];
  for (const stateMachineArn of [machines.up, machines.down]) {
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 100, nextToken }),
      );
      for (const e of page.executions ?? []) {
        if (e.name && e.executionArn) running.push({ name: e.name, executionArn: e.executionArn, stateMachineArn });
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return running;
}

export interface StartedExecution {
  executionArn: string;
  /** True when an execution of that name existed already (a duplicate delivery of the same trigger). */
  alreadyStarted: boolean;
}

/**
 * Starts the execution `name`. The same name is the same trigger: StartExecution answers a
 * running one with its ARN, and a finished one with ExecutionAlreadyExists; both mean that
 * this trigger has been acted on already, so nothing new starts.
 */
export async function startScalingExecution(
  sfn: SFNClient,
  stateMachineArn: string,
  name: string,
  input: WorkflowInputRaw,
): Promise<StartedExecution> {
  return startNamedExecution(sfn, stateMachineArn, name, input);
}

/** StartExecution under a deterministic name: a name already used is reported, never started twice. */
export async function startNamedExecution(
  sfn: SFNClient,
  stateMachineArn: string,
  name: string,
  input: unknown,
): Promise<StartedExecution> {
  const expectedArn = executionArnFor(stateMachineArn, name);
  try {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
    );
    return { executionArn: executionArn ?? expectedArn, alreadyStarted: false };
  } catch (error) {
    if (isAwsError(error, 'ExecutionAlreadyExists')) return { executionArn: expectedArn, alreadyStarted: true };
    throw error;
  }
}

/** The status of an execution (RUNNING, SUCCEEDED, FAILED, ...), or MISSING when it does not exist. */
export async function executionStatus(sfn: SFNClient, executionArn: string): Promise<string> {
  try {
    const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return status ?? 'MISSING';
  } catch (error) {
    if (isAwsError(error, 'ExecutionDoesNotExist', 'InvalidArn')) return 'MISSING';
    throw error;
  }
}

/** The error and cause of the region's most recent failed executions of a workflow, newest first. */
export async function recentFailureCauses(
  sfn: SFNClient,
  stateMachineArn: string,
  region: string,
  limit: number,
): Promise<string[]> {
  const { executions = [] } = await sfn.send(
    new ListExecutionsCommand({ stateMachineArn, statusFilter: 'FAILED', maxResults: 100 }),
  );
  const mine = executions
    .filter((e) => e.name && e.executionArn && isExecutionFor(e.name, region))
    .sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0))
    .slice(0, limit);
  const causes: string[] = [];
  for (const execution of mine) {
    const { error, cause } = await sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
    causes.push(`${execution.name}: ${error ?? 'failed'}${cause ? `: ${cause}` : ''}`);
  }
  return causes;
}
