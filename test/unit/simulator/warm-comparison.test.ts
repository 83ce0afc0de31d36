import { describe, expect, it } from '@jest/globals';
import { builtInDiurnalTrace, BUILT_IN_DIURNAL_REGIONS } from '../../../simulator/diurnal-trace';
import { simulate } from '../../../simulator/simulate';
import {
  compareWarmSettings,
  formatWarmComparison,
  warmCandidates,
  withWarm,
} from '../../../simulator/warm-comparison';
import { exampleConfig } from '../../support/config-fixtures';

const config = exampleConfig();

describe('the built-in diurnal trace', () => {
  it("has the example configuration's 2 always-on and 4 elastic regions over 7 days, peaking at different hours", () => {
    const trace = builtInDiurnalTrace();
    expect(new Set(trace.regions)).toEqual(new Set([...config.regions.alwaysOn, ...config.regions.elastic]));
    expect(trace.periods).toBe(7 * 1440);
    expect(new Set(BUILT_IN_DIURNAL_REGIONS.map((r) => r.peakHourUtc)).size).toBe(6);
    // Deterministic, with one publisher gap.
    expect(builtInDiurnalTrace().users.get('ap-south-1')).toEqual(trace.users.get('ap-south-1'));
    expect(Array.from(trace.users.get('ap-southeast-1')!).filter(Number.isNaN)).toHaveLength(120);
  });
});

describe('compareWarmSettings', () => {
  const trace = builtInDiurnalTrace({ days: 2 });

  it('offers none, each elastic region alone and all of them, keeping 1 h and the configured keepHours', () => {
    const labels = warmCandidates(config).map((s) => s.label);
    expect(labels).toEqual([
      'none',
      'ap-southeast-1, keep 1 h',
      'ap-southeast-1, keep 6 h',
      'ap-northeast-1, keep 1 h',
      'ap-northeast-1, keep 6 h',
      'sa-east-1, keep 1 h',
      'sa-east-1, keep 6 h',
      'ap-south-1, keep 1 h',
      'ap-south-1, keep 6 h',
      'all elastic, keep 1 h',
      'all elastic, keep 6 h',
    ]);
  });

  it('simulates each setting against its own oracle and against no warm region', () => {
    const rows = compareWarmSettings(config, trace, {}, [
      { label: 'ap-south-1, keep 1 h', regions: ['ap-south-1'], keepHours: 1 },
    ]);
    expect(rows.map((r) => r.setting.label)).toEqual(['none', 'ap-south-1, keep 1 h']);
    const [none, south] = rows;
    const direct = simulate(withWarm(config, { regions: ['ap-south-1'], keepHours: 1 }), trace).report;
    expect(south!.totals).toEqual(direct.totals);
    expect(south!.farVsOracle).toBeCloseTo(direct.totals.farUserMinutes / direct.baselines.oracle.farUserMinutes, 3);
    expect(south!.costChange).toBeCloseTo(direct.totals.costUsd / none!.totals.costUsd - 1, 3);
    expect(none!.farChange).toBe(0);
    const table = formatWarmComparison(rows);
    expect(table).toContain('ap-south-1, keep 1 h');
    expect(table).toContain('Choose the cheapest setting whose far user-minutes you accept');
  });

  it('refuses a warm region that is not elastic, naming the fix', () => {
    expect(() => withWarm(config, { regions: ['us-east-1'], keepHours: 1 })).toThrow(
      'warm regions us-east-1: not in regions.elastic; fix: name elastic regions (ap-southeast-1, ap-northeast-1, sa-east-1, ap-south-1)',
    );
  });
});
