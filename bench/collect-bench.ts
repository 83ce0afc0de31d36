/**
 * collectSeconds: one run of the demand collector (collectDemand, the Lambda's code path) over 20
 * serving regions whose edges are emulated locally: a real edge agent per region (the edge
 * pod's program, fed nginx's syslog lines: 50,000 distinct prefixes in one period, mostly IPv4
 * /24s of the public space and some IPv6 /48s, 1-3 clients each), reached through one local
 * Kubernetes API double's pod proxy, as the API servers of 20 clusters. EKS and CloudWatch are
 * answered at once by aws-sdk-client-mock, so the figure is the collector's own work (reading,
 * checking, merging, attributing, publishing), not AWS latency. The geolocation database is
 * opened before the clock starts, as in a warm Lambda. Median of 3 runs, each on a fresh period
 * with the same users (as from one minute to the next: the warm Lambda has decoded their
 * networks' records before; the first run decodes them).
 */
import { seededRandom } from '../simulator/diurnal-trace';
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubernetesApiDouble } from '../sandbox/kubernetes-api-double';
import { startEdgeAgent, type RunningEdgeAgent } from '../edge/edge-agent';
import { openGeoDatabases } from '../functions/adapters/geo-database';
import { collectDemand, type CollectorDeps } from '../functions/collect/demand-collector';
import { AWS_REGIONS } from '../functions/domain/aws-regions';
import { approvedRegions, parseConfig, type AutoscalerConfig } from '../functions/domain/config';
import { DEMAND_DIMENSION, DEMAND_METRIC_NAME } from '../functions/domain/demand-metric';
import { demandCounterPeriodSeconds } from '../functions/domain/demand-collection';
import { COUNTER_GRACE_SECONDS } from '../functions/domain/edge-agent-contract';
import { clusterName, OWNER_TAG_KEY } from '../functions/domain/naming';
import { KubernetesClient } from '../functions/kubernetes/kubernetes-client';
import { readCdkJsonContext } from '../infra/config-source';
import { SHIPPED_GEO_DATABASE_FILES } from '../infra/demand-collection';

const PREFIXES_PER_EDGE = 50_000;
const RUNS = 3;
const ALWAYS_ON = ['us-east-1', 'eu-west-1'];
/** 18 elastic regions spread over every continent, so the attribution has real choices to make. */
const ELASTIC = [
  'us-east-2',
  'us-west-2',
  'ca-central-1',
  'mx-central-1',
  'sa-east-1',
  'eu-central-1',
  'eu-west-3',
  'eu-north-1',
  'eu-south-1',
  'il-central-1',
  'me-central-1',
  'af-south-1',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-east-1',
];

/** cdk.json's configuration with 20 approved regions (2 always-on, 18 elastic) and no region overrides. */
function benchConfig(): AutoscalerConfig {
  const raw = structuredClone(readCdkJsonContext(fileURLToPath(new URL('..', import.meta.url)))) as {
    regions: { alwaysOn: string[]; elastic: string[] };
    scaling: { regionOverrides?: unknown; maxElasticActive: number };
  };
  for (const region of [...ALWAYS_ON, ...ELASTIC]) {
    if (!(AWS_REGIONS as readonly string[]).includes(region)) throw new Error(`${region} is not an AWS region`);
  }
  raw.regions = { alwaysOn: ALWAYS_ON, elastic: ELASTIC };
  raw.scaling.maxElasticActive = ELASTIC.length;
  delete raw.scaling.regionOverrides;
  return parseConfig(raw, 'the collect benchmark');
}

/** Not public unicast space: 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.168/16, 224/3. */
function isPublicIpv4(a: number, b: number): boolean {
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b < 128) return false;
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b < 32) return false;
  return !(a === 192 && b === 168);
}

/** First groups of allocated IPv6 space (RIR blocks): most /48s in them have a location. */
const IPV6_BLOCKS = [0x2001, 0x2400, 0x2401, 0x2402, 0x2600, 0x2602, 0x2604, 0x2800, 0x2a00, 0x2a01, 0x2a02, 0x2c0f];

/**
 * The client addresses of one edge's period: `PREFIXES_PER_EDGE` distinct prefixes (one in ten an
 * IPv6 /48, each client in its own /64), with 1-3 clients each.
 */
function edgeClients(seed: number): string[] {
  const next = seededRandom(seed);
  const seen = new Set<string>();
  const clients: string[] = [];
  while (seen.size < PREFIXES_PER_EDGE) {
    const count = 1 + Math.floor(next() * 3);
    if (next() < 0.1) {
      const group = () => Math.floor(next() * 65536).toString(16);
      const prefix = `${IPV6_BLOCKS[Math.floor(next() * IPV6_BLOCKS.length)]!.toString(16)}:${group()}:${group()}`;
      if (seen.has(prefix)) continue;
      seen.add(prefix);
      for (let c = 1; c <= count; c++) clients.push(`${prefix}:${c.toString(16)}::1`);
    } else {
      const a = 1 + Math.floor(next() * 223);
      const b = Math.floor(next() * 256);
      if (!isPublicIpv4(a, b)) continue;
      const prefix = `${a}.${b}.${Math.floor(next() * 256)}`;
      if (seen.has(prefix)) continue;
      seen.add(prefix);
      for (let c = 1; c <= count; c++) clients.push(`${prefix}.${c}`);
    }
  }
  return clients;
}

