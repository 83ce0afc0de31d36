/**
 * When the demand is counted and collected: the counters' period, the collector's schedule, and
 * which periods one scheduled run collects. Every datapoint is stamped with the start of the
 * period it counts, taken from the run's scheduled time (never from when the run happened to
 * execute), so a late or repeated run publishes for the right period or not at all.
 */
import type { AutoscalerConfig } from './config';
import { periodStartMs } from './edge-demand-report';

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
