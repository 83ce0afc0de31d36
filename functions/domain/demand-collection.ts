/**
 * When the demand is counted and collected: the counters' period, the collector's schedule, and
 * which periods one scheduled run collects. Every datapoint is stamped with the start of the
 * period it counts, taken from the run's scheduled time (never from when the run happened to
 * execute), so a late or repeated run publishes for the right period or not at all.
 */
import { thresholdsFor, type AutoscalerConfig } from './config';
import { periodStartMs } from './edge-agent-contract';

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The counters' period: one that divides every alarm period, so each alarm period is whole periods. */
export function demandCounterPeriodSeconds(config: AutoscalerConfig): number {
  const periods = [
    config.scaling.thresholds.periodSeconds,
    ...Object.values(config.scaling.regionOverrides).flatMap((o) => (o.periodSeconds ? [o.periodSeconds] : [])),
  ];
  return periods.reduce(gcd);
}

/** EventBridge Scheduler's shortest rate is one minute: shorter periods are collected a minute at a time. */
export function collectionIntervalMinutes(config: AutoscalerConfig): number {
  return Math.max(1, demandCounterPeriodSeconds(config) / 60);
}

/**
 * Starts of the periods a run scheduled at `scheduledAt` collects, oldest first: those that ended
 * in the interval since the run before it was scheduled.
 */
export function periodsToCollect(config: AutoscalerConfig, scheduledAt: Date): Date[] {
  const periodSeconds = demandCounterPeriodSeconds(config);
  const lastEndMs = periodStartMs(scheduledAt.getTime(), periodSeconds);
  const count = (collectionIntervalMinutes(config) * 60) / periodSeconds;
  return Array.from({ length: count }, (_, i) => new Date(lastEndMs - (count - i) * periodSeconds * 1000));
}

export interface PublishableDemand {
  /** ActiveUsers to publish, by approved region. */
  users: Record<string, number>;
  /** Regions left without a datapoint, and why. */
  withheld: Array<{ region: string; reason: string }>;
}

/**
 * The ActiveUsers one period may publish. With every serving edge counted, each region's figure
 * is exact and all are published (0 included). With some edge silent, every figure is a lower
 * bound (that edge's users are missing): a region's is published only when it is above the
 * region's scale-down threshold, so the true figure is too and nothing can scale down on it (and
 * a scale-up on it is right); below that it is left missing, never passed off as low demand.
 */
export function publishableDemand(
  config: AutoscalerConfig,
  usersByRegion: Record<string, number>,
  everyEdgeAnswered: boolean,
): PublishableDemand {
  if (everyEdgeAnswered) return { users: { ...usersByRegion }, withheld: [] };
  const users: Record<string, number> = {};
  const withheld: PublishableDemand['withheld'] = [];
  for (const [region, count] of Object.entries(usersByRegion)) {
    const floor = thresholdsFor(config, region).scaleDown.users;
    if (count > floor) users[region] = count;
    else {
      withheld.push({
        region,
        reason: `${count} users counted while an edge was silent: a lower bound not above the scale-down threshold (${floor})`,
      });
    }
  }
  return { users, withheld };
}
