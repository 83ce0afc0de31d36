/**
 * Read-only AWS calls behind `status`, `history` and `--wait`: a region's executions and their
 * history, the region's Route53 record, the demand metric and the scaling alarms.
 */
import { DescribeAlarmsCommand, GetMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ListResourceRecordSetsCommand, type Route53Client } from '@aws-sdk/client-route-53';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  type ExecutionStatus,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { ScalingStateMachines } from '../functions/adapters/scaling-executions';
import { DEMAND_ALARM_STATISTIC } from '../functions/domain/alarm-policy';
import { approvedRegions, thresholdsFor, type AutoscalerConfig } from '../functions/domain/config';
import { DEMAND_DIMENSION, DEMAND_METRIC_NAME, DEMAND_NAMESPACE } from '../functions/domain/demand-metric';
import { scaleDownAlarmName, scaleUpAlarmName } from '../functions/domain/naming';
import type { ScaleDirection } from '../functions/domain/region-state';
import type { Deployment } from './discovery';

export interface ExecutionSummary {
  name: string;
  arn: string;
  direction: ScaleDirection;
  region: string;
  status: ExecutionStatus | string;
  startedAt: Date;
  stoppedAt?: Date;
}

/** The two workflows, in the shape the shared execution adapters take. */
export const stateMachinesOf = (deployment: Deployment): ScalingStateMachines => ({
  up: deployment.scaleUpStateMachineArn,
  down: deployment.scaleDownStateMachineArn,
});

/** `history` looks at most this many of each workflow's newest executions (all regions) for one region's. */
const MAX_EXECUTIONS_SCANNED = 1_000;

/** The region's most recent executions of both workflows (newest first), at most `limit`. */
export async function listRegionExecutions(
  sfn: SFNClient,
  deployment: Deployment,
  region: string,
  limit: number,
): Promise<ExecutionSummary[]> {
  const found: ExecutionSummary[] = [];
  const { up, down } = stateMachinesOf(deployment);
  for (const [direction, stateMachineArn] of [
    ['up', up],
    ['down', down],
  ] as const) {
    let nextToken: string | undefined;
    let kept = 0;
    let scanned = 0;
    // ListExecutions has no name filter: page (newest first) until enough of this region's are found.
    do {
      const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 100, nextToken }));
      for (const e of page.executions ?? []) {
        if (kept < limit && e.name!.startsWith(`${direction}-${region}-`)) {
          found.push(summary(e, direction, region));
          kept += 1;
        }
      }
      scanned += page.executions?.length ?? 0;
      nextToken = kept < limit && scanned < MAX_EXECUTIONS_SCANNED ? page.nextToken : undefined;
    } while (nextToken);
  }
  return found.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime()).slice(0, limit);
}

function summary(
  e: { name?: string; executionArn?: string; status?: string; startDate?: Date; stopDate?: Date },
  direction: ScaleDirection,
  region: string,
): ExecutionSummary {
  return {
    name: e.name!,
    arn: e.executionArn!,
    direction,
    region,
    status: e.status ?? 'UNKNOWN',
    startedAt: e.startDate ?? new Date(0),
    stoppedAt: e.stopDate,
  };
}

/** Error and cause of a finished execution that did not succeed. */
export async function executionFailure(
  sfn: SFNClient,
  executionArn: string,
): Promise<{ error?: string; cause?: string }> {
  const { error, cause } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  return { error, cause };
}

/** The whole event history of an execution, oldest first. */
export async function executionHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** The regions that have a latency record (SetIdentifier = region) under the configured name. */
export async function regionsWithDnsRecord(route53: Route53Client, config: AutoscalerConfig): Promise<Set<string>> {
  const wanted = withDot(config.dns.recordName);
  const regions = new Set<string>();
  let start: { name?: string; type?: string; identifier?: string } = { name: wanted };
  for (;;) {
    const page = await route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: config.dns.hostedZoneId,
        StartRecordName: start.name,
        StartRecordType: start.type as never,
        StartRecordIdentifier: start.identifier,
      }),
    );
    const sets = page.ResourceRecordSets ?? [];
    for (const set of sets) {
      if (withDot(set.Name ?? '').toLowerCase() !== wanted.toLowerCase()) return regions;
      if (set.SetIdentifier) regions.add(set.SetIdentifier);
    }
    if (!page.IsTruncated) return regions;
    start = { name: page.NextRecordName, type: page.NextRecordType, identifier: page.NextRecordIdentifier };
  }
}

const withDot = (name: string) => (name.endsWith('.') ? name : `${name}.`);

export interface DemandReading {
  users: number;
  at: Date;
}

/** How far back `status` looks for the latest demand datapoint. */
export const DEMAND_LOOKBACK_SECONDS = 1_800;

/** The latest demand datapoint of every approved region (absent: no datapoint in the lookback). */
export async function latestDemand(
  cloudWatch: CloudWatchClient,
  config: AutoscalerConfig,
  now: Date,
): Promise<Map<string, DemandReading>> {
  const regions = approvedRegions(config);
  const { MetricDataResults = [] } = await cloudWatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(now.getTime() - DEMAND_LOOKBACK_SECONDS * 1000),
      EndTime: now,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: regions.map((region, i) => ({
        Id: `region${i}`,
        Label: region,
        MetricStat: {
          Metric: {
            Namespace: DEMAND_NAMESPACE,
            MetricName: DEMAND_METRIC_NAME,
            Dimensions: [{ Name: DEMAND_DIMENSION, Value: region }],
          },
          Period: thresholdsFor(config, region).periodSeconds,
          Stat: DEMAND_ALARM_STATISTIC,
        },
      })),
    }),
  );
  const demand = new Map<string, DemandReading>();
  for (const result of MetricDataResults) {
    const region = regions[Number(result.Id?.replace('region', ''))];
    const [users] = result.Values ?? [];
    const [at] = result.Timestamps ?? [];
    if (region && users !== undefined && at) demand.set(region, { users, at });
  }
  return demand;
}

export interface AlarmStates {
  scaleUp?: string;
  scaleDown?: string;
}

/** The state of each elastic region's scaling alarms (always-on regions have none). */
export async function scalingAlarmStates(
  cloudWatch: CloudWatchClient,
  config: AutoscalerConfig,
): Promise<Map<string, AlarmStates>> {
  const names = new Map<string, { region: string; kind: keyof AlarmStates }>();
  for (const region of config.regions.elastic) {
    names.set(scaleUpAlarmName(config.prefix, region), { region, kind: 'scaleUp' });
    names.set(scaleDownAlarmName(config.prefix, region), { region, kind: 'scaleDown' });
  }
  const states = new Map<string, AlarmStates>();
  const all = [...names.keys()];
  for (let i = 0; i < all.length; i += 100) {
    let nextToken: string | undefined;
    do {
      const page = await cloudWatch.send(
        new DescribeAlarmsCommand({
          AlarmNames: all.slice(i, i + 100),
          AlarmTypes: ['MetricAlarm'],
          NextToken: nextToken,
        }),
      );
      for (const alarm of page.MetricAlarms ?? []) {
        const owner = names.get(alarm.AlarmName!);
        if (!owner) continue;
        states.set(owner.region, { ...states.get(owner.region), [owner.kind]: alarm.StateValue });
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }
  return states;
}
