/**
 * Each scale-up's lead time, as the sandbox observed it: from the start of its workflow to the
 * region serving (its latency record in sync: the execution's end), split into the emulated AWS
 * time (what the emulated cloud held the region's resources transitional meanwhile: the cluster
 * CREATING, the nodes joining, the load balancer provisioning, the DNS change PENDING; see
 * emulated-lead-times.ts) and the control plane's own overhead: the rest (its polls finding a
 * resource ready later than it became ready, its steps). A scale-up is cold when it created the
 * cluster, warm when it only brought a kept cluster's nodes back (WARM -> ACTIVE).
 */
import type { ExecutionOutcome } from './executor-bridge';
import type { EmulatedLeadTimes, HoldKind } from './emulated-lead-times';
import type { TimelineEvent } from './timeline';

/** cold: created the cluster; warm: scaled a kept cluster's nodes out; adopted: found everything there. */
export type LeadTimeTier = 'cold' | 'warm' | 'adopted';

export interface ScaleUpLeadTime {
  region: string;
  executionName: string;
  tier: LeadTimeTier;
  /** Epoch ms (simulated): the workflow's start and its end, the region serving. */
  startedAt: number;
  servingAt: number;
  leadSeconds: number;
  /** The emulated AWS time within the lead time, and per resource. */
  awsSeconds: number;
  aws: Partial<Record<HoldKind, number>>;
  /** leadSeconds - awsSeconds. */
  overheadSeconds: number;
}

export type LeadTimeEvent = Extract<TimelineEvent, { kind: 'lead-time' }>;

const TIERS: LeadTimeTier[] = ['cold', 'warm', 'adopted'];

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The lead time of a scale-up execution that succeeded; undefined for any other execution. */
export function scaleUpLeadTime(outcome: ExecutionOutcome, layer: EmulatedLeadTimes): ScaleUpLeadTime | undefined {
  if (outcome.direction !== 'up' || outcome.status !== 'SUCCEEDED') return undefined;
  const held = layer.heldWithin(outcome.region, outcome.startedAt, outcome.finishedAt);
  const tier: LeadTimeTier = held.began.has('cluster') ? 'cold' : held.began.has('nodes') ? 'warm' : 'adopted';
  const leadSeconds = (outcome.finishedAt - outcome.startedAt) / 1000;
  return {
    region: outcome.region,
    executionName: outcome.executionName,
    tier,
    startedAt: outcome.startedAt,
    servingAt: outcome.finishedAt,
    leadSeconds,
    awsSeconds: held.seconds,
    aws: held.byKind,
    overheadSeconds: leadSeconds - held.seconds,
  };
}

export function leadTimeEvent(leadTime: ScaleUpLeadTime): LeadTimeEvent {
  return { kind: 'lead-time', at: leadTime.servingAt, region: leadTime.region, leadTime };
}

/** The lead times a run's timeline recorded, in order. */
export function leadTimesOf(events: TimelineEvent[]): ScaleUpLeadTime[] {
  return events.filter((e): e is LeadTimeEvent => e.kind === 'lead-time').map((e) => e.leadTime);
}

const minutes = (seconds: number) => `${round(seconds / 60)} min`;

/** `cluster 11 min, nodegroup 2.5 min, ...`: the emulated AWS time per resource. */
export function describeAwsTime(aws: ScaleUpLeadTime['aws']): string {
  const parts = Object.entries(aws).filter(([, seconds]) => seconds > 0);
  return parts.length ? parts.map(([kind, seconds]) => `${kind} ${minutes(seconds)}`).join(', ') : 'nothing';
}

