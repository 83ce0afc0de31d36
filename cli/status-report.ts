/**
 * `regionctl status`: what runs where and why, per approved region. Built from what the command
 * read (state table, executions, Route53, CloudWatch) into one JSON-ready object (`--json`), and
 * rendered as a table for people. Pure: no AWS calls.
 */
import type { DeploymentTargets } from '../functions/adapters/deployment-targets';
import { isExecutionFor } from '../functions/adapters/scaling-executions';
import type { DecisionRecord } from '../functions/adapters/state-store';
import { approvedRegions, regionList, thresholdsFor, type RegionList } from '../functions/domain/config';
import {
  calendarEntry,
  CONTROL_PLANE_USD_PER_HOUR,
  daysUntilEndOfStandardSupport,
  formatCalendarDay,
  supportEndWarning,
  supportStatus,
  type SupportStatus,
} from '../functions/domain/kubernetes-versions';
import { shortConfigurationHash } from '../functions/domain/edge-configuration';
import type { MaintenanceRecord, RegionStatus } from '../functions/domain/region-state';
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
  /** The Kubernetes version the region runs and its EKS support; null when none is known (no cluster). */
  kubernetes: KubernetesVersionReport | null;
  edge: EdgeConfigurationReport;
}

/** The edge configuration a region runs, against the one the deployment wants. */
export interface EdgeConfigurationReport {
  /** The hash of the manifests the region last applied; null when none is recorded. */
  configuration: string | null;
  /**
   * current: the desired one; pending rollout: another (or none recorded); rollout running; rollout
   * failed: the last rollout to the desired one failed (the reconciler leaves it to an operator);
   * unknown: no reconciler pass has recorded the desired one yet; not serving: not ACTIVE.
   */
  state: 'current' | 'pending rollout' | 'rollout running' | 'rollout failed' | 'unknown' | 'not serving';
  /** The region's last edge rollout, as its state records it. */
  lastRollout: MaintenanceRecord | null;
}

export interface KubernetesVersionReport {
  version: string;
  /** Read from the cluster (DescribeCluster), or, when it could not be read, the version the region state records. */
  source: 'cluster' | 'state';
  /** null: a version the release calendar does not know. */
  support: SupportStatus | null;
  endOfStandardSupport: string | null;
  /** Whole days until extended support begins (negative after). */
  daysUntilEndOfStandardSupport: number | null;
  controlPlaneUsdPerHour: number | null;
  /** Within 60 days of the end of standard support or past it: when, and what it costs. */
  warning: string | null;
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
  /** The edge configuration every ACTIVE region should run, as the reconciler's latest pass recorded it. */
  desiredEdge: { configuration: string; observedAt: string } | null;
  /** The edge rollout execution that runs, if any. */
  runningRollout: string | null;
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
  /** Each region's cluster version, as DescribeCluster reports it (regions without a cluster are absent). */
  clusterVersions?: Map<string, string>;
  /** Undefined before the reconciler's first pass with edge rollouts. */
  deploymentTargets?: DeploymentTargets;
  /** Names of the running edge rollout executions. */
  runningRollouts?: string[];
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
      // An INACTIVE region has no cluster: a version its state still records runs nowhere.
      kubernetes: kubernetesReport(
        inputs.clusterVersions?.get(region),
        snapshot && snapshot.status !== 'INACTIVE' ? snapshot.kubernetesVersion : undefined,
        now,
      ),
      edge: edgeReport(snapshot, inputs.deploymentTargets?.edgeConfiguration),
    };
  }
  const desired = inputs.deploymentTargets;
  return {
    prefix: config.prefix,
    homeRegion: deployment.homeRegion,
    stackName: deployment.stackName,
    dashboardName: deployment.dashboardName ?? null,
    generatedAt: now.toISOString(),
    regions,
    unavailable: inputs.unavailable,
    desiredEdge: desired ? { configuration: desired.edgeConfiguration, observedAt: desired.observedAt } : null,
    runningRollout: inputs.runningRollouts?.[0] ?? null,
  };
}

