import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { CreateClusterCommand } from '@aws-sdk/client-eks';
import { CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import {
  CreateStateMachineCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StateStore } from '../../../functions/adapters/state-store';
import { putLatencyRecordDirectly } from '../../support/latency-record';
import {
  cloudWatchClient,
  documentClient,
  eksClient,
  resetClients,
  route53Client,
  sfnClient,
  snsClient,
} from '../../../functions/commons/aws-clients';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import { clusterName, OWNER_TAG_KEY, stateTableName } from '../../../functions/domain/naming';
import { reconcile, type ReconcileDeps } from '../../../functions/reconcile/reconciler';
import { exampleConfig } from '../../support/config-fixtures';
import { createStateTable, zoneNameOf } from '../../../cli/sandbox/emulated-deployment';
import { describeWithMoto, useEmulator } from '../../support/moto';

const HOME = 'us-east-1';
const PASS_DEFINITION = JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } });

/**
 * A fresh control plane in the emulator under its own prefix (state table, topic, hosted zone,
 * the two workflows as trivial Pass machines), so that tests do not see each other.
 */
async function deployment(prefix: string) {
  const tableName = stateTableName(prefix);
  await createStateTable(HOME, tableName);
  const { TopicArn } = await snsClient(HOME).send(new CreateTopicCommand({ Name: `${prefix}-notifications` }));
  const base = exampleConfig((raw) => (raw.prefix = prefix));
  const { HostedZone } = await route53Client().send(
    new CreateHostedZoneCommand({ Name: zoneNameOf(base.dns.recordName), CallerReference: `${prefix}-${Date.now()}` }),
  );
  const hostedZoneId = HostedZone!.Id!.replace('/hostedzone/', '');
  const config: AutoscalerConfig = { ...base, dns: { ...base.dns, hostedZoneId } };
  const controlPlane = { stateTableName: tableName, notificationTopicArn: TopicArn! };
  const sfn = sfnClient(HOME);
  const roleArn = 'arn:aws:iam::123456789012:role/stepfunctions';
  const up = await sfn.send(
    new CreateStateMachineCommand({ name: `${prefix}-scale-up`, definition: PASS_DEFINITION, roleArn }),
  );
  const down = await sfn.send(
    new CreateStateMachineCommand({ name: `${prefix}-scale-down`, definition: PASS_DEFINITION, roleArn }),
  );
  const dynamo = documentClient(HOME);
  const deps: ReconcileDeps = {
    config,
    store: new StateStore(dynamo, controlPlane.stateTableName),
    dynamo,
    tableName: controlPlane.stateTableName,
    sfn,
    machines: { up: up.stateMachineArn!, down: down.stateMachineArn! },
    cloudWatch: cloudWatchClient(HOME),
    route53: route53Client(),
    eks: eksClient,
    sns: snsClient(HOME),
    topicArn: controlPlane.notificationTopicArn,
  };
  return { config, deps, controlPlane };
}

async function executionNames(deps: ReconcileDeps, machine: 'up' | 'down'): Promise<string[]> {
  const { executions = [] } = await deps.sfn.send(
    new ListExecutionsCommand({ stateMachineArn: deps.machines[machine] }),
  );
  return executions.map((e) => e.name!).sort();
}

const scheduledAt = new Date('2026-11-21T12:05:00Z');
const now = new Date('2026-11-21T12:05:02Z');
const longAgo = '2026-11-01T00:00:00.000Z';

describeWithMoto('reconciler against the emulator', () => {
  beforeAll(async () => {
    await useEmulator();
  });
  afterAll(() => resetClients());

  it('brings the always-on regions up in an empty account, once per schedule slot', async () => {
    const { deps } = await deployment('recon-empty');
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
    const { config, deps } = await deployment('recon-record');
    for (const region of config.regions.alwaysOn) {
      await deps.store.putRegionState({
        region,
        status: 'ACTIVE',
        since: longAgo,
        activeSince: longAgo,
        lastTransitionAt: longAgo,
        consecutiveFailures: 0,
      });
      await putLatencyRecordDirectly(config, region);
    }
    await deps.store.putRegionState({
      region: 'ap-south-1',
      status: 'ACTIVE',
      since: longAgo,
      activeSince: longAgo,
      lastTransitionAt: longAgo,
      consecutiveFailures: 0,
    });

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
    const { config, deps, controlPlane } = await deployment('recon-cluster');
    for (const region of config.regions.alwaysOn) {
      await deps.store.putRegionState({
        region,
        status: 'ACTIVE',
        since: longAgo,
        activeSince: longAgo,
        consecutiveFailures: 0,
      });
      await putLatencyRecordDirectly(config, region);
    }
    // A leftover edge cluster in sa-east-1 (INACTIVE), carrying the owner tag.
    const foundation = await eksClient('sa-east-1').send(
      new CreateClusterCommand({
        name: clusterName(config.prefix, 'sa-east-1'),
        roleArn: 'arn:aws:iam::123456789012:role/recon-cluster-sa-east-1-eks-cluster',
        resourcesVpcConfig: { subnetIds: ['subnet-0123456789abcdef0'] },
        tags: { [OWNER_TAG_KEY]: config.prefix },
      }),
    );
    expect(foundation.cluster?.name).toBe('recon-cluster-edge-sa-east-1');
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
    // Read what the topic sends, through an HTTP subscription to a local receiver.
    const received: string[] = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const message = JSON.parse(body) as { Type?: string; Message?: string };
        if (message.Type === 'Notification' && message.Message) received.push(message.Message);
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    await deps.sns.send(
      new SubscribeCommand({
        TopicArn: controlPlane.notificationTopicArn,
        Protocol: 'http',
        Endpoint: `http://127.0.0.1:${port}/`,
      }),
    );

    const actions = await reconcile(deps, scheduledAt, now);

    expect(actions.map((a) => [a.region, a.action])).toEqual([
      ['ap-south-1', 'lock-released'],
      ['sa-east-1', 'drift-reported'],
      ['sa-east-1', 'scale-down-started'],
    ]);
    expect(await deps.store.getLock('ap-south-1')).toBeUndefined();
    expect(await executionNames(deps, 'down')).toEqual(['down-sa-east-1-reconcile-20261121T1205']);
    receiver.close();
    expect(received).toEqual([expect.stringContaining('cluster recon-cluster-edge-sa-east-1 (tagged as ours')]);
  });
});
