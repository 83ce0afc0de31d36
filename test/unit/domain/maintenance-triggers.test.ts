import { describe, expect, it } from '@jest/globals';
import { approvedRegions } from '../../../functions/domain/config';
import { decideMaintenanceTrigger, type MaintenanceTriggerInput } from '../../../functions/domain/maintenance-triggers';
import { maintenanceExecutionName } from '../../../functions/domain/naming';
import type { RegionSnapshot } from '../../../functions/domain/scaling-policy';
import { exampleConfig } from '../../support/config-fixtures';

// Example config: always-on us-east-1, eu-west-1; elastic ap-southeast-1, ap-northeast-1, sa-east-1, ap-south-1.
const config = exampleConfig();
const now = new Date('2026-11-21T12:00:00Z');
const DESIRED = 'f'.repeat(64);
const OLDER = 'e'.repeat(64);
const VERSION = config.cluster.kubernetesVersion;

/** Always-on regions ACTIVE on the desired configuration and version, elastic ones INACTIVE; overrides applied. */
function fleet(overrides: Record<string, Partial<RegionSnapshot>> = {}): RegionSnapshot[] {
  return approvedRegions(config).map((region) => ({
    region,
    status: config.regions.alwaysOn.includes(region) ? 'ACTIVE' : 'INACTIVE',
    since: '2026-11-01T00:00:00Z',
    consecutiveFailures: 0,
    edgeConfiguration: DESIRED,
    kubernetesVersion: VERSION,
    locked: false,
    executionRunning: false,
    ...overrides[region],
  }));
}

const rollout = (
  snapshots: RegionSnapshot[],
  extra: Partial<MaintenanceTriggerInput> = {},
): ReturnType<typeof decideMaintenanceTrigger> =>
  decideMaintenanceTrigger({
    kind: 'edgeRollout',
    target: DESIRED,
    snapshots,
    maintenanceRunning: false,
    now,
    ...extra,
  });

describe('decideMaintenanceTrigger: edge rollout', () => {
  it('starts nothing when every ACTIVE region runs the desired configuration (INACTIVE ones do not count)', () => {
    const snapshots = fleet({ 'sa-east-1': { edgeConfiguration: OLDER } });
    expect(rollout(snapshots)).toEqual({ action: 'none' });
  });

  it('starts the rollout for an ACTIVE region on an older configuration, and for one that recorded none', () => {
    const decision = rollout(
      fleet({
        'eu-west-1': { edgeConfiguration: OLDER },
        'sa-east-1': { status: 'ACTIVE', edgeConfiguration: undefined },
      }),
    );
    expect(decision).toEqual({
      action: 'start',
      regions: ['eu-west-1', 'sa-east-1'],
      reason: expect.stringContaining('eu-west-1 runs eeeeeeeeeeee, sa-east-1 runs an unrecorded configuration'),
    });
    expect(decision.action === 'start' && decision.reason).toContain('not edge configuration ffffffffffff');
  });

  it('starts none while a maintenance execution runs', () => {
    const decision = rollout(fleet({ 'eu-west-1': { edgeConfiguration: OLDER } }), { maintenanceRunning: true });
    expect(decision).toMatchObject({ action: 'wait', waiting: [{ region: 'eu-west-1' }] });
  });

  it('waits while every region behind is locked, scaling or paused, and starts for the others', () => {
    const busy = {
      'us-east-1': { edgeConfiguration: OLDER, locked: true, executionArn: 'arn:aws:states:x:1:execution:up:1' },
      'eu-west-1': { edgeConfiguration: OLDER, executionRunning: true },
      'sa-east-1': { status: 'ACTIVE' as const, edgeConfiguration: OLDER, pausedUntil: '2026-11-21T13:00:00Z' },
    };
    const waiting = rollout(fleet(busy));
    expect(waiting).toMatchObject({
      action: 'wait',
      waiting: [
        { region: 'us-east-1', reason: expect.stringContaining('lock is held') },
        { region: 'eu-west-1', reason: 'a scaling execution works on it' },
        { region: 'sa-east-1', reason: 'paused until 2026-11-21T13:00:00Z' },
      ],
    });
    // A pause that has ended no longer stops it; the others still wait for a later pass.
    const later = rollout(
      fleet({ ...busy, 'sa-east-1': { ...busy['sa-east-1'], pausedUntil: '2026-11-21T11:00:00Z' } }),
    );
    expect(later).toMatchObject({ action: 'start', regions: ['sa-east-1'] });
  });

  it('holds the target for every region once it FAILED in one, naming the region, its cause and the fix', () => {
    const failed = {
      status: 'FAILED' as const,
      target: DESIRED,
      executionArn: 'arn:aws:states:us-east-1:1:execution:edgescale-edge-rollout:rollout-x',
      at: '2026-11-21T11:00:00Z',
      cause: 'the Deployment did not become ready',
    };
    const decision = rollout(
      fleet({
        'us-east-1': { edgeConfiguration: OLDER, maintenance: { edgeRollout: failed } },
        'eu-west-1': { edgeConfiguration: OLDER },
      }),
    );
    expect(decision).toEqual({
      action: 'hold',
      failed: [{ region: 'us-east-1', reason: 'the Deployment did not become ready' }],
      reason: expect.stringContaining('regionctl rollout --region us-east-1'),
    });
    // A failure on an older target does not hold a newer one.
    const newer = rollout(
      fleet({ 'us-east-1': { edgeConfiguration: OLDER, maintenance: { edgeRollout: { ...failed, target: OLDER } } } }),
    );
    expect(newer).toMatchObject({ action: 'start', regions: ['us-east-1'] });
    // A cluster upgrade's failure does not hold an edge rollout.
    const upgradeFailed = rollout(
      fleet({
        'us-east-1': { edgeConfiguration: OLDER, maintenance: { clusterUpgrade: { ...failed, target: VERSION } } },
      }),
    );
    expect(upgradeFailed).toMatchObject({ action: 'start' });
  });
});

