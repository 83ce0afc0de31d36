import { describe, expect, it } from '@jest/globals';
import { approvedRegions } from '../../../functions/domain/config';
import { decideScaling, type RegionSnapshot } from '../../../functions/domain/scaling-policy';
import { exampleConfig } from '../../support/config-fixtures';

const config = exampleConfig();
const now = new Date('2026-11-21T12:00:00Z');
const ROLLOUT = 'arn:aws:states:us-east-1:123456789012:execution:edgescale-edge-rollout:rollout-ffffffffffff-manual';

/** Every region ACTIVE for days; sa-east-1 as given. */
function fleet(saEast: Partial<RegionSnapshot>): RegionSnapshot[] {
  return approvedRegions(config).map((region) => ({
    region,
    status: 'ACTIVE',
    since: '2026-11-01T00:00:00Z',
    activeSince: '2026-11-01T00:00:00Z',
    lastTransitionAt: '2026-11-01T00:00:00Z',
    consecutiveFailures: 0,
    locked: false,
    executionRunning: false,
    ...(region === 'sa-east-1' ? saEast : {}),
  }));
}

describe('a scaling decision on a region under maintenance', () => {
  const scaleDown = { region: 'sa-east-1', direction: 'down' as const, source: 'alarm' as const, eventAt: now };

  it('is refused as locked, naming the edge rollout that holds the lock and saying it is decided again', () => {
    const verdict = decideScaling(
      scaleDown,
      fleet({
        locked: true,
        maintenance: {
          edgeRollout: { status: 'RUNNING', target: 'f'.repeat(64), executionArn: ROLLOUT, at: now.toISOString() },
        },
      }),
      config,
      now,
    );
    expect(verdict).toEqual({
      allowed: false,
      rule: 'locked',
      reason: `locked: an edge rollout (execution ${ROLLOUT}) holds the lock of sa-east-1; the decision waits for it and is made again once it ends`,
    });
  });

  it('names a cluster upgrade the same way, and no maintenance once the last one finished', () => {
    const upgrade = { status: 'RUNNING' as const, target: '1.36', executionArn: ROLLOUT, at: now.toISOString() };
    expect(
      decideScaling(scaleDown, fleet({ locked: true, maintenance: { clusterUpgrade: upgrade } }), config, now),
    ).toMatchObject({
      rule: 'locked',
      reason: expect.stringContaining('a cluster upgrade (execution'),
    });
    const finished = { clusterUpgrade: { ...upgrade, status: 'SUCCEEDED' as const } };
    expect(decideScaling(scaleDown, fleet({ locked: true, maintenance: finished }), config, now)).toMatchObject({
      rule: 'locked',
      reason: 'locked: another execution holds the lock of sa-east-1',
    });
  });
});
