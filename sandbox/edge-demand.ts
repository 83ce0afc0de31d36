/**
 * The sandbox's demand when the edges count it (demand.source edge-counters): synthetic clients
 * reach the serving edges, whose agents count them, and the bundled collector Lambda publishes
 * the demand the alarms see, as in AWS.
 *
 * - Every edge the scale-up deploys (an edge Deployment applied to a cluster of the Kubernetes
 *   API double) gets a real edge agent (the script the edge task ships) on the simulated clock,
 *   with an empty cache directory of its own (no nginx runs), declared as the edge's pod, so the
 *   collector reaches it through the pod proxy.
 * - The users of each region of the trace are clients with addresses located near that region
 *   (from the shipped geolocation database), sent as nginx's log lines to the edge Route53's
 *   latency routing would send them to: the nearest region that has a record. Each request gets
 *   a cache status and a response time drawn from a seeded random (mostly fast hits, some slower
 *   misses), the same on every run.
 * - A period in which a region's trace has no figure (a publisher gap in the external mode)
 *   is played as the agent of the edge serving those users not answering.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PeriodCollection } from '../functions/collect/demand-collector';
import { openGeoDatabases, type GeoDatabase } from '../functions/adapters/geo-database';
import { approvedRegions, type AutoscalerConfig } from '../functions/domain/config';
import { greatCircleKm } from '../functions/domain/demand-attribution';
import { demandCounterPeriodSeconds } from '../functions/domain/demand-collection';
import { COUNTER_GRACE_SECONDS } from '../functions/domain/edge-agent-contract';
import { EDGE_APP_NAME } from '../functions/domain/edge-manifests';
import { clusterName } from '../functions/domain/naming';
import { seededRandom } from '../simulator/diurnal-trace';
import { REGION_LOCATIONS } from '../functions/domain/region-locations';
import { isAwsRegion } from '../functions/domain/aws-regions';
import type { RunningEdgeAgent, startEdgeAgent } from '../edge/edge-agent';
import { geoDatabaseFiles } from '../infra/demand-collection';
import type { KubernetesApiDouble } from './kubernetes-api-double';
import type { SimulatedClock } from './simulated-clock';
import type { Timeline } from './timeline';

/** Clients of a region come from /24 prefixes located within this distance of it. */
const NEARBY_KM = 500;
const PREFIXES_PER_REGION = 16;
/** Addresses .1 to .250 of each /24. */
const HOSTS_PER_PREFIX = 250;

/** What takes time to load, done before the simulated clock starts: the agent module and the client pools. */
export interface EdgeDemandSetup {
  startAgent: typeof startEdgeAgent;
  pools: Map<string, string[]>;
}

/** Loads the agent the synthesized edge task ships and picks each region's client prefixes. */
export async function prepareEdgeDemand(
  config: AutoscalerConfig,
  agentScript: string,
  regions: readonly string[],
): Promise<EdgeDemandSetup> {
  const module = (await import(pathToFileURL(agentScript).href)) as { startEdgeAgent: typeof startEdgeAgent };
  return {
    startAgent: module.startEdgeAgent,
    pools: clientPools(openGeoDatabases(geoDatabaseFiles(config)), regions),
  };
}

export interface EdgeDemandDeps {
  config: AutoscalerConfig;
  setup: EdgeDemandSetup;
  clock: SimulatedClock;
  kubernetes: KubernetesApiDouble;
  /** The bundled collector Lambda. */
  collect: (event: unknown) => Promise<{ periods: PeriodCollection[] }>;
  /** Regions whose latency record is in the zone (Route53 answers only with those). */
  servingRegions: () => ReadonlySet<string>;
  timeline: Timeline;
}

/** A running agent and the cache directory it was given. */
interface EdgeAgent {
  running: RunningEdgeAgent;
  cacheDir: string;
}

export class EdgeDemand {
  private readonly agents = new Map<string, EdgeAgent>();
  private readonly silent = new Set<string>();
  private readonly pools: Map<string, string[]>;
  private readonly random = seededRandom(0x7a11c5);
  private lastSilent = '';

