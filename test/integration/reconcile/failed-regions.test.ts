/**
 * The reconciler against the emulator, for what failed executions leave behind: a lock and a
 * PROVISIONING mark of an execution that TIMED_OUT, and a cluster of ours still running in an
 * elastic region left FAILED after too many failures. Each test deploys under its own prefix.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import { SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { Server } from 'node:http';
import { logger } from '../../../functions/commons/observability';
import { eksClient, resetClients } from '../../../functions/commons/aws-clients';
import { clusterName } from '../../../functions/domain/naming';
import { MAX_CONSECUTIVE_FAILURES } from '../../../functions/domain/scaling-policy';
import { reconcile } from '../../../functions/reconcile/reconciler';
import { describeWithMoto, useEmulator } from '../../support/moto';
import { uniquePrefix } from '../../support/control-stack-fixture';
import {
  createOwnedCluster,
  deployReconciler,
  executionNames,
  markServing,
  regionState,
  subscribeToNotifications,
} from '../../support/reconciler-fixture';

const HOME = 'us-east-1';

/**
 * The reconciler's control plane under a prefix of its own, the always-on regions ACTIVE with
 * their records so that the reconciler has nothing else to do, and an inbox of what the topic
 * sends. `sfn` replaces the Step Functions client.
 */
async function deployment(base: string, sfn?: SFNClient) {
  const { config, deps } = await deployReconciler(uniquePrefix(base), sfn);
  await markServing(deps, config.regions.alwaysOn);
  const inbox = await subscribeToNotifications(deps);
  return { config, deps, store: deps.store, inbox };
}

/**
 * A Step Functions client that answers DescribeExecution of `executionArn` with TIMED_OUT: moto
 * cannot time an execution out (it has no TimeoutSeconds), so the real answer, ABORTED after a
 * StopExecution, is rewritten. Every other call, and every other execution, is moto's.
 */
function sfnReportingTimedOut(executionArn: () => string): SFNClient {
  const sfn = new SFNClient({ region: HOME, maxAttempts: 1 });
  sfn.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as { executionArn?: string };
      if (context.commandName === 'DescribeExecutionCommand' && input.executionArn === executionArn()) {
        Object.assign(result.output as object, { status: 'TIMED_OUT', stopDate: new Date() });
      }
      return result;
    },
    { step: 'initialize', name: 'timedOutExecution' },
  );
  return sfn;
}

