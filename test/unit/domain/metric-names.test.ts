import { describe, expect, it } from '@jest/globals';
import {
  createdDuring,
  fleetGauges,
  scalingOutcomeMetric,
  secondsBetween,
} from '../../../functions/domain/metric-names';
import { initialRegionState, type RegionStatus } from '../../../functions/domain/region-state';
import { exampleConfig } from '../../support/config-fixtures';

const config = exampleConfig();
const now = new Date('2026-11-21T10:00:00Z');
const state = (region: string, status: RegionStatus) => ({ ...initialRegionState(region, now), status });

describe('workflow metric names and values', () => {
  it('names outcomes by direction', () => {
    expect(scalingOutcomeMetric('up', 'Started')).toBe('ScaleUpStarted');
    expect(scalingOutcomeMetric('down', 'Failed')).toBe('ScaleDownFailed');
  });

  it('counts serving regions, and the elastic ones among them; provisioning or failed regions do not serve', () => {
    const states = [
      state('us-east-1', 'ACTIVE'),
      state('eu-west-1', 'DRAINING'),
      state('ap-southeast-1', 'ACTIVE'),
      state('sa-east-1', 'PROVISIONING'),
      state('ap-south-1', 'FAILED'),
    ];
    expect(fleetGauges(config, states)).toEqual({ activeRegions: 2, activeElasticRegions: 1 });
  });

  it('measures whole seconds, and nothing for an unknown, unparsable or future start', () => {
    expect(secondsBetween('2026-11-21T09:48:59.600Z', now)).toBe(660);
    expect(secondsBetween(new Date('2026-11-21T09:59:00Z'), now)).toBe(60);
    expect(secondsBetween(undefined, now)).toBeUndefined();
    expect(secondsBetween('yesterday', now)).toBeUndefined();
    expect(secondsBetween('2026-11-21T10:00:05Z', now)).toBeUndefined();
  });

  it('times only what was created since the execution started, whatever the offset notation', () => {
    expect(createdDuring('2026-11-21T10:05:00.000Z', '2026-11-21T10:00:00Z')).toBe(true);
    expect(createdDuring('2026-11-21T11:05:00+01:00', '2026-11-21T10:00:00Z')).toBe(true);
    expect(createdDuring('2026-11-20T10:00:00Z', '2026-11-21T10:00:00Z')).toBe(false);
    expect(createdDuring(undefined, '2026-11-21T10:00:00Z')).toBe(false);
    expect(createdDuring('2026-11-21T10:05:00Z', undefined)).toBe(false);
  });
});
