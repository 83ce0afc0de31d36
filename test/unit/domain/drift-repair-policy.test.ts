import { describe, expect, it } from '@jest/globals';
import { approvedRegions } from '../../../functions/domain/config';
import { decideDriftRepair, type RegionSnapshot } from '../../../functions/domain/scaling-policy';
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

describe('decideDriftRepair', () => {
  it('repairs an ACTIVE region up and an INACTIVE one down, whatever the cooldown and the minimum active time', () => {
    const justNow = { lastTransitionAt: minutesAgo(1), activeSince: minutesAgo(1) };
    expect(
      decideDriftRepair({ region: 'sa-east-1', direction: 'up' }, DRIFT, fleet({ 'sa-east-1': justNow }), config, now),
    ).toEqual({ allowed: true, reason: DRIFT });
    const leftover = { status: 'INACTIVE' as const, lastTransitionAt: minutesAgo(1) };
    expect(
      decideDriftRepair(
        { region: 'ap-south-1', direction: 'down' },
        'drift: cluster',
        fleet({ 'ap-south-1': leftover }),
        config,
        now,
      ),
    ).toEqual({ allowed: true, reason: 'drift: cluster' });
  });

  it('refuses once the region left the status the drift was found in (another decision acted on it)', () => {
    for (const status of ['PROVISIONING', 'DRAINING', 'INACTIVE', 'FAILED'] as const) {
      expect(
        decideDriftRepair(
          { region: 'sa-east-1', direction: 'up' },
          DRIFT,
          fleet({ 'sa-east-1': { status } }),
          config,
          now,
        ),
      ).toEqual({
        allowed: false,
        rule: 'already-in-state',
        reason: `drift gone: sa-east-1 is ${status} now, no longer ACTIVE as when the drift was found`,
      });
    }
    expect(decideDriftRepair({ region: 'sa-east-1', direction: 'down' }, DRIFT, fleet(), config, now)).toMatchObject({
      allowed: false,
      rule: 'already-in-state',
    });
  });

  it('refuses while an execution works on the region, its lock is held, or it is paused', () => {
    const cases: Array<[Partial<RegionSnapshot>, string]> = [
      [{ executionRunning: true }, 'execution-running'],
      [{ locked: true }, 'locked'],
      [{ pausedUntil: '2026-11-21T13:00:00.000Z' }, 'paused'],
    ];
    for (const [snapshot, rule] of cases) {
      expect(
        decideDriftRepair(
          { region: 'sa-east-1', direction: 'up' },
          DRIFT,
          fleet({ 'sa-east-1': snapshot }),
          config,
          now,
        ),
      ).toMatchObject({ allowed: false, rule });
    }
  });

  it('never takes an always-on region down and never touches a region outside the lists', () => {
    const inactive = { status: 'INACTIVE' as const };
    expect(
      decideDriftRepair(
        { region: 'us-east-1', direction: 'down' },
        'drift',
        fleet({ 'us-east-1': inactive }),
        config,
        now,
      ),
    ).toMatchObject({ allowed: false, rule: 'always-on' });
    expect(decideDriftRepair({ region: 'eu-central-1', direction: 'up' }, 'drift', fleet(), config, now)).toMatchObject(
      {
        allowed: false,
        rule: 'not-approved',
      },
    );
  });
});
