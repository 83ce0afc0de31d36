/**
 * The sandbox's `--rollout-at HH:MM`: at that simulated time, a `cdk deploy` of a changed edge
 * configuration (the HTML cache TTL doubled), and what became of it. The deploy does what a real
 * one does to the Lambdas and nothing more: they are new loads of the same bundles, reading the
 * changed configuration (from the file AUTOSCALER_CONFIG_FILE names, as the sandbox's bundles
 * do). Nobody starts anything: the reconciler's next pass finds the ACTIVE regions on another
 * edge configuration and starts the edge rollout, which brings it to each of them, one at a time,
 * without a scale cycle.
 */
import type { AutoscalerConfig } from '../functions/domain/config';
import { shortConfigurationHash } from '../functions/domain/edge-configuration';
import type { RegionState } from '../functions/domain/region-state';
import { formatSimulatedTime } from './timeline';

const DAY_MS = 86_400_000;
const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * Milliseconds from the scenario's start to the first `HH:MM` (UTC) at or after it. Throws an
 * error naming the option and the fix for a malformed time or one after the scenario's end.
 */
export function rolloutOffsetMs(timeOfDay: string, scenario: { startMs: number; endMs: number }): number {
  const match = TIME_OF_DAY.exec(timeOfDay);
  if (!match) {
    throw new Error(
      `--rollout-at "${timeOfDay}" is not a time of day; fix: use HH:MM (UTC, 00:00 to 23:59) within the scenario, e.g. --rollout-at 12:00`,
    );
  }
  const midnight = Math.floor(scenario.startMs / DAY_MS) * DAY_MS;
  let at = midnight + (Number(match[1]) * 60 + Number(match[2])) * 60_000;
  if (at < scenario.startMs) at += DAY_MS;
  if (at >= scenario.endMs) {
    throw new Error(
      `--rollout-at ${timeOfDay} is after the scenario's end (${formatSimulatedTime(scenario.endMs)} UTC, simulated); ` +
        `fix: choose a time before it, or play more hours (--hours)`,
    );
  }
  return at - scenario.startMs;
}

/** The changed configuration the deploy ships: the HTML pages' cache TTL doubled. */
export function changedEdgeConfig(config: AutoscalerConfig): { config: AutoscalerConfig; description: string } {
  const ttl = config.edge.cache.html.ttlSeconds;
  const changed: AutoscalerConfig = {
    ...config,
    edge: { ...config.edge, cache: { ...config.edge.cache, html: { ...config.edge.cache.html, ttlSeconds: ttl * 2 } } },
  };
  return { config: changed, description: `edge.cache.html.ttlSeconds ${ttl} -> ${ttl * 2}` };
}

export interface RegionEdgeChange {
  region: string;
  /** The configuration it ran at the deploy; undefined when it was not ACTIVE then. */
  before?: string;
  /** The configuration it runs at the end; undefined when it is not ACTIVE then. */
  after?: string;
  /** When its edge rollout to the new configuration finished (ISO-8601), if one did. */
  updatedAt?: string;
}

export interface EdgeRolloutObservation {
  deployedAt: number;
  description: string;
  desiredBefore: string;
  desiredAfter: string;
  regions: RegionEdgeChange[];
}

/** Each region ACTIVE at the deploy or at the end: what it ran then, and when the rollout reached it. */
export function observeEdgeRollout(
  deploy: Omit<EdgeRolloutObservation, 'regions'>,
  atDeploy: RegionState[],
  atEnd: RegionState[],
): EdgeRolloutObservation {
  const regions = atEnd.flatMap((end): RegionEdgeChange[] => {
    const start = atDeploy.find((s) => s.region === end.region);
    const before = start?.status === 'ACTIVE' ? start.edgeConfiguration : undefined;
    const after = end.status === 'ACTIVE' ? end.edgeConfiguration : undefined;
    if (before === undefined && after === undefined) return [];
    const rollout = end.maintenance?.edgeRollout;
    const reached = rollout?.status === 'SUCCEEDED' && rollout.target === deploy.desiredAfter;
    return [{ region: end.region, before, after, ...(reached ? { updatedAt: rollout.at } : {}) }];
  });
  return { ...deploy, regions };
}

/** The observation in plain lines, for the closing summary and the report. */
export function formatEdgeRollout(observation: EdgeRolloutObservation): string[] {
  const short = (hash?: string) => (hash ? shortConfigurationHash(hash) : 'none recorded');
  const lines = [
    `Edge rollout (--rollout-at ${formatSimulatedTime(observation.deployedAt)}: cdk deploy of ${observation.description}):`,
    `  desired edge configuration ${short(observation.desiredBefore)} -> ${short(observation.desiredAfter)}`,
  ];
  for (const r of observation.regions) {
    const how =
      r.before === undefined
        ? `not serving at the deploy; came up later${r.after === observation.desiredAfter ? ' on it' : ''}`
        : r.after === undefined
          ? 'no longer serving'
          : r.updatedAt
            ? `rolled out at ${formatSimulatedTime(Date.parse(r.updatedAt))}`
            : r.after === observation.desiredAfter
              ? 'on it'
              : 'NOT reached';
    const change = `${r.before === undefined ? '-' : short(r.before)} -> ${r.after === undefined ? '-' : short(r.after)}`;
    lines.push(`  ${r.region.padEnd(16)}${change.padEnd(31)}${how}`);
  }
  return lines;
}
