/**
 * The purge's own rules, on its TypeScript source with every boundary real but AWS: the
 * Kubernetes API double's pod proxy in front of real edge agents (edge/edge-agent.ts) purging
 * nginx-format cache directories, EKS answered by aws-sdk-client-mock. (The bundled purge Lambda
 * against moto: test/integration/purge.)
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeClusterCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesApiDouble } from '../../../sandbox/kubernetes-api-double';
import { startEdgeAgent, type RunningEdgeAgent } from '../../../edge/edge-agent';
import { approvedRegions } from '../../../functions/domain/config';
import { InvalidRequestError } from '../../../functions/domain/errors';
import { clusterName } from '../../../functions/domain/naming';
import type { RegionState, RegionStatus } from '../../../functions/domain/region-state';
import { KubernetesClient } from '../../../functions/kubernetes/kubernetes-client';
import { purgeEdgeCaches, type PurgeDeps } from '../../../functions/purge/edge-cache-purge';
import { handler } from '../../../functions/purge/purge-handler';
import { purgeInputSchema } from '../../../functions/purge/purge-input';
import { exampleConfig } from '../../support/config-fixtures';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';
import { writeCacheEntry } from '../../support/nginx-cache-entry';

const config = exampleConfig();
const NAMESPACE = config.edge.namespace;
const eks = mockClient(EKSClient);
const dynamo = mockClient(DynamoDBClient);
const api = new KubernetesApiDouble();
let apiUrl: string;
const agents: RunningEdgeAgent[] = [];
let silentPod: Server;

/** A running agent over a fresh cache directory holding entries for `keys`. */
async function agentWithCache(keys: string[]): Promise<{ url: string; cacheDir: string; files: string[] }> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'purge-cache-'));
  const files = keys.map((key) => writeCacheEntry(cacheDir, key));
  const agent = await startEdgeAgent({
    periodSeconds: 60,
    maxTrackedClients: 10,
    cacheDir,
    syslogPort: 0,
    httpPort: 0,
    httpHost: '127.0.0.1',
  });
  agents.push(agent);
  return { url: `http://127.0.0.1:${agent.httpPort}`, cacheDir, files };
}

const clusterPath = (region: string) => `/clusters/${clusterName(config.prefix, region)}`;

function deps(statuses: Record<string, RegionStatus>, log: string[] = []): PurgeDeps {
  return {
    config,
    regionStates: async (regions) =>
      regions.map((region): RegionState => ({
        region,
        status: statuses[region] ?? 'INACTIVE',
        since: '2026-12-01T08:00:00Z',
        consecutiveFailures: 0,
      })),
    eks: (region) => new EKSClient({ region }),
    kubernetes: async (cluster) =>
      new KubernetesClient({ baseUrl: `${apiUrl}/clusters/${cluster.name}`, bearerToken: 'operator' }),
    log: {
      info: (message) => void log.push(message),
      warn: (message) => void log.push(`WARN ${message}`),
    },
  };
}

beforeAll(async () => {
  apiUrl = await api.start();
  // A pod whose agent answers something that is not a purge result.
  silentPod = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok' }));
  });
  await new Promise<void>((resolve) => silentPod.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await new Promise<void>((resolve) => silentPod.close(() => resolve()));
  await api.stop();
});

beforeEach(() => {
  api.reset();
  eks.reset();
  dynamo.reset();
  eks.on(DescribeClusterCommand).callsFake((input: { name: string }) => ({
    cluster: { name: input.name, status: 'ACTIVE', endpoint: 'https://unused', certificateAuthority: { data: 'x' } },
  }));
});