describe('decideMaintenanceTrigger: cluster upgrade', () => {
  const upgrade = (snapshots: RegionSnapshot[], clusterVersions?: Map<string, string>) =>
    decideMaintenanceTrigger({
      kind: 'clusterUpgrade',
      target: '1.36',
      snapshots,
      maintenanceRunning: false,
      clusterVersions,
      now,
    });

  it('upgrades an ACTIVE region whose recorded version is older (numerically), not one at or above it', () => {
    const decision = upgrade(
      fleet({ 'us-east-1': { kubernetesVersion: '1.35' }, 'eu-west-1': { kubernetesVersion: '1.36' } }),
    );
    expect(decision).toMatchObject({ action: 'start', regions: ['us-east-1'] });
    expect(decision.action === 'start' && decision.reason).toContain('us-east-1 runs 1.35, not Kubernetes 1.36');
    expect(
      upgrade(fleet({ 'us-east-1': { kubernetesVersion: '1.36' }, 'eu-west-1': { kubernetesVersion: '1.36' } })),
    ).toEqual({
      action: 'none',
    });
  });

  it("goes by the cluster's version from EKS where the state records none, and leaves an unknown one alone", () => {
    const unrecorded = fleet({
      'us-east-1': { kubernetesVersion: undefined },
      'eu-west-1': { kubernetesVersion: undefined },
    });
    expect(upgrade(unrecorded, new Map([['eu-west-1', '1.9']]))).toMatchObject({
      action: 'start',
      regions: ['eu-west-1'],
    });
    expect(upgrade(unrecorded, new Map())).toEqual({ action: 'none' });
  });
});

describe('maintenanceExecutionName', () => {
  it('names the target and the trigger, within the 80 characters of Step Functions names', () => {
    expect(maintenanceExecutionName('edgeRollout', DESIRED, 'reconcile-20261121T1205')).toBe(
      'rollout-ffffffffffff-reconcile-20261121T1205',
    );
    expect(maintenanceExecutionName('clusterUpgrade', '1.36', 'manual-20261121T120500Z')).toBe(
      'upgrade-1-36-manual-20261121T120500Z',
    );
    expect(maintenanceExecutionName('edgeRollout', DESIRED, 'x'.repeat(100))).toHaveLength(80);
    // regionctl does not know the hash the Lambdas render.
    expect(maintenanceExecutionName('edgeRollout', undefined, 'manual-20261121T120500Z')).toBe(
      'rollout-manual-20261121T120500Z',
    );
  });
});
