/**
 * The simulator's HTML report, filled with what the sandbox observed: when each region's latency
 * record was in the zone (serving), from each scale-up's start to its scale-down's end (cluster
 * time), the decisions and the workflows' ends, each scale-up's lead time (cold and warm, and the
 * control plane's own overhead in it), and (--rollout-at) each region's edge configuration before
 * and after the deploy. The baselines (every region on, the oracle) come
 * from the simulator run on the same trace: they are a model, and the report says so.
 */
import { regionList, approvedRegions, type AutoscalerConfig } from '../functions/domain/config';
import { renderHtmlReport } from '../simulator/report';
import {
  simulate,
  type Interval,
  type RegionResult,
  type SimulationEvent,
  type SimulationRun,
} from '../simulator/simulate';
import { formatIsoUtc, type DemandTrace } from '../simulator/trace';
import { namedProfile, type NamedTimings } from './aws-timings';
import { formatEdgeRollout, type EdgeRolloutObservation } from './edge-deploy';
import { leadTimesHtml, leadTimesOf } from './lead-times';
import type { TimelineEvent } from './timeline';

const round = (value: number) => Math.round(value * 100) / 100;

/** Open intervals [from, Infinity) are closed at `endMs`; each is clipped to the trace. */
function closed(intervals: Interval[], startMs: number, endMs: number): Interval[] {
  return intervals
    .map(([from, to]): Interval => [Math.max(from, startMs), Math.min(to, endMs)])
    .filter(([from, to]) => to > from);
}

/** Serving (latency record present) and cluster (scale-up start to scale-down end) intervals per region. */
export function observedIntervals(
  events: TimelineEvent[],
  regions: string[],
): { serving: Map<string, Interval[]>; cluster: Map<string, Interval[]> } {
  const serving = new Map<string, Interval[]>(regions.map((r) => [r, []]));
  const cluster = new Map<string, Interval[]>(regions.map((r) => [r, []]));
  const open = (map: Map<string, Interval[]>, region: string, at: number) => {
    const list = map.get(region);
    if (list && list[list.length - 1]?.[1] !== Infinity) list.push([at, Infinity]);
  };
  const close = (map: Map<string, Interval[]>, region: string, at: number) => {
    const last = map.get(region)?.at(-1);
    if (last && last[1] === Infinity) last[1] = at;
  };
  for (const e of events) {
    if (e.kind === 'dns' && e.change === 'added') open(serving, e.region, e.at);
    if (e.kind === 'dns' && e.change === 'removed') close(serving, e.region, e.at);
    if (e.kind === 'decision' && e.outcome === 'started' && e.direction === 'up') open(cluster, e.region, e.at);
    // A scale-down that finished deleted the cluster; a failed scale-up rolled back what it created.
    const scaling = e.kind === 'execution' && (e.direction === 'up' || e.direction === 'down');
    if (scaling && (e.direction === 'down') === (e.status === 'SUCCEEDED')) close(cluster, e.region, e.at);
  }
  return { serving, cluster };
}

function reportEvents(events: TimelineEvent[]): SimulationEvent[] {
  const out: SimulationEvent[] = [];
  const lastRejection = new Map<string, string>();
  for (const e of events) {
    const at = formatIsoUtc(e.at);
    if (e.kind === 'decision' && e.outcome === 'started' && e.direction) {
      lastRejection.delete(e.region);
      out.push({ at, region: e.region, action: `scale-${e.direction}-start`, reason: e.detail });
    } else if (e.kind === 'decision' && e.outcome === 'rejected') {
      // As the simulator does: a rejection repeated for the same rule is listed once until the region changes.
      const key = `${e.direction ?? ''}|${e.rule ?? ''}`;
      if (lastRejection.get(e.region) === key) continue;
      lastRejection.set(e.region, key);
      out.push({ at, region: e.region, action: 'rejected', reason: `${e.direction ?? ''} (${e.source}): ${e.detail}` });
    } else if (e.kind === 'execution' && e.status === 'SUCCEEDED' && (e.direction === 'up' || e.direction === 'down')) {
      lastRejection.delete(e.region);
      out.push({
        at,
        region: e.region,
        action: `scale-${e.direction}-done`,
        reason: `workflow ${e.executionName} succeeded ${e.detail}`,
      });
    }
  }
  return out;
}

