/**
 * The reconciler starting the maintenance workflows against the emulator: an edge rollout when an
 * ACTIVE region does not run the deployment's edge configuration, a cluster upgrade when one runs
 * an older Kubernetes version; none while one runs, none twice for one schedule slot, none after
 * the target failed (reported once); and a scaling decision refused while a rollout holds the
 * region's lock is made again once the lock is released. Each test deploys under its own prefix.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { CreateClusterCommand } from '@aws-sdk/client-eks';
import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeExecutionCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { Server } from 'node:http';
import { createScalingAlarms, scalingAlarms } from '../../../sandbox/emulated-automation';
import { readDeploymentTargets } from '../../../functions/adapters/deployment-targets';
import { logger } from '../../../functions/commons/observability';
import { eksClient, resetClients } from '../../../functions/commons/aws-clients';
import { clusterName, OWNER_TAG_KEY, scaleDownAlarmName } from '../../../functions/domain/naming';
import { reconcile } from '../../../functions/reconcile/reconciler';
import { uniquePrefix } from '../../support/control-stack-fixture';
import { describeWithMoto, useEmulator } from '../../support/moto';
import {
  activeSinceLongAgo,
  deployReconciler,
  DESIRED_EDGE_CONFIGURATION,
  executionNames,
  markServing,
  subscribeToNotifications,
} from '../../support/reconciler-fixture';
import { putLatencyRecordDirectly } from '../../support/latency-record';

const scheduledAt = new Date('2026-11-21T12:05:00Z');
const now = new Date('2026-11-21T12:05:02Z');
const nextSlot = new Date('2026-11-21T12:10:00Z');
const nextNow = new Date('2026-11-21T12:10:02Z');
const OLDER = '0123456789ab'.repeat(5) + '0123';
const ROLLOUT_NAME = `rollout-${DESIRED_EDGE_CONFIGURATION.slice(0, 12)}-reconcile-20261121T1205`;

/** The always-on regions serving on the desired configuration and version: nothing to do yet. */
async function deployment(base: string) {
  const { config, deps } = await deployReconciler(uniquePrefix(base));
  await markServing(deps, config.regions.alwaysOn);
  return { config, deps };
}

