/**
 * The collector Lambda as it deploys (the bundle `cdk synth` packaged, with the geolocation
 * databases it ships) against the emulator's CloudWatch and EKS and the local Kubernetes API
 * double, whose pod proxy reaches real demand counters (the script the edge task ships) fed
 * with nginx's log lines: every approved region gets its datapoint, the users of a region that
 * is down are attributed to it, a silent edge adds nothing, malformed counts are rejected.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { provisionEmulatedDeployment } from '../../../sandbox/emulated-deployment';
import { KubernetesApiDouble } from '../../../sandbox/kubernetes-api-double';
import type { PeriodCollection } from '../../../functions/collect/demand-collector';
import { StateStore } from '../../../functions/adapters/state-store';
import { documentClient } from '../../../functions/commons/aws-clients';
import { approvedRegions, type AutoscalerConfig } from '../../../functions/domain/config';
import { DEMAND_NAMESPACE } from '../../../functions/domain/demand-metric';
import { clusterName } from '../../../functions/domain/naming';
import { KUBERNETES_API_OVERRIDE_ENV } from '../../../functions/kubernetes/cluster-access';
import type { RunningEdgeAgent, startEdgeAgent } from '../../../edge/edge-agent';
import { exampleConfig } from '../../support/config-fixtures';
import {
  invokeAsLambda,
  loadBundledLambda,
  shippedEdgeAgent,
  type BundledHandler,
} from '../../support/deployed-lambdas';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';
import { describeWithMoto, motoClientConfig, useEmulator } from '../../support/moto';

const PERIOD_MS = 60_000;
const EDGE_NAMESPACE = 'edge';

let config: AutoscalerConfig;
let tableName: string;
let collect: BundledHandler;
const api = new KubernetesApiDouble();
const counters: RunningEdgeAgent[] = [];
let malformedPod: Server;
/** The counters' clock: the test moves it past a period's end to complete the period. */
let counterNowMs = 0;

async function startShippedCounter(): Promise<RunningEdgeAgent> {
  const { startEdgeAgent: start } = (await import(pathToFileURL(shippedEdgeAgent()).href)) as {
    startEdgeAgent: typeof startEdgeAgent;
  };
  const counter = await start({
    periodSeconds: 60,
    maxTrackedClients: 10_000,
    now: () => counterNowMs,
    cacheDir: mkdtempSync(join(tmpdir(), 'collector-test-cache-')),
    syslogPort: 0,
    httpPort: 0,
    httpHost: '127.0.0.1',
  });
  counters.push(counter);
  return counter;
}

/** nginx's log lines (EDGE_LOG_FORMAT) for `hosts` distinct clients of a /24, during the period. */
function sendClients(counter: RunningEdgeAgent, prefix24: string, hosts: number, periodStartMs: number): void {
  for (let host = 1; host <= hosts; host++) {
    const atMs = periodStartMs + 1000 + host * 10;
    counterNowMs = Math.max(counterNowMs, atMs); // nginx logs a request as it ends
    counter.counter.recordLine(
      `<190>Dec  1 10:00:00 edge_agent: ${(atMs / 1000).toFixed(3)} ${prefix24}.${host} HIT 0.004`,
    );
  }
}

async function markServing(region: string): Promise<void> {
  await new StateStore(documentClient(config.homeRegion), tableName).putRegionState({
    region,
    status: 'ACTIVE',
    since: new Date().toISOString(),
    consecutiveFailures: 0,
  });
  await new EKSClient(motoClientConfig(region)).send(
    new CreateClusterCommand({
      name: clusterName(config.prefix, region),
      roleArn: 'arn:aws:iam::123456789012:role/edge-cluster',
      resourcesVpcConfig: { subnetIds: [] },
      tags: { 'edge-autoscaler:owner': config.prefix },
    }),
  );
}

/** `count` requests of one client (`address`) with this cache status and response time (EDGE_LOG_FORMAT), during the period. */
function sendRequests(
  agent: RunningEdgeAgent,
  address: string,
  count: number,
  cacheStatus: string,
  responseSeconds: number,
  periodStartMs: number,
): void {
  const atMs = periodStartMs + 30_000;
  counterNowMs = Math.max(counterNowMs, atMs);
  for (let i = 0; i < count; i++) {
    agent.counter.recordLine(
      `<190>Dec  1 10:00:30 edge_agent: ${(atMs / 1000).toFixed(3)} ${address} ${cacheStatus} ${responseSeconds.toFixed(3)}`,
    );
  }
}

const clusterPath = (region: string) => `/clusters/${clusterName(config.prefix, region)}`;
const counterUrl = (c: RunningEdgeAgent) => `http://127.0.0.1:${c.httpPort}`;

