/**
 * `regionctl purge <path> [--edge-region R] [--json]`: refreshes a path (every query and cookie
 * variant of it), or with a trailing `*` every path under a prefix, in the edge cache of every
 * serving region, or of one. regionctl invokes the purge Lambda of the control plane
 * synchronously; the Lambda reaches each edge pod's agent through its cluster's Kubernetes API
 * (never a public endpoint) and answers what each region and pod purged. A pod that was not
 * purged makes the exit code 1; purging again is always safe.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  describePurgeTarget,
  parsePurgeTarget,
  PURGE_REPORT_SCHEMA,
  type PurgeReport,
  type RegionPurgeResult,
} from '../../functions/domain/cache-purge';
import { ERROR_NAMES } from '../../functions/domain/errors';
import { CONTROL_OUTPUTS } from '../../functions/domain/naming';
import { CliError } from '../cli-error';
import { reportingFailures, type CommandEnv } from '../command-env';
import { discoverDeployment, requireApprovedRegion } from '../discovery';
import { EXIT, type ExitCode } from '../exit-codes';
import { renderTable } from '../table';

export interface PurgeOptions {
  /** Purge only this approved region's edge. */
  edgeRegion?: string;
  json?: boolean;
}

/** What a synchronous invocation gives: the function's result, or the error it ended with. */
export type InvocationOutcome = { ok: true; result: unknown } | { ok: false; errorType: string; errorMessage: string };

export interface FunctionInvoker {
  /** Invokes `functionName` with `payload` and waits for its answer (RequestResponse). */
  invoke(functionName: string, payload: unknown): Promise<InvocationOutcome>;
}

/** Lambda Invoke, RequestResponse. */
export function lambdaInvoker(lambda: LambdaClient): FunctionInvoker {
  return {
    async invoke(functionName, payload) {
      const response = await lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      );
      const text = response.Payload ? new TextDecoder().decode(response.Payload) : '';
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      if (!response.FunctionError) return { ok: true, result: body };
      const { errorType, errorMessage } = (body && typeof body === 'object' ? body : {}) as {
        errorType?: unknown;
        errorMessage?: unknown;
      };
      return {
        ok: false,
        errorType: typeof errorType === 'string' ? errorType : response.FunctionError,
        errorMessage: typeof errorMessage === 'string' ? errorMessage : text,
      };
    },
  };
}

export function purgeCache(
  env: CommandEnv,
  target: string,
  options: PurgeOptions = {},
  invoker: FunctionInvoker = lambdaInvoker(env.clients.lambda),
): Promise<ExitCode> {
  return reportingFailures(env.out, async () => {
    const request = parsePurgeTarget(target);
    const deployment = await discoverDeployment(env.clients, env.target);
    if (options.edgeRegion) requireApprovedRegion(deployment.config, options.edgeRegion);
    const functionName = deployment.purgeFunctionName;
    if (!functionName) {
      throw new CliError(
        `Stack ${deployment.stackName} has no output ${CONTROL_OUTPUTS.purgeFunctionName}: it was deployed by a version without purge; fix: redeploy it ("npx cdk deploy ${deployment.stackName}")`,
        EXIT.environment,
      );
    }
    const payload = { ...request, ...(options.edgeRegion ? { regions: [options.edgeRegion] } : {}) };
    let outcome: InvocationOutcome;
    try {
      outcome = await invoker.invoke(functionName, payload);
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      throw new CliError(
        `The purge Lambda ${functionName}, named by stack ${deployment.stackName}, does not exist in ${deployment.homeRegion}; fix: redeploy the stack ("npx cdk deploy ${deployment.stackName}")`,
        EXIT.environment,
      );
    }
    if (!outcome.ok) {
      throw new CliError(
        `The purge Lambda ${functionName} failed: ${outcome.errorType}: ${outcome.errorMessage}`,
        outcome.errorType === ERROR_NAMES.invalidRequest ? EXIT.usage : EXIT.failed,
      );
    }
    const report = outcome.result as PurgeReport;
    if (report?.schema !== PURGE_REPORT_SCHEMA || !Array.isArray(report.regions)) {
      throw new CliError(
        `The purge Lambda ${functionName} answered something that is not a purge report (schema ${PURGE_REPORT_SCHEMA}): is it from another version of regionctl?`,
        EXIT.failed,
      );
    }
    if (options.json) env.out.line(JSON.stringify(report, null, 2));
    else renderPurgeReport(report).forEach((line) => env.out.line(line));
    return report.complete ? EXIT.ok : EXIT.failed;
  });
}

/** A headline, one row per pod (or per region that had none to ask), and what to do when a pod was not purged. */
export function renderPurgeReport(report: PurgeReport): string[] {
  const target = report.prefix
    ? describePurgeTarget(report)
    : `${describePurgeTarget(report)} (every query and cookie variant)`;
  const asked = report.regions.filter((r) => r.outcome !== 'not-serving');
  const purged = asked.filter((r) => r.outcome === 'purged');
  const entries = asked.reduce((sum, r) => sum + r.purgedEntries, 0);
  const pods = asked.reduce((sum, r) => sum + r.podsPurged, 0);
  const removed = `${plural(entries, 'cache entry', 'cache entries')} removed from ${plural(pods, 'pod', 'pods')}`;
  const lines: string[] = [];
  if (asked.length === 0) lines.push(`Nothing purged: no region to purge serves users.`);
  else if (report.complete) {
    lines.push(`Purged ${target} in ${plural(asked.length, 'region', 'regions')}: ${removed}.`);
  } else {
    lines.push(
      `Purge of ${target} incomplete: ${purged.length} of ${plural(asked.length, 'region', 'regions')} purged whole; ${removed}.`,
    );
  }
  lines.push(
    ...renderTable(
      ['REGION', 'POD', 'PURGED', 'SCANNED', 'RESULT'],
      report.regions.flatMap((region) => regionRows(region)),
    ),
  );
  if (!report.complete) {
    lines.push(
      'Not every pod was purged: what they cache may be stale. Fix what the failures say, then run the same purge again (it is safe to repeat).',
    );
  }
  return lines;
}

function regionRows(region: RegionPurgeResult): string[][] {
  if (region.pods.length === 0) {
    const result = region.outcome === 'not-serving' ? region.reason : `failed: ${region.reason}`;
    return [[region.region, '-', '-', '-', result ?? region.outcome]];
  }
  return region.pods.map((pod) =>
    pod.purged
      ? [region.region, pod.pod, String(pod.purgedEntries), String(pod.scannedEntries), 'purged']
      : [region.region, pod.pod, '-', '-', `failed: ${pod.reason}`],
  );
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
