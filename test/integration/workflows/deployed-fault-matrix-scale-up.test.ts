/**
 * The scale-up half of the fault matrix on what deploys (test/support/fault-matrix.ts says what it proves).
 */
import { describe, expect, it } from '@jest/globals';
import { FAULTS, type CallMatch } from '../../../sandbox/aws-proxy';
import { ERROR_NAMES } from '../../../functions/domain/errors';
import { clusterName, nodegroupName } from '../../../functions/domain/naming';
import type { WorkflowName } from '../../../workflows/definitions';
import { ALWAYS_ON, CONTROL_PLANE_CALLS, ELASTIC, SCALE_UP_CALLS, useFaultMatrix } from '../../support/fault-matrix';
import { describeWithMoto } from '../../support/moto';

describeWithMoto('fault matrix on the deployed workflows and bundled Lambdas: scale-up', () => {
  const matrix = useFaultMatrix('wfmatrixup');
  const world = () => matrix.world();
  const { runCase, inject, expectNothingLeft, recordChangesPending, recordChangesStuck } = matrix;

  it.each<[WorkflowName, string, CallMatch]>([
    ['scaleUp', 'ssm GetParameter', { service: 'ssm', operation: 'GetParameter', region: ELASTIC }],
    ['scaleDown', 'eks DescribeCluster', { service: 'eks', operation: 'DescribeCluster', region: ELASTIC }],
  ])(
    '(b) %s refuses before the lock, changing nothing, after a permanent %s fault',
    async (workflow, _name, match) => {
      const before = await world().store.getRegionState(ELASTIC);
      const run = await runCase(workflow, () => world().proxy.failNextCall(match, FAULTS.accessDenied));
      expect(run).toMatchObject({ status: 'FAILED', error: 'AccessDeniedException' });
      expect(run.statesEntered).toEqual(['ValidateRequest', 'NotifyRefusal', 'Refused']);
      expect(await world().store.getRegionState(ELASTIC)).toMatchObject({ status: before.status });
      expect(await world().store.getLock(ELASTIC)).toBeUndefined();
    },
    60_000,
  );

  describe('scale-up', () => {
    it.each([...SCALE_UP_CALLS, ...CONTROL_PLANE_CALLS].map((c) => [c.name, c] as const))(
      '(a) retries a transient %s fault and serves',
      async (_name, call) => {
        const up = await runCase('scaleUp', recordChangesPending, () => inject(call, 'transient'));
        expect(up.status).toBe('SUCCEEDED');
        expect(up.events.some((e) => e.type === 'StateRetried')).toBe(true);
        expect(await world().latencyRecords()).toEqual([ELASTIC, ALWAYS_ON].sort());
        expect((await world().store.getRegionState(ELASTIC)).status).toBe('ACTIVE');
      },
      60_000,
    );

    it.each(SCALE_UP_CALLS.map((c) => [c.name, c] as const))(
      '(b) after a permanent %s fault rolls back everything and frees the lock',
      async (_name, call) => {
        const up = await runCase('scaleUp', recordChangesPending, () => inject(call, 'permanent'));
        expect(up.status).toBe('FAILED');
        expect(up.statesEntered).toContain('FailScaling');
        await expectNothingLeft();
      },
      60_000,
    );

    const stuck: [string, () => () => void][] = [
      [
        'a cluster that stays CREATING',
        () =>
          world().proxy.rewriteJson<{ cluster?: { status?: string } }>(
            { service: 'eks', operation: 'DescribeCluster', region: ELASTIC },
            (body) => void (body.cluster && (body.cluster.status = 'CREATING')),
          ),
      ],
      [
        'a nodegroup that stays CREATING',
        () =>
          world().proxy.rewriteJson<{ nodegroup?: { status?: string } }>(
            { service: 'eks', operation: 'DescribeNodegroup', region: ELASTIC },
            (body) => void (body.nodegroup && (body.nodegroup.status = 'CREATING')),
          ),
      ],
      [
        'a load balancer that never comes',
        () => {
          const controller = world().api.cloudController;
          world().api.cloudController = undefined;
          return () => void (world().api.cloudController = controller);
        },
      ],
      ['a record change that stays PENDING', recordChangesStuck],
    ];
    it.each(stuck)(
      '(c) gives up on %s at its phase deadline and rolls back',
      async (_what, makeStuck) => {
        const up = await runCase('scaleUp', makeStuck);
        expect(up).toMatchObject({ status: 'FAILED', error: ERROR_NAMES.deadlineExceeded });
        expect(up.cause).toMatch(/deadline/);
        await expectNothingLeft();
        expect((await world().store.getRegionState(ELASTIC)).lastFailureCause).toMatch(/deadline/);
      },
      60_000,
    );

    it('owns a cluster whose CreateCluster response was lost, and rolls it back after a later failure', async () => {
      const up = await runCase(
        'scaleUp',
        () =>
          world().proxy.loseNextResponse(
            { service: 'eks', operation: 'CreateCluster', region: ELASTIC },
            FAULTS.internalFailure,
          ),
        () =>
          world().proxy.failNextCall(
            { service: 'eks', operation: 'CreateNodegroup', region: ELASTIC },
            FAULTS.accessDenied,
          ),
      );
      expect(up.status).toBe('FAILED');
      await expectNothingLeft();
    }, 180_000);

    it('after adopting a cluster, rolls back the record and the Service it wrote, and keeps the cluster', async () => {
      expect((await world().run('scaleUp', ELASTIC)).status).toBe('SUCCEEDED');
      // An earlier run left the cluster and nodegroup but neither the edge Service nor the record.
      await world().tasks.dnsTask({ action: 'deleteRecord', region: ELASTIC });
      for (let i = 0; i < 5; i++) {
        const deleted = (await world().tasks.edgeTask({ action: 'deleteEdge', region: ELASTIC })) as { ready: boolean };
        if (deleted.ready) break;
      }
      expect(await world().loadBalancers(ELASTIC)).toEqual([]);

      const up = await runCase('scaleUp', recordChangesPending, () =>
        world().proxy.failNextCall({ service: 'route53', operation: 'GetChange' }, FAULTS.accessDenied),
      );
      expect(up.status).toBe('FAILED');
      expect(up.statesEntered).toEqual(expect.arrayContaining(['RollBackRecord', 'RollBackEdge']));
      expect(up.statesEntered).not.toContain('RollBackCluster');
      expect(await world().holdings(ELASTIC)).toEqual({
        clusters: [clusterName(world().config.prefix, ELASTIC)],
        nodegroups: [nodegroupName(world().config.prefix)],
      });
      expect(await world().latencyRecords()).toEqual([ALWAYS_ON]);
      expect(await world().loadBalancers(ELASTIC)).toEqual([]);
      expect(await world().store.getLock(ELASTIC)).toBeUndefined();
    }, 180_000);
  });
});
