/**
 * The collector's own rules, on its TypeScript source with every boundary real but AWS: the
 * Kubernetes API double's pod proxy in front of real edge agents fed nginx's log lines
 * (EDGE_LOG_FORMAT), EKS and CloudWatch answered by aws-sdk-client-mock. (The bundled collector
 * against moto: test/integration/collect.)
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesApiDouble } from '../../../sandbox/kubernetes-api-double';
import { startEdgeAgent, type RunningEdgeAgent } from '../../../edge/edge-agent';
import type { EdgeCluster } from '../../../functions/adapters/eks-cluster';
import { collectDemand, type CollectorDeps } from '../../../functions/collect/demand-collector';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import type { RegionState } from '../../../functions/domain/region-state';
import { clusterName } from '../../../functions/domain/naming';
import { KubernetesClient } from '../../../functions/kubernetes/kubernetes-client';
import { exampleConfig } from '../../support/config-fixtures';

const config = exampleConfig();
const REGION = 'us-east-1';
const PERIOD = Date.parse('2026-12-01T10:00:00Z');
const eks = mockClient(EKSClient);
const cloudWatch = mockClient(CloudWatchClient);
const api = new KubernetesApiDouble();
const cacheDir = mkdtempSync(join(tmpdir(), 'collector-test-cache-'));
let apiUrl: string;
let agents: RunningEdgeAgent[] = [];
let nowMs = PERIOD - 1000;

const serving: RegionState = {
  region: REGION,
  status: 'ACTIVE',
  since: '2026-12-01T08:00:00Z',
  consecutiveFailures: 0,
};

function deps(
  state: RegionState,
  clusterCache = new Map<string, EdgeCluster>(),
  withConfig: AutoscalerConfig = config,
): CollectorDeps {
  return {
    config: withConfig,
    regionStates: async (regions) =>
      regions.map((region) =>
        region === REGION
          ? state
          : { region, status: 'INACTIVE', since: '2026-11-01T00:00:00Z', consecutiveFailures: 0 },
      ),
    eks: () => new EKSClient({ region: REGION }),
    kubernetes: async (cluster) =>
      new KubernetesClient({ baseUrl: `${apiUrl}/clusters/${cluster.name}`, bearerToken: 't' }),
    locate: () => ({ country: 'US', latitude: 39, longitude: -77 }),
    cloudWatch: new CloudWatchClient({ region: config.homeRegion }),
    clusterCache,
    now: () => new Date(nowMs),
    sleep: async () => {
      throw new Error('must not wait: the period is complete');
    },
    log: { info: () => undefined, warn: () => undefined },
  };
}

/** nginx's log line (EDGE_LOG_FORMAT) for a request of client 198.51.100.<host> that ended 5 s into the period. */
function logLine(host: number, cacheStatus: string, responseSeconds: number): string {
  return `${((PERIOD + 5_000) / 1000).toFixed(3)} 198.51.100.${host} ${cacheStatus} ${responseSeconds.toFixed(3)}`;
}

/** `count` requests of one client, each with this cache status and response time. */
function requests(count: number, host: number, cacheStatus: string, responseSeconds: number): string[] {
  return new Array<string>(count).fill(logLine(host, cacheStatus, responseSeconds));
}

/** A running edge agent (one pod's), started before the period, fed these lines during it; the period then complete. */
async function agentWith(lines: string[]): Promise<RunningEdgeAgent> {
  nowMs = PERIOD - 1000;
  const agent = await startEdgeAgent({
    periodSeconds: 60,
    maxTrackedClients: 100,
    now: () => nowMs,
    cacheDir,
    syslogPort: 0,
    httpPort: 0,
    httpHost: '127.0.0.1',
  });
  agents.push(agent);
  nowMs = PERIOD + 5_000;
  for (const line of lines) agent.counter.recordLine(line);
  nowMs = PERIOD + 63_000;
  return agent;
}

function servePods(pods: Array<{ name: string; agent?: RunningEdgeAgent }>): void {
  api.setPods(
    `/clusters/${clusterName(config.prefix, REGION)}`,
    config.edge.namespace,
    // A pod without an agent: nothing listens on its agent's port.
    pods.map(({ name, agent }) => ({
      name,
      portUrl: agent ? `http://127.0.0.1:${agent.httpPort}` : 'http://127.0.0.1:9',
    })),
  );
}

const published = (): MetricDatum[] =>
  cloudWatch.commandCalls(PutMetricDataCommand).flatMap((c) => c.args[0].input.MetricData ?? []);

