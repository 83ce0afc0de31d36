/** The warm tier's rules as the workflows walk them (functions/domain/warm-standby.ts). */
import { describe, expect, it } from '@jest/globals';
import { approvedRegions } from '../../../functions/domain/config';
import { InvalidRequestError, RefusedError } from '../../../functions/domain/errors';
import { warmPrice } from '../../../functions/domain/pricing';
import {
  statusBeforeClaim,
  type RegionState,
  type RegionStatus,
  type ScaleDirection,
  type TransitionTarget,
} from '../../../functions/domain/region-state';
import {
  nodegroupSizes,
  transitionPath,
  transitionStart,
  transitionTarget,
  wantsNodeWarmPool,
  type TransitionPath,
} from '../../../functions/domain/warm-standby';
import { exampleConfig } from '../../support/config-fixtures';

const now = new Date('2026-11-21T12:00:00Z');
const region = 'ap-southeast-1';
const config = exampleConfig((raw) => void (raw.warm = { regions: [region, 'sa-east-1'] }));
const state = (status: RegionStatus, extra: Partial<RegionState> = {}): RegionState => ({
  region,
  status,
  since: '2026-11-21T10:00:00.000Z',
  consecutiveFailures: 0,
  ...extra,
});
const fleet = (overrides: Record<string, Partial<RegionState>> = {}): RegionState[] =>
  approvedRegions(config).map((r) => ({ ...state('INACTIVE'), region: r, ...overrides[r] }));

describe('transitionStart', () => {
  it('is the status, or for a claim what the claim took the region from', () => {
    expect(transitionStart(state('WARM'))).toBe('WARM');
    const claimed = state('PROVISIONING', { executionArn: 'arn:1', transitionFrom: 'WARM' });
    expect(transitionStart(claimed, 'arn:1')).toBe('WARM');
    expect(transitionStart(claimed)).toBe('WARM');
    // Claimed for another execution: what this one finds is the claim itself.
    expect(transitionStart(claimed, 'arn:2')).toBe('PROVISIONING');
  });

  it('judges a claim written before transitionFrom existed by its status', () => {
    expect(statusBeforeClaim(state('DRAINING'))).toBe('ACTIVE');
    expect(statusBeforeClaim(state('PROVISIONING', { consecutiveFailures: 1 }))).toBe('FAILED');
    expect(statusBeforeClaim(state('PROVISIONING'))).toBe('INACTIVE');
    expect(statusBeforeClaim(state('DRAINING', { transitionFrom: 'WARM' }))).toBe('WARM');
  });
});

describe('transitionTarget', () => {
  const target = (
    direction: 'up' | 'down',
    from: RegionStatus,
    requested?: 'ACTIVE' | 'WARM' | 'INACTIVE',
    regions = fleet(),
    where = region,
  ) => transitionTarget(config, { region: where, direction, requested }, from, regions, now);

  it('defaults a scale-up to ACTIVE and keeps what is asked for', () => {
    expect(target('up', 'INACTIVE')).toBe('ACTIVE');
    expect(target('up', 'INACTIVE', 'WARM')).toBe('WARM');
    expect(target('down', 'ACTIVE', 'INACTIVE')).toBe('INACTIVE');
  });

  it('sends an ACTIVE warm region down to WARM while the cost cap allows, any other down to INACTIVE', () => {
    expect(target('down', 'ACTIVE')).toBe('WARM');
    expect(target('down', 'ACTIVE', undefined, fleet(), 'ap-south-1')).toBe('INACTIVE');
    expect(target('down', 'WARM')).toBe('INACTIVE');
    expect(target('down', 'FAILED')).toBe('INACTIVE');
    const capped = exampleConfig(
      (raw) =>
        void (raw.warm = {
          regions: [region, 'sa-east-1'],
          maxUsdPerHour: warmPrice(config, undefined, now).usdPerHour,
        }),
    );
    const full = fleet({ 'sa-east-1': { status: 'WARM' } });
    expect(transitionTarget(capped, { region, direction: 'down' }, 'ACTIVE', full, now)).toBe('INACTIVE');
    expect(transitionTarget(capped, { region, direction: 'down' }, 'ACTIVE', fleet(), now)).toBe('WARM');
  });

  it('rejects a target the direction cannot end at, and WARM for a region outside warm.regions, naming the fix', () => {
    expect(() => target('up', 'INACTIVE', 'INACTIVE')).toThrow(InvalidRequestError);
    expect(() => target('down', 'ACTIVE', 'ACTIVE')).toThrow(
      /a scale-down cannot end ACTIVE; fix: use WARM or INACTIVE/,
    );
    expect(() => target('up', 'INACTIVE', 'WARM', fleet(), 'ap-south-1')).toThrow(
      /ap-south-1 is not in warm\.regions.*fix: add it to warm\.regions/,
    );
  });
});

describe('transitionPath', () => {
  it.each<[ScaleDirection, RegionStatus, TransitionTarget, TransitionPath]>([
    ['up', 'WARM', 'ACTIVE', 'resume'],
    ['up', 'INACTIVE', 'ACTIVE', 'create'],
    ['up', 'FAILED', 'ACTIVE', 'create'],
    ['up', 'ACTIVE', 'ACTIVE', 'create'],
    ['up', 'INACTIVE', 'WARM', 'warmUp'],
    ['up', 'FAILED', 'WARM', 'warmUp'],
    ['up', 'WARM', 'WARM', 'warmUp'],
    ['down', 'ACTIVE', 'WARM', 'park'],
    ['down', 'ACTIVE', 'INACTIVE', 'teardown'],
    ['down', 'FAILED', 'INACTIVE', 'teardown'],
    ['down', 'WARM', 'INACTIVE', 'warmTeardown'],
  ])('%s from %s to %s: %s', (direction, from, to, path) => {
    expect(transitionPath(region, direction, from, to)).toBe(path);
  });

  it.each(['ACTIVE', 'DRAINING'] as const)('refuses a warm-up of a region %s: it may still hold its record', (from) => {
    expect(() => transitionPath(region, 'up', from, 'WARM')).toThrow(RefusedError);
    expect(() => transitionPath(region, 'up', from, 'WARM')).toThrow(/fix: scale it down with target WARM/);
  });
});

describe('the nodegroup at each end', () => {
  it('runs cluster.nodes while ACTIVE and no node while WARM, keeping its maximum', () => {
    expect(nodegroupSizes(config, 'ACTIVE')).toEqual({ minSize: 2, desiredSize: 2, maxSize: 4 });
    expect(nodegroupSizes(config, 'WARM')).toEqual({ minSize: 0, desiredSize: 0, maxSize: 4 });
  });

  it('keeps a warm pool for warm regions only, and only with warm.nodeWarmPool', () => {
    expect(wantsNodeWarmPool(config, region)).toBe(true);
    expect(wantsNodeWarmPool(config, 'ap-south-1')).toBe(false);
    const off = exampleConfig((raw) => void (raw.warm = { regions: [region], nodeWarmPool: false }));
    expect(wantsNodeWarmPool(off, region)).toBe(false);
  });
});
