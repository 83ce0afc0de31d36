/**
 * Concurrent writers of one region's state item: `regionctl pause` at the same moment as a
 * workflow step (lockRegion, finishScaling, failScaling of the real region task Lambda). Each
 * writes only its own fields, conditioned on what it read, so both writes survive whatever the
 * order of their requests. Against a moto that serializes requests (test/support/serialized-moto.ts):
 * the shared moto_server loses acknowledged writes of its own under concurrency.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { pauseRegion } from '../../../cli/commands/pause';
import { EXIT } from '../../../cli/exit-codes';
import { StateStore } from '../../../functions/adapters/state-store';
import { documentClient } from '../../../functions/commons/aws-clients';
import type { RegionState } from '../../../functions/domain/region-state';
import { exampleConfig } from '../../support/config-fixtures';
import { deployControlStack, uniquePrefix, type EmulatedControlStack } from '../../support/control-stack-fixture';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';
import { describeWithMoto } from '../../support/moto';
import { regionctlEnv } from '../../support/regionctl-env';
import { restoreEmulator, startSerializedMoto, useSerializedMoto } from '../../support/serialized-moto';
import type { MotoServer } from '../../../sandbox/moto-server';

const REGION = 'sa-east-1';
const ROUNDS = 24;
const LONG_AGO = '2026-11-01T00:00:00.000Z';
const recordTarget = { dnsName: 'edge-1.sa-east-1.elb.amazonaws.com', hostedZoneId: 'Z2P70J7HTTTPLU' };

let moto: MotoServer;
let stack: EmulatedControlStack;
let store: StateStore;
let regionTask: (input: unknown) => Promise<Record<string, unknown>>;

const owner = (round: number) =>
  `arn:aws:states:us-east-1:123456789012:execution:${stack.config.prefix}-scale-up:up-${REGION}-round-${round}`;

/**
 * Runs the workflow step and the pause together, one started `lagMs` after the other (the pause
 * first when negative), so that the rounds sweep the interleavings of their requests.
 */
async function together<A, B>(step: () => Promise<A>, pause: () => Promise<B>, lagMs: number): Promise<[A, B]> {
  const later = <T>(run: () => Promise<T>, ms: number) =>
    new Promise<T>((resolve, reject) => setTimeout(() => run().then(resolve, reject), ms));
  return Promise.all([later(step, Math.max(0, lagMs)), later(pause, Math.max(0, -lagMs))]);
}
const lag = (round: number) => ((round % 12) - 4) * 2;

/** Pauses the region through regionctl (as an operator would) and returns the pausedUntil it wrote. */
async function pause(round: number): Promise<string> {
  const now = new Date(Date.UTC(2026, 10, 21, 12, round));
  expect(await pauseRegion(regionctlEnv(stack.config.prefix, now), REGION, { for: '2h' })).toBe(EXIT.ok);
  return new Date(now.getTime() + 2 * 3600_000).toISOString();
}

/** The region as a decision left it for the round's execution (no pause), locked by it when `locked`. */
async function scene(round: number, state: Partial<RegionState>, locked = true): Promise<void> {
  const leftover = await store.getLock(REGION);
  if (leftover) await store.releaseLock(REGION, leftover.owner);
  await store.putRegionState({ region: REGION, status: 'INACTIVE', since: LONG_AGO, consecutiveFailures: 0, ...state });
  if (locked) await store.acquireLock(REGION, owner(round));
}

describeWithMoto('concurrent writers of a region state item (serialized moto)', () => {
  beforeAll(async () => {
    moto = await startSerializedMoto();
    useSerializedMoto(moto);
    stack = await deployControlStack(exampleConfig((c) => void (c.prefix = uniquePrefix('writers'))));
    setTaskEnvironment(stack.config, { stateTableName: stack.stateTableName });
    store = new StateStore(documentClient(stack.config.homeRegion), stack.stateTableName);
    const { handler } = await import('../../../functions/tasks/region-task');
    regionTask = (input) => handler(input, lambdaContext('region-task')) as Promise<Record<string, unknown>>;
  }, 90_000);
  afterAll(async () => {
    restoreEmulator();
    await moto?.stop();
  });

  it('pause at the moment finishScaling makes the region ACTIVE: ACTIVE for the succeeded execution, and paused', async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      await scene(round, { status: 'PROVISIONING', executionArn: owner(round) });
      const finish = () =>
        regionTask({ action: 'finishScaling', region: REGION, owner: owner(round), direction: 'up', recordTarget });
      const [, pausedUntil] = await together(finish, () => pause(round), lag(round));
      const state = await store.getRegionState(REGION);
      expect({ round, ...state }).toMatchObject({ round, status: 'ACTIVE', pausedUntil, recordTarget });
      expect(state.executionArn).toBeUndefined();
      expect(await store.getLock(REGION)).toBeUndefined();
    }
  }, 180_000);

  it('pause at the moment lockRegion takes the region: PROVISIONING for that execution, and paused', async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      await scene(round, { status: 'PROVISIONING', executionArn: owner(round) }, false);
      const lock = () => regionTask({ action: 'lockRegion', region: REGION, owner: owner(round), direction: 'up' });
      const [, pausedUntil] = await together(lock, () => pause(round), lag(round));
      expect({ round, ...(await store.getRegionState(REGION)) }).toMatchObject({
        round,
        status: 'PROVISIONING',
        executionArn: owner(round),
        pausedUntil,
      });
    }
  }, 180_000);

  it('pause at the moment failScaling marks the region FAILED: FAILED with the failure counted, and paused', async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      await scene(round, { status: 'PROVISIONING', executionArn: owner(round), consecutiveFailures: 1 });
      const error = { Error: 'ResourceFailedError', Cause: 'cluster CREATE_FAILED' };
      const fail = () =>
        regionTask({ action: 'failScaling', region: REGION, owner: owner(round), direction: 'up', error });
      const [, pausedUntil] = await together(fail, () => pause(round), lag(round));
      const state = await store.getRegionState(REGION);
      expect({ round, ...state }).toMatchObject({
        round,
        status: 'FAILED',
        consecutiveFailures: 2,
        lastFailureCause: 'ResourceFailedError: cluster CREATE_FAILED',
        pausedUntil,
      });
      expect(state.executionArn).toBeUndefined();
      expect(await store.getLock(REGION)).toBeUndefined();
    }
  }, 180_000);
});
