/**
 * The reconciler Lambda, run by an EventBridge schedule every scaling.reconcileIntervalMinutes.
 * The schedule's time names the pass, so a duplicate delivery of one tick starts nothing new.
 */
import { z } from 'zod';
import { demandHistoryReader, type DemandHistory } from '../adapters/demand-history';
import { cloudWatchClient, eksClient, route53Client, snsClient } from '../commons/aws-clients';
import { desiredEdgeConfiguration } from '../commons/desired-edge';
import { lambdaHandler } from '../commons/observability';
import { runtime } from '../commons/runtime';
import type { AutoscalerConfig } from '../domain/config';
import { scalingDeps } from '../decide/decision-handler';
import { reconcile, type ReconcileDeps } from './reconciler';

export const scheduledEventSchema = z.object({
  source: z.literal('aws.events', { error: 'must be "aws.events": the reconciler runs on its schedule' }),
  'detail-type': z.literal('Scheduled Event', { error: 'must be "Scheduled Event"' }),
  time: z.iso.datetime({ offset: true, error: 'must be the ISO-8601 time of the schedule tick' }),
});

/** One reader per runtime: a warm Lambda reads only what is new since its last pass (demand-history.ts). */
let demandHistory: { config: AutoscalerConfig; read: (now: Date) => Promise<DemandHistory> } | undefined;

export function reconcileDeps(): ReconcileDeps {
  const rt = runtime();
  if (demandHistory?.config !== rt.config) {
    demandHistory = { config: rt.config, read: demandHistoryReader(cloudWatchClient(rt.homeRegion), rt.config) };
  }
  return {
    ...scalingDeps(rt),
    cloudWatch: cloudWatchClient(rt.homeRegion),
    route53: route53Client(),
    eks: eksClient,
    sns: snsClient(rt.homeRegion),
    topicArn: rt.notificationTopicArn,
    maintenanceMachines: {
      edgeRollout: rt.edgeRolloutStateMachineArn,
      clusterUpgrade: rt.clusterUpgradeStateMachineArn,
    },
    desiredEdgeConfiguration: () => desiredEdgeConfiguration(rt.config),
    readDemandHistory: demandHistory.read,
  };
}

export const handler = lambdaHandler(scheduledEventSchema, async (event) => {
  const actions = await reconcile(reconcileDeps(), new Date(event.time), new Date());
  return { actions };
});