  constructor(private readonly deps: EdgeDemandDeps) {
    this.pools = deps.setup.pools;
  }

  /** The /24 prefixes whose clients play each region's users (for the start of the timeline). */
  describePools(): string[] {
    return [...this.pools].map(
      ([region, prefixes]) =>
        `  ${region} users come from ${prefixes.length} prefixes near it, e.g. ${prefixes[0]}.0/24`,
    );
  }

  /**
   * At the start of a period: the agents follow the edges deployed now, and each region's users
   * of the period reach the edge serving them. NaN users: that edge's agent is silent this period.
   */
  async beginPeriod(periodStartMs: number, stepSeconds: number, users: ReadonlyMap<string, number>): Promise<void> {
    await this.followEdges();
    const serving = [...this.deps.servingRegions()].filter((r) => this.agents.has(r));
    this.silent.clear();
    if (serving.length === 0) return;
    for (const [region, count] of users) {
      const edge = nearest(region, serving);
      const counter = this.agents.get(edge)!.running.counter;
      if (Number.isNaN(count)) {
        this.silent.add(edge);
        continue;
      }
      const pool = this.pools.get(region) ?? [];
      const clients = Math.min(Math.round(count), pool.length * HOSTS_PER_PREFIX);
      for (let i = 0; i < clients; i++) {
        const prefix = pool[i % pool.length]!;
        const host = 1 + Math.floor(i / pool.length);
        // Spread over the period, as requests end.
        const atMs = periodStartMs + Math.floor(((i + 0.5) / clients) * stepSeconds * 1000);
        counter.recordLine(`${(atMs / 1000).toFixed(3)} ${prefix}.${host} ${this.cacheOutcome()}`);
      }
    }
    this.declarePods();
  }

  /** After the period's end: the collector's scheduled run for it. */
  async collect(periodEndMs: number): Promise<void> {
    const { clock } = this.deps;
    // The agents report a period once its grace has passed.
    await new Promise((resolve) =>
      setTimeout(resolve, clock.realMsUntil(periodEndMs + COUNTER_GRACE_SECONDS * 1000 + 1)),
    );
    const { periods } = await this.deps.collect({ scheduledTime: new Date(periodEndMs).toISOString() });
    for (const period of periods) this.report(period);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.agents.values()].map((agent) => stopAgent(agent)));
    this.agents.clear();
  }

  /**
   * A request's `$upstream_cache_status $request_time`: 90 % hits in 1-9 ms, 7 % misses that
   * went to the origin (40-400 ms), 3 % on paths that are never cached (`-`, 20-200 ms), so the
   * hit rate (hits / cacheable requests) is about 93 %, above the default alarm threshold.
   */
  private cacheOutcome(): string {
    const kind = this.random();
    const spread = this.random();
    const [status, fromMs, toMs] = kind < 0.9 ? ['HIT', 1, 9] : kind < 0.97 ? ['MISS', 40, 400] : ['-', 20, 200];
    return `${status} ${((fromMs + Math.floor(spread * (toMs - fromMs + 1))) / 1000).toFixed(3)}`;
  }

  private report(period: PeriodCollection): void {
    const silent = period.edges.filter((e) => !e.answered).map((e) => e.region);
    const key = silent.join(',');
    const at = Date.now();
    if (key !== this.lastSilent) {
      this.lastSilent = key;
      this.deps.timeline.record({
        kind: 'demand',
        at,
        region: silent[0] ?? '-',
        detail: silent.length
          ? `collector: no counts from the edge of ${silent.join(', ')} (${period.activeUsers ? 'lower bounds above the scale-down thresholds published, the rest left missing' : 'nothing published'})`
          : 'collector: every serving edge answered again',
      });
    }
    // The attributed demand once an hour, so the timeline shows where the users are.
    if (new Date(period.start).getUTCMinutes() === 0 && period.activeUsers) {
      const figures = Object.entries(period.activeUsers)
        .map(([region, users]) => `${region} ${users}`)
        .join(', ');
      this.deps.timeline.record({
        kind: 'demand',
        at,
        region: '-',
        detail: `collector: ActiveUsers ${figures}; unattributed ${period.unattributedUsers ?? 0}`,
      });
    }
  }

  /** An agent per edge the double holds (its Deployment applied), none for an edge deleted since. */
  private async followEdges(): Promise<void> {
    const { config, kubernetes } = this.deps;
    for (const region of approvedRegions(config)) {
      const deployed = [...kubernetes.objects.keys()].some((path) =>
        path.startsWith(
          `${clusterPath(config, region)}/apis/apps/v1/namespaces/${config.edge.namespace}/deployments/${EDGE_APP_NAME}`,
        ),
      );
      const agent = this.agents.get(region);
      if (deployed && !agent) {
        const cacheDir = mkdtempSync(join(tmpdir(), 'sandbox-edge-cache-'));
        const running = await this.deps.setup.startAgent({
          periodSeconds: demandCounterPeriodSeconds(config),
          maxTrackedClients: config.demand.counter.maxTrackedClients,
          now: () => this.deps.clock.now(),
          cacheDir,
          syslogPort: 0,
          httpPort: 0,
          httpHost: '127.0.0.1',
        });
        this.agents.set(region, { running, cacheDir });
      } else if (!deployed && agent) {
        await stopAgent(agent);
        this.agents.delete(region);
      }
    }
  }

  private declarePods(): void {
    const { config, kubernetes } = this.deps;
    for (const region of approvedRegions(config)) {
      const agent = this.agents.get(region);
      const pods = agent
        ? [
            {
              name: `${EDGE_APP_NAME}-${region}-0`,
              // A silent agent: the pod is there, nothing answers on its port.
              portUrl: this.silent.has(region) ? 'http://127.0.0.1:9' : `http://127.0.0.1:${agent.running.httpPort}`,
            },
          ]
        : [];
      kubernetes.setPods(clusterPath(config, region), config.edge.namespace, pods);
    }
  }
}

