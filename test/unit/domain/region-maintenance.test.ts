import { describe, expect, it } from '@jest/globals';
import { ERROR_NAMES } from '../../../functions/domain/errors';
import {
  maintenanceFailedState,
  maintenanceFinishedState,
  maintenanceInputSchema,
  maintenanceOrder,
  maintenanceStartedState,
  planMaintenance,
  type MaintenanceInput,
} from '../../../functions/domain/region-maintenance';
import type { RegionState, RegionStatus } from '../../../functions/domain/region-state';
import { exampleConfig } from '../../support/config-fixtures';

// alwaysOn: us-east-1, eu-west-1; elastic: ap-southeast-1, ap-northeast-1, sa-east-1, ap-south-1
const config = exampleConfig();
const withCanary = (canaryRegion: string) => exampleConfig((raw) => void (raw.edge.rollout = { canaryRegion }));
const now = new Date('2026-12-01T10:00:00Z');
const OLD = 'a'.repeat(64);
const NEW = 'b'.repeat(64);
const owner = 'arn:aws:states:us-east-1:123456789012:execution:edgescale-edge-rollout:run-1';

const input = (raw: unknown = {}): MaintenanceInput => maintenanceInputSchema.parse(raw);
const state = (region: string, status: RegionStatus, extra: Partial<RegionState> = {}): RegionState => ({
  region,
  status,
  since: '2026-11-30T00:00:00.000Z',
  consecutiveFailures: 0,
  ...extra,
});
/** Every approved region ACTIVE on the old configuration. */
const allActive = () =>
  [...config.regions.alwaysOn, ...config.regions.elastic].map((r) => state(r, 'ACTIVE', { edgeConfiguration: OLD }));

describe('maintenanceInputSchema', () => {
  it('takes {} for every ACTIVE region, with the documented defaults', () => {
    expect(input()).toEqual({ reason: 'manual request', requestedBy: 'operator', patchNodes: false });
  });

  it.each([
    [{ regions: [] }, 'regions'],
    [{ region: 'eu-west-1' }, 'region'],
    [{ requestedBy: 'someone' }, 'requestedBy'],
  ])('refuses %j, naming the field', (raw, field) => {
    const parsed = maintenanceInputSchema.safeParse(raw);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.') || i.message).join(' ')).toContain(field);
  });
});

