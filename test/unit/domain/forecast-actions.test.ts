import { describe, expect, it } from '@jest/globals';
import type { AutoscalerConfigInput } from '../../../functions/domain/config';
import {
  demandOf,
  forecastOnlyRecord,
  forecastRequest,
  percentile90,
  preemptionRequest,
  regionForecasts,
  warmExpiryRequest,
  withDemand,
  type MetricSeries,
  type RegionDemandHistory,
} from '../../../functions/domain/forecast-actions';
import type { RegionState, RegionStatus } from '../../../functions/domain/region-state';
import { decideScaling, type RegionSnapshot } from '../../../functions/domain/scaling-policy';
import { exampleConfig } from '../../support/config-fixtures';

const STEP_S = 300;
const STEP_MS = STEP_S * 1000;
const HOUR_MS = 3_600_000;
/** Today 11:50 UTC: ten minutes before the daily rise. */
const NOW = new Date('2026-11-21T11:50:00Z');
const LONG_AGO = '2026-11-01T00:00:00.000Z';
const REGION = 'ap-southeast-1'; // scale-up threshold 500 users (cdk.json)

/** 900 users from 12:00 to 14:00 UTC every day, 100 otherwise: the rise crosses 500 at 12:00. */
function dailyPeak(atMs: number): number {
  const hour = new Date(atMs).getUTCHours();
  return hour >= 12 && hour < 14 ? 900 : 100;
}

/** A series of `hours` up to NOW (its current period included), `value` per period start; NaN = no datapoint. */
function series(hours: number, value: (atMs: number) => number, now = NOW): MetricSeries {
  const endMs = Math.floor(now.getTime() / STEP_MS) * STEP_MS;
  const startMs = endMs - hours * HOUR_MS;
  const values: number[] = [];
  for (let at = startMs; at <= endMs; at += STEP_MS) values.push(value(at));
  return { startMs, stepSeconds: STEP_S, values };
}

const nothing = (hours: number): MetricSeries => series(hours, () => NaN);

function history(users: MetricSeries, cold: MetricSeries = nothing(1), warm: MetricSeries = nothing(1)) {
  return new Map<string, RegionDemandHistory>([[REGION, { users, coldLeadTimes: cold, warmLeadTimes: warm }]]);
}

function config(mutate?: (raw: AutoscalerConfigInput) => void) {
  return exampleConfig(mutate);
}

function snapshot(region: string, status: RegionStatus, fields: Partial<RegionState & RegionSnapshot> = {}) {
  return {
    region,
    status,
    since: LONG_AGO,
    lastTransitionAt: LONG_AGO,
    consecutiveFailures: 0,
    locked: false,
    executionRunning: false,
    ...(status === 'ACTIVE' ? { activeSince: LONG_AGO } : {}),
    ...fields,
  } satisfies RegionSnapshot;
}

