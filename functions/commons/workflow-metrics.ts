/**
 * The workflow metrics the task Lambdas emit (names and meaning in functions/domain/metric-names.ts).
 *
 * Powertools writes every buffered metric of an invocation with the same dimensions, so a
 * per-region metric is published at once as a single metric with its own Region dimension, and
 * the fleet-wide ones (no Region) go to the shared buffer that the handler middleware flushes.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  FLEET_GAUGE_METRICS,
  REGION_DIMENSION,
  scalingOutcomeMetric,
  secondsBetween,
  type FleetGauges,
  type RegionDurationMetric,
  type ScalingOutcome,
} from '../domain/metric-names';
import type { ScaleDirection } from '../domain/region-state';
import { metrics } from './observability';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

function regionMetric(region: string, name: string, unit: Unit, value: number): void {
  metrics.singleMetric().addDimension(REGION_DIMENSION, region).addMetric(name, unit, value);
}

/** Counts one outcome of a scale-up or scale-down of `region` (e.g. ScaleUpStarted). */
export function countScaling(region: string, direction: ScaleDirection, outcome: ScalingOutcome): void {
  regionMetric(region, scalingOutcomeMetric(direction, outcome), MetricUnit.Count, 1);
}

/**
 * Counts a refused request (e.g. ScaleUpRefused), fleet-wide: a refused request may name no
 * region, or one that is not approved, which must not become a dimension value.
 */
export function countRefusal(direction: ScaleDirection): void {
  metrics.addMetric(scalingOutcomeMetric(direction, 'Refused'), MetricUnit.Count, 1);
}

/** Records, for `region`, the seconds from `since` to `now`; nothing when `since` is unknown. */
export function recordRegionDuration(
  name: RegionDurationMetric,
  region: string,
  since: Date | string | undefined,
  now = new Date(),
): void {
  const seconds = secondsBetween(since, now);
  if (seconds !== undefined) regionMetric(region, name, MetricUnit.Seconds, seconds);
}

export function recordFleetGauges(gauges: FleetGauges): void {
  metrics.addMetric(FLEET_GAUGE_METRICS.activeRegions, MetricUnit.Count, gauges.activeRegions);
  metrics.addMetric(FLEET_GAUGE_METRICS.activeElasticRegions, MetricUnit.Count, gauges.activeElasticRegions);
}
