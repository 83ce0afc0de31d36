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
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { provisionEmulatedDeployment } from '../../../cli/sandbox/emulated-deployment';
import { KubernetesApiDouble } from '../../../cli/sandbox/kubernetes-api-double';
import type { PeriodCollection } from '../../../functions/collect/demand-collector';
import { StateStore } from '../../../functions/adapters/state-store';
import { documentClient } from '../../../functions/commons/aws-clients';
import { approvedRegions, type AutoscalerConfig } from '../../../functions/domain/config';
import { DEMAND_NAMESPACE } from '../../../functions/domain/demand-metric';
import { clusterName } from '../../../functions/domain/naming';
import { KUBERNETES_API_OVERRIDE_ENV } from '../../../functions/kubernetes/cluster-access';
import type { RunningDemandCounter, startDemandCounter } from '../../../edge/demand-counter';
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
const counters: RunningDemandCounter[] = [];
let malformedPod: Server;
/** The counters' clock: the test moves it past a period's end to complete the period. */
let counterNowMs = 0;

async function startShippedCounter(): Promise<RunningDemandCounter> {
  const { startDemandCounter: start } = (await import(pathToFileURL(shippedEdgeAgent()).href)) as {
    startDemandCounter: typeof startDemandCounter;
  };
  const counter = await start({
    periodSeconds: 60,
    maxTrackedClients: 10_000,
    now: () => counterNowMs,
    syslogPort: 0,
    httpPort: 0,
    httpHost: '127.0.0.1',
  });
  counters.push(counter);
  return counter;
}

/** nginx's log lines (`$msec $remote_addr`) for `hosts` distinct clients of a /24, during the period. */
function sendClients(counter: RunningDemandCounter, prefix24: string, hosts: number, periodStartMs: number): void {
  for (let host = 1; host <= hosts; host++) {
    const atMs = periodStartMs + 1000 + host * 10;
    counterNowMs = Math.max(counterNowMs, atMs); // nginx logs a request as it ends
    counter.counter.recordLine(`<190>Dec  1 10:00:00 edge_demand: ${(atMs / 1000).toFixed(3)} ${prefix24}.${host}`);
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

const clusterPath = (region: string) => `/clusters/${clusterName(config.prefix, region)}`;
const counterUrl = (c: RunningDemandCounter) => `http://127.0.0.1:${c.httpPort}`;

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
  let usEast: RunningDemandCounter;
  let euWest: RunningDemandCounter;

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
  }, 60_000);

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
      reason: expect.stringMatching(/^the counter of pod edge-cache-b answered HTTP 503/),
    });
    // With eu-west-1's users unknown, every figure is a lower bound: sa-east-1's 100 is above its
    // scale-down threshold (80) and is published; the others are left missing, not zero.
    expect(collection!.activeUsers).toEqual({ 'sa-east-1': 100 });
    expect(await datapoint('ActiveUsers', period, 'sa-east-1')).toBe(100);
    expect(await datapoint('ActiveUsers', period, 'us-east-1')).toBeUndefined();
    expect(await datapoint('ActiveUsers', period, 'ap-south-1')).toBeUndefined();
    expect(await datapoint('DemandEdgesSilent', period)).toBe(1);
  });

  it('rejects malformed counts whole, with the reason', async () => {
    const period = freshPeriod();
    sendClients(usEast, '3.208.0', 40, period);
    api.setPods(clusterPath('eu-west-1'), EDGE_NAMESPACE, [
      { name: 'edge-cache-b', portUrl: `http://127.0.0.1:${(malformedPod.address() as AddressInfo).port}` },
    ]);

    const [collection] = await runCollector(period);

    expect(collection!.edges).toContainEqual({
      region: 'eu-west-1',
      answered: false,
      reason: expect.stringMatching(/^the counter of pod edge-cache-b malformed report: /),
    });
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
