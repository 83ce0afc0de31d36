/**
 * The edge task's rollout actions, through its Lambda handler (run from source, the built agent
 * in its ConfigMap) against the Kubernetes API double: the desired configuration, the snapshot of
 * what a region runs, the rollout and its status as kubectl decides it, /health through the load
 * balancer, and the restore of the snapshot.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { mockClient } from 'aws-sdk-client-mock';
import { KubernetesApiDouble, LOAD_BALANCER_HEALTH_PATH } from '../../../sandbox/kubernetes-api-double';
import { EDGE_HEALTH_URL_OVERRIDE_ENV } from '../../../functions/adapters/edge-health';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import { ERROR_NAMES } from '../../../functions/domain/errors';
import { PHASE_DEADLINE_SECONDS } from '../../../functions/domain/phase-deadlines';
import { POLL_PLANS, SETTLED_WAIT_SECONDS } from '../../../functions/domain/poll-schedule';
import { KUBERNETES_API_OVERRIDE_ENV, kubernetesClientFor } from '../../../functions/kubernetes/cluster-access';
import { MAX_SNAPSHOT_BYTES } from '../../../functions/kubernetes/edge-rollout';
import type { EdgeSnapshot } from '../../../functions/tasks/contract';
import type { RegionalEdgeTaskInput } from '../../../functions/tasks/edge-task';
import { exampleConfig } from '../../support/config-fixtures';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';

const eks = mockClient(EKSClient);
const ssm = mockClient(SSMClient);
const api = new KubernetesApiDouble();
const region = 'eu-west-1';
const certificateArn = 'arn:aws:acm:eu-west-1:123456789012:certificate/edge';
const lbHostname = 'edgescale-edge-1.elb.eu-west-1.amazonaws.com';
const paths = {
  namespace: '/api/v1/namespaces/edge',
  nginxConfig: '/api/v1/namespaces/edge/configmaps/edge-cache-config',
  agent: '/api/v1/namespaces/edge/configmaps/edge-agent',
  deployment: '/apis/apps/v1/namespaces/edge/deployments/edge-cache',
  budget: '/apis/policy/v1/namespaces/edge/poddisruptionbudgets/edge-cache',
  service: '/api/v1/namespaces/edge/services/edge',
};
const ALL_PATHS = Object.values(paths);
const NEW_IMAGE = `nginxinc/nginx-unprivileged@sha256:${'1'.repeat(64)}`;

/** The configuration deployed first, and the changed one the rollout brings (another origin and image). */
const before = exampleConfig();
const after = exampleConfig((raw) => {
  raw.edge.originUrl = 'https://new-origin.example.com';
  raw.edge.image = NEW_IMAGE;
});

