import { describe, expect, it } from '@jest/globals';
import { approvedRegions } from '../../../functions/domain/config';
import { decideDriftRepair, type RegionSnapshot } from '../../../functions/domain/scaling-policy';
import type { ScaleDirection } from '../../../functions/domain/region-state';
import { exampleConfig } from '../../support/config-fixtures';

// Example config: always-on us-east-1, eu-west-1; elastic ap-southeast-1, ap-northeast-1,
// sa-east-1, ap-south-1; cooldown 30 min, min active 60 min, at most 2 elastic regions.
const config = exampleConfig();
const now = new Date('2026-11-21T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();
const DRIFT = 'drift: sa-east-1 is ACTIVE but its latency record is missing';

/** Every approved region ACTIVE for days (so none is the last serving one); overrides applied. */
function fleet(overrides: Record<string, Partial<RegionSnapshot>> = {}): RegionSnapshot[] {
  return approvedRegions(config).map((region) => ({
    region,
    status: 'ACTIVE',
    since: minutesAgo(5000),
    activeSince: minutesAgo(5000),
    lastTransitionAt: minutesAgo(5000),
    consecutiveFailures: 0,
    locked: false,
    executionRunning: false,
    ...overrides[region],
  }));
}

/** The verdict on repairing `drift` in `region`, whose snapshot in the fleet `snapshot` overrides. */
function repair(region: string, direction: ScaleDirection, snapshot: Partial<RegionSnapshot> = {}, drift = DRIFT) {
  return decideDriftRepair({ region, direction }, drift, fleet({ [region]: snapshot }), config, now);
}

describe('decideDriftRepair', () => {
  it('repairs an ACTIVE region up and an INACTIVE one down, whatever the cooldown and the minimum active time', () => {
    const justNow = { lastTransitionAt: minutesAgo(1), activeSince: minutesAgo(1) };
    expect(repair('sa-east-1', 'up', justNow)).toEqual({ allowed: true, reason: DRIFT });
    const leftover = { status: 'INACTIVE' as const, lastTransitionAt: minutesAgo(1) };
    expect(repair('ap-south-1', 'down', leftover, 'drift: cluster')).toEqual({
      allowed: true,
      reason: 'drift: cluster',
    });
  });

  it('refuses once the region left the status the drift was found in (another decision acted on it)', () => {
    for (const status of ['PROVISIONING', 'DRAINING', 'INACTIVE', 'FAILED'] as const) {
      expect(repair('sa-east-1', 'up', { status })).toEqual({
        allowed: false,
        rule: 'already-in-state',
        reason: `drift gone: sa-east-1 is ${status} now, no longer ACTIVE as when the drift was found`,
      });
    }
    expect(repair('sa-east-1', 'down')).toMatchObject({ allowed: false, rule: 'already-in-state' });
  });

  it('refuses while an execution works on the region, its lock is held, or it is paused', () => {
    const cases: Array<[Partial<RegionSnapshot>, string]> = [
      [{ executionRunning: true }, 'execution-running'],
      [{ locked: true }, 'locked'],
      [{ pausedUntil: '2026-11-21T13:00:00.000Z' }, 'paused'],
    ];
    for (const [snapshot, rule] of cases) {
      expect(repair('sa-east-1', 'up', snapshot)).toMatchObject({ allowed: false, rule });
    }
  });

  it('never takes an always-on region down and never touches a region outside the lists', () => {
    expect(repair('us-east-1', 'down', { status: 'INACTIVE' }, 'drift')).toMatchObject({
      allowed: false,
      rule: 'always-on',
    });
    expect(repair('eu-central-1', 'up', {}, 'drift')).toMatchObject({ allowed: false, rule: 'not-approved' });
  });
});
