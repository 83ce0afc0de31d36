/**
 * Task Lambda of the scale-up / scale-down workflows: the region's own latency record in the
 * configured hosted zone (Route53 is global). See contract.ts for the actions and their results.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import { deleteLatencyRecord, getChangeStatus, upsertLatencyRecord } from '../adapters/route53-record';
import { route53Client } from '../commons/aws-clients';
import { lambdaHandler, logger } from '../commons/observability';
import { runtime } from '../commons/runtime';
import { recordRegionDuration } from '../commons/workflow-metrics';
import type { AutoscalerConfig } from '../domain/config';
import { requireApprovedRegion } from '../domain/lifecycle-rules';
import { STEP_DURATION_METRICS } from '../domain/metric-names';
import { dnsTaskSchema, type DnsChangeStatus, type DnsTaskInput } from './contract';

/** Route53 is global: one client, whatever the region. */
export interface DnsActionDependencies {
  config: AutoscalerConfig;
  route53: Route53Client;
  now: Date;
}

/** Performs one dns-task action on the region's record (or polls a change of it). */
export async function runDnsAction(input: DnsTaskInput, deps: DnsActionDependencies): Promise<DnsChangeStatus> {
  const { config, route53, now } = deps;
  if (input.action === 'getChange') return getChangeStatus(route53, input.changeId, input.deadline, now);
  requireApprovedRegion(config, input.region);
  const record = { hostedZoneId: config.dns.hostedZoneId, recordName: config.dns.recordName, region: input.region };
  return input.action === 'upsertRecord'
    ? upsertLatencyRecord(route53, record, input.target, now)
    : deleteLatencyRecord(route53, record, now);
}

export const handler = lambdaHandler(dnsTaskSchema, async (input: DnsTaskInput): Promise<DnsChangeStatus> => {
  const { config } = runtime();
  const result = await runDnsAction(input, { config, route53: route53Client(), now: new Date() });
  if (input.action !== 'getChange') {
    const { hostedZoneId, recordName } = config.dns;
    logger.info('DNS task done', { action: input.action, hostedZoneId, recordName, region: input.region, ...result });
  }
  recordInSyncTime(input, result);
  return result;
});

/** The poll that sees the region's record change INSYNC records how long Route53 took to propagate it. */
function recordInSyncTime(input: DnsTaskInput, result: DnsChangeStatus): void {
  if (input.action !== 'getChange' || !input.region || result.status !== 'INSYNC') return;
  recordRegionDuration(STEP_DURATION_METRICS.dnsInSync, input.region, result.submittedAt);
}