async function stopAgent(agent: EdgeAgent): Promise<void> {
  await agent.running.stop();
  rmSync(agent.cacheDir, { recursive: true, force: true });
}

const clusterPath = (config: AutoscalerConfig, region: string) => `/clusters/${clusterName(config.prefix, region)}`;

function location(region: string) {
  if (!isAwsRegion(region)) throw new Error(`${region} is not an AWS region`);
  return REGION_LOCATIONS[region];
}

/** Route53 latency routing, approximated by distance: the serving region nearest to the users' region. */
function nearest(region: string, serving: string[]): string {
  const from = location(region);
  return serving.reduce((best, r) =>
    greatCircleKm(from, location(r)) < greatCircleKm(from, location(best)) ? r : best,
  );
}

/**
 * For each region, /24 prefixes (as `a.b.c`) that the geolocation database places within
 * NEARBY_KM of it: a seeded scan of the public IPv4 space, the same on every run.
 */
function clientPools(geo: GeoDatabase, regions: readonly string[]): Map<string, string[]> {
  const pools = new Map<string, string[]>(regions.map((r) => [r, []]));
  const random = seededRandom(0x2f6b1d);
  for (let tries = 0; tries < 2_000_000 && [...pools.values()].some((p) => p.length < PREFIXES_PER_REGION); tries++) {
    const prefix = `${1 + Math.floor(random() * 223)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`;
    const found = geo.locate(`${prefix}.0/24`);
    if (found?.latitude === undefined || found.longitude === undefined) continue;
    for (const region of regions) {
      const pool = pools.get(region)!;
      if (pool.length >= PREFIXES_PER_REGION) continue;
      if (greatCircleKm(location(region), { latitude: found.latitude, longitude: found.longitude }) <= NEARBY_KM) {
        pool.push(prefix);
        break;
      }
    }
  }
  return pools;
}