function edgeReport(snapshot: RegionSnapshot | undefined, desired: string | undefined): EdgeConfigurationReport {
  const configuration = snapshot?.edgeConfiguration ?? null;
  const lastRollout = snapshot?.maintenance?.edgeRollout ?? null;
  const state = ((): EdgeConfigurationReport['state'] => {
    if (snapshot?.status !== 'ACTIVE') return 'not serving';
    if (lastRollout?.status === 'RUNNING') return 'rollout running';
    if (desired === undefined) return 'unknown';
    if (configuration === desired) return 'current';
    return lastRollout?.status === 'FAILED' && lastRollout.target === desired ? 'rollout failed' : 'pending rollout';
  })();
  return { configuration, state, lastRollout };
}

function kubernetesReport(
  fromCluster: string | undefined,
  fromState: string | undefined,
  now: Date,
): KubernetesVersionReport | null {
  const version = fromCluster ?? fromState;
  if (version === undefined) return null;
  const entry = calendarEntry(version);
  const support = entry ? supportStatus(version, now) : null;
  return {
    version,
    source: fromCluster !== undefined ? 'cluster' : 'state',
    support,
    endOfStandardSupport: entry?.endOfStandardSupport ?? null,
    daysUntilEndOfStandardSupport: entry ? daysUntilEndOfStandardSupport(version, now) : null,
    controlPlaneUsdPerHour: support ? CONTROL_PLANE_USD_PER_HOUR[support] : null,
    warning: supportEndWarning(version, now) ?? null,
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
  lines.push(...kubernetesLines(report));
  lines.push(...edgeConfigurationLines(report));
  if (report.unavailable.length) {
    lines.push('', 'Not shown (? above), could not be read:', ...report.unavailable.map((u) => `  ${u}`));
  }
  if (report.dashboardName) lines.push('', `Dashboard: ${report.dashboardName} (CloudWatch, ${report.homeRegion})`);
  return lines;
}

/** Each region's Kubernetes version and support, and a warning near or past the end of standard support. */
function kubernetesLines(report: StatusReport): string[] {
  const regions = Object.values(report.regions).filter((r) => r.kubernetes);
  if (regions.length === 0) return [];
  const lines = ['', 'Kubernetes (EKS support, control plane price):'];
  for (const r of regions) {
    const k = r.kubernetes!;
    const support =
      k.support === null
        ? 'not in the release calendar'
        : k.support === 'standard'
          ? `standard support until ${formatCalendarDay(k.endOfStandardSupport!)}`
          : k.support === 'extended'
            ? 'extended support'
            : 'past extended support';
    const price = k.controlPlaneUsdPerHour === null ? '' : `, $${k.controlPlaneUsdPerHour.toFixed(2)}/h`;
    const source = k.source === 'state' ? ' (as the region state records it)' : '';
    lines.push(`  ${r.region.padEnd(15)} ${k.version}  ${support}${price}${source}`);
    if (k.warning) lines.push(`  ${''.padEnd(15)} warning: ${k.warning}`);
  }
  return lines;
}

/** Each serving region's edge configuration against the desired one, and its last rollout. */
function edgeConfigurationLines(report: StatusReport): string[] {
  const serving = Object.values(report.regions).filter((r) => r.edge.state !== 'not serving');
  if (serving.length === 0) return [];
  const desired = report.desiredEdge
    ? `desired ${shortConfigurationHash(report.desiredEdge.configuration)}, as the reconciler saw it at ${shortTime(report.desiredEdge.observedAt)}`
    : 'desired not known yet: no reconciler pass has recorded it';
  const lines = ['', `Edge configuration (${desired}):`];
  for (const r of serving) {
    const { configuration, state, lastRollout } = r.edge;
    const shown = state === 'rollout failed' ? `rollout FAILED: ${lastRollout?.cause ?? 'no cause recorded'}` : state;
    const last =
      lastRollout && state !== 'rollout failed'
        ? `  (last rollout ${lastRollout.status} ${shortTime(lastRollout.at)})`
        : '';
    const hash = configuration ? shortConfigurationHash(configuration) : 'unrecorded';
    lines.push(`  ${r.region.padEnd(15)} ${hash.padEnd(12)}  ${shown}${last}`);
  }
  if (report.runningRollout) lines.push(`  Edge rollout running: ${report.runningRollout}`);
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