/** The published datums of `metric`, by Region dimension (or '-' without one). */
function publishedOf(metric: string): Record<string, Pick<MetricDatum, 'Value' | 'Unit'>> {
  return Object.fromEntries(
    published()
      .filter((d) => d.MetricName === metric)
      .map((d) => [d.Dimensions?.[0]?.Value ?? '-', { Value: d.Value, Unit: d.Unit }]),
  );
}

beforeAll(async () => {
  apiUrl = await api.start();
});

afterAll(async () => {
  await api.stop();
});

beforeEach(() => {
  eks.reset();
  cloudWatch.reset();
  cloudWatch.on(PutMetricDataCommand).resolves({});
  eks.on(DescribeClusterCommand).resolves({
    cluster: {
      name: clusterName(config.prefix, REGION),
      status: 'ACTIVE',
      endpoint: 'https://unused',
      certificateAuthority: { data: 'unused' },
    },
  });
});

afterEach(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  agents = [];
});

describe('a collection', () => {
  beforeEach(async () => {
    const lines = [1, 2, 3, 4, 5, 6, 7].map((host) => logLine(host, 'HIT', 0.004));
    servePods([{ name: 'edge-cache-a', agent: await agentWith(lines) }]);
  });

  it('publishes the period its schedule names, stamped with its start, for every approved region', async () => {
    const [collection] = await collectDemand(new Date(PERIOD + 60_000), deps(serving));
    expect(collection!.start).toBe(new Date(PERIOD).toISOString());
    const active = published().filter((d) => d.MetricName === 'ActiveUsers');
    expect(active).toHaveLength(6);
    expect(published().every((d) => d.Timestamp!.getTime() === PERIOD)).toBe(true);
    expect(active.find((d) => d.Dimensions![0]!.Value === REGION)!.Value).toBe(7);
  });

  it('describes a serving cluster once while its region stays in the same state, again once the region came up anew', async () => {
    const cache = new Map<string, EdgeCluster>();
    await collectDemand(new Date(PERIOD + 60_000), deps(serving, cache));
    await collectDemand(new Date(PERIOD + 60_000), deps(serving, cache));
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(1);
    // Down and up again: a new cluster, maybe a new endpoint.
    await collectDemand(new Date(PERIOD + 60_000), deps({ ...serving, since: '2026-12-01T09:30:00Z' }, cache));
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(2);
  });

  it('forgets a cluster whose API did not answer, so the next run describes it again', async () => {
    const cache = new Map<string, EdgeCluster>();
    await collectDemand(new Date(PERIOD + 60_000), deps(serving, cache));
    api.failNext(503);
    const [failed] = await collectDemand(new Date(PERIOD + 60_000), deps(serving, cache));
    expect(failed!.edges).toEqual([
      { region: REGION, answered: false, reason: expect.stringMatching(/^its cluster's API did not answer: /) },
    ]);
    expect(failed!.traffic).toEqual([]);
    await collectDemand(new Date(PERIOD + 60_000), deps(serving, cache));
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(2);
  });

  it('waits for the counters to complete the period when it runs early', async () => {
    const early = { ...deps(serving), now: () => new Date(PERIOD + 60_500) };
    const waits: number[] = [];
    early.sleep = async (ms) => void waits.push(ms);
    await collectDemand(new Date(PERIOD + 60_000), early);
    expect(waits).toEqual([1500]);
  });
});

describe("the edge's traffic", () => {
  it('is published per serving region from its pods merged: hit rate, requests per second, p50 and p95', async () => {
    // Pod a: 90 hits in 4 ms, 10 misses in 120 ms. Pod b: 60 hits in 4 ms, 40 misses in 120 ms,
    // and 50 requests of a path that is not cached ("-"), in 4 ms.
    const a = await agentWith([...requests(90, 1, 'HIT', 0.004), ...requests(10, 2, 'MISS', 0.12)]);
    const b = await agentWith([
      ...requests(60, 3, 'HIT', 0.004),
      ...requests(40, 4, 'MISS', 0.12),
      ...requests(50, 5, '-', 0.004),
    ]);
    servePods([
      { name: 'edge-cache-a', agent: a },
      { name: 'edge-cache-b', agent: b },
    ]);

    const [collection] = await collectDemand(new Date(PERIOD + 60_000), deps(serving));

    // 150 hits of 200 cacheable requests; 250 requests in 60 s.
    expect(publishedOf('CacheHitRate')).toEqual({ [REGION]: { Value: 75, Unit: 'Percent' } });
    expect(publishedOf('RequestsPerSecond')).toEqual({ [REGION]: { Value: 250 / 60, Unit: 'Count/Second' } });
    // 200 requests in (3, 4] ms, then 50 in (100, 120] ms: the median's rank 125 is 125/200 of the
    // way through the first bucket; p95's rank 237.5 is 37.5/50 of the way through the second.
    const p50 = publishedOf('ResponseTimeP50')[REGION]!;
    expect(p50.Unit).toBe('Milliseconds');
    expect(p50.Value).toBeCloseTo(3 + 125 / 200, 10);
    const p95 = publishedOf('ResponseTimeP95')[REGION]!;
    expect(p95.Unit).toBe('Milliseconds');
    expect(p95.Value).toBeCloseTo(100 + (20 * 37.5) / 50, 10);
    expect(collection!.traffic).toEqual([
      { region: REGION, pods: 2, podsAnswered: 2, figures: expect.objectContaining({ cacheHitRate: 75 }) },
    ]);
    // Where its edge served, not where its users are attributed: no other region has traffic.
    expect(
      published()
        .filter((d) => d.MetricName!.startsWith('ResponseTime') || d.MetricName === 'CacheHitRate')
        .every((d) => d.Dimensions![0]!.Value === REGION),
    ).toBe(true);
  });

  it('of a region whose pod did not answer: lower-bound requests per second, the rate and times of the pods that did, its demand not counted', async () => {
    const a = await agentWith([...requests(80, 1, 'HIT', 0.004), ...requests(40, 2, 'MISS', 0.05)]);
    servePods([{ name: 'edge-cache-a', agent: a }, { name: 'edge-cache-b' }]);

    const [collection] = await collectDemand(new Date(PERIOD + 60_000), deps(serving));

    expect(collection!.edges).toEqual([
      {
        region: REGION,
        answered: false,
        reason: expect.stringMatching(/^the agent of pod edge-cache-b answered HTTP 503/),
      },
    ]);
    expect(collection!.traffic).toEqual([{ region: REGION, pods: 2, podsAnswered: 1, figures: expect.any(Object) }]);
    expect(publishedOf('RequestsPerSecond')[REGION]!.Value).toBe(2);
    expect(publishedOf('CacheHitRate')[REGION]!.Value).toBeCloseTo(200 / 3, 10);
    expect(Object.keys(publishedOf('ResponseTimeP95'))).toEqual([REGION]);
    // Its 2 users are a lower bound below every scale-down threshold: left missing, not low.
    expect(publishedOf('ActiveUsers')).toEqual({});
    expect(publishedOf('DemandEdgesSilent')['-']!.Value).toBe(1);
  });

  it('leaves the hit rate missing below the minimum of cacheable requests, and an idle edge publishes 0 requests and no times', async () => {
    const few = await agentWith(requests(99, 1, 'HIT', 0.002));
    servePods([{ name: 'edge-cache-a', agent: few }]);
    await collectDemand(new Date(PERIOD + 60_000), deps(serving));
    expect(publishedOf('CacheHitRate')).toEqual({});
    expect(publishedOf('RequestsPerSecond')[REGION]!.Value).toBe(99 / 60);

    cloudWatch.resetHistory();
    servePods([{ name: 'edge-cache-a', agent: await agentWith([]) }]);
    await collectDemand(new Date(PERIOD + 60_000), deps(serving));
    expect(publishedOf('RequestsPerSecond')).toEqual({ [REGION]: { Value: 0, Unit: 'Count/Second' } });
    expect(publishedOf('CacheHitRate')).toEqual({});
    expect(publishedOf('ResponseTimeP50')).toEqual({});
    expect(publishedOf('ResponseTimeP95')).toEqual({});
  });

  it('is published, without ActiveUsers or any attribution, when the user publishes the demand (demand.source external)', async () => {
    const external = exampleConfig((raw) => void (raw.demand = { source: 'external' }));
    servePods([{ name: 'edge-cache-a', agent: await agentWith(requests(150, 1, 'HIT', 0.004)) }]);
    const run = {
      ...deps(serving, undefined, external),
      locate: () => {
        throw new Error('must not locate: nothing is attributed');
      },
    };

    const [collection] = await collectDemand(new Date(PERIOD + 60_000), run);

    expect(collection!.activeUsers).toBeUndefined();
    expect(publishedOf('CacheHitRate')).toEqual({ [REGION]: { Value: 100, Unit: 'Percent' } });
    expect(publishedOf('DemandEdgesAnswered')['-']!.Value).toBe(1);
    const demandMetrics = ['ActiveUsers', 'UnattributedUsers', 'ServedUsers', 'CounterOverflowRequests'];
    expect(published().filter((d) => demandMetrics.includes(d.MetricName!))).toEqual([]);
  });
});