describeWithMoto('reconciler against the emulator: maintenance of serving regions', () => {
  const servers: Server[] = [];
  beforeAll(async () => {
    await useEmulator();
    logger.setLogLevel('SILENT');
  });
  afterAll(() => {
    for (const server of servers) server.close();
    resetClients();
  });

  it('starts nothing while every ACTIVE region runs the desired configuration and version, and records both', async () => {
    const { config, deps } = await deployment('maintnone');
    expect(await reconcile(deps, scheduledAt, now)).toEqual([]);
    expect(await executionNames(deps, 'edgeRollout')).toEqual([]);
    expect(await executionNames(deps, 'clusterUpgrade')).toEqual([]);
    // What regionctl status compares each region with.
    expect(await readDeploymentTargets(deps.dynamo, deps.tableName)).toEqual({
      edgeConfiguration: DESIRED_EDGE_CONFIGURATION,
      kubernetesVersion: config.cluster.kubernetesVersion,
      observedAt: scheduledAt.toISOString(),
    });
  });

  it('starts one edge rollout for regions on another or no configuration; none twice per slot, none while it runs', async () => {
    const { deps } = await deployment('maintroll');
    await deps.store.putRegionState(activeSinceLongAgo('eu-west-1', { edgeConfiguration: OLDER }));
    await deps.store.putRegionState(activeSinceLongAgo('us-east-1', { edgeConfiguration: undefined }));

    const actions = await reconcile(deps, scheduledAt, now);
    expect(actions).toEqual([
      {
        region: 'us-east-1, eu-west-1',
        action: 'edge-rollout-started',
        detail: expect.stringContaining(`${ROLLOUT_NAME}: us-east-1 runs an unrecorded configuration`),
      },
    ]);
    expect(await executionNames(deps, 'edgeRollout')).toEqual([ROLLOUT_NAME]);
    const arn = deps.maintenanceMachines.edgeRollout!.replace(':stateMachine:', ':execution:') + `:${ROLLOUT_NAME}`;
    const { input } = await deps.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    expect(JSON.parse(input!)).toEqual({
      reason: expect.stringContaining('eu-west-1 runs 0123456789ab'),
      requestedBy: 'reconciler',
      requestedAt: scheduledAt.toISOString(),
    });

    // The same tick delivered again, and the next one while the rollout runs, start nothing.
    expect(await reconcile(deps, scheduledAt, new Date(now.getTime() + 1000))).toEqual([]);
    expect(await reconcile(deps, nextSlot, nextNow)).toEqual([]);
    expect(await executionNames(deps, 'edgeRollout')).toEqual([ROLLOUT_NAME]);
    expect(await executionNames(deps, 'clusterUpgrade')).toEqual([]);
  });

  it('holds a configuration that FAILED in a region, for every region, and reports it once', async () => {
    const { config, deps } = await deployment('maintfail');
    const inbox = await subscribeToNotifications(deps);
    servers.push(inbox.server);
    const failure = {
      status: 'FAILED' as const,
      target: DESIRED_EDGE_CONFIGURATION,
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:x-edge-rollout:rollout-earlier',
      at: '2026-11-21T11:00:00.000Z',
      cause: 'ReadRollout: the Deployment did not become ready by its deadline',
    };
    await deps.store.putRegionState(
      activeSinceLongAgo('ap-south-1', { edgeConfiguration: OLDER, maintenance: { edgeRollout: failure } }),
    );
    await putLatencyRecordDirectly(config, 'ap-south-1');
    await deps.store.putRegionState(activeSinceLongAgo('eu-west-1', { edgeConfiguration: OLDER }));

    const first = await reconcile(deps, scheduledAt, now);
    expect(first).toEqual([
      {
        region: 'ap-south-1',
        action: 'maintenance-held',
        detail: expect.stringContaining(
          'automatic edge rollout to edge configuration a1b2c3d4e5f6 held: it failed in ap-south-1 (ReadRollout: the Deployment did not become ready',
        ),
      },
    ]);
    expect(await reconcile(deps, nextSlot, nextNow)).toEqual([]);
    expect(await executionNames(deps, 'edgeRollout')).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(inbox.messages).toEqual([expect.stringContaining('regionctl rollout --region ap-south-1')]);
  });

  it('starts a cluster upgrade for a region on an older version, recorded or (unrecorded) as EKS reports it', async () => {
    const { config, deps } = await deployment('maintupg');
    await deps.store.putRegionState(activeSinceLongAgo('eu-west-1', { kubernetesVersion: undefined }));
    await eksClient('eu-west-1').send(
      new CreateClusterCommand({
        name: clusterName(config.prefix, 'eu-west-1'),
        version: '1.34',
        roleArn: `arn:aws:iam::123456789012:role/${config.prefix}-eu-west-1-eks-cluster`,
        resourcesVpcConfig: { subnetIds: ['subnet-0123456789abcdef0'] },
        tags: { [OWNER_TAG_KEY]: config.prefix },
      }),
    );
    const actions = await reconcile(deps, scheduledAt, now);
    const version = config.cluster.kubernetesVersion;
    expect(actions).toEqual([
      {
        region: 'eu-west-1',
        action: 'cluster-upgrade-started',
        detail: expect.stringContaining(`eu-west-1 runs 1.34, not Kubernetes ${version}`),
      },
    ]);
    expect(await executionNames(deps, 'clusterUpgrade')).toEqual([
      `upgrade-${version.replace('.', '-')}-reconcile-20261121T1205`,
    ]);

    // A configuration change waits for the upgrade that runs: one maintenance at a time.
    await deps.store.putRegionState(activeSinceLongAgo('us-east-1', { edgeConfiguration: OLDER }));
    expect(await reconcile(deps, nextSlot, nextNow)).toEqual([]);
    expect(await executionNames(deps, 'edgeRollout')).toEqual([]);
  });

  it('refuses a scale-down while a rollout holds the lock, naming it, and makes it once the lock is released', async () => {
    const { config, deps } = await deployment('maintlock');
    const region = 'sa-east-1';
    const { executionArn } = await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.maintenanceMachines.edgeRollout,
        name: 'rollout-a1b2c3d4e5f6-manual-1',
        input: '{}',
      }),
    );
    await deps.store.putRegionState(
      activeSinceLongAgo(region, {
        edgeConfiguration: OLDER,
        maintenance: {
          edgeRollout: {
            status: 'RUNNING',
            target: DESIRED_EDGE_CONFIGURATION,
            executionArn: executionArn!,
            at: now.toISOString(),
          },
        },
      }),
    );
    await putLatencyRecordDirectly(config, region);
    await deps.store.acquireLock(region, executionArn!);
    const alarms = scalingAlarms(config).filter((a) => a.region === region);
    await createScalingAlarms(config, alarms);
    await deps.cloudWatch.send(
      new SetAlarmStateCommand({
        AlarmName: scaleDownAlarmName(config.prefix, region),
        StateValue: 'ALARM',
        StateReason: 'test',
      }),
    );

    const during = await reconcile(deps, scheduledAt, now);
    expect(during).toEqual([
      {
        region,
        action: 'rejected',
        detail: `locked: locked: an edge rollout (execution ${executionArn}) holds the lock of ${region}; the decision waits for it and is made again once it ends`,
      },
    ]);
    expect(await executionNames(deps, 'down')).toEqual([]);

    // The rollout ends without releasing the lock (stopped): the next pass frees it and decides again.
    await deps.sfn.send(new StopExecutionCommand({ executionArn }));
    const after = await reconcile(deps, nextSlot, nextNow);
    expect(after.map((a) => [a.region, a.action])).toEqual([
      [region, 'lock-released'],
      [region, 'scale-down-started'],
    ]);
    expect(await executionNames(deps, 'down')).toEqual([`down-${region}-reconcile-20261121T1210`]);
  });
});
