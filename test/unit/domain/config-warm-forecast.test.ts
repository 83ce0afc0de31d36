/** The configuration of the warm tier, the forecast and demand-ranked slots: defaults and refusals. */
import { describe, expect, it } from '@jest/globals';
import { configProblems, isWarmRegion, type AutoscalerConfigInput } from '../../../functions/domain/config';
import { exampleConfig, exampleRawConfig } from '../../support/config-fixtures';

type Raw = AutoscalerConfigInput & Record<string, unknown>;

function problemsAfter(change: (raw: Raw) => void): string[] {
  const raw = exampleRawConfig() as Raw;
  change(raw);
  return configProblems(raw);
}

describe('warm tier, forecast and preemption settings', () => {
  it('defaults: preemption at 2x, forecast on over 14 days after 24 h, warm lead times from EKS timings', () => {
    const config = exampleConfig((raw) => {
      delete (raw as Raw).warm;
      delete (raw as Raw).forecast;
    });
    expect(config.scaling.preemptRatio).toBe(2);
    expect(config.forecast).toEqual({ mode: 'on', historyDays: 14, minHistoryHours: 24 });
    expect(config.warm).toEqual({ regions: [], keepHours: 6, maxUsdPerHour: 0.5, nodeWarmPool: true });
    expect(config.provisioning.warmScaleUpSeconds).toBe(210);
    expect(isWarmRegion(config, 'ap-southeast-1')).toBe(false);
  });

  it('a warm region must be elastic: an always-on or unapproved one is refused with the fix', () => {
    const problems = problemsAfter((raw) => {
      raw.warm = { regions: ['us-east-1', 'ca-central-1'] };
    });
    expect(problems).toEqual([
      'autoscaler.warm.regions.0 = "us-east-1": us-east-1 is always-on: it always serves and never goes WARM; fix: remove it from warm.regions',
      'autoscaler.warm.regions.1 = "ca-central-1": ca-central-1 is not in regions.elastic; fix: add it to regions.elastic or remove it from warm.regions',
    ]);
  });

  it('refuses a preemption ratio that would swap equal regions back and forth, and accepts 0 (off)', () => {
    const ratio = (value: number) =>
      problemsAfter((raw) => {
        raw.scaling.preemptRatio = value;
      });
    expect(ratio(1)).toEqual([
      'autoscaler.scaling.preemptRatio = 1: must be 0 (off) or above 1 and at most 100: at 1 or below two regions of equal demand would swap back and forth; fix: use for example 2',
    ]);
    expect(ratio(0)).toEqual([]);
    expect(ratio(3)).toEqual([]);
  });

  it('refuses more than 14 days of forecast history (one GetMetricData call), an unknown mode, a negative warm cap', () => {
    expect(
      problemsAfter((raw) => {
        raw.forecast = { historyDays: 15, mode: 'always' as 'on' };
        raw.warm = { maxUsdPerHour: -1, keepHours: 200 };
      }),
    ).toEqual([
      'autoscaler.warm.keepHours = 200: must be at most 168 hours (a week); fix: use for example 6',
      'autoscaler.warm.maxUsdPerHour = -1: must not be negative; fix: use for example 0.5, or 0 for no warm region',
      'autoscaler.forecast.mode = "always": must be "on", "forecast-only" or "off"; fix: use "on"',
      'autoscaler.forecast.historyDays = 15: must be at most 14 days; fix: use for example 14',
    ]);
  });
});