describe('the forecast of an elastic region from its demand history', () => {
  it('does nothing before forecast.minHistoryHours of history, even with a rise coming', () => {
    const cfg = config();
    const forecasts = regionForecasts(cfg, history(series(20, dailyPeak)), NOW);
    const { plan, action } = forecastRequest(snapshot(REGION, 'INACTIVE'), forecasts.get(REGION), cfg, NOW, NOW);
    expect(action).toBeUndefined();
    expect(plan.reason).toContain('20 h of demand history, the forecast needs 24 h');
  });

  it('asks for a scale-up ahead of the crossing once it has 24 h, with the crossing in its reason', () => {
    const cfg = config();
    const forecasts = regionForecasts(cfg, history(series(48, dailyPeak)), NOW);
    const { action } = forecastRequest(snapshot(REGION, 'INACTIVE'), forecasts.get(REGION), cfg, NOW, NOW);
    expect(action).toEqual({
      request: { region: REGION, direction: 'up', source: 'reconciler', eventAt: NOW },
      reason: expect.stringContaining('forecast crosses 500 users at 2026-11-21T12:00:00.000Z'),
    });
    // An hour earlier the crossing is beyond the cold lead time (15 min) plus one reconcile interval.
    const early = new Date(NOW.getTime() - HOUR_MS);
    const earlier = regionForecasts(cfg, history(series(47, dailyPeak, early)), early);
    expect(
      forecastRequest(snapshot(REGION, 'INACTIVE'), earlier.get(REGION), cfg, early, early).action,
    ).toBeUndefined();
  });

  it('never asks for a scale-down, whatever the forecast says', () => {
    const cfg = config();
    const falling = regionForecasts(cfg, history(series(48, () => 10)), NOW);
    const { action } = forecastRequest(snapshot(REGION, 'ACTIVE'), falling.get(REGION), cfg, NOW, NOW);
    expect(action).toBeUndefined();
  });

  it('warms up a region of warm.regions when the crossing is beyond the cold lead but within the warm path', () => {
    const cfg = config((raw) => void (raw.warm = { regions: [REGION] }));
    // 22 minutes before the crossing: a cold start (15 min + 5) is not needed yet, the warm path (14 + 3.5 + 5) is.
    const at = new Date('2026-11-21T11:38:00Z');
    const forecasts = regionForecasts(cfg, history(series(48, dailyPeak, at)), at);
    const { action } = forecastRequest(snapshot(REGION, 'INACTIVE'), forecasts.get(REGION), cfg, at, at);
    expect(action?.request).toEqual({
      region: REGION,
      direction: 'up',
      source: 'reconciler',
      eventAt: at,
      target: 'WARM',
    });
    expect(action?.reason).toMatch(/^reconciler: pre-warm: forecast crosses 500 users/);
  });

  it('does not read a period without datapoint as zero users', () => {
    const cfg = config();
    // Yesterday's rise was not published (NaN from 11:00 to 14:00); the day before it was.
    const yesterday = (at: number) =>
      at >= Date.parse('2026-11-20T11:00:00Z') && at < Date.parse('2026-11-20T14:00:00Z');
    const outage = series(60, (at) => (yesterday(at) ? NaN : dailyPeak(at)));
    const forecasts = regionForecasts(cfg, history(outage), NOW);
    // The median is over the days that have a datapoint: the day before yesterday still shows the rise.
    expect(forecasts.get(REGION)!.profile.expected(Date.parse('2026-11-21T12:00:00Z'), NOW.getTime())).toBe(900);
    expect(forecastRequest(snapshot(REGION, 'INACTIVE'), forecasts.get(REGION), cfg, NOW, NOW).action).toBeDefined();

    // With only the day of the outage behind it, the time of the rise is unknown, not 0 users.
    const onlyOutage = regionForecasts(cfg, history(series(30, (at) => (yesterday(at) ? NaN : dailyPeak(at)))), NOW);
    expect(onlyOutage.get(REGION)!.profile.expected(Date.parse('2026-11-21T12:00:00Z'), NOW.getTime())).toBeUndefined();
  });

  it('takes the p90 of the measured lead times of the region, and the configured ones without any', () => {
    expect(percentile90([])).toBeUndefined();
    expect(percentile90([700])).toBe(700);
    expect(percentile90([500, 900, 600, 800, 700, 1000, 650, 750, 850, 1200])).toBe(1000);
    const cfg = config();
    // Ten cold scale-ups measured over the window, one every 4 hours (600, 660, ... 1140 s); no
    // datapoint (NaN) in the other periods.
    const endMs = Math.floor(NOW.getTime() / STEP_MS) * STEP_MS;
    const measuredAt = (at: number) => {
      const k = (endMs - at) / (4 * HOUR_MS);
      return Number.isInteger(k) && k < 10 ? 600 + 60 * k : NaN;
    };
    const measured = regionForecasts(cfg, history(series(48, dailyPeak), series(48, measuredAt)), NOW).get(REGION)!;
    expect(measured.lead).toEqual({
      coldSeconds: 1080, // the 9th of the 10, nearest rank
      warmSeconds: cfg.provisioning.warmScaleUpSeconds,
      warmUpSeconds: cfg.provisioning.warmUpSeconds,
      source: 'measured',
    });
    const configured = regionForecasts(cfg, history(series(48, dailyPeak)), NOW).get(REGION)!;
    expect(configured.lead).toMatchObject({ coldSeconds: cfg.provisioning.scaleUpSeconds, source: 'configured' });
  });
});

describe("an elastic region's demand for the demand-ranked slots", () => {
  it('is the newest datapoint, or the forecast for when the region could serve, whichever is larger', () => {
    const cfg = config();
    const steady = regionForecasts(
      cfg,
      history(series(48, (at) => (at > NOW.getTime() - STEP_MS ? 240 : dailyPeak(at)))),
      NOW,
    );
    // INACTIVE: it could serve after the cold lead time (15 min), at 12:05, when 900 users are forecast.
    expect(demandOf(snapshot(REGION, 'INACTIVE'), steady.get(REGION), cfg, NOW)).toBe(900);
    // ACTIVE: it serves now, forecast 100 at 11:50; its newest datapoint says 240.
    expect(demandOf(snapshot(REGION, 'ACTIVE'), steady.get(REGION), cfg, NOW)).toBe(240);
  });

  it('is the newest datapoint alone while the forecast is not acted on (forecast-only, off, too little history)', () => {
    const latestIs240 = (at: number) => (at > NOW.getTime() - STEP_MS ? 240 : dailyPeak(at));
    for (const mode of ['forecast-only', 'off'] as const) {
      const cfg = config((raw) => void (raw.forecast = { mode }));
      const forecasts = regionForecasts(cfg, history(series(48, latestIs240)), NOW);
      expect(demandOf(snapshot(REGION, 'INACTIVE'), forecasts.get(REGION), cfg, NOW)).toBe(240);
    }
    const cfg = config();
    const young = regionForecasts(cfg, history(series(10, latestIs240)), NOW);
    expect(demandOf(snapshot(REGION, 'INACTIVE'), young.get(REGION), cfg, NOW)).toBe(240);
  });

  it('is unknown, not 0, without a datapoint in the last 15 minutes and without a forecast', () => {
    const cfg = config();
    const silent = series(10, (at) => (at > NOW.getTime() - 3 * STEP_MS ? NaN : 700));
    const forecasts = regionForecasts(cfg, history(silent), NOW);
    expect(forecasts.get(REGION)!.latestUsers).toBeUndefined();
    expect(demandOf(snapshot(REGION, 'ACTIVE'), forecasts.get(REGION), cfg, NOW)).toBeUndefined();
    const [filled] = withDemand([snapshot(REGION, 'ACTIVE')], forecasts, cfg, NOW);
    expect(filled).not.toHaveProperty('demand');
    // Always-on regions are never ranked.
    expect(withDemand([snapshot('us-east-1', 'ACTIVE')], forecasts, cfg, NOW)[0]).not.toHaveProperty('demand');
  });
});

