/**
 * The reconciler's dependencies against the emulator, for the reconcile integration tests: a
 * control plane under its own prefix (state table, topic, hosted zone, the scaling and
 * maintenance workflows as Pass machines, since moto cannot run the real ones), and the few steps
 * the tests take to put regions, records, clusters and a notification receiver in place.
 */
import { CreateClusterCommand } from '@aws-sdk/client-eks';
import { CreateStateMachineCommand, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { demandHistoryReader } from '../../functions/adapters/demand-history';
import { StateStore } from '../../functions/adapters/state-store';
import {
  cloudWatchClient,
  documentClient,
  eksClient,
  route53Client,
  sfnClient,
  snsClient,
} from '../../functions/commons/aws-clients';
import type { AutoscalerConfig, AutoscalerConfigInput } from '../../functions/domain/config';
import { clusterName, OWNER_TAG_KEY, stateTableName } from '../../functions/domain/naming';
import type { MaintenanceKind, RegionState, RegionStatus } from '../../functions/domain/region-state';
import type { ReconcileDeps } from '../../functions/reconcile/reconciler';
import { createHostedZone, createStateTable, zoneNameOf } from '../../sandbox/emulated-deployment';
import { exampleConfig } from './config-fixtures';
import { putLatencyRecordDirectly } from './latency-record';

const PASS_DEFINITION = JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } });

/** Weeks before the tests' passes: no cooldown or minimum active time is still running. */
export const LONG_AGO = '2026-11-01T00:00:00.000Z';

/** The edge configuration the fixture's deployment renders (the reconciler's desiredEdgeConfiguration). */
export const DESIRED_EDGE_CONFIGURATION = 'a1b2c3d4e5f6'.repeat(5) + 'a1b2';

/** The Kubernetes version of the example configuration. */
export const CONFIGURED_KUBERNETES_VERSION = exampleConfig().cluster.kubernetesVersion;

/** ReconcileDeps with the topic the fixture created (the reconciler's own type makes it optional). */
export type EmulatedReconcileDeps = ReconcileDeps & { topicArn: string };

/**
 * The example configuration under `prefix` (changed by `mutate`), with the emulator's hosted zone
 * id, and the reconciler's dependencies on it. `sfn` replaces the Step Functions client.
 */
export async function deployReconciler(
  prefix: string,
  sfn?: SFNClient,
  mutate?: (raw: AutoscalerConfigInput) => void,
): Promise<{ config: AutoscalerConfig; deps: EmulatedReconcileDeps }> {
  const configured = exampleConfig((raw) => {
    raw.prefix = prefix;
    mutate?.(raw);
  });
  const home = configured.homeRegion;
  const hostedZoneId = await createHostedZone(zoneNameOf(configured.dns.recordName), prefix);
  const config: AutoscalerConfig = { ...configured, dns: { ...configured.dns, hostedZoneId } };
  const tableName = stateTableName(prefix);
  await createStateTable(home, tableName);
  const { TopicArn } = await snsClient(home).send(new CreateTopicCommand({ Name: `${prefix}-notifications` }));
  const workflows = sfn ?? sfnClient(home);
  const roleArn = 'arn:aws:iam::123456789012:role/stepfunctions';
  const [up, down, edgeRollout, clusterUpgrade] = await Promise.all(
    ['scale-up', 'scale-down', 'edge-rollout', 'cluster-upgrade'].map((name) =>
      workflows.send(
        new CreateStateMachineCommand({ name: `${prefix}-${name}`, definition: PASS_DEFINITION, roleArn }),
      ),
    ),
  );
  const dynamo = documentClient(home);
  const deps: EmulatedReconcileDeps = {
    config,
    store: new StateStore(dynamo, tableName),
    dynamo,
    tableName,
    sfn: workflows,
    machines: { up: up!.stateMachineArn!, down: down!.stateMachineArn! },
    cloudWatch: cloudWatchClient(home),
    route53: route53Client(),
    eks: eksClient,
    sns: snsClient(home),
    topicArn: TopicArn!,
    maintenanceMachines: {
      edgeRollout: edgeRollout!.stateMachineArn!,
      clusterUpgrade: clusterUpgrade!.stateMachineArn!,
    },
    desiredEdgeConfiguration: () => DESIRED_EDGE_CONFIGURATION,
    readDemandHistory: demandHistoryReader(cloudWatchClient(home), config),
  };
  return { config, deps };
}

/** A region's state whose status began at `at` (its last transition too); no failures unless given. */
export function regionState(
  region: string,
  status: RegionStatus,
  at: string,
  fields: Partial<RegionState> = {},
): RegionState {
  return { region, status, since: at, lastTransitionAt: at, consecutiveFailures: 0, ...fields };
}

/** A region ACTIVE since long ago on the desired edge configuration and Kubernetes version, without its latency record. */
export function activeSinceLongAgo(region: string, fields: Partial<RegionState> = {}): RegionState {
  return regionState(region, 'ACTIVE', LONG_AGO, {
    activeSince: LONG_AGO,
    edgeConfiguration: DESIRED_EDGE_CONFIGURATION,
    kubernetesVersion: CONFIGURED_KUBERNETES_VERSION,
    ...fields,
  });
}

/** Regions ACTIVE since long ago with their latency records: nothing for the reconciler to do there. */
export async function markServing(deps: EmulatedReconcileDeps, regions: readonly string[]): Promise<void> {
  for (const region of regions) {
    await deps.store.putRegionState(activeSinceLongAgo(region));
    await putLatencyRecordDirectly(deps.config, region);
  }
}

/** Creates the edge cluster of `region`, tagged as ours; returns its name as the emulator reports it. */
export async function createOwnedCluster(config: AutoscalerConfig, region: string): Promise<string> {
  const { cluster } = await eksClient(region).send(
    new CreateClusterCommand({
      name: clusterName(config.prefix, region),
      roleArn: `arn:aws:iam::123456789012:role/${config.prefix}-${region}-eks-cluster`,
      resourcesVpcConfig: { subnetIds: ['subnet-0123456789abcdef0'] },
      tags: { [OWNER_TAG_KEY]: config.prefix },
    }),
  );
  return cluster!.name!;
}

/** The names of the executions a workflow has had, sorted. */
export async function executionNames(deps: ReconcileDeps, machine: 'up' | 'down' | MaintenanceKind): Promise<string[]> {
  const stateMachineArn =
    machine === 'up' || machine === 'down' ? deps.machines[machine] : deps.maintenanceMachines[machine];
  const { executions = [] } = await deps.sfn.send(new ListExecutionsCommand({ stateMachineArn }));
  return executions.map((e) => e.name!).sort();
}

export interface NotificationInbox {
  /** The `Message` of every notification the topic delivered so far. */
  messages: string[];
  /** The local receiver: close it when the test is done. */
  server: Server;
}

/** What the topic delivers, through an HTTP subscription to a local receiver. */
export async function subscribeToNotifications(deps: EmulatedReconcileDeps): Promise<NotificationInbox> {
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
