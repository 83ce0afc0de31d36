/**
 * What the sandbox plays: a demand trace (users per region per period) placed on the simulated
 * timeline. Either the built-in day, made for the configuration so that the interesting things
 * happen (two elastic regions scale up and down, the maximum of elastic regions refuses a third,
 * which gets its turn later, and a publisher gap that must not scale anything down), or a trace
 * file in the simulator's CSV format.
 */
import { readFileSync } from 'node:fs';
import { demandAlarmsFor } from '../functions/domain/alarm-policy';
import { isWarmRegion, regionList, type AutoscalerConfig } from '../functions/domain/config';
import { generateDiurnalTrace, WORLD_REGIONS, type DataGap, type DiurnalRegion } from '../simulator/diurnal-trace';
import { formatIsoUtc, parseTrace, type DemandTrace } from '../simulator/trace';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Simulated time kept between the end of the demand and the real clock: the executions still
 * running when the demand ends finish in it. Simulated times must never be in the future of the
 * emulator's real clock, because the task handlers time their waits from EKS's createdAt.
 */
export const REAL_CLOCK_MARGIN_MS = HOUR_MS;

export interface Scenario {
  /** "built-in" or the trace file's path. */
  name: string;
  trace: DemandTrace;
  /** Regions of the trace in neither list: their rows are not published (the publisher would refuse them). */
  ignoredRegions: string[];
  /** Publisher gaps of the built-in scenario, announced in the timeline. */
  gaps: DataGap[];
}

/** First period of a scenario of `hours` that must end before `nowMs`: a UTC midnight, so that the day's shape is always the same. */
export function builtInStartMs(nowMs: number, hours: number): number {
  return Math.floor((nowMs - hours * HOUR_MS - REAL_CLOCK_MARGIN_MS) / DAY_MS) * DAY_MS;
}

/**
 * The built-in day for this configuration (1-minute demand, the first `hours` of it):
 * - the first maxElasticActive + 1 elastic regions peak at 1.8 x their scale-up threshold, the
 *   first ones at 08:00, 11:00, ... UTC and the last one two hours after the one before it, so
 *   that it asks while every elastic slot is taken (refused: max elastic) and gets a slot later;
 * - the other elastic regions stay between their two thresholds;
 * - the first elastic region's publisher is silent for 20 minutes at 04:00, while it serves: the
 *   scale-down alarm treats missing data as not breaching, so nothing scales down;
 * - a region of warm.regions among the peaking ones has an evening event: its demand is back at its
 *   peak from 22:00 to 22:45, when it is WARM (its scale-down came hours before, within
 *   warm.keepHours) and a slot is free, so it comes back on the warm path.
 */
export function builtInScenario(config: AutoscalerConfig, hours: number, startMs: number): Scenario {
  const k = config.scaling.maxElasticActive;
  const peakHourOf = (i: number) => (i < k ? 8 + 3 * i : 8 + 3 * (k - 1) + 2);
  const regions: DiurnalRegion[] = config.regions.elastic.map((region, i) => {
    const up = demandAlarmsFor(config, region).scaleUp.threshold;
    const down = demandAlarmsFor(config, region).scaleDown.threshold;
    if (i <= k) {
      return {
        region,
        peakHourUtc: peakHourOf(i),
        peakUsers: Math.round(1.8 * up),
        baseUsers: Math.round(Math.min(0.1 * up, 0.5 * down)),
      };
    }
    // Between the two thresholds all day (noise included): neither alarm ever fires.
    return {
      region,
      peakHourUtc: worldPeakHour(region, i),
      peakUsers: Math.round(down + 0.6 * (up - down)),
      baseUsers: Math.round(down + 0.2 * (up - down)),
    };
  });
  const typical = config.scaling.thresholds.scaleUp.users;
  for (const [i, region] of config.regions.alwaysOn.entries()) {
    regions.push({
      region,
      peakHourUtc: worldPeakHour(region, i),
      peakUsers: 2 * typical,
      baseUsers: Math.round(0.2 * typical),
    });
  }
  const first = config.regions.elastic[0];
  const gaps: DataGap[] =
    first && hours >= 5 ? [{ region: first, from: formatIsoUtc(startMs + 4 * HOUR_MS), minutes: 20 }] : [];
  const trace = generateDiurnalTrace({
    start: formatIsoUtc(startMs),
    days: hours / 24,
    stepSeconds: 60,
    regions,
    noise: 0.05,
    gaps,
    seed: 7,
  });
  for (const [i, region] of config.regions.elastic.entries()) {
    if (i <= k && isWarmRegion(config, region)) replayPeak(trace.users.get(region)!, regions[i]!.peakUsers);
  }
  return { name: 'built-in', trace, ignoredRegions: [], gaps };
}

