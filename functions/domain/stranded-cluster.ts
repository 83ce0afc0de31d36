/**
 * A stranded cluster: an edge cluster of ours still running in an elastic region that autoscaling
 * left FAILED after MAX_CONSECUTIVE_FAILURES failed scale-ups. It serves no one and costs its
 * hourly price until an operator acts, so the reconciler reports it at every pass with what it has
 * cost since the region failed. Pure: the reconciler finds the cluster and sends the report.
 */
import type { AutoscalerConfig } from './config';
import { clusterPrice } from './pricing';
import { formatDuration } from './scaling-policy';

/** What the operator reads: one line for the reconciler's result and log, and the notification. */
export interface StrandedClusterReport {
  detail: string;
  subject: string;
  message: string;
  /** USD since the region failed; undefined when the instance type has no price. */
  usdSoFar?: number;
}

export interface StrandedCluster {
  region: string;
  clusterName: string;
  /** EKS status of the cluster (ACTIVE, UPDATING, ...). */
  clusterStatus?: string;
  consecutiveFailures: number;
  /** When the region became FAILED (RegionState.since). */
  failedAt: string;
}

const HOURS_PER_MONTH = 730;

export function strandedClusterReport(
  config: AutoscalerConfig,
  cluster: StrandedCluster,
  now: Date,
): StrandedClusterReport {
  const { prefix } = config;
  const { region, clusterName } = cluster;
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(cluster.failedAt)) / 1000));
  const since = `${formatDuration(seconds)} since ${region} failed at ${cluster.failedAt}`;
  const cost = costOf(config, seconds / 3600, now);
  const status = cluster.clusterStatus ?? 'status unknown';
  const costLine = cost.known
    ? `It has cost about ${usd(cost.soFar)} in the ${since}, at ${usd(cost.perHour)}/h (${cost.breakdown}); ${usd(cost.perHour * HOURS_PER_MONTH)} a month if it is left running.`
    : `Its cost in the ${since} is not known: ${cost.problem}`;
  const message = [
    `[${prefix}] ${region} is FAILED after ${cluster.consecutiveFailures} failed scale-ups in a row, and its cluster ${clusterName} (tagged as ours, ${status}) still runs, serving no one.`,
    costLine,
    `Autoscaling does not remove it: a region left FAILED waits for an operator, with what the failed runs left for diagnosis. Fix the cause and bring it up with "regionctl up ${region}", or remove it with "regionctl down ${region}".`,
    `This report repeats at every reconciler pass (every ${config.scaling.reconcileIntervalMinutes} min) while the cluster runs.`,
  ].join('\n');
  return {
    subject: `[${prefix}] ${region} FAILED, its cluster still runs: ${cost.known ? `${usd(cost.soFar)} so far` : 'cost unknown'}`,
    message,
    detail: `cluster ${clusterName} (${status}) still runs in FAILED ${region}: ${cost.known ? `about ${usd(cost.soFar)} in the ${since}, ${usd(cost.perHour)}/h` : 'cost unknown'}`,
    usdSoFar: cost.known ? cost.soFar : undefined,
  };
}

type Cost = { known: true; soFar: number; perHour: number; breakdown: string } | { known: false; problem: string };

function costOf(config: AutoscalerConfig, hours: number, now: Date): Cost {
  try {
    const price = clusterPrice(config, undefined, now);
    return { known: true, soFar: hours * price.usdPerHour, perHour: price.usdPerHour, breakdown: price.breakdown };
  } catch (error) {
    return { known: false, problem: (error as Error).message };
  }
}

const usd = (amount: number) => `$${amount.toFixed(2)}`;
