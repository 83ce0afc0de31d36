/**
 * One run of the collector: for every serving region, read the period's report from the edge
 * agent of each of its edge pods (demand and traffic), then
 * - traffic, whatever demand.source is: merge the pods' traffic per region and publish the
 *   region's CacheHitRate, RequestsPerSecond, ResponseTimeP50 and ResponseTimeP95
 *   (functions/domain/edge-traffic.ts; Region = the region whose edge served);
 * - demand, with demand.source edge-counters: add the counts up per client prefix, attribute
 *   each prefix to the approved region nearest to its users, and publish ActiveUsers for every
 *   approved region (0 where no edge saw any of its users).
 * Every datapoint is stamped with the period's start.
 *
 * Missing is never zero: an edge that does not answer, or answers something malformed, adds
 * nothing for that period and is logged with its region and the reason; a period no edge
 * answered publishes no ActiveUsers at all (the alarms see missing data, which never scales a
 * region down). A region's demand counts only when every pod of its edge answered; its traffic
 * is published from the pods that answered (see regionTrafficFigures).
 */
import { PutMetricDataCommand, type CloudWatchClient, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { EKSClient } from '@aws-sdk/client-eks';
import { describeEdgeCluster, type EdgeCluster } from '../adapters/eks-cluster';
import { listServingEdgePods, readCounterPeriod, type EdgePod } from '../adapters/edge-counters';
import { approvedRegions, type AutoscalerConfig } from '../domain/config';
import { attributeDemand, attributionRules, type GeoLocation } from '../domain/demand-attribution';
import { demandCounterPeriodSeconds, periodsToCollect, publishableDemand } from '../domain/demand-collection';
import {
  COLLECTOR_METRICS,
  DEMAND_DIMENSION,
  DEMAND_METRIC_NAME,
  DEMAND_NAMESPACE,
  defaultStorageResolution,
  MAX_DATUMS_PER_CALL,
} from '../domain/demand-metric';
import { COUNTER_GRACE_SECONDS, type CounterPeriodReport } from '../domain/edge-agent-contract';
import {
  regionTrafficFigures,
  TRAFFIC_METRIC_UNITS,
  TRAFFIC_METRICS,
  type TrafficFigure,
  type TrafficFigures,
} from '../domain/edge-traffic';
import { clusterName } from '../domain/naming';
import type { RegionState } from '../domain/region-state';
import type { KubernetesClient } from '../kubernetes/kubernetes-client';
import { checkCounterReport } from './counter-reports';

export interface CollectorLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface CollectorDeps {
  config: AutoscalerConfig;
  regionStates: (regions: string[]) => Promise<RegionState[]>;
  eks: (region: string) => EKSClient;
  kubernetes: (cluster: EdgeCluster, region: string) => Promise<KubernetesClient>;
  /** Where the users of a prefix are (the geolocation database). */
  locate: (prefix: string) => GeoLocation | undefined;
  cloudWatch: CloudWatchClient;
  /**
   * Clusters described in earlier runs of a warm Lambda, by region and the time its state became
   * what it is: a region that went down and came up again has a new state time, so a re-created
   * cluster (new endpoint) is never read from here.
   */
  clusterCache?: Map<string, EdgeCluster>;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  log: CollectorLog;
}

/** What one serving region's edge gave for one period: answered means every pod of it did. */
export type EdgeReading =
  | { region: string; answered: true; pods: number; servedUsers: number; overflowRequests: number }
  | { region: string; answered: false; reason: string };

/** One serving region's traffic for one period, from the pods that reported it. */
export interface EdgeTraffic {
  region: string;
  pods: number;
  podsAnswered: number;
  /** What is published (a figure that cannot be told is absent). */
  figures: TrafficFigures;
}

export interface PeriodCollection {
  start: string;
  edges: EdgeReading[];
  /** Every serving region some pod of which reported the period. */
  traffic: EdgeTraffic[];
  /**
   * Published ActiveUsers by approved region (every one when every serving edge answered, see
   * publishableDemand otherwise); undefined when no edge answered (nothing published) or when
   * demand.source is external (the user publishes it).
   */
  activeUsers?: Record<string, number>;
  unattributedUsers?: number;
}

/** Regions whose edge serves users: ACTIVE, and DRAINING (users keep arriving until resolvers forget the record). */
const COUNTED_STATUSES = new Set(['ACTIVE', 'DRAINING']);

export async function collectDemand(scheduledAt: Date, deps: CollectorDeps): Promise<PeriodCollection[]> {
  const { config } = deps;
  const periodSeconds = demandCounterPeriodSeconds(config);
  const periods = periodsToCollect(config, scheduledAt);
  const lastEndMs = periods[periods.length - 1]!.getTime() + periodSeconds * 1000;
  // The counters report a period only once its grace has passed: a run that starts early waits.
  const readyInMs = lastEndMs + COUNTER_GRACE_SECONDS * 1000 - deps.now().getTime();
  if (readyInMs > 0) await deps.sleep(readyInMs);

  const states = await deps.regionStates(approvedRegions(config));
  const serving = states.filter((s) => COUNTED_STATUSES.has(s.status));
  const readings = await Promise.all(serving.map((state) => readRegion(state, periods, periodSeconds, deps)));

  const countsDemand = config.demand.source === 'edge-counters';
  const rules = attributionRules(config);
  const collections: PeriodCollection[] = periods.map((start, i) => {
    const ofPeriod = readings.map((r) => r[i]!);
    const edges = ofPeriod.map((r) => r.reading);
    const traffic = ofPeriod.flatMap((r) => (r.traffic ? [r.traffic] : []));
    for (const reading of edges) {
      if (!reading.answered) {
        deps.log.warn(`No report from the edge of ${reading.region} for ${start.toISOString()}: ${reading.reason}`, {
          region: reading.region,
          period: start.toISOString(),
          reason: reading.reason,
        });
      }
    }
    const answered = ofPeriod.filter((r) => r.reading.answered);
    if (!countsDemand || answered.length === 0) return { start: start.toISOString(), edges, traffic };
    const attributed = attributeDemand(prefixCounts(answered.map((a) => a.prefixes)), deps.locate, rules);
    const publishable = publishableDemand(config, attributed.usersByRegion, answered.length === edges.length);
    for (const { region, reason } of publishable.withheld) {
      deps.log.warn(`ActiveUsers of ${region} for ${start.toISOString()} left missing: ${reason}`, {
        region,
        period: start.toISOString(),
      });
    }
    return {
      start: start.toISOString(),
      edges,
      traffic,
      activeUsers: publishable.users,
      unattributedUsers: attributed.unattributedUsers,
    };
  });

  const publishedAt = deps.now();
  await publish(deps, collections, periodSeconds, publishedAt);
  for (const c of collections) {
    const traffic = Object.fromEntries(c.traffic.map((t) => [t.region, t.figures]));
    if (c.activeUsers) deps.log.info(`Demand of ${c.start} published`, { period: c.start, ...c.activeUsers });
    else if (countsDemand)
      deps.log.warn(`No edge answered for ${c.start}: no ActiveUsers published (missing data)`, { period: c.start });
    deps.log.info(`Traffic of ${c.start} published`, { period: c.start, traffic });
  }
  return collections;
}

interface RegionPeriod {
  reading: EdgeReading;
  prefixes: Array<Record<string, number>>;
  traffic?: EdgeTraffic;
}

/**
 * One region's readings, one per period. Any failure makes that period's reading a silent one with
 * its reason; the traffic of the pods that did answer is kept.
 */
async function readRegion(
  state: RegionState,
  periods: Date[],
  periodSeconds: number,
  deps: CollectorDeps,
): Promise<RegionPeriod[]> {
  const { region } = state;
  const silent = (reason: string): RegionPeriod[] =>
    periods.map(() => ({ reading: { region, answered: false, reason }, prefixes: [] }));
  const { config } = deps;
  const cacheKey = `${region}|${state.since}`;
  let kube: KubernetesClient;
  let pods: EdgePod[];
  try {
    const cluster =
      deps.clusterCache?.get(cacheKey) ??
      (await describeEdgeCluster(deps.eks(region), clusterName(config.prefix, region)));
    if (!cluster) return silent('its cluster does not exist');
    if (cluster.status !== 'ACTIVE' && cluster.status !== 'UPDATING') return silent(`its cluster is ${cluster.status}`);
    deps.clusterCache?.set(cacheKey, cluster);
    kube = await deps.kubernetes(cluster, region);
    pods = await listServingEdgePods(kube, config.edge.namespace);
  } catch (error) {
    deps.clusterCache?.delete(cacheKey);
    return silent(`its cluster's API did not answer: ${(error as Error).message}`);
  }
  if (pods.length === 0) return silent('no edge pod is running and ready');

  return Promise.all(
    periods.map(async (start): Promise<RegionPeriod> => {
      const answers = await Promise.all(
        pods.map((pod) => readPodReport(kube, config.edge.namespace, pod, start, periodSeconds)),
      );
      const reports = answers.flatMap((a) => (a.ok ? [a.report] : []));
      const failures = answers.flatMap((a, j) => (a.ok ? [] : [`the agent of pod ${pods[j]!.name} ${a.reason}`]));
      const { figures } = regionTrafficFigures(
        config,
        reports.map((r) => r.traffic),
        failures.length === 0,
        periodSeconds,
      );
      const traffic = reports.length ? { region, pods: pods.length, podsAnswered: reports.length, figures } : undefined;
      // One pod short would read as fewer users: the region's demand counts whole or not at all.
      if (failures.length) {
        const more = failures.length > 1 ? ` (and ${failures.length - 1} more pods)` : '';
        return { reading: { region, answered: false, reason: `${failures[0]}${more}` }, prefixes: [], traffic };
      }
      return {
        reading: {
          region,
          answered: true,
          pods: pods.length,
          servedUsers: reports.reduce((sum, r) => sum + r.trackedClients, 0),
          overflowRequests: reports.reduce((sum, r) => sum + r.overflowRequests, 0),
        },
        prefixes: reports.map((r) => r.prefixes),
        traffic,
      };
    }),
  );
}

type PodReport = { ok: true; report: CounterPeriodReport } | { ok: false; reason: string };

async function readPodReport(
  kube: KubernetesClient,
  namespace: string,
  pod: EdgePod,
  start: Date,
  periodSeconds: number,
): Promise<PodReport> {
  try {
    const answer = await readCounterPeriod(kube, namespace, pod, start);
    if (answer.statusCode !== 200)
      return { ok: false, reason: `answered HTTP ${answer.statusCode}${absenceReason(answer.body)}` };
    const check = checkCounterReport(answer.body, start, periodSeconds);
    return check.ok ? check : { ok: false, reason: check.reason };
  } catch (error) {
    return { ok: false, reason: `did not answer: ${(error as Error).message}` };
  }
}

function absenceReason(body: unknown): string {
  if (body && typeof body === 'object' && 'reason' in body && typeof body.reason === 'string') {
    return `: ${body.reason.slice(0, 200)}`;
  }
  return '';
}

/**
 * Every pod's prefix counts, one after the other: a prefix counted by two pods is attributed
 * twice, to the same region, so the sums are those of the merged counts without building them.
 */
function* prefixCounts(reports: Array<Array<Record<string, number>>>): Generator<[string, number]> {
  for (const edge of reports) {
    for (const pod of edge) {
      for (const prefix in pod) yield [prefix, pod[prefix]!];
    }
  }
}

type Unit = 'Count' | 'Seconds' | (typeof TRAFFIC_METRIC_UNITS)[TrafficFigure];

async function publish(
  deps: CollectorDeps,
  collections: PeriodCollection[],
  periodSeconds: number,
  publishedAt: Date,
): Promise<void> {
  const resolution = defaultStorageResolution(deps.config);
  const datum = (metric: string, value: number, at: Date, region?: string, unit: Unit = 'Count'): MetricDatum => ({
    MetricName: metric,
    Dimensions: region ? [{ Name: DEMAND_DIMENSION, Value: region }] : [],
    Timestamp: at,
    Value: value,
    Unit: unit,
    StorageResolution: resolution,
  });
  const data: MetricDatum[] = [];
  for (const c of collections) {
    const at = new Date(c.start);
    const answered = c.edges.filter((e) => e.answered);
    data.push(datum(COLLECTOR_METRICS.edgesAnswered, answered.length, at));
    data.push(datum(COLLECTOR_METRICS.edgesSilent, c.edges.length - answered.length, at));
    for (const { region, figures } of c.traffic) {
      for (const figure of Object.keys(TRAFFIC_METRICS) as TrafficFigure[]) {
        const value = figures[figure];
        if (value !== undefined)
          data.push(datum(TRAFFIC_METRICS[figure], value, at, region, TRAFFIC_METRIC_UNITS[figure]));
      }
    }
    const endMs = at.getTime() + periodSeconds * 1000;
    data.push(datum(COLLECTOR_METRICS.collectionLag, (publishedAt.getTime() - endMs) / 1000, at, undefined, 'Seconds'));
    if (!c.activeUsers) continue;
    for (const [region, users] of Object.entries(c.activeUsers))
      data.push(datum(DEMAND_METRIC_NAME, users, at, region));
    data.push(datum(COLLECTOR_METRICS.unattributedUsers, c.unattributedUsers ?? 0, at));
    for (const edge of answered) {
      if (!edge.answered) continue;
      data.push(datum(COLLECTOR_METRICS.servedUsers, edge.servedUsers, at, edge.region));
      data.push(datum(COLLECTOR_METRICS.overflowRequests, edge.overflowRequests, at, edge.region));
    }
  }
  for (let i = 0; i < data.length; i += MAX_DATUMS_PER_CALL) {
    await deps.cloudWatch.send(
      new PutMetricDataCommand({ Namespace: DEMAND_NAMESPACE, MetricData: data.slice(i, i + MAX_DATUMS_PER_CALL) }),
    );
  }
}
