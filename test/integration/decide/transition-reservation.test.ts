import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { StateStore } from '../../../functions/adapters/state-store';
import { releaseReservation, reserveTransition } from '../../../functions/adapters/transition-reservation';
import { documentClient, resetClients } from '../../../functions/commons/aws-clients';
import { createStateTable } from '../../../sandbox/emulated-deployment';
import type { MotoServer } from '../../../sandbox/moto-server';
import { describeWithMoto } from '../../support/moto';
import { restoreEmulator, startSerializedMoto, useSerializedMoto } from '../../support/serialized-moto';

const TABLE = 'transition-reservation-test';
const now = new Date('2026-11-21T12:00:00Z');
const arn = (region: string) => `arn:aws:states:us-east-1:123456789012:execution:edgescale-scale-up:up-${region}-abc`;

// Concurrent transactions on a moto that serves one request at a time: the shared moto_server
// loses acknowledged writes when transactions overlap (test/support/serialized-moto.ts).
describeWithMoto('transition reservation against the emulator (DynamoDB transactions)', () => {
  let store: StateStore;
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startSerializedMoto();
    useSerializedMoto(moto);
    await createStateTable('us-east-1', TABLE);
    store = new StateStore(documentClient('us-east-1'), TABLE);
  }, 90_000);
  afterAll(async () => {
    restoreEmulator();
    resetClients();
    await moto?.stop();
  });

  it('lets only one of two regions that counted the same free slot take it', async () => {
    // Max 2 elastic regions; ap-south-1 is active, so one slot is left for two candidates.
    await store.putRegionState({
      region: 'ap-south-1',
      status: 'ACTIVE',
      since: now.toISOString(),
      consecutiveFailures: 0,
    });
    const reserve = (region: string, other: string) =>
      reserveTransition(documentClient('us-east-1'), TABLE, {
        region,
        direction: 'up',
        observedStatus: 'INACTIVE',
        executionArn: arn(region),
        freeElasticRegions: [region, other, 'sa-east-1'],
        target: 'ACTIVE',
        now,
      });
    const first = await reserve('ap-southeast-1', 'ap-northeast-1');
    const second = await reserve('ap-northeast-1', 'ap-southeast-1');
    expect([first, second]).toEqual([true, false]);
    expect(await store.getRegionState('ap-southeast-1')).toMatchObject({
      status: 'PROVISIONING',
      executionArn: arn('ap-southeast-1'),
    });
    expect((await store.getRegionState('ap-northeast-1')).status).toBe('INACTIVE');
  });

  it('refuses a second reservation of the same region (a duplicate delivery)', async () => {
    const again = await reserveTransition(documentClient('us-east-1'), TABLE, {
      region: 'ap-southeast-1',
      direction: 'up',
      observedStatus: 'INACTIVE',
      executionArn: arn('ap-southeast-1'),
      freeElasticRegions: [],
      target: 'ACTIVE',
      now,
    });
    expect(again).toBe(false);
  });

  it('gives the slot back only for the execution that reserved it', async () => {
    const db = documentClient('us-east-1');
    const release = (executionArn: string) =>
      releaseReservation(db, TABLE, { region: 'ap-southeast-1', direction: 'up', executionArn }, 'INACTIVE', now);
    expect(await release(arn('other'))).toBe(false);
    expect(await release(arn('ap-southeast-1'))).toBe(true);
    const state = await store.getRegionState('ap-southeast-1');
    expect(state.status).toBe('INACTIVE');
    expect(state.executionArn).toBeUndefined();
  });

  it('lets only one of two concurrent scale-down decisions claim an ACTIVE region', async () => {
    await store.putRegionState({
      region: 'sa-east-1',
      status: 'ACTIVE',
      since: now.toISOString(),
      consecutiveFailures: 0,
    });
    const claim = (trigger: string) =>
      reserveTransition(documentClient('us-east-1'), TABLE, {
        region: 'sa-east-1',
        direction: 'down',
        observedStatus: 'ACTIVE',
        executionArn: `${arn('sa-east-1')}-${trigger}`,
        freeElasticRegions: [],
        target: 'INACTIVE',
        now,
      });
    const outcomes = await Promise.all([claim('alarm'), claim('reconciler')]);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    expect((await store.getRegionState('sa-east-1')).status).toBe('DRAINING');
  });

  it('claims a WARM region for its scale-up, recording where it comes from and goes to, and gives it back WARM', async () => {
    await store.putRegionState({
      region: 'ap-south-1',
      status: 'WARM',
      since: now.toISOString(),
      consecutiveFailures: 0,
    });
    const db = documentClient('us-east-1');
    const reservation = {
      region: 'ap-south-1',
      direction: 'up' as const,
      observedStatus: 'WARM' as const,
      observedSince: now.toISOString(),
      executionArn: arn('ap-south-1'),
      freeElasticRegions: [],
      target: 'ACTIVE' as const,
      now,
    };
    expect(await reserveTransition(db, TABLE, reservation)).toBe(true);
    expect(await store.getRegionState('ap-south-1')).toMatchObject({
      status: 'PROVISIONING',
      transitionFrom: 'WARM',
      transitionTarget: 'ACTIVE',
    });
    expect(await releaseReservation(db, TABLE, reservation, 'WARM', now)).toBe(true);
    expect((await store.getRegionState('ap-south-1')).status).toBe('WARM');
  });

  it('counts a region warming up (PROVISIONING towards WARM) as free, and one provisioning to serve as taken', async () => {
    const db = documentClient('us-east-1');
    await store.putRegionState({
      region: 'ap-northeast-1',
      status: 'PROVISIONING',
      transitionTarget: 'WARM',
      since: now.toISOString(),
      consecutiveFailures: 0,
    });
    await store.putRegionState({
      region: 'eu-west-2',
      status: 'INACTIVE',
      since: now.toISOString(),
      consecutiveFailures: 0,
    });
    const claim = (region: string, free: string[]) =>
      reserveTransition(db, TABLE, {
        region,
        direction: 'up',
        observedStatus: 'INACTIVE',
        executionArn: arn(`${region}-slot`),
        freeElasticRegions: free,
        target: 'ACTIVE',
        now,
      });
    expect(await claim('eu-west-2', ['eu-west-2', 'ap-northeast-1'])).toBe(true);
    await store.updateRegionState('ap-northeast-1', (s) => ({ ...s, transitionTarget: 'ACTIVE' }));
    await store.putRegionState({
      region: 'eu-west-3',
      status: 'INACTIVE',
      since: now.toISOString(),
      consecutiveFailures: 0,
    });
    expect(await claim('eu-west-3', ['eu-west-3', 'ap-northeast-1'])).toBe(false);
  });
});