describe('what the reconciler asks for', () => {
  const cfg = config();
  const fleet = (requesterDemand: number): RegionSnapshot[] => [
    snapshot('us-east-1', 'ACTIVE'),
    snapshot('eu-west-1', 'ACTIVE'),
    snapshot('ap-northeast-1', 'ACTIVE', { demand: 400 }),
    snapshot('sa-east-1', 'ACTIVE', { demand: 120 }),
    snapshot(REGION, 'INACTIVE', { demand: requesterDemand }),
    snapshot('ap-south-1', 'INACTIVE'),
  ];
  const up = { region: REGION, direction: 'up' as const, source: 'reconciler' as const, eventAt: NOW };

  it('scales the weakest serving elastic region down for a waiting one with more than preemptRatio times its demand', () => {
    const verdict = decideScaling(up, fleet(900), cfg, NOW);
    expect(verdict).toMatchObject({ allowed: false, rule: 'max-elastic', preempt: { region: 'sa-east-1' } });
    const preempt = verdict.allowed ? undefined : verdict.preempt;
    expect(preemptionRequest(preempt, NOW)).toEqual({
      request: { region: 'sa-east-1', direction: 'down', source: 'reconciler', eventAt: NOW },
      reason: expect.stringMatching(/^reconciler: demand-ranked slots: ap-southeast-1 has 900 users/),
    });
    // At no more than twice the weakest's demand the slots stay as they are.
    const close = decideScaling(up, fleet(240), cfg, NOW);
    expect(close).toMatchObject({ allowed: false, rule: 'max-elastic' });
    expect(preemptionRequest(close.allowed ? undefined : close.preempt, NOW)).toBeUndefined();
  });

  it('in forecast-only mode, words what it would have done, the refusal and the swap included', () => {
    const forecast = { request: up, reason: 'reconciler: pre-warm: forecast crosses 500 users at 12:00' };
    expect(forecastOnlyRecord(forecast, decideScaling(up, fleet(900), cfg, NOW))).toMatch(
      /^forecast-only: the scale-up of ap-southeast-1 would have been refused, max elastic: .*; would have scaled sa-east-1 down for it \(reconciler: pre-warm: forecast crosses 500 users at 12:00\)$/,
    );
    const free = fleet(900).filter((s) => s.region !== 'sa-east-1');
    expect(forecastOnlyRecord(forecast, decideScaling(up, free, cfg, NOW))).toBe(
      'forecast-only: would have started the scale-up of ap-southeast-1 (reconciler: pre-warm: forecast crosses 500 users at 12:00)',
    );
  });

  it('scales a WARM region down to INACTIVE once it has been WARM for warm.keepHours', () => {
    const warmCfg = config((raw) => void (raw.warm = { regions: [REGION], keepHours: 6 }));
    const warmSince = (hoursAgo: number) => new Date(NOW.getTime() - hoursAgo * HOUR_MS).toISOString();
    const expired = snapshot(REGION, 'WARM', { since: warmSince(7), warmSince: warmSince(7) });
    expect(warmExpiryRequest(expired, warmCfg, NOW, NOW)).toEqual({
      request: { region: REGION, direction: 'down', source: 'reconciler', eventAt: NOW, target: 'INACTIVE' },
      reason: `reconciler: warm expiry: ${REGION} has been WARM since ${warmSince(7)}, longer than warm.keepHours (6 h); scaling it down to INACTIVE`,
    });
    const fresh = snapshot(REGION, 'WARM', { since: warmSince(5), warmSince: warmSince(5) });
    expect(warmExpiryRequest(fresh, warmCfg, NOW, NOW)).toBeUndefined();
    expect(warmExpiryRequest(snapshot(REGION, 'ACTIVE'), warmCfg, NOW, NOW)).toBeUndefined();
  });
});
