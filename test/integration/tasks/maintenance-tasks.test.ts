/**
 * The region task's maintenance actions (edge rollout, cluster upgrade), through its Lambda
 * handler against the emulator's DynamoDB and SNS: the plan read from the state table, the lock
 * taken (and given back when the region cannot be maintained), the records written, and the
 * notifications delivered. Unique prefix: other suites share moto.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { provisionEmulatedDeployment } from '../../../sandbox/emulated-deployment';
import { StateStore } from '../../../functions/adapters/state-store';
import { documentClient } from '../../../functions/commons/aws-clients';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import { ERROR_NAMES } from '../../../functions/domain/errors';
import type { RegionState, RegionStatus } from '../../../functions/domain/region-state';
import { exampleConfig } from '../../support/config-fixtures';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';
import { describeWithMoto, motoClientConfig, useEmulator } from '../../support/moto';

const OLD = 'a'.repeat(64);
const DESIRED = 'b'.repeat(64);
const owner = 'arn:aws:states:us-east-1:000000000000:execution:maintasks-edge-rollout:run-1';
const other = 'arn:aws:states:us-east-1:000000000000:execution:maintasks-scale-down:other';

let config: AutoscalerConfig;
let store: StateStore;
let regionTask: (input: unknown) => Promise<Record<string, unknown>>;
let inbox: { messages: { subject: string; message: string }[]; server: Server };

const put = (region: string, status: RegionStatus, extra: Partial<RegionState> = {}) =>
  store.putRegionState({ region, status, since: '2026-11-30T00:00:00.000Z', consecutiveFailures: 0, ...extra });
const call = (input: Record<string, unknown>) => regionTask({ kind: 'edgeRollout', ...input });
const lockOf = async (region: string) => (await store.getLock(region))?.owner;
/** The notifications delivered so far (moto posts them to the subscription as it publishes). */
const delivered = async (count: number) => {
  for (let i = 0; i < 50 && inbox.messages.length < count; i++) await new Promise((r) => setTimeout(r, 20));
  return inbox.messages;
};

async function subscribe(topicArn: string): Promise<typeof inbox> {
  const messages: typeof inbox.messages = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const note = JSON.parse(body) as { Type?: string; Subject?: string; Message?: string };
      if (note.Type === 'Notification') messages.push({ subject: note.Subject ?? '', message: note.Message ?? '' });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  await new SNSClient(motoClientConfig(config.homeRegion)).send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: endpoint }),
  );
  return { messages, server };
}

