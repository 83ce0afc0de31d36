/**
 * The region's own latency record: `recordName` type A with SetIdentifier = Region = region,
 * an alias to the region's edge load balancer. Each region owns exactly one record of the
 * latency group; these functions never write or delete a record with another SetIdentifier.
 * A write or delete begins the phase of its change reaching INSYNC (its result carries the
 * phase's deadline); getChangeStatus is that phase's poll.
 */
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  type ChangeInfo,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { assertBeforeDeadline, phaseDeadline } from '../domain/phase-deadlines';
import { nextWaitSeconds, POLL_PLANS, SETTLED_WAIT_SECONDS } from '../domain/poll-schedule';
import type { DnsChangeStatus } from '../tasks/contract';
import { callAws } from './aws-errors';

export interface LatencyRecord {
  hostedZoneId: string;
  recordName: string;
  region: string;
}

export interface AliasTarget {
  dnsName: string;
  /** The load balancer's canonical hosted zone id (not the record's zone). */
  hostedZoneId: string;
}

const RECORD_TYPE = 'A';

/**
 * UPSERT of the region's record, in a change batch of one change. A record that already points
 * at the target is left as it is (`written: false`, INSYNC at once): a rollback then knows the
 * record was not this call's to withdraw.
 */
export async function upsertLatencyRecord(
  route53: Route53Client,
  record: LatencyRecord,
  target: AliasTarget,
  now = new Date(),
): Promise<DnsChangeStatus> {
  const deadline = phaseDeadline('dnsChange', now);
  const current = await findLatencyRecord(route53, record);
  if (current && pointsAt(current, target)) {
    return { status: 'INSYNC', written: false, deadline, waitSeconds: SETTLED_WAIT_SECONDS };
  }
  const { ChangeInfo: info } = await callAws('ChangeResourceRecordSets', () =>
    route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: record.hostedZoneId,
        ChangeBatch: {
          Comment: `edge-autoscaler: ${record.region} serves`,
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: record.recordName,
                Type: RECORD_TYPE,
                SetIdentifier: record.region,
                Region: record.region as ResourceRecordSet['Region'],
                // Route53 answers with this region only while its load balancer has healthy targets.
                AliasTarget: { DNSName: target.dnsName, HostedZoneId: target.hostedZoneId, EvaluateTargetHealth: true },
              },
            },
          ],
        },
      }),
    ),
  );
  return { ...changeStatus(info, now), written: true, deadline };
}

function pointsAt(current: ResourceRecordSet, target: AliasTarget): boolean {
  const alias = current.AliasTarget;
  return (
    normalizeName(alias?.DNSName) === normalizeName(target.dnsName) &&
    alias?.HostedZoneId === target.hostedZoneId &&
    alias?.EvaluateTargetHealth === true
  );
}

/** The region's current record set, exactly as Route53 holds it, or undefined. */
export async function findLatencyRecord(
  route53: Route53Client,
  record: LatencyRecord,
): Promise<ResourceRecordSet | undefined> {
  const wanted = normalizeName(record.recordName);
  let start: { name?: string; type?: string; identifier?: string } = { name: record.recordName, type: RECORD_TYPE };
  for (;;) {
    const page = await callAws('ListResourceRecordSets', () =>
      route53.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: record.hostedZoneId,
          StartRecordName: start.name,
          StartRecordType: start.type as ResourceRecordSet['Type'],
          StartRecordIdentifier: start.identifier,
        }),
      ),
    );
    const sets = page.ResourceRecordSets ?? [];
    const found = sets.find(
      (s) => normalizeName(s.Name) === wanted && s.Type === RECORD_TYPE && s.SetIdentifier === record.region,
    );
    if (found) return found;
    // Records are listed in name/type order from the start point: past our name and type, it is absent.
    const pastOurs = sets.some((s) => normalizeName(s.Name) !== wanted || s.Type !== RECORD_TYPE);
    if (!page.IsTruncated || pastOurs) return undefined;
    start = { name: page.NextRecordName, type: page.NextRecordType, identifier: page.NextRecordIdentifier };
  }
}

/**
 * DELETE of the region's record set as it is (Route53 requires every value to match), after
 * reading it: a missing record is done at once (INSYNC, no change). Reading first also avoids
 * the error a DELETE of a missing record returns (InvalidChangeBatch; InvalidInput in moto).
 */
export async function deleteLatencyRecord(
  route53: Route53Client,
  record: LatencyRecord,
  now = new Date(),
): Promise<DnsChangeStatus> {
  const deadline = phaseDeadline('dnsChange', now);
  const current = await findLatencyRecord(route53, record);
  if (!current) return { status: 'INSYNC', deadline, waitSeconds: SETTLED_WAIT_SECONDS };
  const { ChangeInfo: info } = await callAws('ChangeResourceRecordSets', () =>
    route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: record.hostedZoneId,
        ChangeBatch: {
          Comment: `edge-autoscaler: ${record.region} withdrawn`,
          Changes: [{ Action: 'DELETE', ResourceRecordSet: current }],
        },
      }),
    ),
  );
  return { ...changeStatus(info, now), deadline };
}

/** The change's status; DeadlineExceededError once it is not INSYNC by `deadline` (none: never). */
export async function getChangeStatus(
  route53: Route53Client,
  changeId: string,
  deadline?: string,
  now = new Date(),
): Promise<DnsChangeStatus> {
  const { ChangeInfo: info } = await callAws('GetChange', () =>
    route53.send(new GetChangeCommand({ Id: bareChangeId(changeId) })),
  );
  const change = changeStatus(info, now);
  if (change.status !== 'INSYNC') assertBeforeDeadline(`the Route53 change ${changeId} to be INSYNC`, deadline, now);
  return change;
}

function changeStatus(info: ChangeInfo | undefined, now: Date): DnsChangeStatus {
  const changeId = info?.Id ? bareChangeId(info.Id) : undefined;
  const submittedAt = info?.SubmittedAt?.toISOString();
  if (info?.Status === 'INSYNC') return { changeId, status: 'INSYNC', submittedAt, waitSeconds: SETTLED_WAIT_SECONDS };
  return {
    changeId,
    status: 'PENDING',
    submittedAt,
    waitSeconds: nextWaitSeconds(POLL_PLANS.dnsChange, info?.SubmittedAt, now),
  };
}

/** Route53 returns `/change/C123`; GetChange takes `C123`. */
function bareChangeId(id: string): string {
  return id.replace(/^\/change\//, '');
}

/** Route53 returns fully qualified names (`name.`) and may differ in case from the configuration. */
function normalizeName(name: string | undefined): string {
  return (name ?? '').replace(/\.$/, '').toLowerCase();
}