describe('a purge', () => {
  it("refreshes the path in every pod of every serving region, and reports each region's and pod's part", async () => {
    const a = await agentWithCache(['/images/logo.png', '/images/logo.png?v=2', '/images/other.png']);
    const b = await agentWithCache(['/images/logo.png cookies=session=1', '/index.html']);
    const c = await agentWithCache(['/images/logo.png']);
    api.setPods(clusterPath('us-east-1'), NAMESPACE, [
      { name: 'edge-cache-a', portUrl: a.url },
      { name: 'edge-cache-b', portUrl: b.url },
    ]);
    api.setPods(clusterPath('ap-southeast-1'), NAMESPACE, [{ name: 'edge-cache-c', portUrl: c.url }]);

    const report = await purgeEdgeCaches(
      { path: '/images/logo.png', prefix: false },
      deps({ 'us-east-1': 'ACTIVE', 'ap-southeast-1': 'DRAINING', 'eu-west-1': 'INACTIVE' }),
    );

    expect(report).toEqual({
      schema: 1,
      path: '/images/logo.png',
      prefix: false,
      complete: true,
      regions: [
        {
          region: 'us-east-1',
          status: 'ACTIVE',
          outcome: 'purged',
          pods: [
            { pod: 'edge-cache-a', purged: true, purgedEntries: 2, scannedEntries: 3 },
            { pod: 'edge-cache-b', purged: true, purgedEntries: 1, scannedEntries: 2 },
          ],
          podsPurged: 2,
          purgedEntries: 3,
          scannedEntries: 5,
        },
        {
          region: 'ap-southeast-1',
          status: 'DRAINING',
          outcome: 'purged',
          pods: [{ pod: 'edge-cache-c', purged: true, purgedEntries: 1, scannedEntries: 1 }],
          podsPurged: 1,
          purgedEntries: 1,
          scannedEntries: 1,
        },
      ],
    });
    // The files are gone; what the path does not name stays.
    expect([a.files, b.files, c.files].map((files) => files.map(existsSync))).toEqual([
      [false, false, true],
      [false, true],
      [false],
    ]);
    // Only the serving regions' clusters were asked, through the pod proxy, with the request as the agent takes it.
    expect(
      eks
        .commandCalls(DescribeClusterCommand)
        .map((c) => c.args[0].input.name)
        .sort(),
    ).toEqual([clusterName(config.prefix, 'ap-southeast-1'), clusterName(config.prefix, 'us-east-1')].sort());
    const posts = api.requests.filter((r) => r.method === 'POST');
    expect(posts.map((p) => p.path).sort()).toEqual(
      [
        `${clusterPath('ap-southeast-1')}/api/v1/namespaces/${NAMESPACE}/pods/edge-cache-c:9145/proxy/purge`,
        `${clusterPath('us-east-1')}/api/v1/namespaces/${NAMESPACE}/pods/edge-cache-a:9145/proxy/purge`,
        `${clusterPath('us-east-1')}/api/v1/namespaces/${NAMESPACE}/pods/edge-cache-b:9145/proxy/purge`,
      ].sort(),
    );
    expect(posts.every((p) => p.contentType === 'application/json' && p.authorization === 'Bearer operator')).toBe(
      true,
    );
    expect(posts[0]!.body).toEqual({ path: '/images/logo.png', prefix: false });
  });

  it('purges every path under a prefix', async () => {
    const a = await agentWithCache(['/images/a.png', '/images/b/c.png?x=1', '/imagesque.html', '/index.html']);
    api.setPods(clusterPath('us-east-1'), NAMESPACE, [{ name: 'edge-cache-a', portUrl: a.url }]);
    const report = await purgeEdgeCaches({ path: '/images/', prefix: true }, deps({ 'us-east-1': 'ACTIVE' }));
    expect(report.regions[0]).toMatchObject({ outcome: 'purged', purgedEntries: 2, scannedEntries: 4 });
    expect(a.files.map(existsSync)).toEqual([false, false, true, true]);
  });

  it('goes on when a pod fails, and says which pod and why', async () => {
    const a = await agentWithCache(['/a.css']);
    api.setPods(clusterPath('us-east-1'), NAMESPACE, [
      { name: 'edge-cache-a', portUrl: a.url },
      // Nothing listens there: the API server's proxy answers 503.
      { name: 'edge-cache-gone', portUrl: 'http://127.0.0.1:1' },
      { name: 'edge-cache-old', portUrl: `http://127.0.0.1:${(silentPod.address() as AddressInfo).port}` },
    ]);
    const log: string[] = [];
    const report = await purgeEdgeCaches({ path: '/a.css', prefix: false }, deps({ 'us-east-1': 'ACTIVE' }, log));
    expect(report.complete).toBe(false);
    expect(report.regions[0]).toMatchObject({ outcome: 'partial', podsPurged: 1, purgedEntries: 1 });
    expect(report.regions[0]!.pods).toEqual([
      { pod: 'edge-cache-a', purged: true, purgedEntries: 1, scannedEntries: 1 },
      {
        pod: 'edge-cache-gone',
        purged: false,
        reason: expect.stringMatching(/^its agent answered HTTP 503: error trying to reach service: /),
      },
      {
        pod: 'edge-cache-old',
        purged: false,
        reason:
          'its agent answered something that is not a purge result (schema: Invalid input: expected 1): is the pod running another version of the agent?',
      },
    ]);
    expect(existsSync(a.files[0]!)).toBe(false);
    expect(log).toEqual(['WARN Purge of /a.css in us-east-1: partial']);
  });

  it("passes on the agent's refusal", async () => {
    const a = await agentWithCache([]);
    api.setPods(clusterPath('us-east-1'), NAMESPACE, [{ name: 'edge-cache-a', portUrl: a.url }]);
    const long = `/${'a'.repeat(9000)}`;
    const report = await purgeEdgeCaches({ path: long, prefix: false }, deps({ 'us-east-1': 'ACTIVE' }));
    expect(report.regions[0]!.pods[0]).toEqual({
      pod: 'edge-cache-a',
      purged: false,
      reason: expect.stringMatching(/^its agent answered HTTP 400: path is 9001 characters long/),
    });
  });

  it('purges pods that run but are not ready (they keep their cache), not pending ones', async () => {
    const a = await agentWithCache(['/a.js']);
    const b = await agentWithCache(['/a.js']);
    api.setPods(clusterPath('us-east-1'), NAMESPACE, [
      { name: 'edge-cache-unready', portUrl: a.url, ready: false },
      { name: 'edge-cache-pending', portUrl: b.url, phase: 'Pending' },
    ]);
    const report = await purgeEdgeCaches({ path: '/a.js', prefix: false }, deps({ 'us-east-1': 'ACTIVE' }));
    expect(report.regions[0]!.pods.map((p) => p.pod)).toEqual(['edge-cache-unready']);
    expect(report.regions[0]!.outcome).toBe('purged');
  });

  it('reports a region whose cluster is gone, or whose API refuses, and purges the others', async () => {
    const a = await agentWithCache(['/x']);
    api.setPods(clusterPath('us-east-1'), NAMESPACE, [{ name: 'edge-cache-a', portUrl: a.url }]);
    eks
      .on(DescribeClusterCommand, { name: clusterName(config.prefix, 'sa-east-1') })
      .rejects(new ResourceNotFoundException({ message: 'No cluster found', $metadata: {} }));
    const serving = deps({ 'us-east-1': 'ACTIVE', 'eu-west-1': 'ACTIVE', 'sa-east-1': 'ACTIVE' });
    // eu-west-1's API server does not answer.
    const report = await purgeEdgeCaches(
      { path: '/x', prefix: false },
      {
        ...serving,
        kubernetes: (cluster, region) =>
          region === 'eu-west-1'
            ? Promise.resolve(new KubernetesClient({ baseUrl: 'http://127.0.0.1:1', bearerToken: 'operator' }))
            : serving.kubernetes(cluster, region),
      },
    );
    const byRegion = Object.fromEntries(report.regions.map((r) => [r.region, r]));
    expect(byRegion['us-east-1']).toMatchObject({ outcome: 'purged', purgedEntries: 1 });
    expect(byRegion['sa-east-1']).toMatchObject({ outcome: 'failed', reason: 'its cluster does not exist' });
    expect(byRegion['eu-west-1']).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/^its cluster's API did not answer: Kubernetes GET .*ECONNREFUSED/),
    });
    expect(report.complete).toBe(false);
  });

  it('reports a region asked for that does not serve as not serving, and purges the others asked for', async () => {
    const a = await agentWithCache(['/x']);
    api.setPods(clusterPath('eu-west-1'), NAMESPACE, [{ name: 'edge-cache-a', portUrl: a.url }]);
    const report = await purgeEdgeCaches(
      { path: '/x', prefix: false, regions: ['eu-west-1', 'sa-east-1'] },
      deps({ 'us-east-1': 'ACTIVE', 'eu-west-1': 'ACTIVE', 'sa-east-1': 'INACTIVE' }),
    );
    expect(report.regions.map((r) => [r.region, r.outcome])).toEqual([
      ['eu-west-1', 'purged'],
      ['sa-east-1', 'not-serving'],
    ]);
    expect(report.complete).toBe(true);
    // us-east-1 serves but was not asked for.
    expect(eks.commandCalls(DescribeClusterCommand).map((c) => c.args[0].input.name)).toEqual([
      clusterName(config.prefix, 'eu-west-1'),
    ]);
  });
});

