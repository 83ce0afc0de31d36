/**
 * What the reconciler does with the demand history of its pass (the adapter demand-history.ts
 * reads it in one GetMetricData request): pure, so that each step is unit tested.
 *
 *   regionForecasts   per elastic region: its demand profile (demand-forecast.ts) fed with the
 *                     history, its lead times (pre-warm.ts leadTimes: the p90 of the measured
 *                     ones, else the configured ones) and its newest datapoint
 *   withDemand        RegionSnapshot.demand for the demand-ranked slots (scaling-policy.ts)
 *   forecastRequest   planPreWarm's scale-up or warm-up as a ScalingRequest of the reconciler
 *   forecastOnlyRecord  in forecast.mode "forecast-only", what the reconciler would have done
 *   preemptionRequest the scale-down a max-elastic refusal asks for (its `preempt`)
 *   warmExpiryRequest a WARM region kept warm.keepHours: down to INACTIVE
 *
 * Missing data is never zero: a period without datapoint is NaN in the history and is not observed;
 * a region without a recent datapoint and without a ready forecast has an unknown demand
 * (undefined), which never preempts nor is preempted.
 */
import { regionList, type AutoscalerConfig } from './config';
import { DemandProfile, forecastSettings } from './demand-forecast';
import { leadTimes, planPreWarm, type LeadTimes, type PreWarmPlan } from './pre-warm';
import { warmExpired, type RegionSnapshot, type ScalingRequest, type Verdict } from './scaling-policy';

/** One value per period from `startMs`; NaN where there is no datapoint. */
export interface MetricSeries {
  startMs: number;
  stepSeconds: number;
  values: number[];
}

/** What CloudWatch holds about one elastic region over the forecast's window. */
export interface RegionDemandHistory {
  /** ActiveUsers, Maximum per period (the alarms' statistic). */
  users: MetricSeries;
  /** ScaleUpLeadTimeSeconds per period (one measured cold scale-up per period with data). */
  coldLeadTimes: MetricSeries;
  /** WarmScaleUpLeadTimeSeconds per period (scale-ups from WARM). */
  warmLeadTimes: MetricSeries;
}

export interface RegionForecast {
  profile: DemandProfile;
  lead: LeadTimes;
  /** The newest ActiveUsers datapoint of the last FRESH_PERIODS periods; undefined when there is none. */
  latestUsers?: number;
}

/**
 * A datapoint is "now" while its period is among the last three (15 minutes at 300 s): the
 * current period fills as the collector publishes, and the one before may still be completing.
 */
export const FRESH_PERIODS = 3;

/** The forecast of every elastic region the history covers, from that history only (nothing before `now`). */
export function regionForecasts(
  config: AutoscalerConfig,
  history: ReadonlyMap<string, RegionDemandHistory>,
  now: Date,
): Map<string, RegionForecast> {
  const settings = forecastSettings(config);
  const forecasts = new Map<string, RegionForecast>();
  for (const region of config.regions.elastic) {
    const h = history.get(region);
    if (!h) continue;
    const profile = new DemandProfile(settings, h.users.stepSeconds);
    forEachDatapoint(h.users, now, (atMs, users) => profile.observe(atMs, users));
    const lead = leadTimes(config, {
      coldSeconds: percentile90(measured(h.coldLeadTimes, now)),
      warmSeconds: percentile90(measured(h.warmLeadTimes, now)),
    });
    forecasts.set(region, { profile, lead, latestUsers: latestDatapoint(h.users, now) });
  }
  return forecasts;
}

/** The nearest-rank 90th percentile; undefined for no sample (the configured lead time then applies). */
export function percentile90(samples: number[]): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.ceil(0.9 * sorted.length) - 1];
}

/**
 * The region's demand for the demand-ranked slots: its newest datapoint, or (forecast.mode "on" and
 * a profile with enough history) the forecast for when it could serve, whichever is larger. A
 * serving region could serve now, a WARM one after its warm lead time, any other after the cold one.
 * Undefined when neither is known.
 */
export function demandOf(
  snapshot: RegionSnapshot,
  forecast: RegionForecast | undefined,
  config: AutoscalerConfig,
  now: Date,
): number | undefined {
  if (!forecast || regionList(config, snapshot.region) !== 'elastic') return undefined;
  const nowMs = now.getTime();
  const forecastOn = config.forecast.mode === 'on' && forecast.profile.ready(nowMs);
  const expected = forecastOn
    ? forecast.profile.expected(nowMs + servesInSeconds(snapshot, forecast.lead) * 1000, nowMs)
    : undefined;
  const known = [forecast.latestUsers, expected].filter((v): v is number => v !== undefined && Number.isFinite(v));
  return known.length ? Math.max(...known) : undefined;
}

