/** decideScaling's warm tier and demand-ranked slots (issue 13). */
import { describe, expect, it } from '@jest/globals';
import { approvedRegions, type AutoscalerConfig } from '../../../functions/domain/config';
import { warmPrice } from '../../../functions/domain/pricing';
import {
  decideScaling,
  scaleDownTarget,
  warmExpired,
  warmTierUsdPerHour,
  type RegionSnapshot,
  type ScalingRequest,
  type Verdict,
} from '../../../functions/domain/scaling-policy';
import { exampleConfig } from '../../support/config-fixtures';

// Example config: always-on us-east-1, eu-west-1; elastic ap-southeast-1, ap-northeast-1, sa-east-1,
// ap-south-1; cooldown 30 min, min active 60 min, at most 2 elastic regions, preemptRatio 2.
const now = new Date('2026-11-21T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();
const WARM_REGIONS = ['ap-southeast-1', 'ap-northeast-1', 'sa-east-1'];
const warmConfig = (maxUsdPerHour = 0.5) =>
  exampleConfig((raw) => {
    raw.warm = { regions: WARM_REGIONS, maxUsdPerHour };
  });
const config = warmConfig();
const onePrice = warmPrice(config, undefined, now).usdPerHour;

function fleet(overrides: Record<string, Partial<RegionSnapshot>> = {}, cfg: AutoscalerConfig = config) {
  return approvedRegions(cfg).map((region): RegionSnapshot => {
    const alwaysOn = cfg.regions.alwaysOn.includes(region);
    return {
      region,
      status: alwaysOn ? 'ACTIVE' : 'INACTIVE',
      since: minutesAgo(5000),
      activeSince: alwaysOn ? minutesAgo(5000) : undefined,
      lastTransitionAt: minutesAgo(5000),
      consecutiveFailures: 0,
      locked: false,
      executionRunning: false,
      ...overrides[region],
    };
  });
}

const request = (region: string, direction: 'up' | 'down', extra: Partial<ScalingRequest> = {}): ScalingRequest => ({
  region,
  direction,
  source: 'reconciler',
  eventAt: now,
  ...extra,
});
const ruleOf = (verdict: Verdict) => (verdict.allowed ? 'allowed' : verdict.rule);
const active = (minutes: number, demand?: number): Partial<RegionSnapshot> => ({
  status: 'ACTIVE',
  activeSince: minutesAgo(minutes),
  lastTransitionAt: minutesAgo(minutes),
  ...(demand === undefined ? {} : { demand }),
});
const warm = (minutes: number): Partial<RegionSnapshot> => ({
  status: 'WARM',
  since: minutesAgo(minutes),
  warmSince: minutesAgo(minutes),
  lastTransitionAt: minutesAgo(minutes),
});

describe('demand-ranked slots', () => {
  // Both elastic slots taken: ap-south-1 (300 users) and sa-east-1 (900 users), both past their minimum time.
  const full = (extra: Record<string, Partial<RegionSnapshot>> = {}, cfg: AutoscalerConfig = config) =>
    fleet(
      {
        'ap-south-1': active(120, 300),
        'sa-east-1': active(120, 900),
        'ap-northeast-1': { demand: 1000 },
        ...extra,
      },
      cfg,
    );

  it('names the weakest serving elastic region when the requester has more than preemptRatio times its demand', () => {
    const verdict = decideScaling(request('ap-northeast-1', 'up'), full(), config, now);
    expect(verdict).toMatchObject({ allowed: false, rule: 'max-elastic', preempt: { region: 'ap-south-1' } });
    expect(!verdict.allowed && verdict.preempt?.reason).toBe(
      'demand-ranked slots: ap-northeast-1 has 1000 users, more than 2 x the 300 of ap-south-1, the weakest serving elastic region; scaling ap-south-1 down for it',
    );
  });

  it('does not preempt at or below the ratio, with the rule off, or when either demand is unknown', () => {
    const noPreempt = (regions: RegionSnapshot[], cfg = config) => {
      const verdict = decideScaling(request('ap-northeast-1', 'up'), regions, cfg, now);
      expect(ruleOf(verdict)).toBe('max-elastic');
      expect(verdict).not.toHaveProperty('preempt');
    };
    noPreempt(full({ 'ap-northeast-1': { demand: 600 } }));
    const off = exampleConfig((raw) => {
      raw.scaling.preemptRatio = 0;
    });
    noPreempt(full({}, off), off);
    noPreempt(full({ 'ap-northeast-1': { demand: undefined } }));
    // The weakest region's demand unknown: it is never preempted, and sa-east-1 is not weak enough.
    noPreempt(full({ 'ap-south-1': active(120) }));
  });

  it('picks the weakest region whose demand is known, never an always-on one', () => {
    const regions = full({ 'us-east-1': { demand: 1 }, 'sa-east-1': active(120, 400), 'ap-south-1': active(120) });
    const verdict = decideScaling(request('ap-northeast-1', 'up'), regions, config, now);
    expect(verdict).toMatchObject({ preempt: { region: 'sa-east-1' } });
  });

  it('does not preempt a region that may not go down now: minimum active time, cooldown, hold, lock', () => {
    const cases: Array<Partial<RegionSnapshot>> = [
      active(30, 300),
      { ...active(120, 300), lastTransitionAt: minutesAgo(10) },
      { ...active(120, 300), holdUntil: new Date(now.getTime() + 3_600_000).toISOString() },
      { ...active(120, 300), locked: true },
      { ...active(120, 300), pausedUntil: new Date(now.getTime() + 3_600_000).toISOString() },
    ];
    for (const weakest of cases) {
      const verdict = decideScaling(request('ap-northeast-1', 'up'), full({ 'ap-south-1': weakest }), config, now);
      expect(verdict).not.toHaveProperty('preempt');
    }
  });

  it('swaps one region at a time: no preemption while an elastic region is DRAINING', () => {
    const regions = full({ 'ap-southeast-1': { status: 'DRAINING', transitionTarget: 'WARM' } });
    expect(decideScaling(request('ap-northeast-1', 'up'), regions, config, now)).not.toHaveProperty('preempt');
  });

  it('after the swap started, the requester gets the freed slot', () => {
    const regions = full({ 'ap-south-1': { status: 'DRAINING', locked: true } });
    expect(decideScaling(request('ap-northeast-1', 'up'), regions, config, now)).toMatchObject({
      allowed: true,
      target: 'ACTIVE',
    });
  });
});

describe('warm tier', () => {
  it('a warm-up (up, target WARM) of an INACTIVE warm region holds no slot, even with every slot taken', () => {
    const regions = fleet({ 'ap-south-1': active(120), 'sa-east-1': active(120) });
    const verdict = decideScaling(request('ap-southeast-1', 'up', { target: 'WARM' }), regions, config, now);
    expect(verdict).toEqual({
      allowed: true,
      target: 'WARM',
      reason: 'warm-up of ap-southeast-1 allowed (reconciler); it holds no elastic slot',
    });
  });

  it('refuses a warm-up of a region not in warm.regions, of a region not INACTIVE, and within the cooldown', () => {
    expect(decideScaling(request('ap-south-1', 'up', { target: 'WARM' }), fleet(), config, now)).toMatchObject({
      rule: 'not-warm-region',
    });
    for (const status of ['WARM', 'ACTIVE', 'PROVISIONING', 'DRAINING'] as const) {
      const regions = fleet({ 'ap-southeast-1': { status } });
      expect(ruleOf(decideScaling(request('ap-southeast-1', 'up', { target: 'WARM' }), regions, config, now))).toBe(
        'already-in-state',
      );
    }
    const recent = fleet({ 'ap-southeast-1': { lastTransitionAt: minutesAgo(5) } });
    expect(ruleOf(decideScaling(request('ap-southeast-1', 'up', { target: 'WARM' }), recent, config, now))).toBe(
      'cooldown',
    );
  });

  it('refuses a warm-up over the warm tier cost cap, counting regions WARM or on their way there', () => {
    const cap = warmConfig(2 * onePrice);
    const two = fleet(
      { 'ap-northeast-1': warm(60), 'sa-east-1': { status: 'PROVISIONING', transitionTarget: 'WARM' } },
      cap,
    );
    expect(warmTierUsdPerHour(two, cap, now)).toBeCloseTo(2 * onePrice, 10);
    const verdict = decideScaling(request('ap-southeast-1', 'up', { target: 'WARM' }), two, cap, now);
    expect(verdict).toMatchObject({ allowed: false, rule: 'warm-cost-cap' });
    expect(verdict.reason).toMatch(
      /^warm cost cap: with ap-southeast-1 the warm tier would cost \$0\.38\d\/h, above warm.maxUsdPerHour \$0\.25\d*\/h$/,
    );
    const one = fleet({ 'ap-northeast-1': warm(60) }, cap);
    expect(ruleOf(decideScaling(request('ap-southeast-1', 'up', { target: 'WARM' }), one, cap, now))).toBe('allowed');
  });

  it('a WARM region scales up to ACTIVE: it takes a slot again and its cooldown applies', () => {
    const regions = fleet({ 'ap-southeast-1': warm(45) });
    expect(decideScaling(request('ap-southeast-1', 'up'), regions, config, now)).toEqual({
      allowed: true,
      target: 'ACTIVE',
      reason: 'scale-up of ap-southeast-1 allowed (reconciler), from WARM; 1 of 2 elastic slots in use after it',
    });
    const full = fleet({ 'ap-southeast-1': warm(45), 'ap-south-1': active(120), 'sa-east-1': active(120) });
    expect(ruleOf(decideScaling(request('ap-southeast-1', 'up'), full, config, now))).toBe('max-elastic');
    const justWarm = fleet({ 'ap-southeast-1': warm(10) });
    expect(ruleOf(decideScaling(request('ap-southeast-1', 'up'), justWarm, config, now))).toBe('cooldown');
  });

  it('no cooldown between a warm-up and the scale-up it prepared; a region parked WARM by a scale-down waits it', () => {
    const warmedUp = fleet({ 'ap-southeast-1': { ...warm(1), transitionFrom: 'INACTIVE' } });
    expect(decideScaling(request('ap-southeast-1', 'up'), warmedUp, config, now)).toMatchObject({
      allowed: true,
      target: 'ACTIVE',
    });
    const afterFailure = fleet({ 'ap-southeast-1': { ...warm(1), transitionFrom: 'FAILED' } });
    expect(ruleOf(decideScaling(request('ap-southeast-1', 'up'), afterFailure, config, now))).toBe('allowed');
    for (const transitionFrom of ['ACTIVE', undefined] as const) {
      const parked = fleet({ 'ap-southeast-1': { ...warm(1), transitionFrom } });
      expect(ruleOf(decideScaling(request('ap-southeast-1', 'up'), parked, config, now))).toBe('cooldown');
    }
    // The exception is for going up only: a warmed-up region is not torn down within the cooldown.
    expect(ruleOf(decideScaling(request('ap-southeast-1', 'down'), warmedUp, config, now))).toBe('cooldown');
  });

  it('a WARM region holds no elastic slot', () => {
    const regions = fleet({ 'ap-southeast-1': warm(60), 'ap-northeast-1': warm(60), 'ap-south-1': active(120) });
    expect(ruleOf(decideScaling(request('sa-east-1', 'up'), regions, config, now))).toBe('allowed');
  });

  it('a scale-down of an ACTIVE warm region ends WARM while the cap allows, else INACTIVE', () => {
    const regions = fleet({ 'ap-southeast-1': active(120) });
    expect(decideScaling(request('ap-southeast-1', 'down'), regions, config, now)).toMatchObject({
      allowed: true,
      target: 'WARM',
    });
    expect(scaleDownTarget('ap-southeast-1', regions, config, now)).toBe('WARM');
    const cap = warmConfig(onePrice);
    const tierFull = fleet({ 'ap-southeast-1': active(120), 'sa-east-1': warm(60) }, cap);
    expect(decideScaling(request('ap-southeast-1', 'down'), tierFull, cap, now)).toMatchObject({
      allowed: true,
      target: 'INACTIVE',
    });
    expect(scaleDownTarget('ap-southeast-1', tierFull, cap, now)).toBe('INACTIVE');
    // A region that is not a warm region always goes INACTIVE.
    expect(
      decideScaling(request('ap-south-1', 'down'), fleet({ 'ap-south-1': active(120) }), config, now),
    ).toMatchObject({ target: 'INACTIVE' });
  });

  it('honours an explicit scale-down target, and refuses WARM for a non-warm region or over the cap', () => {
    const regions = fleet({ 'ap-southeast-1': active(120), 'ap-south-1': active(120) });
    expect(
      decideScaling(request('ap-southeast-1', 'down', { target: 'INACTIVE' }), regions, config, now),
    ).toMatchObject({ allowed: true, target: 'INACTIVE' });
    expect(decideScaling(request('ap-south-1', 'down', { target: 'WARM' }), regions, config, now)).toMatchObject({
      rule: 'not-warm-region',
    });
    const none = warmConfig(0);
    expect(
      ruleOf(
        decideScaling(
          request('ap-southeast-1', 'down', { target: 'WARM' }),
          fleet({ 'ap-southeast-1': active(120) }, none),
          none,
          now,
        ),
      ),
    ).toBe('warm-cost-cap');
  });

  it('refuses a target a transition cannot end at', () => {
    const regions = fleet({ 'ap-southeast-1': active(120) });
    expect(decideScaling(request('ap-southeast-1', 'down', { target: 'ACTIVE' }), regions, config, now)).toMatchObject({
      rule: 'invalid-target',
    });
    expect(decideScaling(request('ap-northeast-1', 'up', { target: 'INACTIVE' }), regions, config, now)).toMatchObject({
      rule: 'invalid-target',
    });
    expect(
      ruleOf(
        decideScaling(
          request('ap-northeast-1', 'down', { target: 'WARM' }),
          fleet({ 'ap-northeast-1': warm(60) }),
          config,
          now,
        ),
      ),
    ).toBe('already-in-state');
  });

  it('a WARM region goes down to INACTIVE with no minimum active time and no last-serving check', () => {
    // Nothing else serves (both always-on regions down): a WARM region withdraws no record.
    const regions = fleet({
      'ap-southeast-1': warm(45),
      'us-east-1': { status: 'INACTIVE' },
      'eu-west-1': { status: 'INACTIVE' },
    });
    expect(decideScaling(request('ap-southeast-1', 'down'), regions, config, now)).toEqual({
      allowed: true,
      target: 'INACTIVE',
      reason: 'scale-down of ap-southeast-1 allowed (reconciler), from WARM to INACTIVE',
    });
  });

  it('a scale-down alarm does not cut the keepHours of a WARM region short; the reconciler and an operator may', () => {
    const regions = fleet({ 'ap-southeast-1': warm(45) });
    const verdict = decideScaling(request('ap-southeast-1', 'down', { source: 'alarm' }), regions, config, now);
    expect(verdict).toEqual({
      allowed: false,
      rule: 'already-in-state',
      reason: `already warm: ap-southeast-1 serves nobody; it stays WARM for warm.keepHours (${config.warm.keepHours} h), then the reconciler scales it down to INACTIVE`,
    });
    expect(ruleOf(decideScaling(request('ap-southeast-1', 'down', { source: 'operator' }), regions, config, now))).toBe(
      'allowed',
    );
  });

  it('warmExpired: WARM for warm.keepHours (from warmSince, else since)', () => {
    const hours = config.warm.keepHours;
    const state = (status: RegionSnapshot['status'], minutes: number, withWarmSince = true) =>
      fleet({ 'ap-southeast-1': { ...warm(minutes), status, ...(withWarmSince ? {} : { warmSince: undefined }) } })[2]!;
    expect(warmExpired(state('WARM', hours * 60 - 1), config, now)).toBe(false);
    expect(warmExpired(state('WARM', hours * 60), config, now)).toBe(true);
    expect(warmExpired(state('WARM', hours * 60, false), config, now)).toBe(true);
    expect(warmExpired(state('ACTIVE', hours * 600), config, now)).toBe(false);
  });
});