describe('the purge input', () => {
  const schema = purgeInputSchema(() => approvedRegions(config));

  it('takes a path in cache-key form, the prefix flag and optionally approved regions', () => {
    expect(schema.parse({ path: '/images/', prefix: true, regions: ['sa-east-1'] })).toEqual({
      path: '/images/',
      prefix: true,
      regions: ['sa-east-1'],
    });
  });

  it.each([
    [{ path: 'images', prefix: false }, 'path', /does not start with "\/"/],
    [{ path: '/a b', prefix: false }, 'path', /whitespace or a control character/],
    [{ path: '/a', prefix: 'yes' }, 'prefix', /must be true/],
    [{ path: '/a', prefix: false, regions: [] }, 'regions', /at least one region/],
    [{ path: '/a', prefix: false, regions: ['eu-west-1', 'me-south-1'] }, 'regions.1', /not an approved region/],
    [{ path: '/a', prefix: false, region: 'eu-west-1' }, '', /region/],
  ])('refuses %j', (input, field, message) => {
    const result = schema.safeParse(input);
    expect(result.success).toBe(false);
    const issue = result.error!.issues[0]!;
    expect(issue.path.join('.')).toBe(field);
    expect(issue.message).toMatch(message);
  });

  it('is checked by the handler before any AWS call', async () => {
    setTaskEnvironment(config, { stateTableName: 'edgescale-region-state' });
    const refused = handler({ path: '/a?b', prefix: false, regions: ['me-south-1'] }, lambdaContext('purge-handler'));
    await expect(refused).rejects.toThrow(InvalidRequestError);
    await expect(refused).rejects.toThrow(
      /input\.path = "\/a\?b": holds "\?".*; input\.regions\.0 = "me-south-1": is not an approved region of this autoscaler; fix: use one of us-east-1, eu-west-1, /,
    );
    expect(dynamo.calls()).toHaveLength(0);
    expect(eks.calls()).toHaveLength(0);
  });
});
