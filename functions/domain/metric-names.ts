/**
 * The autoscaler's own CloudWatch metrics, named in one place for the task Lambdas that emit them
 * (Powertools, embedded metric format) and for the dashboard that graphs them.
 *
 *   namespace   EdgeAutoscaler (the demand metric ActiveUsers lives there too, see demand-metric.ts)
 *   dimensions  service = edge-autoscaler on every metric (Powertools adds it), plus
 *               Region = <region> on the per-region metrics below
 *
 * CloudWatch identifies a metric by its full set of dimensions, so a reader must name both.
 */
import { regionList, type AutoscalerConfig } from './config';
import { isServing, type RegionState, type ScaleDirection } from './region-state';

export const AUTOSCALER_NAMESPACE = 'EdgeAutoscaler';
/** Value of the `service` dimension Powertools adds to every metric of the autoscaler's Lambdas. */
export const SERVICE_NAME = 'edge-autoscaler';
export const SERVICE_DIMENSION = 'service';
export const REGION_DIMENSION = 'Region';

/**
 * Count. Per region: a workflow took the region's lock (Started), brought it up or down
 * (Succeeded), or marked it FAILED after rolling back (Failed). Fleet-wide (no Region: the
 * request may name no approved region): it refused without changing anything (Refused).
 * E.g. ScaleUpStarted, ScaleDownFailed, ScaleUpRefused.
 */
export const SCALING_OUTCOMES = ['Started', 'Succeeded', 'Failed', 'Refused'] as const;
export type ScalingOutcome = (typeof SCALING_OUTCOMES)[number];

export function scalingOutcomeMetric(direction: ScaleDirection, outcome: ScalingOutcome): string {
  return `${direction === 'up' ? 'ScaleUp' : 'ScaleDown'}${outcome}`;
}

/**
 * Per region, Seconds: how long each step of a scale-up took, from the creation of what the step
 * waits on to the first time the workflow saw it ready. Only resources created by the running
 * execution are timed (an adopted cluster's age is not a creation time).
 */
export const STEP_DURATION_METRICS = {
  /** EKS cluster: createdAt -> first DescribeCluster that sees ACTIVE. */
  clusterCreate: 'ClusterCreateSeconds',
  /** Managed nodegroup: createdAt -> first DescribeNodegroup that sees ACTIVE. */
  nodegroupCreate: 'NodegroupCreateSeconds',
  /** Edge Service: creationTimestamp -> its load balancer active in ELBv2. */
  edgeEndpoint: 'EdgeEndpointSeconds',
  /** Route53 change of the region's record (either direction): SubmittedAt -> INSYNC. */
  dnsInSync: 'DnsInSyncSeconds',
} as const;

/** Per region, Seconds: from the scale-up taking the region's lock to the region ACTIVE and in DNS. */
export const SCALE_UP_LEAD_TIME_METRIC = 'ScaleUpLeadTimeSeconds';

/** Per region, Seconds: the same for a scale-up from WARM (the warm path), kept apart from the cold one. */
export const WARM_SCALE_UP_LEAD_TIME_METRIC = 'WarmScaleUpLeadTimeSeconds';

export type RegionDurationMetric =
  | (typeof STEP_DURATION_METRICS)[keyof typeof STEP_DURATION_METRICS]
  | typeof SCALE_UP_LEAD_TIME_METRIC
  | typeof WARM_SCALE_UP_LEAD_TIME_METRIC;

/**
 * Fleet-wide gauges (Count, no Region dimension), emitted whenever a workflow changes a region's
 * state: how many regions serve (status ACTIVE), and how many of them are elastic.
 */
export const FLEET_GAUGE_METRICS = {
  activeRegions: 'ActiveRegions',
  activeElasticRegions: 'ActiveElasticRegions',
} as const;

export type FleetGauges = Record<keyof typeof FLEET_GAUGE_METRICS, number>;

export function fleetGauges(config: AutoscalerConfig, states: RegionState[]): FleetGauges {
  const serving = states.filter(isServing);
  return {
    activeRegions: serving.length,
    activeElasticRegions: serving.filter((s) => regionList(config, s.region) === 'elastic').length,
  };
}

/**
 * Whole seconds from `start` to `now`; undefined when the start is unknown, unparsable or in the
 * future (clock skew between services), so that no nonsense duration is recorded.
 */
export function secondsBetween(start: Date | string | undefined, now: Date): number | undefined {
  if (start === undefined) return undefined;
  const startMs = new Date(start).getTime();
  if (Number.isNaN(startMs) || startMs > now.getTime()) return undefined;
  return Math.round((now.getTime() - startMs) / 1000);
}

/**
 * True when a resource was created since the execution started, i.e. by this execution: only
 * those are timed. False when either time is unknown.
 */
export function createdDuring(createdAt: string | undefined, executionStartedAt: string | undefined): boolean {
  if (!createdAt || !executionStartedAt) return false;
  return new Date(createdAt).getTime() >= new Date(executionStartedAt).getTime();
}
