/**
 * The scale-down half of the fault matrix on what deploys (test/support/fault-matrix.ts says what it proves).
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { ERROR_NAMES } from '../../../functions/domain/errors';
import { ALWAYS_ON, CONTROL_PLANE_CALLS, ELASTIC, SCALE_DOWN_CALLS, useFaultMatrix } from '../../support/fault-matrix';
import { describeWithMoto } from '../../support/moto';

describeWithMoto('fault matrix on the deployed workflows and bundled Lambdas: scale-down', () => {
  const matrix = useFaultMatrix('wfmatrixdown');
  const world = () => matrix.world();
  const { runCase, inject, recordChangesPending, recordChangesStuck } = matrix;

  describe('scale-down', () => {
    beforeEach(async () => {
      expect((await world().run('scaleUp', ELASTIC)).status).toBe('SUCCEEDED');
    }, 180_000);

    it.each([...SCALE_DOWN_CALLS, ...CONTROL_PLANE_CALLS].map((c) => [c.name, c] as const))(
      '(a) retries a transient %s fault and withdraws the region',
      async (_name, call) => {
        const down = await runCase('scaleDown', recordChangesPending, () => inject(call, 'transient'));
        expect(down.status).toBe('SUCCEEDED');
        expect(down.events.some((e) => e.type === 'StateRetried')).toBe(true);
        expect(await world().holdings(ELASTIC)).toEqual({ clusters: [], nodegroups: [] });
        expect(await world().latencyRecords()).toEqual([ALWAYS_ON]);
        expect((await world().store.getRegionState(ELASTIC)).status).toBe('INACTIVE');
      },
      60_000,
    );

    it.each(SCALE_DOWN_CALLS.filter((c) => c.name !== 'eks DescribeCluster').map((c) => [c.name, c] as const))(
      '(b) after a permanent %s fault fails cleanly: FAILED with the cause, lock free',
      async (_name, call) => {
        const down = await runCase('scaleDown', recordChangesPending, () => inject(call, 'permanent'));
        expect(down.status).toBe('FAILED');
        expect(down.statesEntered).toContain('FailScaling');
        expect(await world().store.getLock(ELASTIC)).toBeUndefined();
        const state = await world().store.getRegionState(ELASTIC);
        expect(state.status).toBe('FAILED');
        expect(state.lastFailureCause).toBeTruthy();
      },
      60_000,
    );

    it('(c) gives up on a record withdrawal that stays PENDING at its deadline', async () => {
      const down = await runCase('scaleDown', recordChangesStuck);
      expect(down).toMatchObject({ status: 'FAILED', error: ERROR_NAMES.deadlineExceeded });
      expect(await world().store.getLock(ELASTIC)).toBeUndefined();
      expect((await world().store.getRegionState(ELASTIC)).status).toBe('FAILED');
    }, 180_000);
  });
});