describe('planMaintenance', () => {
  it('plans every ACTIVE region that does not run the target: elastic regions first (the first one the canary), then always-on', () => {
    const states = allActive();
    states.find((s) => s.region === 'sa-east-1')!.edgeConfiguration = NEW;
    states.find((s) => s.region === 'ap-south-1')!.status = 'INACTIVE';
    const plan = planMaintenance(config, 'edgeRollout', NEW, input({ reason: 'new origin' }), states);
    expect(plan).toEqual({
      kind: 'edgeRollout',
      target: NEW,
      regions: ['ap-southeast-1', 'ap-northeast-1', 'us-east-1', 'eu-west-1'],
      canary: 'ap-southeast-1',
      canaryBakeSeconds: 300,
      // ap-south-1 is INACTIVE: out of scope, so in no summary.
      skipped: [{ region: 'sa-east-1', reason: `already at ${NEW}` }],
      reason: 'new origin',
      requestedBy: 'operator',
      patchNodes: false,
    });
  });

  it('puts the configured canary first, and bakes it for the configured time', () => {
    const configured = exampleConfig(
      (raw) => void (raw.edge.rollout = { canaryRegion: 'eu-west-1', canaryBakeSeconds: 900 }),
    );
    const plan = planMaintenance(configured, 'edgeRollout', NEW, input(), allActive());
    expect(plan.regions).toEqual([
      'eu-west-1',
      'ap-southeast-1',
      'ap-northeast-1',
      'sa-east-1',
      'ap-south-1',
      'us-east-1',
    ]);
    expect(plan).toMatchObject({ canary: 'eu-west-1', canaryBakeSeconds: 900 });
  });

  it('takes the first always-on region as canary when no elastic region serves', () => {
    const states = allActive().map((s) =>
      config.regions.elastic.includes(s.region) ? { ...s, status: 'INACTIVE' as const } : s,
    );
    expect(planMaintenance(config, 'edgeRollout', NEW, input(), states)).toMatchObject({
      regions: ['us-east-1', 'eu-west-1'],
      canary: 'us-east-1',
    });
  });

  it('names no canary for a single region, nor for a cluster upgrade', () => {
    const one = planMaintenance(config, 'edgeRollout', NEW, input({ regions: ['eu-west-1'] }), allActive());
    expect(one.regions).toEqual(['eu-west-1']);
    expect(one).not.toHaveProperty('canary', expect.anything());
    const upgrade = planMaintenance(withCanary('eu-west-1'), 'clusterUpgrade', '1.36', input(), allActive());
    expect(upgrade.canary).toBeUndefined();
    // The canary setting is the edge rollout's: an upgrade keeps the elastic-first order.
    expect(upgrade.regions[0]).toBe('ap-southeast-1');
  });

  it('regions missing from the state table are INACTIVE: out of scope unless named, then skipped with the reason', () => {
    const plan = planMaintenance(config, 'edgeRollout', NEW, input(), [state('us-east-1', 'ACTIVE')]);
    expect(plan.regions).toEqual(['us-east-1']);
    expect(plan.skipped).toEqual([]);
    const named = planMaintenance(config, 'edgeRollout', NEW, input({ regions: ['sa-east-1'] }), []);
    expect(named.regions).toEqual([]);
    expect(named.skipped).toEqual([
      { region: 'sa-east-1', reason: 'INACTIVE, not ACTIVE: a region that comes up gets the target from its scale-up' },
    ]);
  });

  it('names regions on their way up or down, or FAILED, among the skipped', () => {
    const states = [state('us-east-1', 'ACTIVE'), state('sa-east-1', 'PROVISIONING'), state('ap-south-1', 'FAILED')];
    const plan = planMaintenance(config, 'edgeRollout', NEW, input(), states);
    expect(plan.skipped.map((s) => s.region)).toEqual(['sa-east-1', 'ap-south-1']);
  });

  it('maintains a named region even when it runs the target, and only the named ones', () => {
    const states = allActive().map((s) => ({ ...s, edgeConfiguration: NEW }));
    const plan = planMaintenance(config, 'edgeRollout', NEW, input({ regions: ['eu-west-1', 'sa-east-1'] }), states);
    expect(plan.regions).toEqual(['sa-east-1', 'eu-west-1']);
    expect(plan.skipped).toEqual([]);
  });

  it('still skips a named region that is not ACTIVE', () => {
    const states = [state('sa-east-1', 'PROVISIONING'), state('eu-west-1', 'ACTIVE')];
    const plan = planMaintenance(config, 'edgeRollout', NEW, input({ regions: ['sa-east-1', 'eu-west-1'] }), states);
    expect(plan.regions).toEqual(['eu-west-1']);
    expect(plan.skipped).toEqual([{ region: 'sa-east-1', reason: expect.stringMatching(/^PROVISIONING, not ACTIVE/) }]);
  });

  it('refuses regions that are not approved, naming them and the fix, before planning anything', () => {
    expect(() =>
      planMaintenance(config, 'edgeRollout', NEW, input({ regions: ['eu-north-1', 'us-east-1'] }), allActive()),
    ).toThrow(
      expect.objectContaining({
        name: ERROR_NAMES.invalidRequest,
        message: expect.stringMatching(
          /regions eu-north-1 are not approved; fix: name regions of regions.alwaysOn or regions.elastic/,
        ),
      }),
    );
  });

  it('leaves out, for the reconciler, a region whose last rollout to the same target failed; an operator retries it', () => {
    const failed = {
      status: 'FAILED' as const,
      target: NEW,
      executionArn: owner,
      at: now.toISOString(),
      cause: 'EdgeUnhealthyError: 503',
    };
    const states = allActive().map((s) =>
      s.region === 'us-east-1' ? { ...s, maintenance: { edgeRollout: failed } } : s,
    );
    const automatic = planMaintenance(config, 'edgeRollout', NEW, input({ requestedBy: 'reconciler' }), states);
    expect(automatic.regions).not.toContain('us-east-1');
    expect(automatic.skipped).toEqual([
      {
        region: 'us-east-1',
        reason: `its last edgeRollout to ${NEW} failed (EdgeUnhealthyError: 503); an operator retries it with regionctl`,
      },
    ]);
    expect(planMaintenance(config, 'edgeRollout', NEW, input({ requestedBy: 'operator' }), states).regions).toContain(
      'us-east-1',
    );
    // A failure on another target does not hold back a newer one.
    expect(
      planMaintenance(config, 'edgeRollout', 'c'.repeat(64), input({ requestedBy: 'reconciler' }), states).regions,
    ).toContain('us-east-1');
  });

  it('compares a cluster upgrade with the Kubernetes version, and re-patches regions at it when asked', () => {
    const states = allActive().map((s) => ({ ...s, kubernetesVersion: s.region === 'eu-west-1' ? '1.35' : '1.34' }));
    const plan = planMaintenance(config, 'clusterUpgrade', '1.35', input(), states);
    expect(plan.regions).toEqual(['ap-southeast-1', 'ap-northeast-1', 'sa-east-1', 'ap-south-1', 'us-east-1']);
    expect(plan.skipped).toEqual([{ region: 'eu-west-1', reason: 'already at 1.35' }]);
    const patch = planMaintenance(config, 'clusterUpgrade', '1.35', input({ patchNodes: true }), states);
    expect(patch.regions).toContain('eu-west-1');
    expect(patch.patchNodes).toBe(true);
  });

  it('ignores patchNodes in an edge rollout: regions at the target are not rolled out again', () => {
    const states = allActive().map((s) => ({ ...s, edgeConfiguration: NEW }));
    const plan = planMaintenance(config, 'edgeRollout', NEW, input({ patchNodes: true }), states);
    expect(plan.regions).toEqual([]);
    expect(plan.patchNodes).toBe(false);
  });
});