describeWithMoto('the region task maintenance actions against the emulator', () => {
  beforeAll(async () => {
    await useEmulator();
    const provisioned = await provisionEmulatedDeployment(exampleConfig((raw) => void (raw.prefix = 'maintasks')));
    config = provisioned.config;
    setTaskEnvironment(config, provisioned.controlPlane);
    store = new StateStore(documentClient(config.homeRegion), provisioned.controlPlane.stateTableName);
    const module = await import('../../../functions/tasks/region-task');
    regionTask = (input) => module.handler(input, lambdaContext('region-task')) as Promise<Record<string, unknown>>;
    inbox = await subscribe(provisioned.controlPlane.notificationTopicArn);
  }, 180_000);
  afterAll(async () => {
    await new Promise((resolve) => inbox?.server.close(resolve));
  });
  beforeEach(async () => {
    inbox.messages.length = 0;
    for (const region of [...config.regions.alwaysOn, ...config.regions.elastic]) {
      await put(region, 'ACTIVE', { edgeConfiguration: OLD });
      const lock = await store.getLock(region);
      if (lock) await store.releaseLock(region, lock.owner);
    }
  });

  it('plans from the state table: ACTIVE regions not at the target, elastic first, the others skipped with why', async () => {
    await put('sa-east-1', 'ACTIVE', { edgeConfiguration: DESIRED });
    await put('ap-south-1', 'PROVISIONING');
    const plan = await call({ action: 'planMaintenance', request: { reason: 'new origin' }, target: DESIRED });
    expect(plan).toMatchObject({
      kind: 'edgeRollout',
      target: DESIRED,
      regions: ['ap-southeast-1', 'ap-northeast-1', 'us-east-1', 'eu-west-1'],
      canary: 'ap-southeast-1',
      skipped: [
        { region: 'sa-east-1', reason: `already at ${DESIRED}` },
        { region: 'ap-south-1', reason: expect.stringMatching(/^PROVISIONING, not ACTIVE/) },
      ],
      reason: 'new origin',
    });
    // A cluster upgrade without a target goes to the configured Kubernetes version.
    expect(await regionTask({ action: 'planMaintenance', kind: 'clusterUpgrade', request: {} })).toMatchObject({
      target: config.cluster.kubernetesVersion,
    });
  });

  it('refuses a bad maintenance input with InvalidRequestError naming the field and the fix', async () => {
    await expect(
      call({ action: 'planMaintenance', request: { region: 'eu-west-1' }, target: DESIRED }),
    ).rejects.toMatchObject({
      name: ERROR_NAMES.invalidRequest,
      message: expect.stringMatching(
        /^Invalid maintenance input: .*region.*; fix: send \{ "regions": \["<approved region>"\]/,
      ),
    });
    await expect(
      call({ action: 'planMaintenance', request: { regions: ['eu-north-1'] }, target: DESIRED }),
    ).rejects.toMatchObject({
      name: ERROR_NAMES.invalidRequest,
      message: expect.stringContaining('regions eu-north-1 are not approved'),
    });
  });

  it('locks an ACTIVE region for the rollout and records it RUNNING, the status unchanged', async () => {
    await call({ action: 'lockForMaintenance', region: 'eu-west-1', owner, target: DESIRED });
    expect(await lockOf('eu-west-1')).toBe(owner);
    expect(await store.getRegionState('eu-west-1')).toMatchObject({
      status: 'ACTIVE',
      edgeConfiguration: OLD,
      maintenance: { edgeRollout: { status: 'RUNNING', target: DESIRED, executionArn: owner } },
    });
    // A retried call of the same execution takes it again.
    await call({ action: 'lockForMaintenance', region: 'eu-west-1', owner, target: DESIRED });
    expect(await lockOf('eu-west-1')).toBe(owner);
  });

  it('refuses with RegionLockedError a region another execution holds, and leaves its lock and state alone', async () => {
    await store.acquireLock('eu-west-1', other);
    const before = await store.getRegionState('eu-west-1');
    await expect(
      call({ action: 'lockForMaintenance', region: 'eu-west-1', owner, target: DESIRED }),
    ).rejects.toMatchObject({
      name: ERROR_NAMES.regionLocked,
      message: expect.stringContaining(`locked by ${other}`),
    });
    expect(await lockOf('eu-west-1')).toBe(other);
    expect(await store.getRegionState('eu-west-1')).toEqual(before);
  });

  it.each<[string, Partial<RegionState> & { status: RegionStatus }, RegExp]>([
    ['not ACTIVE', { status: 'DRAINING' }, /skipped: it is DRAINING, no longer ACTIVE/],
    ['claimed for a scaling execution', { status: 'ACTIVE', executionArn: other }, /skipped: it is claimed for/],
    ['paused', { status: 'ACTIVE', pausedUntil: '2099-01-01T00:00:00.000Z' }, /skipped: it is paused until 2099/],
  ])('refuses with RefusedError a region %s, and releases the lock it took', async (_what, state, message) => {
    const { status, ...extra } = state;
    await put('sa-east-1', status, extra);
    await expect(
      call({ action: 'lockForMaintenance', region: 'sa-east-1', owner, target: DESIRED }),
    ).rejects.toMatchObject({
      name: ERROR_NAMES.refused,
      message: expect.stringMatching(message),
    });
    expect(await lockOf('sa-east-1')).toBeUndefined();
    expect((await store.getRegionState('sa-east-1')).maintenance).toBeUndefined();
  });

  it('records the hash when the rollout finishes, and releases the lock', async () => {
    await call({ action: 'lockForMaintenance', region: 'eu-west-1', owner, target: DESIRED });
    await call({ action: 'finishMaintenance', region: 'eu-west-1', owner, target: DESIRED });
    expect(await lockOf('eu-west-1')).toBeUndefined();
    expect(await store.getRegionState('eu-west-1')).toMatchObject({
      status: 'ACTIVE',
      edgeConfiguration: DESIRED,
      maintenance: { edgeRollout: { status: 'SUCCEEDED', target: DESIRED, executionArn: owner } },
    });
  });

  it('does not record a finish for an execution that does not hold the lock', async () => {
    await store.acquireLock('eu-west-1', other);
    await expect(
      call({ action: 'finishMaintenance', region: 'eu-west-1', owner, target: DESIRED }),
    ).rejects.toMatchObject({
      name: ERROR_NAMES.regionLocked,
    });
    expect(await store.getRegionState('eu-west-1')).toMatchObject({ edgeConfiguration: OLD });
  });

  it('records a failure with its cause, releases the lock and notifies what the region runs', async () => {
    await call({ action: 'lockForMaintenance', region: 'eu-west-1', owner, target: DESIRED });
    const error = {
      Error: ERROR_NAMES.edgeUnhealthy,
      Cause: JSON.stringify({
        errorType: ERROR_NAMES.edgeUnhealthy,
        errorMessage: 'The edge of eu-west-1 did not answer /health',
      }),
      restored: { restored: ['/apis/apps/v1/namespaces/edge/deployments/edge-cache'], deleted: [] },
    };
    expect(await call({ action: 'failMaintenance', region: 'eu-west-1', owner, target: DESIRED, error })).toEqual({
      notified: true,
    });
    expect(await lockOf('eu-west-1')).toBeUndefined();
    expect(await store.getRegionState('eu-west-1')).toMatchObject({
      status: 'ACTIVE',
      edgeConfiguration: OLD,
      maintenance: {
        edgeRollout: {
          status: 'FAILED',
          target: DESIRED,
          cause: 'EdgeUnhealthyError: The edge of eu-west-1 did not answer /health',
        },
      },
    });
    const [note] = await delivered(1);
    expect(note?.subject).toMatch(/Edge rollout of eu-west-1 FAILED/);
    expect(note?.message).toMatch(
      new RegExp(
        `to edge configuration ${DESIRED.slice(0, 12)} FAILED \\(its previous edge manifests were restored and the rollout stopped\\): EdgeUnhealthyError`,
      ),
    );
  });

  it('says so when the restore failed too, and records both causes', async () => {
    await call({ action: 'lockForMaintenance', region: 'eu-west-1', owner, target: DESIRED });
    const error = {
      Error: ERROR_NAMES.deadlineExceeded,
      Cause: 'Gave up waiting for the edge rollout in eu-west-1 to complete',
      restore: { Error: ERROR_NAMES.transient, Cause: 'Kubernetes PATCH answered HTTP 503' },
    };
    await call({ action: 'failMaintenance', region: 'eu-west-1', owner, target: DESIRED, error });
    expect((await store.getRegionState('eu-west-1')).maintenance?.edgeRollout?.cause).toBe(
      'DeadlineExceededError: Gave up waiting for the edge rollout in eu-west-1 to complete; the restore failed too: TransientError: Kubernetes PATCH answered HTTP 503',
    );
    const [note] = await delivered(1);
    expect(note?.message).toContain(
      'restoring its previous edge manifests failed too, so it may run part of the new ones',
    );
  });

  it("notifies a failure of an execution that does not hold the lock, leaving the holder's state alone", async () => {
    await store.acquireLock('eu-west-1', other);
    const before = await store.getRegionState('eu-west-1');
    const error = { Error: ERROR_NAMES.transient, Cause: 'throttled' };
    expect(await call({ action: 'failMaintenance', region: 'eu-west-1', owner, target: DESIRED, error })).toEqual({
      notified: true,
    });
    expect(await lockOf('eu-west-1')).toBe(other);
    expect(await store.getRegionState('eu-west-1')).toEqual(before);
    const [note] = await delivered(1);
    expect(note?.message).toContain('nothing had been applied to it');
  });

  it('sends one summary of the run: updated, skipped by the plan, and not maintained', async () => {
    await put('sa-east-1', 'ACTIVE', { edgeConfiguration: DESIRED });
    const plan = await call({ action: 'planMaintenance', request: {}, target: DESIRED });
    const regions = plan.regions as string[];
    await store.acquireLock('ap-northeast-1', other);
    for (const region of regions.filter((r) => r !== 'ap-northeast-1')) {
      await call({ action: 'lockForMaintenance', region, owner, target: DESIRED });
      await call({ action: 'finishMaintenance', region, owner, target: DESIRED });
    }
    expect(await regionTask({ action: 'notifyMaintenance', owner, plan })).toEqual({ notified: true });
    const [note] = await delivered(1);
    expect(note?.subject).toMatch(/Edge rollout finished: 4 updated, 2 skipped/);
    expect(note?.message).toContain('Updated: ap-southeast-1, ap-south-1, us-east-1, eu-west-1.');
    expect(note?.message).toMatch(
      /Skipped: sa-east-1 \(already at b+\); ap-northeast-1 \(not maintained: its lock was held/,
    );
  });
});