async function datapoint(metricName: string, periodStartMs: number, region?: string): Promise<number | undefined> {
  const { Datapoints } = await new CloudWatchClient(motoClientConfig(config.homeRegion)).send(
    new GetMetricStatisticsCommand({
      Namespace: DEMAND_NAMESPACE,
      MetricName: metricName,
      Dimensions: region ? [{ Name: 'Region', Value: region }] : [],
      StartTime: new Date(periodStartMs),
      EndTime: new Date(periodStartMs + PERIOD_MS),
      Period: 60,
      Statistics: ['Maximum'],
    }),
  );
  return Datapoints?.[0]?.Maximum;
}

/** The period's datapoint of a traffic metric of `region`, with the unit it was published in. */
async function trafficDatapoint(
  metricName: string,
  periodStartMs: number,
  region: string,
): Promise<{ value?: number; unit?: string }> {
  const { Datapoints } = await new CloudWatchClient(motoClientConfig(config.homeRegion)).send(
    new GetMetricStatisticsCommand({
      Namespace: DEMAND_NAMESPACE,
      MetricName: metricName,
      Dimensions: [{ Name: 'Region', Value: region }],
      StartTime: new Date(periodStartMs),
      EndTime: new Date(periodStartMs + PERIOD_MS),
      Period: 60,
      Statistics: ['Average'],
    }),
  );
  return { value: Datapoints?.[0]?.Average, unit: Datapoints?.[0]?.Unit };
}

async function runCollector(periodStartMs: number): Promise<PeriodCollection[]> {
  counterNowMs = periodStartMs + PERIOD_MS + 3000;
  const outcome = await invokeAsLambda(
    collect,
    { scheduledTime: new Date(periodStartMs + PERIOD_MS).toISOString() },
    lambdaContext('collect'),
  );
  if (!outcome.ok) throw new Error(`collector failed: ${outcome.errorType}: ${outcome.errorMessage}`);
  return (outcome.result as { periods: PeriodCollection[] }).periods;
}

/** A period well in the past of the real clock (the collector never waits for it), and after the counters started. */
let nextPeriodMs = 0;
const freshPeriod = () => (nextPeriodMs += 2 * PERIOD_MS);

