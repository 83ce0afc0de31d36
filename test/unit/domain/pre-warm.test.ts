import { describe, expect, it } from '@jest/globals';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import { DemandProfile, forecastSettings } from '../../../functions/domain/demand-forecast';
import { leadTimes, planPreWarm, type LeadTimes } from '../../../functions/domain/pre-warm';
import { emptySnapshot, type RegionSnapshot } from '../../../functions/domain/scaling-policy';
import { exampleConfig } from '../../support/config-fixtures';

const MINUTE = 60_000;
const DAY = 86_400_000;
// Two days of history, then "now" at 10:00 UTC of the third day; demand rises above 500 at 10:00 + `rise`.
const NOW = Date.parse('2026-03-03T10:00:00Z');
const config = exampleConfig((raw) => {
  raw.warm = { regions: ['ap-southeast-1'] };
});
const configured = leadTimes(config, {}); // cold 900 s, warm 210 s, warm-up 840 s; reconcile margin 300 s

/** A profile whose days are 100 users, and 1000 from 10:00 + riseMinutes to 14:00. */
function profileRisingIn(riseMinutes: number, days = 2, cfg: AutoscalerConfig = config): DemandProfile {
  const profile = new DemandProfile(forecastSettings(cfg), 60);
  const riseAt = (NOW % DAY) + riseMinutes * MINUTE;
  for (let at = NOW - days * DAY; at < NOW; at += MINUTE) {
    const t = at % DAY;
    profile.observe(at, t >= riseAt && t < 14 * 3_600_000 ? 1000 : 100);
  }
  return profile;
}

const snapshot = (region: string, status: RegionSnapshot['status']): RegionSnapshot => ({
  ...emptySnapshot(region, new Date(NOW)),
  status,
});
const plan = (
  region: string,
  status: RegionSnapshot['status'],
  riseMinutes: number,
  lead: LeadTimes = configured,
  cfg: AutoscalerConfig = config,
) => planPreWarm(snapshot(region, status), profileRisingIn(riseMinutes, 2, cfg), cfg, lead, new Date(NOW));

describe('leadTimes', () => {
  it('uses the configured provisioning times until some are measured, then the measured ones', () => {
    expect(configured).toEqual({ coldSeconds: 900, warmSeconds: 210, warmUpSeconds: 840, source: 'configured' });
    expect(leadTimes(config, { coldSeconds: 1100 })).toEqual({
      coldSeconds: 1100,
      warmSeconds: 210,
      warmUpSeconds: 840,
      source: 'measured',
    });
    expect(leadTimes(config, { coldSeconds: NaN, warmSeconds: 0 }).source).toBe('configured');
  });
});

