/**
 * Task Lambda of the scale-up / scale-down workflows: the region's own latency record in the
 * configured hosted zone (Route53 is global). See contract.ts for the actions and their results.
 */
import { deleteLatencyRecord, getChangeStatus, upsertLatencyRecord } from '../adapters/route53-record';
import { route53Client } from '../commons/aws-clients';
import { lambdaHandler, logger } from '../commons/observability';
import { runtime } from '../commons/runtime';
import { recordRegionDuration } from '../commons/workflow-metrics';
import { requireApprovedRegion } from '../domain/lifecycle-rules';
import { STEP_DURATION_METRICS } from '../domain/metric-names';
import { assertBeforeDeadline, phaseDeadline } from '../domain/phase-deadlines';
import { dnsTaskSchema, type DnsChangeStatus, type DnsTaskInput } from './contract';

export const handler = lambdaHandler(dnsTaskSchema, async (input: DnsTaskInput): Promise<DnsChangeStatus> => {
  const { config } = runtime();
  const route53 = route53Client();
  if (input.action === 'getChange') {
    const change = await getChangeStatus(route53, input.changeId);
    if (change.status !== 'INSYNC') {
      assertBeforeDeadline(`the Route53 change ${input.changeId} to be INSYNC`, input.deadline, new Date());
    }
    // The poll that sees the region's record change INSYNC: how long Route53 took to propagate it.
    if (input.region && change.status === 'INSYNC') {
      recordRegionDuration(STEP_DURATION_METRICS.dnsInSync, input.region, change.submittedAt);
    }
    return change;
  }

  requireApprovedRegion(config, input.region);
  const record = { hostedZoneId: config.dns.hostedZoneId, recordName: config.dns.recordName, region: input.region };
  const result =
    input.action === 'upsertRecord'
      ? await upsertLatencyRecord(route53, record, input.target)
      : await deleteLatencyRecord(route53, record);
  logger.info('DNS task done', { action: input.action, ...record, ...result });
  return { ...result, deadline: phaseDeadline('dnsChange', new Date()) };
});
