/**
 * The demand metric contract: how edges (or a log pipeline) report the users of each approved
 * region, and what the scaling alarms read.
 *
 *   namespace   EdgeAutoscaler
 *   metric      ActiveUsers          (unit Count: users active during the period)
 *   dimension   Region = <approved region whose users are counted> (not where the publisher runs)
 *   region      published in the autoscaler's home region, where the alarms are
 *   resolution  60 s (standard); 1 s (high resolution) lets alarms use 10 s or 30 s periods
 *
 * Pure: builds the embedded metric format (EMF) document that a Lambda or container can print
 * to CloudWatch Logs, and the PutMetricData input the publisher sends. No AWS SDK import.
 */
import type { AutoscalerConfig } from './config';
import { approvedRegions } from './config';

export const DEMAND_NAMESPACE = 'EdgeAutoscaler';
export const DEMAND_METRIC_NAME = 'ActiveUsers';
export const DEMAND_DIMENSION = 'Region';
export const DEMAND_UNIT = 'Count';

export type StorageResolution = 1 | 60;

/**
 * What the collector publishes besides ActiveUsers (functions/collect/demand-collector.ts), all
 * stamped with the start of the period they count. With demand.source edge-counters only:
 *   UnattributedUsers            clients whose prefix the geolocation database cannot place (no dimension)
 *   ServedUsers{Region}          distinct clients the edge of Region served (where they were counted)
 *   CounterOverflowRequests{Region}  requests of clients beyond the counters' memory cap
 * Whatever demand.source is (and the edge traffic metrics, TRAFFIC_METRICS in edge-traffic.ts):
 *   DemandEdgesAnswered / DemandEdgesSilent  serving edges every pod of which answered / some did not
 *   DemandCollectionLagSeconds   from the end of the period to its publication
 */
export const COLLECTOR_METRICS = {
  unattributedUsers: 'UnattributedUsers',
  servedUsers: 'ServedUsers',
  overflowRequests: 'CounterOverflowRequests',
  edgesAnswered: 'DemandEdgesAnswered',
  edgesSilent: 'DemandEdgesSilent',
  collectionLag: 'DemandCollectionLagSeconds',
} as const;

/** PutMetricData accepts at most 1000 datums per call. */
export const MAX_DATUMS_PER_CALL = 1000;

export interface DemandSample {
  /** The approved region whose users are counted. */
  region: string;
  users: number;
  timestamp: Date;
}

/** The subset of CloudWatch's MetricDatum that the publisher sends (structurally compatible). */
export interface DemandDatum {
  MetricName: string;
  Dimensions: Array<{ Name: string; Value: string }>;
  Timestamp: Date;
  Value: number;
  Unit: 'Count';
  StorageResolution: StorageResolution;
}

export interface DemandPutMetricDataInput {
  Namespace: string;
  MetricData: DemandDatum[];
}

/** Thrown for a sample that breaks the contract; the message names the field and the fix. */
export class DemandSampleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemandSampleError';
  }
}

/** True when some alarm of the configuration uses a 10 s or 30 s period (needs high-resolution data). */
export function needsHighResolution(config: AutoscalerConfig): boolean {
  const periods = [
    config.scaling.thresholds.periodSeconds,
    ...Object.values(config.scaling.regionOverrides).map((o) => o.periodSeconds),
  ];
  return periods.some((p) => p !== undefined && p < 60);
}

/**
 * High resolution costs more per datum and is only useful when an alarm evaluates periods
 * shorter than a minute, so it is the default exactly then.
 */
export function defaultStorageResolution(config: AutoscalerConfig): StorageResolution {
  return needsHighResolution(config) ? 1 : 60;
}

/** Every problem of a sample, one readable line each; empty when it follows the contract. */
export function demandSampleProblems(config: AutoscalerConfig, sample: DemandSample): string[] {
  const problems: string[] = [];
  const approved = approvedRegions(config);
  if (!approved.includes(sample.region)) {
    problems.push(
      `region = ${JSON.stringify(sample.region)}: is not an approved region; fix: use one of ${approved.join(', ')}`,
    );
  }
  if (typeof sample.users !== 'number' || !Number.isFinite(sample.users) || sample.users < 0) {
    problems.push(`users = ${String(sample.users)}: must be a finite number of users, 0 or more; fix: e.g. 420`);
  }
  if (!(sample.timestamp instanceof Date) || Number.isNaN(sample.timestamp.getTime())) {
    problems.push('timestamp: is not a valid time; fix: use an ISO-8601 time such as 2026-11-21T10:00:00Z');
  }
  return problems;
}

export function assertValidDemandSample(config: AutoscalerConfig, sample: DemandSample): void {
  const problems = demandSampleProblems(config, sample);
  if (problems.length) throw new DemandSampleError(`Invalid demand sample: ${problems.join('; ')}`);
}

export function demandDatum(sample: DemandSample, resolution: StorageResolution): DemandDatum {
  return {
    MetricName: DEMAND_METRIC_NAME,
    Dimensions: [{ Name: DEMAND_DIMENSION, Value: sample.region }],
    Timestamp: sample.timestamp,
    Value: sample.users,
    Unit: DEMAND_UNIT,
    StorageResolution: resolution,
  };
}

/**
 * One publisher per period: with demand.source edge-counters the collector publishes ActiveUsers,
 * and a second publisher would put two different figures in one period (the alarms read their Maximum).
 */
export function assertExternalDemandSource(config: AutoscalerConfig): void {
  if (config.demand.source !== 'external') {
    throw new DemandSampleError(
      'demand.source is "edge-counters": the collector publishes ActiveUsers from the edges\' counts, and a second publisher would mix two figures into one period; fix: set demand.source to "external" (and deploy) to publish your own demand',
    );
  }
}

/** Validated PutMetricData inputs for the samples, at most MAX_DATUMS_PER_CALL datums each. */
export function demandPutMetricDataInputs(
  config: AutoscalerConfig,
  samples: DemandSample[],
  resolution: StorageResolution = 60,
): DemandPutMetricDataInput[] {
  assertExternalDemandSource(config);
  samples.forEach((s) => assertValidDemandSample(config, s));
  const inputs: DemandPutMetricDataInput[] = [];
  for (let i = 0; i < samples.length; i += MAX_DATUMS_PER_CALL) {
    inputs.push({
      Namespace: DEMAND_NAMESPACE,
      MetricData: samples.slice(i, i + MAX_DATUMS_PER_CALL).map((s) => demandDatum(s, resolution)),
    });
  }
  return inputs;
}

/** A CloudWatch embedded metric format document: print it as one log line in the home region. */
export interface DemandEmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string; StorageResolution: StorageResolution }>;
    }>;
  };
  Region: string;
  ActiveUsers: number;
}

export function demandEmfDocument(
  config: AutoscalerConfig,
  sample: DemandSample,
  resolution: StorageResolution = 60,
): DemandEmfDocument {
  assertExternalDemandSource(config);
  assertValidDemandSample(config, sample);
  return {
    _aws: {
      Timestamp: sample.timestamp.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: DEMAND_NAMESPACE,
          Dimensions: [[DEMAND_DIMENSION]],
          Metrics: [{ Name: DEMAND_METRIC_NAME, Unit: DEMAND_UNIT, StorageResolution: resolution }],
        },
      ],
    },
    [DEMAND_DIMENSION]: sample.region,
    [DEMAND_METRIC_NAME]: sample.users,
  };
}