/** The timeline's line: `cold scale-up serving after 16.6 min: ...`. */
export function describeLeadTime(leadTime: ScaleUpLeadTime): string {
  return (
    `${leadTime.tier} scale-up serving after ${minutes(leadTime.leadSeconds)}: ` +
    `AWS held it ${minutes(leadTime.awsSeconds)} (${describeAwsTime(leadTime.aws)}), ` +
    `the control plane's own overhead ${Math.round(leadTime.overheadSeconds)} s`
  );
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface TierSummary {
  tier: LeadTimeTier;
  count: number;
  medianLeadSeconds: number;
  medianAwsSeconds: number;
  medianOverheadSeconds: number;
  maxOverheadSeconds: number;
}

/** Per tier that occurred: the median lead time, AWS time and overhead. */
export function summarizeLeadTimes(leadTimes: ScaleUpLeadTime[]): TierSummary[] {
  return TIERS.flatMap((tier) => {
    const of = leadTimes.filter((l) => l.tier === tier);
    if (of.length === 0) return [];
    return [
      {
        tier,
        count: of.length,
        medianLeadSeconds: median(of.map((l) => l.leadSeconds)),
        medianAwsSeconds: median(of.map((l) => l.awsSeconds)),
        medianOverheadSeconds: median(of.map((l) => l.overheadSeconds)),
        maxOverheadSeconds: Math.max(...of.map((l) => l.overheadSeconds)),
      },
    ];
  });
}

/** The end-of-run summary's lines (none when no scale-up succeeded). */
export function formatLeadTimeSummary(leadTimes: ScaleUpLeadTime[], timingsName: string): string[] {
  const tiers = summarizeLeadTimes(leadTimes);
  if (tiers.length === 0) return [];
  return [
    `Scale-up lead times (workflow start to serving; AWS = the emulated cloud's ${timingsName} timings):`,
    ...tiers.map(
      (t) =>
        `  ${t.tier.padEnd(8)} ${String(t.count).padStart(2)} x  median ${minutes(t.medianLeadSeconds)}, ` +
        `AWS ${minutes(t.medianAwsSeconds)}, control plane ${Math.round(t.medianOverheadSeconds)} s ` +
        `(at most ${Math.round(t.maxOverheadSeconds)} s)`,
    ),
  ];
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/** The report's section: the tiers' medians, then every scale-up. */
export function leadTimesHtml(leadTimes: ScaleUpLeadTime[], timingsName: string): string {
  const tiers = summarizeLeadTimes(leadTimes);
  if (tiers.length === 0) return '';
  const tierRows = tiers
    .map(
      (t) =>
        `<tr><th>${t.tier}</th><td>${t.count}</td><td>${minutes(t.medianLeadSeconds)}</td><td>${minutes(t.medianAwsSeconds)}</td>` +
        `<td>${Math.round(t.medianOverheadSeconds)} s</td><td>${Math.round(t.maxOverheadSeconds)} s</td></tr>`,
    )
    .join('\n');
  const rows = leadTimes
    .map(
      (l) =>
        `<tr><td>${clock(l.startedAt)}</td><td>${escapeHtml(l.region)}</td><td>${l.tier}</td><td>${minutes(l.leadSeconds)}</td>` +
        `<td>${minutes(l.awsSeconds)}</td><td>${escapeHtml(describeAwsTime(l.aws))}</td><td>${Math.round(l.overheadSeconds)} s</td></tr>`,
    )
    .join('\n');
  return `<h2>Scale-up lead times</h2>
<p>From the start of each scale-up's workflow to the region serving (its latency record in sync). AWS time: what the emulated
cloud held the region's resources transitional meanwhile (${escapeHtml(timingsName)} timings); the control plane's own overhead is the rest.
Cold: the scale-up created the cluster; warm: it brought a kept cluster's nodes back.</p>
<table><tr><th></th><th>scale-ups</th><th>median lead time</th><th>median AWS time</th><th>median overhead</th><th>largest overhead</th></tr>
${tierRows}
</table>
<table class="events"><tr><th>started</th><th>region</th><th>tier</th><th>lead time</th><th>AWS time</th><th>of which</th><th>overhead</th></tr>
${rows}
</table>
`;
}