const EVENING_EVENT = { fromMinute: 22 * 60, minutes: 45 };

/** The evening event of a warm region: its peak demand again for EVENING_EVENT (within the day played). */
function replayPeak(users: Float64Array, peakUsers: number): void {
  const end = Math.min(users.length, EVENING_EVENT.fromMinute + EVENING_EVENT.minutes);
  for (let minute = EVENING_EVENT.fromMinute; minute < end; minute++) users[minute] = peakUsers;
}

function worldPeakHour(region: string, index: number): number {
  return WORLD_REGIONS.find((w) => w.region === region)?.peakHourUtc ?? (index * 5) % 24;
}

/** Reads and parses a trace file; a TraceError lists every bad row with its line number. */
export function readScenarioFile(path: string, config: AutoscalerConfig, nowMs: number, hours?: number): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(
      `Cannot read the scenario ${path}: ${(error as Error).message}; fix: pass a readable CSV file (timestamp,region,users) with --scenario`,
      { cause: error },
    );
  }
  const parsed = hours === undefined ? parseTrace(text, path) : firstHours(parseTrace(text, path), hours);
  const { trace, ignoredRegions } = approvedOnly(parsed, config);
  assertStepFitsAlarms(trace, config, path);
  return { name: path, trace: placeBeforeNow(trace, nowMs), ignoredRegions, gaps: [] };
}

/** Each alarm period must be a whole number of trace steps, or the alarms would see datapoints only now and then. */
export function assertStepFitsAlarms(trace: DemandTrace, config: AutoscalerConfig, source: string): void {
  for (const region of config.regions.elastic) {
    const { periodSeconds } = demandAlarmsFor(config, region);
    if (periodSeconds % trace.stepSeconds !== 0) {
      throw new Error(
        `The scenario ${source} has one datapoint every ${trace.stepSeconds} s, which does not divide the ${periodSeconds} s alarm period of ${region}; fix: one row per region every ${periodSeconds} s or less (e.g. 60 s)`,
      );
    }
  }
}

/** The first `hours` of a trace. */
export function firstHours(trace: DemandTrace, hours: number): DemandTrace {
  const periods = Math.min(trace.periods, Math.round((hours * 3600) / trace.stepSeconds));
  return {
    ...trace,
    periods,
    users: new Map([...trace.users].map(([region, values]) => [region, values.slice(0, periods)])),
  };
}

/** The trace without the regions the configuration does not approve. */
export function approvedOnly(
  trace: DemandTrace,
  config: AutoscalerConfig,
): { trace: DemandTrace; ignoredRegions: string[] } {
  const ignoredRegions = trace.regions.filter((r) => !regionList(config, r));
  const regions = trace.regions.filter((r) => regionList(config, r));
  return { trace: { ...trace, regions, users: new Map(regions.map((r) => [r, trace.users.get(r)!])) }, ignoredRegions };
}

/**
 * A trace that ends (with the margin) before `nowMs` is played at its own times; a later one is
 * moved back by whole days, which keeps each row's time of day.
 */
export function placeBeforeNow(trace: DemandTrace, nowMs: number): DemandTrace {
  const endMs = trace.startMs + trace.periods * trace.stepSeconds * 1000;
  const excess = endMs + REAL_CLOCK_MARGIN_MS - nowMs;
  if (excess <= 0) return trace;
  return { ...trace, startMs: trace.startMs - Math.ceil(excess / DAY_MS) * DAY_MS };
}

/** End of the trace's last period (epoch ms). */
export function scenarioEndMs(trace: DemandTrace): number {
  return trace.startMs + trace.periods * trace.stepSeconds * 1000;
}
