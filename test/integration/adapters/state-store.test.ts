import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { StateStore } from '../../../functions/adapters/state-store';
import { documentClient, resetClients } from '../../../functions/commons/aws-clients';
import { RegionLockedError } from '../../../functions/domain/errors';
import { createStateTable } from '../../../sandbox/emulated-deployment';
import { describeWithMoto, useEmulator } from '../../support/moto';

describeWithMoto('StateStore against the emulator', () => {
  let store: StateStore;
  beforeAll(async () => {
    await useEmulator();
    await createStateTable('us-east-1', 'state-store-test');
    store = new StateStore(documentClient('us-east-1'), 'state-store-test');
  });
  afterAll(() => resetClients());

  it('returns an INACTIVE state for a region never seen, and round-trips a written state', async () => {
    const now = new Date('2026-11-21T10:00:00Z');
    expect(await store.getRegionState('sa-east-1', now)).toEqual({
      region: 'sa-east-1',
      status: 'INACTIVE',
      since: '2026-11-21T10:00:00.000Z',
      consecutiveFailures: 0,
    });
    await store.updateRegionState(
      'sa-east-1',
      (s) => ({ ...s, status: 'ACTIVE', activeSince: now.toISOString() }),
      now,
    );
    expect((await store.getRegionState('sa-east-1')).status).toBe('ACTIVE');
  });

  it('gives the lock to one owner at a time, lets the holder retake it, and releases only its own', async () => {
    await store.acquireLock('ap-south-1', 'exec-a');
    await store.acquireLock('ap-south-1', 'exec-a');
    await expect(store.acquireLock('ap-south-1', 'exec-b')).rejects.toThrow(RegionLockedError);
    await expect(store.acquireLock('ap-south-1', 'exec-b')).rejects.toThrow(/locked by exec-a/);
    expect(await store.releaseLock('ap-south-1', 'exec-b')).toBe(false);
    expect((await store.getLock('ap-south-1'))?.owner).toBe('exec-a');
    expect(await store.releaseLock('ap-south-1', 'exec-a')).toBe(true);
    expect(await store.getLock('ap-south-1')).toBeUndefined();
    await store.acquireLock('ap-south-1', 'exec-b');
    expect((await store.getLock('ap-south-1'))?.owner).toBe('exec-b');
  });

  it('lets exactly one of two concurrent owners take a free lock', async () => {
    const results = await Promise.allSettled([
      store.acquireLock('eu-west-3', 'x'),
      store.acquireLock('eu-west-3', 'y'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('moves the decision mark forward only, so stale events are detected', async () => {
    expect(await store.advanceDecisionMark('ap-northeast-1', '2026-11-21T10:05:00Z')).toBe(true);
    expect(await store.advanceDecisionMark('ap-northeast-1', '2026-11-21T10:05:00Z')).toBe(true);
    expect(await store.advanceDecisionMark('ap-northeast-1', '2026-11-21T10:04:00Z')).toBe(false);
    expect(await store.advanceDecisionMark('ap-northeast-1', '2026-11-21T10:06:00Z')).toBe(true);
    expect((await store.getRegionState('ap-northeast-1')).lastDecisionEventAt).toBe('2026-11-21T10:06:00Z');
  });

  it('keeps the decision history newest first', async () => {
    for (const minute of ['01', '02', '03']) {
      await store.recordDecision({
        region: 'ap-southeast-1',
        at: `2026-11-21T10:${minute}:00Z`,
        direction: 'up',
        source: 'alarm',
        outcome: 'rejected',
        reason: `cooldown ${minute}`,
      });
    }
    const decisions = await store.listDecisions('ap-southeast-1', 2);
    expect(decisions.map((d) => d.reason)).toEqual(['cooldown 03', 'cooldown 02']);
  });
});
