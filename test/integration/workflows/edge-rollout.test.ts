/**
 * The edge rollout end to end, on what deploys: the synthesized definition executed locally with
 * the bundled task Lambdas against moto, the Kubernetes API double (which rolls Deployments out
 * and plays the load balancers' /health) and a virtual clock (test/support/deployed-workflows.ts).
 * Two regions come up through the real scale-up, then a changed configuration is deployed and
 * rolled out to them.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { ListTopicsCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EDGE_HEALTH_URL_OVERRIDE_ENV } from '../../../functions/adapters/edge-health';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import { ERROR_NAMES } from '../../../functions/domain/errors';
import { clusterName } from '../../../functions/domain/naming';
import { synthesizedDeployment } from '../../support/deployed-lambdas';
import { startDeployedWorkflows, type DeployedWorkflows } from '../../support/deployed-workflows';
import { describeWithMoto, motoClientConfig } from '../../support/moto';

const CANARY = 'ap-southeast-1';
const ALWAYS_ON = 'us-east-1';
const LATER = 'sa-east-1';
const OTHER_EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:wfroll-scale-down:holder';
const image = (digit: string) => `nginxinc/nginx-unprivileged@sha256:${digit.repeat(64)}`;

let world: DeployedWorkflows;
let notifications: { messages: string[]; server: Server };

const clusterPath = (region: string) => `/clusters/${clusterName(world.config.prefix, region)}`;
const deploymentOf = (region: string) =>
  world.api.objects.get(`${clusterPath(region)}/apis/apps/v1/namespaces/edge/deployments/edge-cache`);
const imageIn = (region: string) =>
  (deploymentOf(region)?.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec
    .containers[0]!.image;
const originIn = (region: string) => {
  const map = world.api.objects.get(`${clusterPath(region)}/api/v1/namespaces/edge/configmaps/edge-cache-config`);
  return /^# Edge cache in front of (\S+) /.exec((map?.data as Record<string, string>)['default.conf'] ?? '')?.[1];
};
/** The Kubernetes writes (PATCH, DELETE) a run sent to the region's cluster. */
const writesTo = (region: string, since: number) =>
  world.api.requests.slice(since).filter((r) => r.method !== 'GET' && r.path.startsWith(`${clusterPath(region)}/`));
const recorded = async (region: string) => (await world.store.getRegionState(region)).edgeConfiguration;
const desired = async () =>
  ((await world.tasks.edgeTask({ action: 'describeDesiredEdge' })) as { configuration: string }).configuration;

/** A `cdk deploy` of the edge with another origin and image. */
const deployEdge = (origin: string, digest: string) =>
  world.redeploy((c: AutoscalerConfig) => ({ ...c, edge: { ...c.edge, originUrl: origin, image: image(digest) } }));

async function subscribe(): Promise<typeof notifications> {
  const messages: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const note = JSON.parse(body) as { Type?: string; Message?: string };
      if (note.Type === 'Notification' && note.Message) messages.push(note.Message);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sns = new SNSClient(motoClientConfig(world.config.homeRegion));
  const { Topics = [] } = await sns.send(new ListTopicsCommand({}));
  const topic = Topics.find((t) => t.TopicArn?.endsWith(`:${world.config.prefix}-notifications`));
  await sns.send(
    new SubscribeCommand({
      TopicArn: topic!.TopicArn,
      Protocol: 'http',
      Endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    }),
  );
  return { messages, server };
}

