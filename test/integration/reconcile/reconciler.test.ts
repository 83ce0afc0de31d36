import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { CreateClusterCommand } from '@aws-sdk/client-eks';
import { StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { eksClient, resetClients } from '../../../functions/commons/aws-clients';
import { clusterName } from '../../../functions/domain/naming';
import { reconcile } from '../../../functions/reconcile/reconciler';
import { describeWithMoto, useEmulator } from '../../support/moto';
import {
  activeSinceLongAgo,
  createOwnedCluster,
  deployReconciler,
  executionNames,
  markServing,
  subscribeToNotifications,
} from '../../support/reconciler-fixture';

const scheduledAt = new Date('2026-11-21T12:05:00Z');
const now = new Date('2026-11-21T12:05:02Z');

describeWithMoto('reconciler against the emulator', () => {
  beforeAll(async () => {
    await useEmulator();
  });
  afterAll(() => resetClients());

  it('brings the always-on regions up in an empty account, once per schedule slot', async () => {
    const { deps } = await deployReconciler('recon-empty');
    const actions = await reconcile(deps, scheduledAt, now);

    expect(
      actions
        .filter((a) => a.action === 'scale-up-started')
        .map((a) => a.region)
        .sort(),
    ).toEqual(['eu-west-1', 'us-east-1']);
    expect(await executionNames(deps, 'up')).toEqual([
      'up-eu-west-1-reconcile-20261121T1205',
      'up-us-east-1-reconcile-20261121T1205',
    ]);
    expect(await executionNames(deps, 'down')).toEqual([]);
    const decisions = await deps.store.listDecisions('us-east-1');
    expect(decisions[0]).toMatchObject({ source: 'reconciler', outcome: 'started', direction: 'up' });

    // The same tick delivered again starts nothing new.
    await reconcile(deps, scheduledAt, new Date(now.getTime() + 1000));
    expect(await executionNames(deps, 'up')).toHaveLength(2);
  });

  it('repairs drift: an ACTIVE region without its record is scaled up, the others are left alone', async () => {
    const { config, deps } = await deployReconciler('recon-record');
    await markServing(deps, config.regions.alwaysOn);
    await deps.store.putRegionState(activeSinceLongAgo('ap-south-1'));

    const actions = await reconcile(deps, scheduledAt, now);
    expect(actions).toEqual([
      expect.objectContaining({
        region: 'ap-south-1',
        action: 'scale-up-started',
        detail: expect.stringContaining('latency record (SetIdentifier ap-south-1) is missing'),
      }),
    ]);
    expect(await executionNames(deps, 'up')).toEqual(['up-ap-south-1-reconcile-20261121T1205']);
  });

  it('reports and scales down a cluster tagged as ours in an INACTIVE region, and releases a finished lock', async () => {
    const { config, deps } = await deployReconciler('recon-cluster');
    await markServing(deps, config.regions.alwaysOn);
    // A leftover edge cluster in sa-east-1 (INACTIVE), carrying the owner tag.
    expect(await createOwnedCluster(config, 'sa-east-1')).toBe('recon-cluster-edge-sa-east-1');
    // A cluster of the same name pattern that is not ours is never touched.
    await eksClient('ap-northeast-1').send(
      new CreateClusterCommand({
        name: clusterName(config.prefix, 'ap-northeast-1'),
        roleArn: 'arn:aws:iam::123456789012:role/someone-else',
        resourcesVpcConfig: { subnetIds: ['subnet-0123456789abcdef1'] },
        tags: { team: 'video' },
      }),
    );
    // A lock left behind by an execution that was aborted.
    const { executionArn } = await deps.sfn.send(
      new StartExecutionCommand({ stateMachineArn: deps.machines.up, name: 'up-ap-south-1-manual-1', input: '{}' }),
    );
    await deps.sfn.send(new StopExecutionCommand({ executionArn }));
    await deps.store.acquireLock('ap-south-1', executionArn!);
    const inbox = await subscribeToNotifications(deps);

    const actions = await reconcile(deps, scheduledAt, now);

    expect(actions.map((a) => [a.region, a.action])).toEqual([
      ['ap-south-1', 'lock-released'],
      ['sa-east-1', 'drift-reported'],
      ['sa-east-1', 'scale-down-started'],
    ]);
    expect(await deps.store.getLock('ap-south-1')).toBeUndefined();
    expect(await executionNames(deps, 'down')).toEqual(['down-sa-east-1-reconcile-20261121T1205']);
    inbox.server.close();
    expect(inbox.messages).toEqual([expect.stringContaining('cluster recon-cluster-edge-sa-east-1 (tagged as ours')]);
  });
});
