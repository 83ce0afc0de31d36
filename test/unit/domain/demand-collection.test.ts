import { describe, expect, it } from '@jest/globals';
import {
  collectionIntervalMinutes,
  demandCounterPeriodSeconds,
  periodsToCollect,
  publishableDemand,
} from '../../../functions/domain/demand-collection';
import { exampleConfig } from '../../support/config-fixtures';

const config = exampleConfig();

describe('when demand is counted and collected', () => {
  it('counts in the alarm period, or in one that divides every overridden period', () => {
    expect(demandCounterPeriodSeconds(config)).toBe(60);
    const mixed = exampleConfig((raw) => {
      raw.scaling.thresholds.periodSeconds = 120;
      raw.scaling.regionOverrides = { 'ap-south-1': { periodSeconds: 180 } };
    });
    expect(demandCounterPeriodSeconds(mixed)).toBe(60);
    const highResolution = exampleConfig((raw) => {
      raw.scaling.regionOverrides = { 'ap-south-1': { periodSeconds: 30 } };
    });
    expect(demandCounterPeriodSeconds(highResolution)).toBe(30);
  });

  it('collects once per period, and once a minute (the shortest schedule) for shorter periods', () => {
    expect(collectionIntervalMinutes(config)).toBe(1);
    const fiveMinutes = exampleConfig((raw) => {
      raw.scaling.thresholds.periodSeconds = 300;
      raw.scaling.regionOverrides = {};
    });
    expect(collectionIntervalMinutes(fiveMinutes)).toBe(5);
    const tenSeconds = exampleConfig((raw) => void (raw.scaling.thresholds.periodSeconds = 10));
    expect(collectionIntervalMinutes(tenSeconds)).toBe(1);
  });

  it('collects the periods that ended since the previous scheduled run, named by the schedule, not the clock', () => {
    expect(periodsToCollect(config, new Date('2026-12-01T10:05:00Z'))).toEqual([new Date('2026-12-01T10:04:00Z')]);
    // A run delivered late (or retried) still names the periods of its own schedule time.
    expect(periodsToCollect(config, new Date('2026-12-01T10:05:00.900Z'))).toEqual([new Date('2026-12-01T10:04:00Z')]);
    const tenSeconds = exampleConfig((raw) => void (raw.scaling.thresholds.periodSeconds = 10));
    expect(periodsToCollect(tenSeconds, new Date('2026-12-01T10:05:00Z')).map((d) => d.toISOString())).toEqual([
      '2026-12-01T10:04:00.000Z',
      '2026-12-01T10:04:10.000Z',
      '2026-12-01T10:04:20.000Z',
      '2026-12-01T10:04:30.000Z',
      '2026-12-01T10:04:40.000Z',
      '2026-12-01T10:04:50.000Z',
    ]);
  });
});

describe('what a period may publish', () => {
  const users = { 'us-east-1': 900, 'eu-west-1': 151, 'sa-east-1': 60, 'ap-south-1': 0 };

  it('publishes every region, zeros included, when every serving edge answered', () => {
    expect(publishableDemand(config, users, true)).toEqual({ users, withheld: [] });
  });

  it('with an edge silent, publishes only lower bounds above the scale-down threshold and leaves the rest missing', () => {
    const { users: published, withheld } = publishableDemand(config, users, false);
    // sa-east-1's override lowers its scale-down threshold to 80; the others use 150.
    expect(published).toEqual({ 'us-east-1': 900, 'eu-west-1': 151 });
    expect(withheld.map((w) => w.region)).toEqual(['sa-east-1', 'ap-south-1']);
    expect(withheld[0]!.reason).toMatch(/lower bound not above the scale-down threshold \(80\)/);
  });
});
