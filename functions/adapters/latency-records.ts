/**
 * Read-only view of the latency record set: which regions currently have their record
 * (SetIdentifier = region) under the configured name. Never changes a record.
 */
import { ListResourceRecordSetsCommand, type Route53Client } from '@aws-sdk/client-route-53';

const withDot = (name: string) => (name.endsWith('.') ? name : `${name}.`);

/** The SetIdentifiers (regions) of the latency records named `recordName` in the zone. */
export async function regionsWithLatencyRecords(
  route53: Route53Client,
  hostedZoneId: string,
  recordName: string,
): Promise<Set<string>> {
  return new Set((await latencyRecordTargets(route53, hostedZoneId, recordName)).keys());
}

/** SetIdentifier (region) -> alias target (or record values) of the latency records named `recordName`. */
export async function latencyRecordTargets(
  route53: Route53Client,
  hostedZoneId: string,
  recordName: string,
): Promise<Map<string, string>> {
  const name = withDot(recordName).toLowerCase();
  const records = new Map<string, string>();
  let start: { name?: string; type?: string; identifier?: string } = { name };
  for (;;) {
    const page = await route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: hostedZoneId,
        StartRecordName: start.name,
        StartRecordType: start.type as never,
        StartRecordIdentifier: start.identifier,
      }),
    );
    let pastName = false;
    for (const record of page.ResourceRecordSets ?? []) {
      if (withDot(record.Name ?? '').toLowerCase() !== name) {
        pastName = true;
        continue;
      }
      if (!record.SetIdentifier || !record.Region) continue;
      const target = record.AliasTarget?.DNSName ?? (record.ResourceRecords ?? []).map((r) => r.Value).join(' ');
      records.set(record.SetIdentifier, target.replace(/\.$/, ''));
    }
    if (!page.IsTruncated || pastName) return records;
    start = { name: page.NextRecordName, type: page.NextRecordType, identifier: page.NextRecordIdentifier };
  }
}
