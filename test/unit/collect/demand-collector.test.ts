/**
 * The collector's own rules, on its TypeScript source with every boundary real but AWS: the
 * Kubernetes API double's pod proxy in front of a real counter, EKS and CloudWatch answered by
 * aws-sdk-client-mock. (The bundled collector against moto: test/integration/collect.)
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { KubernetesApiDouble } from '../../../cli/sandbox/kubernetes-api-double';
import { startDemandCounter, type RunningDemandCounter } from '../../../edge/demand-counter';
import type { EdgeCluster } from '../../../functions/adapters/eks-cluster';
import { collectDemand, type CollectorDeps } from '../../../functions/collect/demand-collector';
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
let apiUrl: string;
let counter: RunningDemandCounter;
let nowMs = PERIOD - 1000;

function deps(state: RegionState, clusterCache: Map<string, EdgeCluster>): CollectorDeps {
  return {
    config,
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

const published = (): MetricDatum[] =>
  cloudWatch.commandCalls(PutMetricDataCommand).flatMap((c) => c.args[0].input.MetricData ?? []);

beforeAll(async () => {
  apiUrl = await api.start();
  counter = await startDemandCounter({
    periodSeconds: 60,
    maxTrackedClients: 100,
    now: () => nowMs,
    syslogPort: 0,
    httpPort: 0,
    httpHost: '127.0.0.1',
  });
  nowMs = PERIOD + 5_000;
  for (let host = 1; host <= 7; host++) counter.counter.recordLine(`${(PERIOD + 5_000) / 1000}.000 198.51.100.${host}`);
  nowMs = PERIOD + 63_000;
});

afterAll(async () => {
  await counter.stop();
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
  api.setPods(`/clusters/${clusterName(config.prefix, REGION)}`, config.edge.namespace, [
    { name: 'edge-cache-a', portUrl: `http://127.0.0.1:${counter.httpPort}` },
  ]);
});

describe('a collection', () => {
  const serving: RegionState = {
    region: REGION,
    status: 'ACTIVE',
    since: '2026-12-01T08:00:00Z',
    consecutiveFailures: 0,
  };

  it('publishes the period its schedule names, stamped with its start, for every approved region', async () => {
    const [collection] = await collectDemand(new Date(PERIOD + 60_000), deps(serving, new Map<string, EdgeCluster>()));
    expect(collection!.start).toBe(new Date(PERIOD).toISOString());
    const active = published().filter((d) => d.MetricName === 'ActiveUsers');
    expect(active).toHaveLength(6);
    expect(active.every((d) => d.Timestamp!.getTime() === PERIOD)).toBe(true);
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
    await collectDemand(new Date(PERIOD + 60_000), deps(serving, cache));
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(2);
  });

  it('waits for the counters to complete the period when it runs early', async () => {
    const early = { ...deps(serving, new Map<string, EdgeCluster>()), now: () => new Date(PERIOD + 60_500) };
    const waits: number[] = [];
    early.sleep = async (ms) => void waits.push(ms);
    await collectDemand(new Date(PERIOD + 60_000), early);
    expect(waits).toEqual([1500]);
  });
});
