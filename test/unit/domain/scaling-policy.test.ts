import { describe, expect, it } from '@jest/globals';
import { approvedRegions } from '../../../functions/domain/config';
import {
  decideAlwaysOnRestore,
  decideScaling,
  elasticSlotsInUse,
  failureBackoffSeconds,
  formatDuration,
  type RegionSnapshot,
  type ScalingRequest,
  type Verdict,
} from '../../../functions/domain/scaling-policy';
import { exampleConfig } from '../../support/config-fixtures';

// Example config: always-on us-east-1, eu-west-1; elastic ap-southeast-1, ap-northeast-1,
// sa-east-1, ap-south-1; cooldown 30 min, min active 60 min, at most 2 elastic regions.
const config = exampleConfig();
const now = new Date('2026-11-21T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();
const minutesAhead = (m: number) => new Date(now.getTime() + m * 60_000).toISOString();

/** Every approved region: always-on ACTIVE for days, elastic INACTIVE for days; overrides applied. */
function fleet(overrides: Record<string, Partial<RegionSnapshot>> = {}): RegionSnapshot[] {
  return approvedRegions(config).map((region) => {
    const alwaysOn = config.regions.alwaysOn.includes(region);
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

const alarm = (region: string, direction: 'up' | 'down', extra: Partial<ScalingRequest> = {}): ScalingRequest => ({
  region,
  direction,
  source: 'alarm',
  eventAt: now,
  ...extra,
});

const operator = (region: string, direction: 'up' | 'down', extra: Partial<ScalingRequest> = {}): ScalingRequest =>
  alarm(region, direction, { source: 'operator', ...extra });

function ruleOf(verdict: Verdict): string {
  return verdict.allowed ? 'allowed' : verdict.rule;
}

const activeElastic = (activeMinutes: number): Partial<RegionSnapshot> => ({
  status: 'ACTIVE',
  activeSince: minutesAgo(activeMinutes),
  lastTransitionAt: minutesAgo(activeMinutes),
});

describe('decideScaling', () => {
  it('allows a scale-up of an idle elastic region on a demand alarm and says how many slots it takes', () => {
    const verdict = decideScaling(alarm('ap-southeast-1', 'up'), fleet(), config, now);
    expect(verdict).toEqual({
      allowed: true,
      target: 'ACTIVE',
      reason: 'scale-up of ap-southeast-1 allowed (demand alarm); 1 of 2 elastic slots in use after it',
    });
  });

  it('allows a scale-down of an elastic region active past its minimum time', () => {
    const verdict = decideScaling(alarm('sa-east-1', 'down'), fleet({ 'sa-east-1': activeElastic(90) }), config, now);
    expect(verdict.allowed).toBe(true);
  });

  describe('not-approved', () => {
    it('rejects a region in neither list, whoever asks and even forced', () => {
      for (const request of [alarm('eu-central-1', 'up'), operator('eu-central-1', 'up', { force: true })]) {
        const verdict = decideScaling(request, fleet(), config, now);
        expect(verdict).toMatchObject({ allowed: false, rule: 'not-approved' });
        expect(verdict.reason).toMatch(/eu-central-1 is in neither regions.alwaysOn nor regions.elastic/);
      }
    });
  });

  describe('always-on', () => {
    const down = fleet({ 'eu-west-1': { status: 'ACTIVE' } });
    it('never scales an always-on region down, not even on an operator force', () => {
      for (const request of [
        alarm('eu-west-1', 'down'),
        operator('eu-west-1', 'down', { force: true }),
        { ...alarm('eu-west-1', 'down'), source: 'reconciler' as const },
      ]) {
        expect(decideScaling(request, down, config, now)).toMatchObject({ allowed: false, rule: 'always-on' });
      }
    });

    it('does not let an alarm or the reconciler scale an always-on region up, but lets an operator', () => {
      const regions = fleet({ 'eu-west-1': { status: 'INACTIVE', activeSince: undefined } });
      expect(ruleOf(decideScaling(alarm('eu-west-1', 'up'), regions, config, now))).toBe('always-on');
      expect(ruleOf(decideScaling(alarm('eu-west-1', 'up', { source: 'reconciler' }), regions, config, now))).toBe(
        'always-on',
      );
      expect(ruleOf(decideScaling(operator('eu-west-1', 'up', { force: true }), regions, config, now))).toBe('allowed');
    });

    it('does not count always-on regions against the elastic maximum', () => {
      const regions = fleet({
        'eu-west-1': { status: 'INACTIVE' },
        'ap-south-1': activeElastic(100),
        'sa-east-1': activeElastic(100),
      });
      expect(decideScaling(operator('eu-west-1', 'up', { force: true }), regions, config, now).allowed).toBe(true);
    });

    it('rejects an operator scale-up of an always-on region that is already ACTIVE', () => {
      expect(ruleOf(decideScaling(operator('us-east-1', 'up', { force: true }), fleet(), config, now))).toBe(
        'already-in-state',
      );
    });
  });

  describe('paused', () => {
    const regions = fleet({ 'ap-south-1': { pausedUntil: minutesAhead(30) } });
    it('ignores alarm and reconciler requests for a paused region, naming the end of the pause', () => {
      const verdict = decideScaling(alarm('ap-south-1', 'up'), regions, config, now);
      expect(verdict).toEqual({
        allowed: false,
        rule: 'paused',
        reason: 'paused: autoscaling of ap-south-1 is paused until 2026-11-21T12:30:00.000Z',
      });
      expect(ruleOf(decideScaling(alarm('ap-south-1', 'up', { source: 'reconciler' }), regions, config, now))).toBe(
        'paused',
      );
    });
    it('lets an operator act on a paused region, and an expired pause no longer counts', () => {
      expect(decideScaling(operator('ap-south-1', 'up'), regions, config, now).allowed).toBe(true);
      const expired = fleet({ 'ap-south-1': { pausedUntil: minutesAgo(1) } });
      expect(decideScaling(alarm('ap-south-1', 'up'), expired, config, now).allowed).toBe(true);
    });
  });

  describe('held', () => {
    const regions = fleet({ 'ap-northeast-1': { ...activeElastic(200), holdUntil: minutesAhead(120) } });
    it('suppresses an automatic or unforced scale-down while held', () => {
      expect(decideScaling(alarm('ap-northeast-1', 'down'), regions, config, now)).toMatchObject({
        rule: 'held',
        reason: expect.stringContaining('held up until 2026-11-21T14:00:00.000Z'),
      });
      expect(ruleOf(decideScaling(operator('ap-northeast-1', 'down'), regions, config, now))).toBe('held');
    });
    it('lets an operator force a held region down, and does not stop a scale-up', () => {
      expect(decideScaling(operator('ap-northeast-1', 'down', { force: true }), regions, config, now).allowed).toBe(
        true,
      );
      const inactiveHeld = fleet({ 'ap-northeast-1': { holdUntil: minutesAhead(120) } });
      expect(decideScaling(alarm('ap-northeast-1', 'up'), inactiveHeld, config, now).allowed).toBe(true);
    });
  });

  describe('locked and execution-running', () => {
    it('rejects a locked region even on an operator force', () => {
      const regions = fleet({ 'sa-east-1': { locked: true } });
      expect(ruleOf(decideScaling(alarm('sa-east-1', 'up'), regions, config, now))).toBe('locked');
      expect(ruleOf(decideScaling(operator('sa-east-1', 'up', { force: true }), regions, config, now))).toBe('locked');
    });
    it('rejects a region one of whose executions runs, even forced', () => {
      const regions = fleet({ 'sa-east-1': { executionRunning: true } });
      expect(decideScaling(operator('sa-east-1', 'up', { force: true }), regions, config, now)).toEqual({
        allowed: false,
        rule: 'execution-running',
        reason: 'execution running: a workflow is already working on sa-east-1',
      });
    });
  });

  describe('already-in-state', () => {
    const cases: Array<['up' | 'down', RegionSnapshot['status']]> = [
      ['up', 'ACTIVE'],
      ['up', 'PROVISIONING'],
      ['down', 'INACTIVE'],
      ['down', 'DRAINING'],
    ];
    it.each(cases)('rejects a scale-%s of a region that is %s', (direction, status) => {
      const regions = fleet({ 'ap-south-1': { status, activeSince: minutesAgo(500) } });
      const verdict = decideScaling(operator('ap-south-1', direction, { force: true }), regions, config, now);
      expect(verdict).toMatchObject({ rule: 'already-in-state' });
      expect(verdict.reason).toContain(`already ${status.toLowerCase()}`);
    });
  });

  describe('cooldown', () => {
    it('rejects a transition within the cooldown, with the elapsed and configured times', () => {
      const regions = fleet({ 'ap-south-1': { status: 'INACTIVE', lastTransitionAt: minutesAgo(12) } });
      expect(decideScaling(alarm('ap-south-1', 'up'), regions, config, now)).toEqual({
        allowed: false,
        rule: 'cooldown',
        reason: 'cooldown: last transition of ap-south-1 12 min ago, cooldown is 30 min',
      });
      expect(ruleOf(decideScaling(operator('ap-south-1', 'up'), regions, config, now))).toBe('cooldown');
    });
    it('allows it once the cooldown has passed, and an operator force skips it', () => {
      const cooled = fleet({ 'ap-south-1': { lastTransitionAt: minutesAgo(30) } });
      expect(decideScaling(alarm('ap-south-1', 'up'), cooled, config, now).allowed).toBe(true);
      const recent = fleet({ 'ap-south-1': { lastTransitionAt: minutesAgo(1) } });
      expect(decideScaling(operator('ap-south-1', 'up', { force: true }), recent, config, now).allowed).toBe(true);
    });
  });

  describe('min-active-time', () => {
    const regions = fleet({ 'ap-south-1': { ...activeElastic(45), lastTransitionAt: minutesAgo(40) } });
    it('keeps a region up for the minimum active time before a scale-down', () => {
      expect(decideScaling(alarm('ap-south-1', 'down'), regions, config, now)).toEqual({
        allowed: false,
        rule: 'min-active-time',
        reason: 'min active time: ap-south-1 has been active for 45 min, minimum is 60 min',
      });
    });
    it('allows the scale-down after it, and a forced one at once', () => {
      expect(
        decideScaling(alarm('ap-south-1', 'down'), fleet({ 'ap-south-1': activeElastic(61) }), config, now),
      ).toEqual({ allowed: true, target: 'INACTIVE', reason: 'scale-down of ap-south-1 allowed (demand alarm)' });
      expect(decideScaling(operator('ap-south-1', 'down', { force: true }), regions, config, now).allowed).toBe(true);
    });
  });

  describe('max-elastic', () => {
    const full = fleet({ 'ap-south-1': activeElastic(100), 'sa-east-1': { status: 'PROVISIONING' } });
    it('counts ACTIVE and PROVISIONING elastic regions and rejects a scale-up beyond the maximum', () => {
      expect(elasticSlotsInUse(full, config)).toEqual(['sa-east-1', 'ap-south-1']);
      expect(decideScaling(alarm('ap-northeast-1', 'up'), full, config, now)).toEqual({
        allowed: false,
        rule: 'max-elastic',
        reason: 'max elastic: 2 of 2 elastic regions already active or provisioning (sa-east-1, ap-south-1)',
      });
      expect(ruleOf(decideScaling(operator('ap-northeast-1', 'up', { force: true }), full, config, now))).toBe(
        'max-elastic',
      );
    });
    it('allows it with a free slot, or for an operator with allowOverMax', () => {
      const oneFree = fleet({ 'ap-south-1': activeElastic(100), 'sa-east-1': { status: 'DRAINING' } });
      expect(decideScaling(alarm('ap-northeast-1', 'up'), oneFree, config, now).allowed).toBe(true);
      expect(
        decideScaling(operator('ap-northeast-1', 'up', { force: true, allowOverMax: true }), full, config, now),
      ).toEqual({
        allowed: true,
        target: 'ACTIVE',
        reason:
          'scale-up of ap-northeast-1 allowed (operator request, forced, over max allowed); 3 of 2 elastic slots in use after it',
      });
    });
    it('ignores allowOverMax on a request that does not come from an operator', () => {
      expect(ruleOf(decideScaling(alarm('ap-northeast-1', 'up', { allowOverMax: true }), full, config, now))).toBe(
        'max-elastic',
      );
    });
  });

  describe('last-serving-region', () => {
    it('never withdraws the last serving region, even forced', () => {
      const regions = fleet({
        'us-east-1': { status: 'FAILED', consecutiveFailures: 1 },
        'eu-west-1': { status: 'INACTIVE' },
        'ap-south-1': activeElastic(100),
      });
      expect(decideScaling(operator('ap-south-1', 'down', { force: true }), regions, config, now)).toEqual({
        allowed: false,
        rule: 'last-serving-region',
        reason: 'last serving region: no region other than ap-south-1 is serving users',
      });
    });
    it('allows the scale-down while another region serves', () => {
      const regions = fleet({ 'us-east-1': { status: 'INACTIVE' }, 'ap-south-1': activeElastic(100) });
      expect(decideScaling(operator('ap-south-1', 'down', { force: true }), regions, config, now).allowed).toBe(true);
    });
  });

  describe('stale-event', () => {
    const regions = fleet({ 'ap-south-1': { lastDecisionEventAt: minutesAgo(2) } });
    it('drops an alarm event older than the newest decision on the region', () => {
      const verdict = decideScaling(
        alarm('ap-south-1', 'up', { eventAt: new Date(minutesAgo(5)) }),
        regions,
        config,
        now,
      );
      expect(verdict).toEqual({
        allowed: false,
        rule: 'stale-event',
        reason:
          'stale event: it happened at 2026-11-21T11:55:00.000Z, before the newest decision on ap-south-1 (2026-11-21T11:58:00.000Z)',
      });
    });
    it('accepts the same or a newer event, and does not apply to other sources', () => {
      expect(
        decideScaling(alarm('ap-south-1', 'up', { eventAt: new Date(minutesAgo(2)) }), regions, config, now).allowed,
      ).toBe(true);
      expect(
        decideScaling(operator('ap-south-1', 'up', { eventAt: new Date(minutesAgo(5)) }), regions, config, now).allowed,
      ).toBe(true);
    });
  });

  describe('FAILED regions', () => {
    const failed = (failures: number, lastMinutesAgo: number) =>
      fleet({
        'ap-south-1': {
          status: 'FAILED',
          consecutiveFailures: failures,
          lastTransitionAt: minutesAgo(lastMinutesAgo),
          lastFailureCause: 'CREATE_FAILED: subnet out of addresses',
        },
      });

    it('doubles the wait after each failure: cooldown, 2 x cooldown, 4 x cooldown', () => {
      expect([1, 2, 3].map((n) => failureBackoffSeconds(n, config))).toEqual([1800, 3600, 7200]);
    });

    it('retries after the backoff and rejects before it, naming the cause', () => {
      expect(decideScaling(alarm('ap-south-1', 'up'), failed(1, 31), config, now).allowed).toBe(true);
      expect(decideScaling(alarm('ap-south-1', 'up'), failed(2, 45), config, now)).toEqual({
        allowed: false,
        rule: 'failed-backoff',
        reason:
          'failure backoff: ap-south-1 failed 2 time(s) in a row, last 45 min ago; next attempt after 60 min (last cause: CREATE_FAILED: subnet out of addresses)',
      });
      expect(decideScaling(alarm('ap-south-1', 'up'), failed(2, 61), config, now).allowed).toBe(true);
    });

    it('leaves a region FAILED after three failures in a row unless an operator forces it', () => {
      expect(decideScaling(alarm('ap-south-1', 'up'), failed(3, 600), config, now)).toMatchObject({
        rule: 'failed-needs-operator',
        reason: expect.stringContaining('failed 3 times in a row: ap-south-1 is left FAILED for an operator'),
      });
      expect(ruleOf(decideScaling(operator('ap-south-1', 'up'), failed(3, 600), config, now))).toBe(
        'failed-needs-operator',
      );
      expect(decideScaling(operator('ap-south-1', 'up', { force: true }), failed(3, 1), config, now).allowed).toBe(
        true,
      );
    });
  });
});

describe('decideAlwaysOnRestore', () => {
  it('brings up an always-on region that is not serving, with no cooldown', () => {
    const regions = fleet({ 'eu-west-1': { status: 'INACTIVE', lastTransitionAt: minutesAgo(1) } });
    expect(decideAlwaysOnRestore('eu-west-1', regions, config, now)).toEqual({
      allowed: true,
      reason: 'always-on region eu-west-1 is inactive: bringing it up (reconciler)',
    });
  });

  it('leaves it alone when it serves, runs, is locked, paused, backing off or failed three times', () => {
    const cases: Array<[Partial<RegionSnapshot>, string]> = [
      [{ status: 'ACTIVE' }, 'already-in-state'],
      [{ status: 'PROVISIONING' }, 'already-in-state'],
      [{ status: 'INACTIVE', executionRunning: true }, 'execution-running'],
      [{ status: 'INACTIVE', locked: true }, 'locked'],
      [{ status: 'INACTIVE', pausedUntil: minutesAhead(5) }, 'paused'],
      [{ status: 'FAILED', consecutiveFailures: 1, lastTransitionAt: minutesAgo(10) }, 'failed-backoff'],
      [{ status: 'FAILED', consecutiveFailures: 3, lastTransitionAt: minutesAgo(999) }, 'failed-needs-operator'],
    ];
    for (const [state, rule] of cases) {
      expect(ruleOf(decideAlwaysOnRestore('us-east-1', fleet({ 'us-east-1': state }), config, now))).toBe(rule);
    }
  });

  it('refuses a region that is not always-on', () => {
    expect(ruleOf(decideAlwaysOnRestore('ap-south-1', fleet(), config, now))).toBe('not-approved');
  });
});

describe('formatDuration', () => {
  it('writes seconds, minutes and hours readably', () => {
    expect([45, 720, 5400, 7200, 9000].map(formatDuration)).toEqual(['45 s', '12 min', '90 min', '2 h', '2 h 30 min']);
  });
});
