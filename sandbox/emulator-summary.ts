/**
 * What the emulator holds at the end of a sandbox run, read back through the same APIs an
 * operator would use (EKS ListClusters per approved region, Route53, the state table), and the
 * counts of what happened on the way, for the closing summary and the tests.
 */
import { DescribeClusterCommand, EKSClient, ListClustersCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StateStore } from '../functions/adapters/state-store';
import { approvedRegions, regionList, type AutoscalerConfig } from '../functions/domain/config';
import { clusterName } from '../functions/domain/naming';
import type { RegionLock, RegionState } from '../functions/domain/region-state';
import type { RejectionRule } from '../functions/domain/scaling-policy';
import type { ExecutionOutcome } from './executor-bridge';
import { latencyRecordTargets } from '../functions/adapters/latency-records';
import { formatSimulatedTime, type TimelineEvent } from './timeline';

export interface EmulatedCluster {
  region: string;
  name: string;
  status: string;
  nodegroups: string[];
}

export interface EmulatorState {
  /** The state table's item of every approved region. */
  regions: RegionState[];
  /** Locks still held. */
  locks: RegionLock[];
  /** The autoscaler's EKS clusters, per approved region. */
  clusters: EmulatedCluster[];
  /** Latency records: SetIdentifier -> alias target. */
  records: Map<string, string>;
}

export interface RunCounts {
  scaleUps: number;
  scaleDowns: number;
  /** Requests a guardrail refused (maximum of elastic regions, cooldown, lock, ...). */
  rejections: number;
  rejectionsByRule: Map<string, number>;
  /** Requests for the state the region was already in (e.g. the reconciler re-asking a scale-down of an inactive region). */
  alreadyInState: number;
  dropped: number;
  executionsSucceeded: number;
  executionsFailed: number;
}

const ALREADY_IN_STATE: RejectionRule = 'already-in-state';

/** `endpoint`: the emulator's. */
export async function readEmulatorState(
  config: AutoscalerConfig,
  stateTableName: string,
  endpoint: string,
): Promise<EmulatorState> {
  const regions = approvedRegions(config);
  const dynamo = new DynamoDBClient({ region: config.homeRegion, endpoint, maxAttempts: 2 });
  const store = new StateStore(DynamoDBDocumentClient.from(dynamo), stateTableName);
  const states = await store.getRegionStates(regions);
  const locks = (await Promise.all(regions.map((r) => store.getLock(r)))).filter((l): l is RegionLock => !!l);
  const clusters: EmulatedCluster[] = [];
  for (const region of regions) {
    const eks = new EKSClient({ region, endpoint, maxAttempts: 2 });
    const name = clusterName(config.prefix, region);
    const { clusters: names = [] } = await eks.send(new ListClustersCommand({}));
    if (!names.includes(name)) continue;
    const { cluster } = await eks.send(new DescribeClusterCommand({ name }));
    const { nodegroups = [] } = await eks.send(new ListNodegroupsCommand({ clusterName: name }));
    clusters.push({ region, name, status: cluster?.status ?? 'UNKNOWN', nodegroups });
  }
  const records = await latencyRecordTargets(
    new Route53Client({ region: 'us-east-1', endpoint, maxAttempts: 2 }),
    config.dns.hostedZoneId,
    config.dns.recordName,
  );
  return { regions: states, locks, clusters, records };
}

export function runCounts(events: TimelineEvent[], outcomes: ExecutionOutcome[]): RunCounts {
  const decisions = events.filter((e): e is Extract<TimelineEvent, { kind: 'decision' }> => e.kind === 'decision');
  const started = (direction: 'up' | 'down') =>
    decisions.filter((d) => d.outcome === 'started' && d.direction === direction).length;
  const refused = decisions.filter((d) => d.outcome === 'rejected');
  const rejected = refused.filter((d) => d.rule !== ALREADY_IN_STATE);
  const rejectionsByRule = new Map<string, number>();
  for (const d of rejected) rejectionsByRule.set(d.rule ?? 'other', (rejectionsByRule.get(d.rule ?? 'other') ?? 0) + 1);
  return {
    scaleUps: started('up'),
    scaleDowns: started('down'),
    rejections: rejected.length,
    rejectionsByRule,
    alreadyInState: refused.length - rejected.length,
    dropped: decisions.filter((d) => d.outcome === 'dropped' || d.outcome === 'duplicate').length,
    executionsSucceeded: outcomes.filter((o) => o.status === 'SUCCEEDED').length,
    executionsFailed: outcomes.filter((o) => o.status === 'FAILED').length,
  };
}

export function formatEmulatorSummary(
  config: AutoscalerConfig,
  state: EmulatorState,
  counts: RunCounts,
  atMs: number,
): string[] {
  const lines = [`What the emulator holds at ${formatSimulatedTime(atMs)} (simulated):`, '  Regions (state table):'];
  for (const s of state.regions) {
    const since = s.status === 'ACTIVE' && s.activeSince ? s.activeSince : s.since;
    const when = s.lastTransitionAt ? `since ${formatSimulatedTime(Date.parse(since))}` : 'never scaled';
    const failure = s.status === 'FAILED' && s.lastFailureCause ? ` (${s.lastFailureCause})` : '';
    lines.push(
      `    ${s.region.padEnd(16)}${(regionList(config, s.region) ?? '').padEnd(11)}${s.status.padEnd(13)}${when}${failure}`,
    );
  }
  lines.push('  EKS clusters:');
  if (state.clusters.length === 0) lines.push('    none');
  for (const c of state.clusters) {
    lines.push(`    ${c.region.padEnd(16)}${c.name} ${c.status}, nodegroups: ${c.nodegroups.join(', ') || 'none'}`);
  }
  lines.push(`  Latency records ${config.dns.recordName} (SetIdentifier -> alias target):`);
  if (state.records.size === 0) lines.push('    none');
  for (const [region, target] of [...state.records].sort()) lines.push(`    ${region.padEnd(16)}${target}`);
  lines.push(`  Locks held: ${state.locks.map((l) => `${l.region} by ${l.owner}`).join(', ') || 'none'}`);
  const rules = [...counts.rejectionsByRule].sort((a, b) => b[1] - a[1]).map(([rule, n]) => `${rule} ${n}`);
  lines.push(
    '',
    `Scale-ups started: ${counts.scaleUps}, scale-downs started: ${counts.scaleDowns}, rejected by a guardrail: ${counts.rejections}${rules.length ? ` (${rules.join(', ')})` : ''}`,
    `Requests for the state a region was already in: ${counts.alreadyInState}; duplicate or stale events dropped: ${counts.dropped}`,
    `Workflow executions: ${counts.executionsSucceeded} succeeded, ${counts.executionsFailed} failed (run locally; moto lists each as ABORTED, because the sandbox stops it there once its local run ends)`,
  );
  return lines;
}
