/**
 * `regionctl history <region>`: the region's recent decisions (state table) and workflow
 * executions (Step Functions) in one timeline, newest first, with their outcomes; an execution
 * that did not succeed shows its error and cause.
 */
import { StateStore, type DecisionRecord } from '../../functions/adapters/state-store';
import { formatDuration } from '../../functions/domain/scaling-policy';
import { executionFailure, listRegionExecutions, type ExecutionSummary } from '../aws-reads';
import { reportingFailures, type CommandEnv } from '../command-env';
import { discoverDeployment, requireApprovedRegion } from '../discovery';
import { readableCause } from '../execution-progress';
import { EXIT, type ExitCode } from '../exit-codes';
import { renderTable } from '../table';

export const DEFAULT_HISTORY_LIMIT = 20;

export interface ExecutionRecord extends ExecutionSummary {
  /** Error and cause of an execution that failed, timed out or was aborted. */
  failure?: { error?: string; cause?: string };
}

export function showHistory(env: CommandEnv, region: string, options: { limit?: number } = {}): Promise<ExitCode> {
  return reportingFailures(env.out, async () => {
    const limit = options.limit ?? DEFAULT_HISTORY_LIMIT;
    const deployment = await discoverDeployment(env.clients, env.target);
    requireApprovedRegion(deployment.config, region);
    const store = new StateStore(env.clients.dynamo, deployment.stateTableName);
    const [decisions, executions] = await Promise.all([
      store.listDecisions(region, limit),
      listRegionExecutions(env.clients.sfn, deployment, region, limit),
    ]);
    const records: ExecutionRecord[] = await Promise.all(
      executions.map(async (e) =>
        e.status === 'RUNNING' || e.status === 'SUCCEEDED'
          ? e
          : { ...e, failure: await executionFailure(env.clients.sfn, e.arn) },
      ),
    );
    const { out } = env;
    if (decisions.length === 0 && records.length === 0) {
      out.line(`No decisions or executions recorded for ${region}.`);
      return EXIT.ok;
    }
    out.line(`History of ${region} (newest first; up to ${limit} decisions and ${limit} executions):`);
    historyTable(decisions, records, env.now()).forEach((line) => out.line(line));
    return EXIT.ok;
  });
}

/** Decisions and executions in one table, newest first. */
export function historyTable(decisions: DecisionRecord[], executions: ExecutionRecord[], now: Date): string[] {
  const entries = [
    ...decisions.map((d) => ({ at: d.at, cells: ['decision', `${d.direction} by ${d.source}`, d.outcome, d.reason] })),
    ...executions.map((e) => ({
      at: e.startedAt.toISOString(),
      cells: ['execution', e.name, e.status, executionDetail(e, now)],
    })),
  ].sort((a, b) => b.at.localeCompare(a.at));
  return renderTable(
    ['TIME', 'KIND', 'WHAT', 'OUTCOME', 'DETAIL'],
    entries.map((e) => [`${e.at.slice(0, 19).replace('T', ' ')}Z`, ...e.cells]),
  );
}

function executionDetail(e: ExecutionRecord, now: Date): string {
  if (e.status === 'RUNNING') return `running for ${formatDuration(secondsBetween(e.startedAt, now))}`;
  if (e.status === 'SUCCEEDED')
    return `took ${formatDuration(secondsBetween(e.startedAt, e.stoppedAt ?? e.startedAt))}`;
  const { error, cause } = e.failure ?? {};
  const text = cause ? readableCause(cause) : undefined;
  // A Lambda's cause already starts with its error type.
  if (error && text?.startsWith(`${error}: `)) return text;
  return [error, text].filter(Boolean).join(': ') || '-';
}

const secondsBetween = (from: Date, to: Date) => Math.max(0, Math.floor((to.getTime() - from.getTime()) / 1000));