describeWithMoto('edge rollout: synthesized definition, bundled Lambdas, emulated AWS and Kubernetes', () => {
  let first: string;

  beforeAll(async () => {
    world = await startDeployedWorkflows('wfroll');
    notifications = await subscribe();
    // The pods of a new spec take a minute and a half to roll (virtual time).
    world.api.deploymentRolloutSeconds = 90;
    for (const region of [CANARY, ALWAYS_ON]) expect((await world.run('scaleUp', region)).status).toBe('SUCCEEDED');
    first = await desired();
  }, 540_000);

  afterAll(async () => {
    await new Promise((resolve) => notifications?.server.close(resolve));
    await world?.stop();
  });

  it('asks the load balancers of the double only because the test says so: the deployment never sets the override', () => {
    for (const lambda of Object.values(synthesizedDeployment().lambdas)) {
      expect(lambda.environmentKeys).not.toContain(EDGE_HEALTH_URL_OVERRIDE_ENV);
    }
  });

  it('records the configuration each region got from its scale-up', async () => {
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(await recorded(CANARY)).toBe(first);
    expect(await recorded(ALWAYS_ON)).toBe(first);
    expect(imageIn(CANARY)).toBe(world.config.edge.image);
  });

  it('rolls a changed configuration out to both regions, the canary first and baked, and records it', async () => {
    await deployEdge('https://origin-two.example.com', '2');
    const second = await desired();
    expect(second).not.toBe(first);
    const since = world.api.requests.length;

    const run = await world.runMaintenance('edgeRollout', { reason: 'new origin', requestedBy: 'operator' });
    expect({ status: run.status, error: run.error, cause: run.cause }).toEqual({
      status: 'SUCCEEDED',
      error: undefined,
      cause: undefined,
    });
    for (const region of [CANARY, ALWAYS_ON]) {
      expect(imageIn(region)).toBe(image('2'));
      expect(originIn(region)).toMatch(/origin-two\.example\.com/);
      expect(await recorded(region)).toBe(second);
      expect(await world.store.getLock(region)).toBeUndefined();
    }
    // The canary's objects were all applied, and its bake waited, before the always-on region was touched.
    const firstWriteTo = (region: string) => world.api.requests.indexOf(writesTo(region, since)[0]!);
    expect(firstWriteTo(CANARY)).toBeLessThan(firstWriteTo(ALWAYS_ON));
    expect(run.statesEntered.filter((s) => s === 'BakeCanary')).toHaveLength(1);
    expect(run.waitedSeconds).toBeGreaterThanOrEqual(world.config.edge.rollout.canaryBakeSeconds + 2 * 90);
    // Each region waited for its rollout (90 s) and asked /health through its load balancer.
    expect(run.statesEntered.filter((s) => s === 'WaitForRolloutAgain').length).toBeGreaterThanOrEqual(2);
    const healthChecks = world.api.requests.slice(since).filter((r) => r.path.startsWith('/load-balancers/'));
    expect(healthChecks.length).toBe(3);
    expect(notifications.messages.at(-1)).toMatch(
      /Edge rollout to edge configuration \w{12} finished\. Updated: ap-southeast-1, us-east-1\./,
    );
  }, 360_000);

  it('gives a region that comes up later the desired configuration, and the next rollout leaves it alone', async () => {
    expect((await world.run('scaleUp', LATER)).status).toBe('SUCCEEDED');
    expect(await recorded(LATER)).toBe(await desired());
    expect(imageIn(LATER)).toBe(image('2'));
    const since = world.api.requests.length;
    const run = await world.runMaintenance('edgeRollout', {});
    expect(run.status).toBe('SUCCEEDED');
    expect(writesTo(LATER, since)).toEqual([]);
    expect(writesTo(CANARY, since)).toEqual([]);
  }, 360_000);

  it("restores the canary's previous manifests when its rollout stalls, and leaves the other regions untouched", async () => {
    const before = await desired();
    await deployEdge('https://origin-three.example.com', '3');
    world.api.stallRollouts(clusterPath(CANARY));
    const since = world.api.requests.length;
    try {
      const run = await world.runMaintenance('edgeRollout', { requestedBy: 'operator' });
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe(ERROR_NAMES.resourceFailed);
      expect(run.cause).toMatch(
        /The edge rollout in ap-southeast-1 stalled: Deployment edge-cache exceeded its progress deadline/,
      );
    } finally {
      world.api.stallRollouts(clusterPath(CANARY), false);
    }
    // The canary runs its previous manifests again; nothing of the others was written.
    expect(imageIn(CANARY)).toBe(image('2'));
    expect(originIn(CANARY)).toMatch(/origin-two\.example\.com/);
    for (const region of [ALWAYS_ON, LATER]) {
      expect(writesTo(region, since)).toEqual([]);
      expect(imageIn(region)).toBe(image('2'));
      expect(await recorded(region)).toBe(before);
    }
    expect(await world.store.getRegionState(CANARY)).toMatchObject({
      status: 'ACTIVE',
      edgeConfiguration: before,
      maintenance: { edgeRollout: { status: 'FAILED', cause: expect.stringMatching(/^ResourceFailedError: /) } },
    });
    expect(await world.store.getLock(CANARY)).toBeUndefined();
    expect(
      notifications.messages.some((m) =>
        /Edge rollout of ap-southeast-1 to .* FAILED \(its previous edge manifests were restored/.test(m),
      ),
    ).toBe(true);
  }, 360_000);

  it('skips a region whose lock another execution holds, reports it, and updates the others', async () => {
    const target = await desired();
    await world.store.acquireLock(ALWAYS_ON, OTHER_EXECUTION);
    const since = world.api.requests.length;
    try {
      const run = await world.runMaintenance('edgeRollout', { requestedBy: 'operator' });
      expect(run.status).toBe('SUCCEEDED');
      expect(run.statesEntered).toContain('RegionSkipped');
      expect((await world.store.getLock(ALWAYS_ON))?.owner).toBe(OTHER_EXECUTION);
    } finally {
      await world.store.releaseLock(ALWAYS_ON, OTHER_EXECUTION);
    }
    expect(writesTo(ALWAYS_ON, since)).toEqual([]);
    expect(await recorded(ALWAYS_ON)).not.toBe(target);
    for (const region of [CANARY, LATER]) {
      expect(await recorded(region)).toBe(target);
      expect(imageIn(region)).toBe(image('3'));
    }
    expect(notifications.messages.at(-1)).toMatch(
      /Updated: ap-southeast-1, sa-east-1\. Skipped: (.*; )?us-east-1 \(not maintained: its lock was held/,
    );
  }, 360_000);
});