describe('maintenanceOrder', () => {
  it('keeps the configuration order within elastic, then always-on', () => {
    expect(maintenanceOrder(config, 'edgeRollout', ['eu-west-1', 'sa-east-1', 'us-east-1', 'ap-southeast-1'])).toEqual([
      'ap-southeast-1',
      'sa-east-1',
      'us-east-1',
      'eu-west-1',
    ]);
  });

  it('moves the configured canary first only when it is among the regions', () => {
    expect(maintenanceOrder(withCanary('us-east-1'), 'edgeRollout', ['eu-west-1', 'us-east-1', 'sa-east-1'])).toEqual([
      'us-east-1',
      'sa-east-1',
      'eu-west-1',
    ]);
    expect(maintenanceOrder(withCanary('us-east-1'), 'edgeRollout', ['eu-west-1', 'sa-east-1'])).toEqual([
      'sa-east-1',
      'eu-west-1',
    ]);
  });
});

describe('maintenance state transitions (the status never changes)', () => {
  const active = state('eu-west-1', 'ACTIVE', { edgeConfiguration: OLD, activeSince: '2026-11-30T00:00:00.000Z' });

  it('records a started rollout as RUNNING for its execution', () => {
    expect(maintenanceStartedState(active, 'edgeRollout', NEW, owner, now)).toEqual({
      ...active,
      maintenance: { edgeRollout: { status: 'RUNNING', target: NEW, executionArn: owner, at: now.toISOString() } },
    });
  });

  it('records a finished rollout as SUCCEEDED and the target as what the region runs', () => {
    const running = maintenanceStartedState(active, 'edgeRollout', NEW, owner, now);
    const done = maintenanceFinishedState(running, 'edgeRollout', NEW, owner, now);
    expect(done).toMatchObject({ status: 'ACTIVE', edgeConfiguration: NEW });
    expect(done.maintenance?.edgeRollout).toEqual({
      status: 'SUCCEEDED',
      target: NEW,
      executionArn: owner,
      at: now.toISOString(),
    });
    expect(done.kubernetesVersion).toBeUndefined();
    const upgraded = maintenanceFinishedState(active, 'clusterUpgrade', '1.36', owner, now);
    expect(upgraded).toMatchObject({ kubernetesVersion: '1.36', edgeConfiguration: OLD });
  });

  it('records a failure with its cause and keeps what the region runs; the other kind stays as it was', () => {
    const upgraded = maintenanceFinishedState(active, 'clusterUpgrade', '1.36', owner, now);
    const failed = maintenanceFailedState(upgraded, 'edgeRollout', NEW, owner, 'DeadlineExceededError: late', now);
    expect(failed).toMatchObject({ status: 'ACTIVE', edgeConfiguration: OLD });
    expect(failed.maintenance).toEqual({
      clusterUpgrade: { status: 'SUCCEEDED', target: '1.36', executionArn: owner, at: now.toISOString() },
      edgeRollout: {
        status: 'FAILED',
        target: NEW,
        executionArn: owner,
        at: now.toISOString(),
        cause: 'DeadlineExceededError: late',
      },
    });
  });
});
