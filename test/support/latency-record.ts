/**
 * Writes a region's latency record straight into the emulator's zone, as the scale-up workflow
 * would (alias A record, SetIdentifier = Region = region): for tests that need a record to exist
 * without running a workflow.
 */
import { ChangeResourceRecordSetsCommand, Route53Client, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import type { AutoscalerConfig } from '../../functions/domain/config';

export async function putLatencyRecordDirectly(
  config: AutoscalerConfig,
  region: string,
  dnsName = `edge-${region}.elb.amazonaws.com`,
): Promise<void> {
  await new Route53Client({ region: 'us-east-1', maxAttempts: 1 }).send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: config.dns.hostedZoneId,
      ChangeBatch: {
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: config.dns.recordName,
              Type: 'A',
              SetIdentifier: region,
              Region: region as ResourceRecordSet['Region'],
              AliasTarget: { DNSName: dnsName, HostedZoneId: 'Z35SXDOTRQ7X7K', EvaluateTargetHealth: true },
            },
          },
        ],
      },
    }),
  );
}
