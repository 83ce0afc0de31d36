/**
 * Predictive pre-warm: start a scale-up (or a warm-up) early enough that an elastic region serves
 * when its demand forecast (demand-forecast.ts) crosses its scale-up threshold, instead of 15-20
 * minutes after its alarm fires. Pure: the reconciler and the simulator call it with the region's
 * snapshot and profile, then ask decideScaling (every guardrail applies: cooldown, maximum elastic
 * regions, pauses, the warm tier's cost cap). Forecast-only mode is the caller's business (it
 * records the plan instead of acting on it).
 *
 * Rules:
 * - Never a scale-down: a forecast only ever brings capacity earlier (like AWS predictive scaling).
 * - Nothing until the region's profile has forecast.minHistoryHours of history, nor for an
 *   always-on region, nor with forecast.mode "off", nor for a region already on its way.
 * - Lead time per tier: a WARM region serves `warmSeconds` after its scale-up starts, an INACTIVE
 *   one `coldSeconds` after; a plan starts when the forecast crosses the threshold within that
 *   lead time plus one reconcile interval (the next look comes that much later: waiting for it
 *   would be late).
 * - A region of warm.regions that is INACTIVE is warmed up (INACTIVE -> WARM, no slot, no node)
 *   when the crossing is within warmUpSeconds + warmSeconds + that margin and a cold start is not
 *   needed yet (the crossing is further than the cold lead) or would be too late anyway (the cold
 *   lead is no shorter than the warm path). Once WARM, the warm lead decides its scale-up.
 */
import { isWarmRegion, regionList, thresholdsFor, type AutoscalerConfig } from './config';
import type { DemandProfile } from './demand-forecast';
import type { RegionSnapshot } from './scaling-policy';

export interface LeadTimes {
  coldSeconds: number;
  warmSeconds: number;
  warmUpSeconds: number;
  source: 'measured' | 'configured';
}

/** measured values (e.g. p90 of the workflows' ScaleUpLeadTimeSeconds; WarmScaleUpLeadTimeSeconds) win over config.provisioning when present */
export function leadTimes(
  config: AutoscalerConfig,
  measured: { coldSeconds?: number; warmSeconds?: number },
): LeadTimes {
  const usable = (seconds: number | undefined) =>
    seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
  const cold = usable(measured.coldSeconds);
  const warm = usable(measured.warmSeconds);
  const { scaleUpSeconds, warmScaleUpSeconds, warmUpSeconds } = config.provisioning;
  return {
    coldSeconds: cold ?? scaleUpSeconds,
    warmSeconds: warm ?? warmScaleUpSeconds,
    warmUpSeconds,
    source: cold !== undefined || warm !== undefined ? 'measured' : 'configured',
  };
}

export type PreWarmPlan =
  { kind: 'none'; reason: string } | { kind: 'scale-up' | 'warm-up'; reason: string; crossingAt: string /* ISO */ };

/** never plans a scale-down; 'none' until the profile is ready; scale-up when the forecast crosses the region's scale-up threshold within the lead time of its tier (WARM region: warmSeconds; INACTIVE: coldSeconds); warm-up (INACTIVE -> WARM, warm regions only) when it crosses within warmUpSeconds + warmSeconds + margin and a cold start would be too late or is not needed yet */
export function planPreWarm(
  snapshot: RegionSnapshot,
  profile: DemandProfile | undefined,
  config: AutoscalerConfig,
  lead: LeadTimes,
  now: Date,
): PreWarmPlan {
  const { region } = snapshot;
  if (config.forecast.mode === 'off') return noPlan(region, 'forecast.mode is off');
  if (regionList(config, region) !== 'elastic') return noPlan(region, 'not an elastic region');
  const tier = snapshot.status === 'WARM' ? 'warm' : snapshot.status === 'INACTIVE' ? 'cold' : undefined;
  if (!tier) return noPlan(region, `it is ${snapshot.status}`);
  const nowMs = now.getTime();
  if (!profile || !profile.ready(nowMs)) {
    const hours = profile ? Math.floor(profile.historyHours(nowMs)) : 0;
    return noPlan(region, `${hours} h of demand history, the forecast needs ${config.forecast.minHistoryHours} h`);
  }
  const threshold = thresholdsFor(config, region).scaleUp.users;
  const margin = config.scaling.reconcileIntervalMinutes * 60;
  const warmPath = lead.warmUpSeconds + lead.warmSeconds;
  const warmCapable = tier === 'cold' && isWarmRegion(config, region);
  const horizon =
    tier === 'warm' ? lead.warmSeconds : warmCapable ? Math.max(warmPath, lead.coldSeconds) : lead.coldSeconds;
  const crossing = profile.firstCrossing(nowMs, nowMs + (horizon + margin) * 1000, threshold);
  if (crossing === undefined) {
    return noPlan(region, `forecast stays at or below ${threshold} users for the next ${minutes(horizon + margin)}`);
  }
  const inSeconds = Math.round((crossing - nowMs) / 1000);
  const crossingAt = new Date(crossing).toISOString();
  const forecastSays = `forecast crosses ${threshold} users at ${crossingAt} (in ${minutes(inSeconds)})`;
  if (tier === 'warm') {
    return {
      kind: 'scale-up',
      crossingAt,
      reason: `pre-warm: ${forecastSays}; a warm scale-up takes ${minutes(lead.warmSeconds)}`,
    };
  }
  const coldNeeded = inSeconds <= lead.coldSeconds + margin;
  // The warm path in time, or the faster of the two even late: warm up (no slot, no node until the scale-up).
  if (warmCapable && (inSeconds > warmPath || lead.coldSeconds >= warmPath)) {
    return {
      kind: 'warm-up',
      crossingAt,
      reason: `pre-warm: ${forecastSays}; warming up (${minutes(lead.warmUpSeconds)}) so it can serve ${minutes(lead.warmSeconds)} after its scale-up`,
    };
  }
  if (!coldNeeded) {
    return noPlan(region, `${forecastSays}: a cold scale-up (${minutes(lead.coldSeconds)}) is not needed yet`);
  }
  return {
    kind: 'scale-up',
    crossingAt,
    reason: `pre-warm: ${forecastSays}; a cold scale-up takes ${minutes(lead.coldSeconds)}`,
  };
}

function noPlan(region: string, reason: string): PreWarmPlan {
  return { kind: 'none', reason: `no pre-warm of ${region}: ${reason}` };
}

function minutes(seconds: number): string {
  return `${Math.round(seconds / 60)} min`;
}
