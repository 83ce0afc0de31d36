/**
 * The maintenance workflows' executions (edge rollout, cluster upgrade), seen from the reconciler
 * and regionctl: which run, and starting one under a deterministic name
 * (maintenanceExecutionName in functions/domain/naming.ts).
 */
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { MaintenanceInputRaw } from '../domain/region-maintenance';
import type { MaintenanceKind } from '../domain/region-state';
import { startNamedExecution, type RunningExecution, type StartedExecution } from './scaling-executions';

/** The ARN of each maintenance workflow the deployment has. */
export type MaintenanceStateMachines = Partial<Record<MaintenanceKind, string>>;

export interface RunningMaintenance extends RunningExecution {
  kind: MaintenanceKind;
}

/** Every RUNNING execution of the maintenance workflows. */
export async function listRunningMaintenance(
  sfn: SFNClient,
  machines: MaintenanceStateMachines,
): Promise<RunningMaintenance[]> {
  const running: RunningMaintenance[] = [];
  for (const [kind, stateMachineArn] of Object.entries(machines) as [MaintenanceKind, string | undefined][]) {
    if (!stateMachineArn) continue;
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 100, nextToken }),
      );
      for (const e of page.executions ?? []) {
        if (e.name && e.executionArn)
          running.push({ kind, name: e.name, executionArn: e.executionArn, stateMachineArn });
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return running;
}

/**
 * Starts the execution `name`; as for the scaling workflows, the same name is the same trigger:
 * a running execution of that name is returned, a finished one (ExecutionAlreadyExists) too,
 * marked alreadyStarted, and nothing new starts.
 */
export async function startMaintenanceExecution(
  sfn: SFNClient,
  stateMachineArn: string,
  name: string,
  input: MaintenanceInputRaw,
): Promise<StartedExecution> {
  return startNamedExecution(sfn, stateMachineArn, name, input);
}