type Result = Record<string, unknown>;
let handler: (input: unknown) => Promise<Result>;
// Imported once the environment is set (quiet logs): as the Lambda runtime loads it.
let runEdgeAction: (typeof import('../../../functions/tasks/edge-task'))['runEdgeAction'];
const run = (input: unknown) => handler(input);
const deploy = (config: AutoscalerConfig) => setTaskEnvironment(config, { stateTableName: 'unused' });
const imageOf = (object = api.objects.get(paths.deployment)) =>
  (object?.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image;
const decoded = (snapshot: EdgeSnapshot) =>
  JSON.parse(gunzipSync(Buffer.from(snapshot.objects, 'base64')).toString('utf8')) as {
    path: string;
    object: Result;
  }[];
const past = () => new Date(Date.now() - 1000).toISOString();
const later = () => new Date(Date.now() + 600_000).toISOString();
const expectError = (promise: Promise<unknown>, name: string, message: RegExp) =>
  expect(promise).rejects.toMatchObject({ name, message: expect.stringMatching(message) });

/** A region brought up by the scale-up with the first configuration: its edge applied, its load balancer there. */
async function scaledUp(): Promise<void> {
  deploy(before);
  await run({ action: 'applyEdge', region });
  api.provisionLoadBalancer(paths.service, lbHostname);
  api.requests.length = 0;
  deploy(after);
}

beforeAll(async () => {
  const url = await api.start();
  process.env[KUBERNETES_API_OVERRIDE_ENV] = url;
  process.env[EDGE_HEALTH_URL_OVERRIDE_ENV] = `${url}${LOAD_BALANCER_HEALTH_PATH}`;
  deploy(before);
  const module = await import('../../../functions/tasks/edge-task');
  handler = (input) => module.handler(input, lambdaContext('edge-task')) as Promise<Result>;
  runEdgeAction = module.runEdgeAction;
});
afterAll(async () => {
  delete process.env[KUBERNETES_API_OVERRIDE_ENV];
  delete process.env[EDGE_HEALTH_URL_OVERRIDE_ENV];
  await api.stop();
});
beforeEach(() => {
  eks.reset();
  ssm.reset();
  api.reset();
  eks.on(DescribeClusterCommand).resolves({
    cluster: { name: 'edgescale-edge-eu-west-1', status: 'ACTIVE', tags: { 'edge-autoscaler:owner': 'edgescale' } },
  });
  ssm.on(GetParameterCommand).resolves({
    Parameter: {
      Name: '/edgescale/foundation/eu-west-1',
      Value: JSON.stringify({
        vpcId: 'vpc-1',
        subnetIds: ['subnet-a'],
        securityGroupIds: [],
        clusterRoleArn: 'arn:aws:iam::123456789012:role/c',
        nodeRoleArn: 'arn:aws:iam::123456789012:role/n',
        certificateArn,
      }),
    },
  });
});

describe('describeDesiredEdge', () => {
  it('names the configuration by one hash, the one applyEdge and rolloutEdge report, without any AWS or Kubernetes call', async () => {
    deploy(before);
    const { configuration: first } = await run({ action: 'describeDesiredEdge' });
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect((await run({ action: 'applyEdge', region })).configuration).toBe(first);
    const calls = api.requests.length + eks.calls().length;
    deploy(after);
    const { configuration: changed } = await run({ action: 'describeDesiredEdge' });
    expect(changed).not.toBe(first);
    expect(api.requests.length + eks.calls().length).toBe(calls);
    expect((await run({ action: 'rolloutEdge', region })).configuration).toBe(changed);
  });
});

describe('an edge rollout in a serving region', () => {
  it('snapshots what the region runs, applies the new manifests, waits for the rollout, checks /health, and can restore the snapshot', async () => {
    await scaledUp();
    const snapshot = (await run({ action: 'snapshotEdge', region })) as unknown as EdgeSnapshot;
    expect(snapshot.absent).toEqual([]);
    const held = decoded(snapshot);
    expect(held.map((e) => e.path)).toEqual(ALL_PATHS);
    // Re-appliable: no status, nothing the server sets.
    const deployment = held.find((e) => e.path === paths.deployment)!.object;
    expect(deployment).not.toHaveProperty('status');
    expect(Object.keys(deployment.metadata as object).sort()).toEqual(['labels', 'name', 'namespace']);
    expect(imageOf(deployment as never)).toBe(before.edge.image);
    // Reading changes nothing.
    expect(api.requests.every((r) => r.method === 'GET')).toBe(true);

    api.deploymentRolloutSeconds = 3600;
    const started = Date.now();
    const applied = await run({ action: 'rolloutEdge', region });
    expect(applied).toEqual({
      configuration: expect.stringMatching(/^[0-9a-f]{64}$/),
      deadline: expect.any(String),
      waitSeconds: POLL_PLANS.edgeRollout.typicalSeconds,
    });
    const budget = PHASE_DEADLINE_SECONDS.edgeRollout * 1000;
    expect(Date.parse(String(applied.deadline))).toBeGreaterThanOrEqual(started + budget);
    expect(imageOf()).toBe(NEW_IMAGE);
    expect(api.requests.filter((r) => r.method === 'PATCH').map((r) => r.path)).toEqual(ALL_PATHS);

    expect(await run({ action: 'readEdgeRollout', region, deadline: applied.deadline })).toEqual({
      ready: false,
      waitingFor: '1 of 2 new replicas of Deployment edge-cache updated',
      waitSeconds: POLL_PLANS.edgeRollout.pollSeconds,
    });
    api.deploymentRolloutSeconds = 0;
    expect(await run({ action: 'readEdgeRollout', region, deadline: applied.deadline })).toEqual({
      ready: true,
      waitSeconds: SETTLED_WAIT_SECONDS,
    });
    expect(await run({ action: 'checkEdgeHealth', region })).toEqual({ healthy: true, attempts: 1 });
    expect(api.requests.at(-1)?.path).toBe(`/load-balancers/${lbHostname}/health`);

    api.requests.length = 0;
    expect(await run({ action: 'restoreEdge', region, snapshot })).toEqual({ restored: ALL_PATHS, deleted: [] });
    expect(imageOf()).toBe(before.edge.image);
    const nginxConfig = api.objects.get(paths.nginxConfig)?.data as Record<string, string>;
    expect(nginxConfig['default.conf']).toContain('origin.example.com');
    expect(nginxConfig['default.conf']).not.toContain('new-origin.example.com');
    expect(api.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
  });

  it('applies the TLS Service with the region certificate; snapshot, poll and restore read no foundation', async () => {
    await scaledUp();
    ssm.reset();
    ssm.on(GetParameterCommand).rejects(new Error('the foundation must not be read'));
    const snapshot = await run({ action: 'snapshotEdge', region });
    await run({ action: 'readEdgeRollout', region, deadline: later() });
    await run({ action: 'restoreEdge', region, snapshot });
    expect(ssm.calls()).toHaveLength(0);

    ssm.reset();
    ssm.on(GetParameterCommand).resolves({
      Parameter: {
        Name: 'x',
        Value: JSON.stringify({
          vpcId: 'v',
          subnetIds: ['s'],
          securityGroupIds: [],
          clusterRoleArn: 'c',
          nodeRoleArn: 'n',
          certificateArn,
        }),
      },
    });
    await run({ action: 'rolloutEdge', region });
    const service = api.objects.get(paths.service)?.metadata.annotations as Record<string, string>;
    expect(service['service.beta.kubernetes.io/aws-load-balancer-ssl-cert']).toBe(certificateArn);
  });

  it('deletes on restore the objects the rollout added, and only those', async () => {
    await scaledUp();
    // The region ran without a PodDisruptionBudget (an older edge): the rollout adds it.
    api.objects.delete(paths.budget);
    const snapshot = (await run({ action: 'snapshotEdge', region })) as unknown as EdgeSnapshot;
    expect(snapshot.absent).toEqual([paths.budget]);
    await run({ action: 'rolloutEdge', region });
    expect(api.objects.has(paths.budget)).toBe(true);
    api.requests.length = 0;

    const restored = await run({ action: 'restoreEdge', region, snapshot });
    expect(restored).toEqual({ restored: ALL_PATHS.filter((p) => p !== paths.budget), deleted: [paths.budget] });
    expect(api.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([paths.budget]);
    expect(api.objects.has(paths.service)).toBe(true);
  });

  it('refuses a snapshot that names objects outside the edge manifest set, before any change', async () => {
    await scaledUp();
    const snapshot = (await run({ action: 'snapshotEdge', region })) as unknown as EdgeSnapshot;
    const foreign = { ...snapshot, absent: ['/api/v1/namespaces/kube-system/services/kube-dns'] };
    await expectError(
      run({ action: 'restoreEdge', region, snapshot: foreign }),
      ERROR_NAMES.invalidRequest,
      /outside the edge manifest set \(\/api\/v1\/namespaces\/kube-system\/services\/kube-dns\)/,
    );
    await expectError(
      run({ action: 'restoreEdge', region, snapshot: { ...snapshot, objects: 'not a snapshot' } }),
      ERROR_NAMES.invalidRequest,
      /cannot be decoded/,
    );
    expect(api.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('never deletes a protected namespace the manifest set lists, even when it was absent', async () => {
    const customManifests = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'edge', namespace: 'default' },
        spec: { type: 'LoadBalancer' },
      },
    ];
    const action = (input: RegionalEdgeTaskInput) =>
      runEdgeAction(input, {
        config: exampleConfig((raw) => void (raw.edge.manifestsPath = 'edge.json')),
        eks: new EKSClient({ region }),
        elb: new ElasticLoadBalancingV2Client({ region }),
        ssm: new SSMClient({ region }),
        kubernetes: (cluster) => kubernetesClientFor(cluster, region),
        agentScript: 'unused',
        customManifests,
        now: new Date(),
      });
    const snapshot = (await action({ action: 'snapshotEdge', region })) as EdgeSnapshot;
    expect(snapshot.absent).toEqual(['/api/v1/namespaces/default', '/api/v1/namespaces/default/services/edge']);
    await action({ action: 'rolloutEdge', region });
    expect(await action({ action: 'restoreEdge', region, snapshot })).toEqual({
      restored: [],
      deleted: ['/api/v1/namespaces/default/services/edge'],
    });
    expect(api.objects.has('/api/v1/namespaces/default')).toBe(true);
  });
});

describe('readEdgeRollout', () => {
  it('fails at once with ResourceFailedError when Kubernetes reports the rollout stalled (ProgressDeadlineExceeded)', async () => {
    await scaledUp();
    api.stallRollouts('');
    await run({ action: 'rolloutEdge', region });
    await expectError(
      run({ action: 'readEdgeRollout', region, deadline: later() }),
      ERROR_NAMES.resourceFailed,
      /^The edge rollout in eu-west-1 stalled: Deployment edge-cache exceeded its progress deadline/,
    );
  });

  it('fails with DeadlineExceededError when the rollout is still in progress after its deadline', async () => {
    await scaledUp();
    api.deploymentRolloutSeconds = 3600;
    await run({ action: 'rolloutEdge', region });
    await expectError(
      run({ action: 'readEdgeRollout', region, deadline: past() }),
      ERROR_NAMES.deadlineExceeded,
      /the edge rollout in eu-west-1 to complete \(1 of 2 new replicas of Deployment edge-cache updated\)/,
    );
  });

  it('fails with ResourceFailedError when the Deployment is gone', async () => {
    await scaledUp();
    api.objects.delete(paths.deployment);
    await expectError(
      run({ action: 'readEdgeRollout', region, deadline: later() }),
      ERROR_NAMES.resourceFailed,
      /does not exist/,
    );
  });
});

describe('checkEdgeHealth', () => {
  const action = (input: RegionalEdgeTaskInput) =>
    runEdgeAction(input, {
      config: after,
      eks: new EKSClient({ region }),
      elb: new ElasticLoadBalancingV2Client({ region }),
      ssm: new SSMClient({ region }),
      kubernetes: (cluster) => kubernetesClientFor(cluster, region),
      agentScript: 'agent',
      healthCheck: { spacingMs: 10 },
      now: new Date(),
    });

  it('fails with EdgeUnhealthyError when /health does not answer 200 through the load balancer', async () => {
    await scaledUp();
    api.failHealth('');
    await expectError(
      action({ action: 'checkEdgeHealth', region }),
      ERROR_NAMES.edgeUnhealthy,
      new RegExp(
        `The edge of eu-west-1 did not answer /health with 200 through its load balancer ${lbHostname} in 3 attempts \\(last: HTTP 503\\)`,
      ),
    );
  });

  it('fails with EdgeUnhealthyError when the Service has no load balancer to ask', async () => {
    deploy(before);
    await run({ action: 'applyEdge', region });
    await expectError(
      action({ action: 'checkEdgeHealth', region }),
      ERROR_NAMES.edgeUnhealthy,
      /has no load balancer hostname/,
    );
  });
});

describe('the snapshot travels in the workflow state', () => {
  it('keeps the default edge, with the agent script in its ConfigMap, well under the limit', async () => {
    await scaledUp();
    const agent = String((api.objects.get(paths.agent)?.data as Record<string, string>)['edge-agent.mjs']);
    expect(agent.length).toBeGreaterThan(10_000);
    const snapshot = (await run({ action: 'snapshotEdge', region })) as unknown as EdgeSnapshot;
    expect(Buffer.byteLength(JSON.stringify(snapshot))).toBeLessThan(MAX_SNAPSHOT_BYTES / 2);
  });

  it('refuses a snapshot too large for the state with a clear error, before anything is applied', async () => {
    await scaledUp();
    // Incompressible data in a ConfigMap of the region.
    const agentMap = api.objects.get(paths.agent)!;
    agentMap.data = { 'edge-agent.mjs': randomBytes(250 * 1024).toString('base64') };
    await expectError(
      run({ action: 'snapshotEdge', region }),
      ERROR_NAMES.resourceFailed,
      /takes \d+ KB compressed, above the 200 KB the rollout workflow can carry in its state .* nothing was changed; fix: make the edge manifests smaller/,
    );
    expect(api.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});

describe('a cluster that is not ours', () => {
  it.each(['snapshotEdge', 'rolloutEdge', 'readEdgeRollout', 'checkEdgeHealth'])(
    'is never touched by %s',
    async (name) => {
      eks
        .on(DescribeClusterCommand)
        .resolves({ cluster: { name: 'edgescale-edge-eu-west-1', status: 'ACTIVE', tags: {} } });
      await expectError(
        run({ action: name, region }),
        ERROR_NAMES.notOwned,
        /is not tagged edge-autoscaler:owner=edgescale/,
      );
      expect(api.requests).toEqual([]);
    },
  );
});