describeWithMoto('reconciler against the emulator: what failed executions leave behind', () => {
  const servers: Server[] = [];
  beforeAll(async () => {
    await useEmulator();
    logger.setLogLevel('SILENT');
  });
  afterAll(() => {
    for (const server of servers) server.close();
    resetClients();
  });

  it('frees the lock and fails the PROVISIONING region of an execution that TIMED_OUT, counting the failure', async () => {
    const execution = { arn: '' };
    const { deps, store, inbox } = await deployment(
      'recontimeout',
      sfnReportingTimedOut(() => execution.arn),
    );
    servers.push(inbox.server);
    const region = 'ap-southeast-1';
    const started = await deps.sfn.send(
      new StartExecutionCommand({ stateMachineArn: deps.machines.up, name: `up-${region}-alarm-1`, input: '{}' }),
    );
    execution.arn = started.executionArn!;
    const timedOut = execution.arn;
    await deps.sfn.send(new StopExecutionCommand({ executionArn: timedOut }));
    // What the execution held when Step Functions timed it out: its lock and its PROVISIONING mark.
    const startedAt = '2026-11-21T10:00:00.000Z';
    await store.putRegionState(
      regionState(region, 'PROVISIONING', startedAt, { executionArn: timedOut, consecutiveFailures: 1 }),
    );
    await store.acquireLock(region, timedOut, new Date(startedAt));

    const now = new Date('2026-11-21T12:05:02Z');
    const actions = await reconcile(deps, new Date('2026-11-21T12:05:00Z'), now);

    expect(actions.filter((a) => a.region === region).map((a) => [a.action, a.detail])).toEqual([
      ['lock-released', `owner ${timedOut} is TIMED_OUT`],
      ['transition-settled', 'left PROVISIONING by an execution that ended TIMED_OUT: now FAILED'],
    ]);
    expect(await store.getLock(region)).toBeUndefined();
    expect(await store.getRegionState(region)).toMatchObject({
      status: 'FAILED',
      consecutiveFailures: 2,
      lastFailureCause: `execution ${timedOut} ended TIMED_OUT without finishing the scale-up`,
    });
    expect((await store.getRegionState(region)).executionArn).toBeUndefined();
  });

  describe('a cluster of ours still running in an elastic region left FAILED', () => {
    it('is reported at every pass with its cost since the region failed, and left in place', async () => {
      const { config, deps, store, inbox } = await deployment('reconstrand');
      servers.push(inbox.server);
      const region = 'sa-east-1';
      const retried = 'ap-south-1';
      const name = clusterName(config.prefix, region);
      for (const r of [region, retried]) await createOwnedCluster(config, r);
      const failedAt = '2026-11-20T10:05:00.000Z';
      await store.putRegionState(
        regionState(region, 'FAILED', failedAt, {
          consecutiveFailures: MAX_CONSECUTIVE_FAILURES,
          lastFailureCause: 'NodeCreationFailure: instances failed to join the cluster',
        }),
      );
      // Failed once only: autoscaling still retries it, so its cluster is not reported.
      await store.putRegionState(regionState(retried, 'FAILED', failedAt, { consecutiveFailures: 1 }));

      // 26 h after the failure, then one pass later.
      const first = await reconcile(deps, new Date('2026-11-21T12:05:00Z'), new Date('2026-11-21T12:05:00Z'));
      const second = await reconcile(deps, new Date('2026-11-21T12:10:00Z'), new Date('2026-11-21T12:10:00Z'));

      // $0.10/h control plane + 2 x t3.medium at $0.0416/h = $0.1832/h; 26 h = $4.76, 26 h 5 min = $4.78.
      const reported = (actions: typeof first) => actions.filter((a) => a.action === 'stranded-cluster-reported');
      expect(reported(first)).toEqual([
        {
          region,
          action: 'stranded-cluster-reported',
          detail: `cluster ${name} (ACTIVE) still runs in FAILED ${region}: about $4.76 in the 26 h since ${region} failed at ${failedAt}, $0.18/h`,
        },
      ]);
      expect(reported(second)).toEqual([
        expect.objectContaining({ region, detail: expect.stringContaining('about $4.78 in the 26 h 5 min since') }),
      ]);
      const strandedNotices = inbox.messages.filter((m) => m.includes(`its cluster ${name}`));
      expect(strandedNotices).toHaveLength(2);
      expect(strandedNotices[0]).toContain(
        'It has cost about $4.76 in the 26 h since sa-east-1 failed at 2026-11-20T10:05:00.000Z, at $0.18/h (EKS control plane $0.10/h + 2 x t3.medium $0.0416/h',
      );
      expect(strandedNotices[0]).toContain('$133.74 a month if it is left running');
      expect(strandedNotices[0]).toContain('"regionctl up sa-east-1"');
      expect(strandedNotices[1]).toContain('about $4.78 in the 26 h 5 min since');

      // Left in place: no scale-down started, the cluster is still there, the region still FAILED.
      expect(await executionNames(deps, 'down')).toEqual([]);
      const { cluster } = await eksClient(region).send(new DescribeClusterCommand({ name }));
      expect(cluster?.status).toBe('ACTIVE');
      expect(await store.getRegionState(region)).toMatchObject({ status: 'FAILED', consecutiveFailures: 3 });
      expect(
        [...first, ...second].filter((a) => a.region === retried && a.action === 'stranded-cluster-reported'),
      ).toEqual([]);
    });
  });
});
