/**
 * The reconciler against the emulator, for what failed executions leave behind: a lock and a
 * PROVISIONING mark of an execution that TIMED_OUT, and a cluster of ours still running in an
 * elastic region left FAILED after too many failures. Each test deploys under its own prefix.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateClusterCommand, DescribeClusterCommand } from '@aws-sdk/client-eks';
import { CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import {
  CreateStateMachineCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StateStore } from '../../../functions/adapters/state-store';
import { logger } from '../../../functions/commons/observability';
import {
  cloudWatchClient,
  documentClient,
  eksClient,
  resetClients,
  route53Client,
  snsClient,
} from '../../../functions/commons/aws-clients';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import { clusterName, OWNER_TAG_KEY, stateTableName } from '../../../functions/domain/naming';
import { MAX_CONSECUTIVE_FAILURES } from '../../../functions/domain/scaling-policy';
import { reconcile, type ReconcileDeps } from '../../../functions/reconcile/reconciler';
import { createStateTable, zoneNameOf } from '../../../cli/sandbox/emulated-deployment';
import { exampleConfig } from '../../support/config-fixtures';
import { putLatencyRecordDirectly } from '../../support/latency-record';
import { describeWithMoto, useEmulator } from '../../support/moto';
import { uniquePrefix } from '../../support/control-stack-fixture';

const HOME = 'us-east-1';
const PASS_DEFINITION = JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } });
const longAgo = '2026-11-01T00:00:00.000Z';

/**
 * A control plane in the emulator (state table, topic with an HTTP subscriber that keeps what it
 * receives, hosted zone, both workflows as Pass machines), the always-on regions ACTIVE with their
 * records so that the reconciler has nothing else to do. `sfn` replaces the Step Functions client.
 */
async function deployment(base: string, sfn = new SFNClient({ region: HOME, maxAttempts: 1 })) {
  const prefix = uniquePrefix(base);
  const tableName = stateTableName(prefix);
  await createStateTable(HOME, tableName);
  const { TopicArn } = await snsClient(HOME).send(new CreateTopicCommand({ Name: `${prefix}-notifications` }));
  const raw = exampleConfig((c) => void (c.prefix = prefix));
  const { HostedZone } = await route53Client().send(
    new CreateHostedZoneCommand({ Name: zoneNameOf(raw.dns.recordName), CallerReference: `${prefix}-${Date.now()}` }),
  );
  const config: AutoscalerConfig = {
    ...raw,
    dns: { ...raw.dns, hostedZoneId: HostedZone!.Id!.replace('/hostedzone/', '') },
  };
  const roleArn = 'arn:aws:iam::123456789012:role/stepfunctions';
  const [up, down] = await Promise.all(
    ['scale-up', 'scale-down'].map((name) =>
      sfn.send(new CreateStateMachineCommand({ name: `${prefix}-${name}`, definition: PASS_DEFINITION, roleArn })),
    ),
  );
  const dynamo = documentClient(HOME);
  const store = new StateStore(dynamo, tableName);
  const deps: ReconcileDeps = {
    config,
    store,
    dynamo,
    tableName,
    sfn,
    machines: { up: up!.stateMachineArn!, down: down!.stateMachineArn! },
    cloudWatch: cloudWatchClient(HOME),
    route53: route53Client(),
    eks: eksClient,
    sns: snsClient(HOME),
    topicArn: TopicArn!,
  };
  for (const region of config.regions.alwaysOn) {
    await store.putRegionState({
      region,
      status: 'ACTIVE',
      since: longAgo,
      activeSince: longAgo,
      lastTransitionAt: longAgo,
      consecutiveFailures: 0,
    });
    await putLatencyRecordDirectly(config, region);
  }
  const inbox = await subscribe(deps);
  return { config, deps, store, inbox };
}

/** What the topic delivers, through an HTTP subscription to a local receiver. */
async function subscribe(deps: ReconcileDeps): Promise<{ messages: string[]; server: Server }> {
  const messages: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const message = JSON.parse(body) as { Type?: string; Message?: string };
      if (message.Type === 'Notification' && message.Message) messages.push(message.Message);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await deps.sns.send(
    new SubscribeCommand({ TopicArn: deps.topicArn, Protocol: 'http', Endpoint: `http://127.0.0.1:${port}/` }),
  );
  return { messages, server };
}

async function executionNames(deps: ReconcileDeps, machine: 'up' | 'down'): Promise<string[]> {
  const { executions = [] } = await deps.sfn.send(
    new ListExecutionsCommand({ stateMachineArn: deps.machines[machine] }),
  );
  return executions.map((e) => e.name!);
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
    await store.putRegionState({
      region,
      status: 'PROVISIONING',
      since: startedAt,
      lastTransitionAt: startedAt,
      executionArn: timedOut,
      consecutiveFailures: 1,
    });
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
      for (const r of [region, retried]) {
        await eksClient(r).send(
          new CreateClusterCommand({
            name: clusterName(config.prefix, r),
            roleArn: `arn:aws:iam::123456789012:role/${config.prefix}-${r}-eks-cluster`,
            resourcesVpcConfig: { subnetIds: ['subnet-0123456789abcdef0'] },
            tags: { [OWNER_TAG_KEY]: config.prefix },
          }),
        );
      }
      const failedAt = '2026-11-20T10:05:00.000Z';
      await store.putRegionState({
        region,
        status: 'FAILED',
        since: failedAt,
        lastTransitionAt: failedAt,
        consecutiveFailures: MAX_CONSECUTIVE_FAILURES,
        lastFailureCause: 'NodeCreationFailure: instances failed to join the cluster',
      });
      // Failed once only: autoscaling still retries it, so its cluster is not reported.
      await store.putRegionState({
        region: retried,
        status: 'FAILED',
        since: failedAt,
        lastTransitionAt: failedAt,
        consecutiveFailures: 1,
      });

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