/** The report's input: the observed run, with the simulator's baselines for the same trace. */
export function observedRun(config: AutoscalerConfig, trace: DemandTrace, events: TimelineEvent[]): SimulationRun {
  const model = simulate(config, trace);
  const regions = approvedRegions(config);
  const stepMs = trace.stepSeconds * 1000;
  const endMs = trace.startMs + trace.periods * stepMs;
  const intervals = observedIntervals(events, regions);
  const serving = new Map(regions.map((r) => [r, closed(intervals.serving.get(r)!, trace.startMs, endMs)]));
  const cluster = new Map(regions.map((r) => [r, closed(intervals.cluster.get(r)!, trace.startMs, endMs)]));
  const within = (list: Interval[], ms: number) => list.some(([from, to]) => ms >= from && ms < to);

  // Per trace step, as the simulator accounts: a region serves during a step when its record is in at the step's start.
  const perRegion: Record<string, RegionResult> = {};
  let users = 0;
  let far = 0;
  let clusterHours = 0;
  for (const region of regions) {
    let servingSteps = 0;
    let clusterSteps = 0;
    const values = trace.users.get(region);
    for (let p = 0; p < trace.periods; p++) {
      const at = trace.startMs + p * stepMs;
      const serves = within(serving.get(region)!, at);
      if (serves) servingSteps++;
      if (within(cluster.get(region)!, at)) clusterSteps++;
      const u = values?.[p];
      if (u !== undefined && !Number.isNaN(u)) {
        users += u;
        if (!serves) far += u;
      }
    }
    const hours = (clusterSteps * trace.stepSeconds) / 3600;
    clusterHours += hours;
    perRegion[region] = {
      list: regionList(config, region)!,
      servingMinutes: round((servingSteps * trace.stepSeconds) / 60),
      clusterHours: round(hours),
      costUsd: round(hours * model.price.usdPerHour),
    };
  }
  for (const region of model.unapprovedRegions) {
    for (const u of trace.users.get(region) ?? []) {
      if (!Number.isNaN(u)) {
        users += u;
        far += u;
      }
    }
  }
  const reported = reportEvents(events);
  return {
    ...model,
    report: {
      events: reported,
      regions: perRegion,
      totals: {
        clusterHours: round(clusterHours),
        costUsd: round(clusterHours * model.price.usdPerHour),
        userMinutes: round((users * trace.stepSeconds) / 60),
        farUserMinutes: round((far * trace.stepSeconds) / 60),
        scaleEvents: reported.filter((e) => e.action === 'scale-up-start' || e.action === 'scale-down-start').length,
      },
      baselines: model.report.baselines,
    },
    serving,
  };
}

function sandboxNote(timings: NamedTimings): string {
  const how =
    timings.timings.clusterCreateSeconds > 0
      ? `The emulated cloud held each resource in its transitional state for AWS&#39;s time (${escapeText(timings.name)} timings: ` +
        `an EKS cluster ${Math.round(timings.timings.clusterCreateSeconds / 60)} min to create, a load balancer ` +
        `${Math.round(timings.timings.loadBalancerCreateSeconds / 60)} min, ...), so lead times have AWS&#39;s shape.`
      : `The emulated cloud created every resource at once (${escapeText(timings.name)} timings), so provisioning is faster than in AWS.`;
  return (
    '<p><strong>Sandbox run.</strong> The "simulated" row, the green bands and the events are what the sandbox observed: ' +
    'the real decision Lambda, reconciler, workflow definitions and task handlers against the moto emulator ' +
    '(serving = the region&#39;s latency record was in the zone; cluster time = from the start of a scale-up to the end of its scale-down). ' +
    `${how} The "all regions on" and "oracle" rows and the grey bands come from the simulator&#39;s model on the same trace.</p>`
  );
}

/**
 * The HTML report of a sandbox run, with each scale-up's lead time; with --rollout-at, each
 * region's edge configuration before and after. `timings`: the emulated cloud's (default fast).
 */
export function renderSandboxReport(
  config: AutoscalerConfig,
  trace: DemandTrace,
  events: TimelineEvent[],
  rollout?: EdgeRolloutObservation,
  timings: NamedTimings = namedProfile('fast'),
): string {
  const html = renderHtmlReport(observedRun(config, trace, events)).replace(
    '<body>',
    `<body>\n${sandboxNote(timings)}`,
  );
  const sections = [leadTimesHtml(leadTimesOf(events), timings.name)];
  if (rollout) {
    const [heading, ...rows] = formatEdgeRollout(rollout);
    sections.push(
      `<h2>${escapeText(heading!.trim())}</h2>\n<pre>${rows.map((r) => escapeText(r.slice(2))).join('\n')}</pre>\n`,
    );
  }
  return html.replace('<h2>Events', `${sections.join('')}<h2>Events`);
}

const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
