/**
 * Deterministic demand traces shaped like real edge traffic: a daily cycle per region (peaking at
 * its local evening), multiplicative noise and optional gaps where the publisher was silent.
 * Seeded, so a test, the benchmark and the sandbox get the same trace on every run.
 */
import { formatIsoUtc, TRACE_HEADER, type DemandTrace } from './trace';

export interface DiurnalRegion {
  region: string;
  /** Users at the daily peak. */
  peakUsers: number;
  /** Users at the daily low. */
  baseUsers: number;
  /** Hour of the day (UTC, may be fractional) at which demand peaks. */
  peakHourUtc: number;
}

export interface DataGap {
  region: string;
  /** First period without a datapoint (ISO-8601 UTC). */
  from: string;
  minutes: number;
}

export interface DiurnalTraceOptions {
  /** First period (ISO-8601 UTC). */
  start: string;
  days: number;
  stepSeconds?: number;
  regions: DiurnalRegion[];
  /** Relative noise, e.g. 0.1 for +-10 % (default 0.1). */
  noise?: number;
  /** Periods without a datapoint. */
  gaps?: DataGap[];
  seed?: number;
  /** Relative day-to-day change of each region's level, e.g. 0.1 for +-10 % (default 0: every day alike). */
  dailyVariation?: number; /**
   * Shape of the daily cycle: base + (peak - base) x ((1 + cos) / 2)^sharpness. 1 (default) is a
   * plain cosine; higher values give a shorter, steeper evening peak.
   */
  sharpness?: number;
}

/** mulberry32: small, fast, good enough for test data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateDiurnalTrace(options: DiurnalTraceOptions): DemandTrace {
  const stepSeconds = options.stepSeconds ?? 60;
  const startMs = Date.parse(options.start);
  if (Number.isNaN(startMs))
    throw new Error(`start "${options.start}" is not an ISO-8601 time; fix: e.g. 2026-03-01T00:00:00Z`);
  const periods = Math.round((options.days * 86_400) / stepSeconds);
  const noise = options.noise ?? 0.1;
  const random = seededRandom(options.seed ?? 1);
  const variation = options.dailyVariation ?? 0;
  // A separate stream, so that traces without day-to-day variation stay as they were.
  const dayRandom = seededRandom((options.seed ?? 1) ^ 0x5eed);
  const users = new Map<string, Float64Array>();
  for (const r of options.regions) {
    const values = new Float64Array(periods);
    const sharpness = options.sharpness ?? 1;
    const dayLevels = Array.from({ length: Math.ceil(options.days) + 1 }, () =>
      variation ? 1 + variation * (2 * dayRandom() - 1) : 1,
    );
    for (let p = 0; p < periods; p++) {
      const hours = (startMs / 1000 + p * stepSeconds) / 3600;
      const hour = ((hours % 24) + 24) % 24;
      const cycle = Math.cos(((hour - r.peakHourUtc) / 24) * 2 * Math.PI);
      const level = dayLevels[Math.floor((p * stepSeconds) / 86_400)]!;
      const shape = sharpness === 1 ? (1 + cycle) / 2 : ((1 + cycle) / 2) ** sharpness;
      const value = level * (r.baseUsers + (r.peakUsers - r.baseUsers) * shape) * (1 + noise * (2 * random() - 1));
      values[p] = Math.max(0, Math.round(value));
    }
    users.set(r.region, values);
  }
  for (const gap of options.gaps ?? []) {
    const values = users.get(gap.region);
    if (!values) throw new Error(`gap names ${gap.region}, which is not one of the trace's regions`);
    const first = Math.round((Date.parse(gap.from) - startMs) / 1000 / stepSeconds);
    const count = Math.round((gap.minutes * 60) / stepSeconds);
    values.fill(NaN, Math.max(0, first), Math.min(periods, first + count));
  }
  return { startMs, stepSeconds, periods, regions: options.regions.map((r) => r.region), users };
}

/** The trace as CSV (`timestamp,region,users`), with no row where a datapoint is missing. */
export function traceToCsv(trace: DemandTrace): string {
  const chunks: string[] = [TRACE_HEADER];
  const series = trace.regions.map((r) => trace.users.get(r)!);
  for (let p = 0; p < trace.periods; p++) {
    const stamp = formatIsoUtc(trace.startMs + p * trace.stepSeconds * 1000);
    for (let r = 0; r < series.length; r++) {
      const value = series[r]![p]!;
      if (!Number.isNaN(value)) chunks.push(`${stamp},${trace.regions[r]},${value}`);
    }
  }
  chunks.push('');
  return chunks.join('\n');
}