export async function measureCollect(): Promise<{ collectSeconds: number }> {
  const config = benchConfig();
  const regions = approvedRegions(config);
  const periodMs = demandCounterPeriodSeconds(config) * 1000;
  const namespace = config.edge.namespace;

  // The geolocation database stays loaded in a warm Lambda: opened before any clock starts.
  const geo = openGeoDatabases(SHIPPED_GEO_DATABASE_FILES);

  // One clock for every counter and the collector; it starts at a period's beginning, so every
  // period after it is one the counters saw whole.
  const firstPeriodMs = Date.UTC(2026, 11, 1, 10, 0, 0);
  let clockMs = firstPeriodMs;

  const eks = mockClient(EKSClient);
  const cloudWatch = mockClient(CloudWatchClient);
  const api = new KubernetesApiDouble();
  const agents: RunningEdgeAgent[] = [];
  // The agents' cache directory: empty, no purge runs.
  const cacheDir = mkdtempSync(join(tmpdir(), 'collect-bench-cache-'));
  try {
    eks.on(DescribeClusterCommand).callsFake(async (input: { name: string }) => ({
      cluster: {
        name: input.name,
        status: 'ACTIVE',
        createdAt: new Date(firstPeriodMs - 86_400_000),
        endpoint: `https://${input.name}.eks.example.com`,
        tags: { [OWNER_TAG_KEY]: config.prefix },
      },
    }));
    let published: MetricDatum[] = [];
    cloudWatch.on(PutMetricDataCommand).callsFake(async (input: { MetricData?: MetricDatum[] }) => {
      published.push(...(input.MetricData ?? []));
      return {};
    });

    const apiUrl = await api.start();
    for (const region of regions) {
      const agent = await startEdgeAgent({
        periodSeconds: periodMs / 1000,
        maxTrackedClients: config.demand.counter.maxTrackedClients,
        now: () => clockMs,
        cacheDir,
        syslogPort: 0,
        httpPort: 0,
        httpHost: '127.0.0.1',
      });
      agents.push(agent);
      api.setPods(`/clusters/${clusterName(config.prefix, region)}`, namespace, [
        { name: `edge-cache-${region}`, portUrl: `http://127.0.0.1:${agent.httpPort}` },
      ]);
    }

    const warnings: string[] = [];
    const deps: CollectorDeps = {
      config,
      regionStates: async (names) =>
        names.map((region) => ({
          region,
          status: 'ACTIVE',
          since: new Date(firstPeriodMs - 86_400_000).toISOString(),
          consecutiveFailures: 0,
        })),
      eks: (region) => new EKSClient({ region }),
      kubernetes: async (cluster) =>
        new KubernetesClient({ baseUrl: `${apiUrl}/clusters/${cluster.name}`, bearerToken: 'bench' }),
      locate: (prefix) => geo.locate(prefix),
      cloudWatch: new CloudWatchClient({ region: config.homeRegion }),
      now: () => new Date(clockMs),
      sleep: async () => {
        throw new Error('the collector waited: the bench clock is not past the period end + grace');
      },
      log: { info: () => undefined, warn: (message) => void warnings.push(message) },
    };

    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      // A fresh period, one after the last one collected.
      const periodStartMs = firstPeriodMs + (2 * run + 1) * periodMs;
      clockMs = periodStartMs + periodMs - 1000;
      let fedClients = 0;
      agents.forEach((agent, edge) => {
        const clients = edgeClients(1 + edge);
        clients.forEach((address, i) => {
          const stamp = ((periodStartMs + 1000 + (i % (periodMs - 3000))) / 1000).toFixed(3);
          agent.counter.recordLine(`<190>Dec  1 10:00:00 edge_agent: ${stamp} ${address} HIT 0.004`);
        });
        fedClients += clients.length;
      });
      clockMs = periodStartMs + periodMs + COUNTER_GRACE_SECONDS * 1000 + 1000;
      // Each pod's counter completes the period on its own CPU, on its ticker, at the end + grace.
      for (const agent of agents) agent.counter.completeDuePeriods();
      // Feeding blocks the event loop for seconds: let the servers close the keep-alive sockets
      // that went idle meanwhile (and the clients see it), or the collection would meet them
      // being reset under its first requests.
      await new Promise((resolve) => setTimeout(resolve, 100));
      published = [];
      warnings.length = 0;

      const start = performance.now();
      const [collection] = await collectDemand(new Date(periodStartMs + periodMs), deps);
      times.push((performance.now() - start) / 1000);

      const silent = collection!.edges.filter((edge) => !edge.answered);
      if (silent.length > 0 || warnings.length > 0) {
        throw new Error(`the collect bench's collection was incomplete: ${warnings.slice(0, 3).join('; ')}`);
      }
      const served = collection!.edges.reduce((sum, edge) => sum + (edge.answered ? edge.servedUsers : 0), 0);
      if (served !== fedClients) throw new Error(`the edges served ${served} users, ${fedClients} were fed`);
      const withDatum = new Set(
        published
          .filter((d) => d.MetricName === DEMAND_METRIC_NAME)
          .map((d) => d.Dimensions?.find((dimension) => dimension.Name === DEMAND_DIMENSION)?.Value),
      );
      const missing = regions.filter((region) => !withDatum.has(region));
      if (missing.length > 0) throw new Error(`no ActiveUsers datum was published for ${missing.join(', ')}`);
    }
    times.sort((a, b) => a - b);
    return { collectSeconds: Math.round(times[Math.floor(RUNS / 2)]! * 1000) / 1000 };
  } finally {
    await Promise.all(agents.map((agent) => agent.stop()));
    rmSync(cacheDir, { recursive: true, force: true });
    await api.stop();
    eks.restore();
    cloudWatch.restore();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  measureCollect().then((figures) => console.log(JSON.stringify(figures)));
}