/** The snapshots with `demand` filled for the elastic regions whose demand is known. */
export function withDemand(
  snapshots: RegionSnapshot[],
  forecasts: ReadonlyMap<string, RegionForecast>,
  config: AutoscalerConfig,
  now: Date,
): RegionSnapshot[] {
  return snapshots.map((s) => {
    const demand = demandOf(s, forecasts.get(s.region), config, now);
    return demand === undefined ? s : { ...s, demand };
  });
}

export interface ReconcilerRequest {
  request: ScalingRequest;
  /** The workflow input's reason (and the decision's, when allowed). */
  reason: string;
}

/**
 * The pre-warm plan of one elastic region (planPreWarm) as the reconciler's request: a scale-up,
 * or a warm-up (a scale-up with target WARM). Undefined when the plan is to do nothing; never a
 * scale-down.
 */
export function forecastRequest(
  snapshot: RegionSnapshot,
  forecast: RegionForecast | undefined,
  config: AutoscalerConfig,
  eventAt: Date,
  now: Date,
): { plan: PreWarmPlan; action?: ReconcilerRequest } {
  const plan = planPreWarm(snapshot, forecast?.profile, config, forecast?.lead ?? leadTimes(config, {}), now);
  if (plan.kind === 'none') return { plan };
  const request: ScalingRequest = {
    region: snapshot.region,
    direction: 'up',
    source: 'reconciler',
    eventAt,
    ...(plan.kind === 'warm-up' ? { target: 'WARM' as const } : {}),
  };
  return { plan, action: { request, reason: `reconciler: ${plan.reason}` } };
}

/**
 * In forecast.mode "forecast-only": the line the decision history records instead of acting, saying
 * what the policy would have let the forecast do (and the swap it would have asked for).
 */
export function forecastOnlyRecord(action: ReconcilerRequest, verdict: Verdict): string {
  const { region, target } = action.request;
  const what = target === 'WARM' ? `warm-up of ${region}` : `scale-up of ${region}`;
  if (verdict.allowed) return `forecast-only: would have started the ${what} (${action.reason})`;
  const swap = verdict.preempt ? `; would have scaled ${verdict.preempt.region} down for it` : '';
  return `forecast-only: the ${what} would have been refused, ${verdict.reason}${swap} (${action.reason})`;
}

/** The `preempt` of a max-elastic refusal (demand-ranked slots) as the reconciler's scale-down of that region. */
export function preemptionRequest(
  preempt: { region: string; reason: string } | undefined,
  eventAt: Date,
): ReconcilerRequest | undefined {
  if (!preempt) return undefined;
  return {
    request: { region: preempt.region, direction: 'down', source: 'reconciler', eventAt },
    reason: `reconciler: ${preempt.reason}`,
  };
}

/** A WARM region past warm.keepHours: its scale-down to INACTIVE (control plane and load balancer deleted). */
export function warmExpiryRequest(
  snapshot: RegionSnapshot,
  config: AutoscalerConfig,
  eventAt: Date,
  now: Date,
): ReconcilerRequest | undefined {
  if (!warmExpired(snapshot, config, now)) return undefined;
  return {
    request: { region: snapshot.region, direction: 'down', source: 'reconciler', eventAt, target: 'INACTIVE' },
    reason: `reconciler: warm expiry: ${snapshot.region} has been WARM since ${snapshot.warmSince ?? snapshot.since}, longer than warm.keepHours (${config.warm.keepHours} h); scaling it down to INACTIVE`,
  };
}

function servesInSeconds(snapshot: RegionSnapshot, lead: LeadTimes): number {
  if (snapshot.status === 'WARM') return lead.warmSeconds;
  if (snapshot.status === 'INACTIVE' || snapshot.status === 'FAILED') return lead.coldSeconds;
  return 0;
}

/** Calls `visit` for each datapoint of the series up to `now`, oldest first; NaN periods are skipped. */
function forEachDatapoint(series: MetricSeries, now: Date, visit: (atMs: number, value: number) => void): void {
  const stepMs = series.stepSeconds * 1000;
  series.values.forEach((value, i) => {
    const atMs = series.startMs + i * stepMs;
    if (Number.isFinite(value) && atMs <= now.getTime()) visit(atMs, value);
  });
}

function measured(series: MetricSeries, now: Date): number[] {
  const values: number[] = [];
  forEachDatapoint(series, now, (_, value) => values.push(value));
  return values;
}

function latestDatapoint(series: MetricSeries, now: Date): number | undefined {
  const stepMs = series.stepSeconds * 1000;
  const oldestFreshMs = now.getTime() - FRESH_PERIODS * stepMs;
  let latest: number | undefined;
  forEachDatapoint(series, now, (atMs, value) => {
    if (atMs > oldestFreshMs) latest = value;
  });
  return latest;
}