/**
 * Regions spread around the globe with their evening peaks: a ready-made population for tests,
 * the benchmark and the sandbox. `peakUsers` of each region is `peak` scaled by a fixed factor.
 */
export const WORLD_REGIONS: ReadonlyArray<Omit<DiurnalRegion, 'peakUsers' | 'baseUsers'> & { weight: number }> = [
  { region: 'us-east-1', peakHourUtc: 1, weight: 1 },
  { region: 'eu-west-1', peakHourUtc: 19, weight: 0.9 },
  { region: 'us-west-2', peakHourUtc: 4, weight: 0.8 },
  { region: 'eu-central-1', peakHourUtc: 18, weight: 0.8 },
  { region: 'ap-southeast-1', peakHourUtc: 12, weight: 0.7 },
  { region: 'ap-northeast-1', peakHourUtc: 11, weight: 0.7 },
  { region: 'sa-east-1', peakHourUtc: 23, weight: 0.5 },
  { region: 'ap-south-1', peakHourUtc: 14, weight: 0.6 },
  { region: 'us-east-2', peakHourUtc: 1, weight: 0.5 },
  { region: 'us-west-1', peakHourUtc: 4, weight: 0.5 },
  { region: 'ca-central-1', peakHourUtc: 0, weight: 0.4 },
  { region: 'eu-west-2', peakHourUtc: 19, weight: 0.6 },
  { region: 'eu-west-3', peakHourUtc: 18, weight: 0.5 },
  { region: 'eu-north-1', peakHourUtc: 18, weight: 0.4 },
  { region: 'ap-northeast-2', peakHourUtc: 11, weight: 0.5 },
  { region: 'ap-southeast-2', peakHourUtc: 9, weight: 0.5 },
  { region: 'ap-south-2', peakHourUtc: 14, weight: 0.3 },
  { region: 'me-central-1', peakHourUtc: 16, weight: 0.3 },
  { region: 'af-south-1', peakHourUtc: 18, weight: 0.3 },
  { region: 'ap-east-1', peakHourUtc: 12, weight: 0.4 },
];

/** The first `count` WORLD_REGIONS, peaking at `peak * weight` users and falling to 5 % of that at night. */
export function worldRegions(count: number, peak: number): DiurnalRegion[] {
  if (count > WORLD_REGIONS.length) throw new Error(`at most ${WORLD_REGIONS.length} world regions are defined`);
  return WORLD_REGIONS.slice(0, count).map(({ region, peakHourUtc, weight }) => ({
    region,
    peakHourUtc,
    peakUsers: Math.round(peak * weight),
    baseUsers: Math.round(peak * weight * 0.05),
  }));
}

/** The built-in diurnal trace's regions: the example configuration's (cdk.json), peaks at different hours. */
export const BUILT_IN_DIURNAL_REGIONS: readonly DiurnalRegion[] = [
  { region: 'us-east-1', peakHourUtc: 1, peakUsers: 3000, baseUsers: 300 },
  { region: 'eu-west-1', peakHourUtc: 19, peakUsers: 2500, baseUsers: 250 },
  // Three Asian regions whose days overlap compete for the two elastic slots; their peaks differ.
  { region: 'ap-northeast-1', peakHourUtc: 11, peakUsers: 1400, baseUsers: 70 },
  { region: 'ap-southeast-1', peakHourUtc: 13, peakUsers: 1200, baseUsers: 60 },
  { region: 'ap-south-1', peakHourUtc: 15.5, peakUsers: 900, baseUsers: 45 },
  { region: 'sa-east-1', peakHourUtc: 23, peakUsers: 700, baseUsers: 35 },
];

/**
 * The built-in 7-day diurnal trace (issue 13's benchmark): 2 always-on and 4 elastic regions of
 * the example configuration, 1-minute datapoints, +-10 % noise per minute, +-10 % from day to
 * day, and one 2-hour publisher gap. Generated, deterministic (seeded).
 */
export function builtInDiurnalTrace(options: { days?: number; seed?: number; sharpness?: number } = {}): DemandTrace {
  return generateDiurnalTrace({
    start: '2026-03-02T00:00:00Z',
    days: options.days ?? 7,
    regions: [...BUILT_IN_DIURNAL_REGIONS],
    noise: 0.1,
    dailyVariation: 0.1,
    sharpness: options.sharpness ?? 2,
    seed: options.seed ?? 13,
    gaps: [{ region: 'ap-southeast-1', from: '2026-03-04T09:00:00Z', minutes: 120 }],
  });
}
