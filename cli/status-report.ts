/**
 * `regionctl status`: what runs where and why, per approved region. Built from what the command
 * read (state table, executions, Route53, CloudWatch) into one JSON-ready object (`--json`), and
 * rendered as a table for people. Pure: no AWS calls.
 */
import { isExecutionFor } from '../functions/adapters/scaling-executions';
import type { DecisionRecord } from '../functions/adapters/state-store';
import { approvedRegions, regionList, thresholdsFor, type RegionList } from '../functions/domain/config';
import type { RegionStatus } from '../functions/domain/region-state';
import { formatDuration, type RegionSnapshot } from '../functions/domain/scaling-policy';
import type { AlarmStates, DemandReading } from './aws-reads';
import type { Deployment } from './discovery';
import { describePause } from './pause-until';
import { renderTable } from './table';

export interface RegionStatusReport {
  region: string;
  list: RegionList;
  state: RegionStatus;
  since: string;
  activeSince: string | null;
  /** Whether the region's latency record exists; null when Route53 could not be read. */
  dnsRecord: boolean | null;
  /** Latest datapoint of the demand metric, against the region's thresholds (elastic regions only). */
  demand: { users: number | null; at: string | null; scaleUpAbove: number | null; scaleDownBelow: number | null };
  /** Scaling alarm states (null: alarm missing or unreadable); null for always-on regions, which have none. */
  alarms: { scaleUp: string | null; scaleDown: string | null } | null;
  pausedUntil: string | null;
  holdUntil: string | null;
  locked: boolean;
  runningExecution: string | null;
  lastDecision: DecisionRecord | null;
  lastFailureCause: string | null;
}

export interface StatusReport {
  prefix: string;
  homeRegion: string;
  stackName: string;
  dashboardName: string | null;
  generatedAt: string;
  regions: Record<string, RegionStatusReport>;
  /** Sources that could not be read (e.g. no permission); the rest of the report stands. */
  unavailable: string[];
}

export interface StatusInputs {
  deployment: Deployment;
  snapshots: RegionSnapshot[];
  runningExecutions: string[];
  lastDecisions: Map<string, DecisionRecord>;
  /** Undefined when the source could not be read (listed in `unavailable`). */
  dnsRecords?: Set<string>;
  demand?: Map<string, DemandReading>;
  alarms?: Map<string, AlarmStates>;
  unavailable: string[];
  now: Date;
}

export function buildStatusReport(inputs: StatusInputs): StatusReport {
  const { deployment, now } = inputs;
  const { config } = deployment;
  const regions: Record<string, RegionStatusReport> = {};
  for (const region of approvedRegions(config)) {
    const snapshot = inputs.snapshots.find((s) => s.region === region);
    const list = regionList(config, region)!;
    const thresholds = thresholdsFor(config, region);
    const reading = inputs.demand?.get(region);
    const alarms = inputs.alarms?.get(region);
    regions[region] = {
      region,
      list,
      state: snapshot?.status ?? 'INACTIVE',
      since: snapshot?.since ?? now.toISOString(),
      activeSince: snapshot?.activeSince ?? null,
      dnsRecord: inputs.dnsRecords ? inputs.dnsRecords.has(region) : null,
      demand: {
        users: reading?.users ?? null,
        at: reading?.at.toISOString() ?? null,
        scaleUpAbove: list === 'elastic' ? thresholds.scaleUp.users : null,
        scaleDownBelow: list === 'elastic' ? thresholds.scaleDown.users : null,
      },
      alarms: list === 'elastic' ? { scaleUp: alarms?.scaleUp ?? null, scaleDown: alarms?.scaleDown ?? null } : null,
      pausedUntil: activeOrNull(snapshot?.pausedUntil, now),
      holdUntil: activeOrNull(snapshot?.holdUntil, now),
      locked: snapshot?.locked ?? false,
      runningExecution: inputs.runningExecutions.find((name) => isExecutionFor(name, region)) ?? null,
      lastDecision: inputs.lastDecisions.get(region) ?? null,
      lastFailureCause: snapshot?.status === 'FAILED' ? (snapshot.lastFailureCause ?? null) : null,
    };
  }
  return {
    prefix: config.prefix,
    homeRegion: deployment.homeRegion,
    stackName: deployment.stackName,
    dashboardName: deployment.dashboardName ?? null,
    generatedAt: now.toISOString(),
    regions,
    unavailable: inputs.unavailable,
  };
}

/** A pause or hold that has expired no longer matters to anyone. */
function activeOrNull(iso: string | undefined, now: Date): string | null {
  return iso && new Date(iso).getTime() > now.getTime() ? iso : null;
}

export function renderStatusReport(report: StatusReport): string[] {
  const now = new Date(report.generatedAt);
  const rows = Object.values(report.regions).map((r) => [
    r.region,
    r.list,
    r.locked && !r.runningExecution ? `${r.state} (locked)` : r.state,
    ago(r.since, now),
    r.dnsRecord === null ? '?' : r.dnsRecord ? 'yes' : 'no',
    demandCell(r),
    r.alarms ? `up ${r.alarms.scaleUp ?? '?'} / down ${r.alarms.scaleDown ?? '?'}` : '-',
    pauseHoldCell(r),
    r.runningExecution ?? '-',
  ]);
  const lines = [
    `Autoscaler "${report.prefix}" (stack ${report.stackName} in ${report.homeRegion}) at ${report.generatedAt}`,
    '',
    ...renderTable(
      ['REGION', 'LIST', 'STATE', 'SINCE', 'DNS', 'DEMAND (users)', 'ALARMS', 'PAUSE/HOLD', 'EXECUTION'],
      rows,
    ),
    '',
    'Last decisions:',
  ];
  for (const r of Object.values(report.regions)) {
    const d = r.lastDecision;
    lines.push(
      d
        ? `  ${r.region.padEnd(15)} ${shortTime(d.at)}  ${d.direction} ${d.outcome} (${d.source}): ${d.reason}`
        : `  ${r.region.padEnd(15)} none recorded`,
    );
    if (r.lastFailureCause) lines.push(`  ${''.padEnd(15)} last failure: ${r.lastFailureCause}`);
  }
  if (report.unavailable.length) {
    lines.push('', 'Not shown (? above), could not be read:', ...report.unavailable.map((u) => `  ${u}`));
  }
  if (report.dashboardName) lines.push('', `Dashboard: ${report.dashboardName} (CloudWatch, ${report.homeRegion})`);
  return lines;
}

function demandCell(r: RegionStatusReport): string {
  const users = r.demand.users === null ? 'no data' : String(Math.round(r.demand.users));
  if (r.demand.scaleUpAbove === null) return users;
  return `${users} (up >${r.demand.scaleUpAbove}, down <${r.demand.scaleDownBelow})`;
}

function pauseHoldCell(r: RegionStatusReport): string {
  const parts = [
    r.pausedUntil && `paused ${describePause(r.pausedUntil)}`,
    r.holdUntil && `held until ${shortTime(r.holdUntil)}`,
  ].filter(Boolean);
  return parts.length ? parts.join('; ') : '-';
}

/** `2026-11-21T10:05:00.000Z` -> `2026-11-21 10:05Z`. */
export function shortTime(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')}Z`;
}

function ago(iso: string, now: Date): string {
  const seconds = Math.floor((now.getTime() - new Date(iso).getTime()) / 1000);
  if (seconds < 0) return 'in the future';
  return seconds >= 2 * 86_400 ? `${Math.floor(seconds / 86_400)} days ago` : `${formatDuration(seconds)} ago`;
}