describeWithMoto('the deployed demand collector', () => {
  let usEast: RunningEdgeAgent;
  /** A second pod of us-east-1's edge, served only where a test says so. */
  let usEastB: RunningEdgeAgent;
  let euWest: RunningEdgeAgent;

  beforeAll(async () => {
    await useEmulator();
    // A home region of its own: other suites read ActiveUsers in the emulator's us-east-1.
    const provisioned = await provisionEmulatedDeployment(
      exampleConfig((raw) => {
        raw.prefix = 'collect';
        raw.homeRegion = 'eu-north-1';
      }),
    );
    config = provisioned.config;
    tableName = provisioned.controlPlane.stateTableName;
    setTaskEnvironment(config, provisioned.controlPlane);
    process.env[KUBERNETES_API_OVERRIDE_ENV] = `${await api.start()}/clusters/{cluster}`;
    collect = await loadBundledLambda('collect');
    // The two always-on regions serve; every elastic region is down.
    await markServing('us-east-1');
    await markServing('eu-west-1');
    nextPeriodMs = Math.floor(Date.now() / PERIOD_MS) * PERIOD_MS - 40 * PERIOD_MS;
    counterNowMs = nextPeriodMs;
    usEast = await startShippedCounter();
    euWest = await startShippedCounter();
    usEastB = await startShippedCounter();
    malformedPod = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          schema: 1,
          periodSeconds: 60,
          start: new Date(0).toISOString(),
          prefixes: { '203.0.113.7/32': 1 },
        }),
      );
    });
    await new Promise<void>((resolve) => malformedPod.listen(0, '127.0.0.1', resolve));
  }, 180_000);

  beforeEach(() => {
    api.setPods(clusterPath('us-east-1'), EDGE_NAMESPACE, [{ name: 'edge-cache-a', portUrl: counterUrl(usEast) }]);
    api.setPods(clusterPath('eu-west-1'), EDGE_NAMESPACE, [{ name: 'edge-cache-b', portUrl: counterUrl(euWest) }]);
  });

  afterAll(async () => {
    delete process.env[KUBERNETES_API_OVERRIDE_ENV];
    await api.stop();
    await Promise.all(counters.map((c) => c.stop()));
    await new Promise<void>((resolve) => malformedPod.close(() => resolve()));
  });

  it('publishes ActiveUsers for every approved region, attributing the users of down regions to them', async () => {
    const period = freshPeriod();
    // us-east-1's edge serves Brazilians (sa-east-1 is down), Virginians and private addresses;
    // eu-west-1's serves Londoners and users in India (ap-south-1 is down).
    sendClients(usEast, '200.147.35', 100, period); // Rio de Janeiro
    sendClients(usEast, '187.11.0', 20, period); // Ribeirão Preto
    sendClients(usEast, '3.208.0', 40, period); // Ashburn, Virginia
    sendClients(usEast, '10.0.0', 7, period); // private: no location
    sendClients(euWest, '81.2.69', 30, period); // London
    sendClients(euWest, '49.44.0', 12, period); // Navi Mumbai

    const [collection] = await runCollector(period);

    expect(collection!.edges).toEqual(
      expect.arrayContaining([
        { region: 'us-east-1', answered: true, pods: 1, servedUsers: 167, overflowRequests: 0 },
        { region: 'eu-west-1', answered: true, pods: 1, servedUsers: 42, overflowRequests: 0 },
      ]),
    );
    const expected: Record<string, number> = {
      'us-east-1': 40,
      'eu-west-1': 30,
      'sa-east-1': 120,
      'ap-south-1': 12,
      'ap-southeast-1': 0,
      'ap-northeast-1': 0,
    };
    expect(Object.keys(expected).sort()).toEqual(approvedRegions(config).sort());
    for (const [region, users] of Object.entries(expected)) {
      expect({ region, users: await datapoint('ActiveUsers', period, region) }).toEqual({ region, users });
    }
    expect(await datapoint('UnattributedUsers', period)).toBe(7);
    expect(await datapoint('ServedUsers', period, 'us-east-1')).toBe(167);
    expect(await datapoint('DemandEdgesAnswered', period)).toBe(2);
  });

  it('adds nothing from an edge that does not answer, and keeps a low lower bound missing rather than low', async () => {
    const period = freshPeriod();
    sendClients(usEast, '200.147.35', 100, period);
    sendClients(usEast, '3.208.0', 40, period);
    sendClients(euWest, '81.2.69', 30, period);
    // eu-west-1's pod is there, but nothing answers on its counter's port.
    api.setPods(clusterPath('eu-west-1'), EDGE_NAMESPACE, [{ name: 'edge-cache-b', portUrl: 'http://127.0.0.1:9' }]);

    const [collection] = await runCollector(period);

    expect(collection!.edges).toContainEqual({
      region: 'eu-west-1',
      answered: false,
      reason: expect.stringMatching(/^the agent of pod edge-cache-b answered HTTP 503/),
    });
    // With eu-west-1's users unknown, every figure is a lower bound: sa-east-1's 100 is above its
    // scale-down threshold (80) and is published; the others are left missing, not zero.
    expect(collection!.activeUsers).toEqual({ 'sa-east-1': 100 });
    expect(await datapoint('ActiveUsers', period, 'sa-east-1')).toBe(100);
    expect(await datapoint('ActiveUsers', period, 'us-east-1')).toBeUndefined();
    expect(await datapoint('ActiveUsers', period, 'ap-south-1')).toBeUndefined();
    expect(await datapoint('DemandEdgesSilent', period)).toBe(1);
  });

  it('rejects a report of another schema whole, with the reason', async () => {
    const period = freshPeriod();
    sendClients(usEast, '3.208.0', 40, period);
    api.setPods(clusterPath('eu-west-1'), EDGE_NAMESPACE, [
      { name: 'edge-cache-b', portUrl: `http://127.0.0.1:${(malformedPod.address() as AddressInfo).port}` },
    ]);

    const [collection] = await runCollector(period);

    expect(collection!.edges).toContainEqual({
      region: 'eu-west-1',
      answered: false,
      reason: expect.stringMatching(/^the agent of pod edge-cache-b reports schema 1, not 2 \(demand and traffic\)/),
    });
  });

  it("publishes each serving region's traffic under the region whose edge served, its pods merged", async () => {
    const period = freshPeriod();
    api.setPods(clusterPath('us-east-1'), EDGE_NAMESPACE, [
      { name: 'edge-cache-a', portUrl: counterUrl(usEast) },
      { name: 'edge-cache-a2', portUrl: counterUrl(usEastB) },
    ]);
    // us-east-1's pods, mostly Brazilians (attributed to sa-east-1, which is down): 170 hits in
    // 4 ms and 30 misses in 120 ms between them, and 40 requests nginx does not cache ("-") in 4 ms.
    sendRequests(usEast, '200.147.35.1', 100, 'HIT', 0.004, period);
    sendRequests(usEast, '200.147.35.2', 10, 'MISS', 0.12, period);
    sendRequests(usEastB, '200.147.35.3', 70, 'STALE', 0.004, period);
    sendRequests(usEastB, '3.208.0.1', 20, 'EXPIRED', 0.12, period);
    sendRequests(usEastB, '3.208.0.2', 40, '-', 0.004, period);
    // eu-west-1's: 50 cacheable requests, under the 100 a hit rate needs.
    sendRequests(euWest, '81.2.69.1', 50, 'HIT', 0.03, period);

    const [collection] = await runCollector(period);

    expect(collection!.traffic).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ region: 'us-east-1', pods: 2, podsAnswered: 2 }),
        expect.objectContaining({ region: 'eu-west-1', pods: 1, podsAnswered: 1 }),
      ]),
    );
    expect(await trafficDatapoint('CacheHitRate', period, 'us-east-1')).toEqual({ value: 85, unit: 'Percent' });
    expect(await trafficDatapoint('RequestsPerSecond', period, 'us-east-1')).toEqual({
      value: 240 / 60,
      unit: 'Count/Second',
    });
    // 210 requests in (3, 4] ms, 30 in (100, 120] ms: the median's rank 120 is 120/210 of the way
    // through the first bucket, p95's rank 228 is 18/30 of the way through the second.
    const p50 = await trafficDatapoint('ResponseTimeP50', period, 'us-east-1');
    expect(p50.unit).toBe('Milliseconds');
    expect(p50.value).toBeCloseTo(3 + 120 / 210, 6);
    expect(await trafficDatapoint('ResponseTimeP95', period, 'us-east-1')).toEqual({
      value: 100 + (20 * 18) / 30,
      unit: 'Milliseconds',
    });
    // Too few cacheable requests: no hit rate (missing, not 100 %); the rest is published.
    expect(await trafficDatapoint('CacheHitRate', period, 'eu-west-1')).toEqual({});
    expect((await trafficDatapoint('ResponseTimeP50', period, 'eu-west-1')).value).toBeCloseTo(30, 6);
    // The traffic stays with the edge that served it: down regions have none.
    expect(await trafficDatapoint('RequestsPerSecond', period, 'sa-east-1')).toEqual({});
  });

  it("publishes a region's traffic from the pods that answered when one does not, its requests a lower bound", async () => {
    const period = freshPeriod();
    api.setPods(clusterPath('us-east-1'), EDGE_NAMESPACE, [
      { name: 'edge-cache-a', portUrl: counterUrl(usEast) },
      { name: 'edge-cache-a2', portUrl: 'http://127.0.0.1:9' },
    ]);
    sendRequests(usEast, '3.208.0.1', 120, 'HIT', 0.004, period);
    sendRequests(usEast, '3.208.0.2', 30, 'MISS', 0.05, period);

    const [collection] = await runCollector(period);

    expect(collection!.edges).toContainEqual({
      region: 'us-east-1',
      answered: false,
      reason: expect.stringMatching(/^the agent of pod edge-cache-a2 answered HTTP 503/),
    });
    expect(await trafficDatapoint('RequestsPerSecond', period, 'us-east-1')).toEqual({
      value: 150 / 60,
      unit: 'Count/Second',
    });
    expect((await trafficDatapoint('CacheHitRate', period, 'us-east-1')).value).toBe(80);
    // 120 requests in (3, 4] ms, 30 in (48, 58] ms: p95's rank 142.5 is 22.5/30 of the way through the second.
    expect((await trafficDatapoint('ResponseTimeP95', period, 'us-east-1')).value).toBeCloseTo(
      48 + (10 * 22.5) / 30,
      6,
    );
  });

  it('publishes no ActiveUsers at all when no edge answered (missing data, which never scales anything down)', async () => {
    const period = freshPeriod();
    api.setPods(clusterPath('us-east-1'), EDGE_NAMESPACE, []);
    api.setPods(clusterPath('eu-west-1'), EDGE_NAMESPACE, []);

    const [collection] = await runCollector(period);

    expect(collection!.activeUsers).toBeUndefined();
    expect(collection!.edges.map((e) => e.answered)).toEqual([false, false]);
    for (const region of approvedRegions(config)) {
      expect({ region, users: await datapoint('ActiveUsers', period, region) }).toEqual({ region, users: undefined });
    }
    expect(await datapoint('DemandEdgesAnswered', period)).toBe(0);
  });

  it('collects the period its schedule names, even when it runs late, and never another one', async () => {
    const period = freshPeriod();
    sendClients(usEast, '3.208.0', 25, period);
    sendClients(usEast, '3.208.0', 5, period + PERIOD_MS); // the next period's users
    counterNowMs = period + 2 * PERIOD_MS + 3000;
    // Run three periods late (the counters keep ten): it still publishes for its own period.
    const outcome = await invokeAsLambda(
      collect,
      { scheduledTime: new Date(period + PERIOD_MS).toISOString() },
      lambdaContext('collect'),
    );
    expect(outcome).toMatchObject({ ok: true });
    expect(await datapoint('ActiveUsers', period, 'us-east-1')).toBe(25);
  });

  it('refuses a scheduled event without its time before any AWS call', async () => {
    const outcome = await invokeAsLambda(collect, { time: 'now' }, lambdaContext('collect'));
    expect(outcome).toMatchObject({ ok: false, errorMessage: expect.stringMatching(/scheduledTime/) });
  });
});