describe('planPreWarm', () => {
  it('starts a cold scale-up when the forecast crosses the threshold within the cold lead time plus one reconcile interval', () => {
    const inTime = plan('ap-south-1', 'INACTIVE', 20);
    expect(inTime).toEqual({
      kind: 'scale-up',
      crossingAt: '2026-03-03T10:20:00.000Z',
      reason:
        'pre-warm: forecast crosses 500 users at 2026-03-03T10:20:00.000Z (in 20 min); a cold scale-up takes 15 min',
    });
    expect(plan('ap-south-1', 'INACTIVE', 25)).toMatchObject({ kind: 'none' });
  });

  it('scales a WARM region up within the warm lead time only', () => {
    expect(plan('ap-southeast-1', 'WARM', 5)).toMatchObject({
      kind: 'scale-up',
      crossingAt: '2026-03-03T10:05:00.000Z',
    });
    expect(plan('ap-southeast-1', 'WARM', 10)).toMatchObject({ kind: 'none' });
  });

  it('warms an INACTIVE warm region up when a cold start is not needed yet, and starts cold when it is', () => {
    // Cold 10 min (+5 margin), warm path 14 + 3.5 min (+5): a crossing in 20 min needs the warm-up now, not the cold start.
    const fastCold = leadTimes(config, { coldSeconds: 600 });
    expect(plan('ap-southeast-1', 'INACTIVE', 20, fastCold)).toMatchObject({
      kind: 'warm-up',
      reason:
        'pre-warm: forecast crosses 500 users at 2026-03-03T10:20:00.000Z (in 20 min); warming up (14 min) so it can serve 4 min after its scale-up',
    });
    expect(plan('ap-southeast-1', 'INACTIVE', 15, fastCold)).toMatchObject({ kind: 'scale-up' });
    expect(plan('ap-southeast-1', 'INACTIVE', 25, fastCold)).toMatchObject({ kind: 'none' });
    // A region not in warm.regions is never warmed up.
    expect(plan('ap-south-1', 'INACTIVE', 20, fastCold)).toMatchObject({ kind: 'none' });
  });

  it('with the configured lead times, warms a warm region up while the warm path (14 + 3.5 min) is in time', () => {
    // In 20 min: the warm path fits (17.5 min plus the next look), so no slot is taken yet.
    expect(plan('ap-southeast-1', 'INACTIVE', 20)).toMatchObject({ kind: 'warm-up' });
    // In 15 min: too late for the warm path; the cold start (15 min) is the faster one.
    expect(plan('ap-southeast-1', 'INACTIVE', 15)).toMatchObject({ kind: 'scale-up' });
    // In 25 min: not yet (the next look, in 5 min, is still in time for the warm path).
    expect(plan('ap-southeast-1', 'INACTIVE', 25)).toMatchObject({ kind: 'none' });
  });

  it('warms up instead when the measured cold start is no faster than the warm path', () => {
    const slowCold = leadTimes(config, { coldSeconds: 1200 });
    expect(plan('ap-southeast-1', 'INACTIVE', 10, slowCold)).toMatchObject({ kind: 'warm-up' });
  });

  it('does nothing before the profile has minHistoryHours, for an always-on region, a region on its way, or mode off', () => {
    const young = planPreWarm(
      snapshot('ap-south-1', 'INACTIVE'),
      profileRisingIn(10, 0.5),
      config,
      configured,
      new Date(NOW),
    );
    expect(young).toEqual({
      kind: 'none',
      reason: 'no pre-warm of ap-south-1: 12 h of demand history, the forecast needs 24 h',
    });
    expect(planPreWarm(snapshot('ap-south-1', 'INACTIVE'), undefined, config, configured, new Date(NOW)).kind).toBe(
      'none',
    );
    expect(plan('us-east-1', 'INACTIVE', 10)).toMatchObject({ kind: 'none' });
    for (const status of ['ACTIVE', 'PROVISIONING', 'DRAINING'] as const) {
      expect(plan('ap-south-1', status, 10)).toMatchObject({ kind: 'none' });
    }
    const off = exampleConfig((raw) => {
      raw.forecast = { mode: 'off' };
    });
    expect(plan('ap-south-1', 'INACTIVE', 10, configured, off)).toEqual({
      kind: 'none',
      reason: 'no pre-warm of ap-south-1: forecast.mode is off',
    });
  });

  it('never plans a scale-down, even when the forecast falls to nothing', () => {
    const profile = new DemandProfile(forecastSettings(config), 60);
    for (let at = NOW - 2 * DAY; at < NOW; at += MINUTE) profile.observe(at, 0);
    const active = planPreWarm(snapshot('ap-south-1', 'ACTIVE'), profile, config, configured, new Date(NOW));
    const warm = planPreWarm(snapshot('ap-southeast-1', 'WARM'), profile, config, configured, new Date(NOW));
    expect([active.kind, warm.kind]).toEqual(['none', 'none']);
  });

  it('uses the region threshold override (sa-east-1 scales up above 300)', () => {
    const profile = new DemandProfile(forecastSettings(config), 60);
    for (let at = NOW - 2 * DAY; at < NOW; at += MINUTE)
      profile.observe(at, at % DAY >= (NOW % DAY) + 5 * MINUTE ? 400 : 100);
    expect(planPreWarm(snapshot('sa-east-1', 'INACTIVE'), profile, config, configured, new Date(NOW)).kind).toBe(
      'scale-up',
    );
    expect(planPreWarm(snapshot('ap-south-1', 'INACTIVE'), profile, config, configured, new Date(NOW)).kind).toBe(
      'none',
    );
  });
});
