import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import { generateDiurnalTrace, WORLD_REGIONS, type DiurnalRegion } from '../../../simulator/diurnal-trace';
import { simulate, type SimulationEvent, type SimulationRun } from '../../../simulator/simulate';
import type { DemandTrace } from '../../../simulator/trace';
import { exampleConfig } from '../../support/config-fixtures';

const START = '2026-03-01T00:00:00Z';
const MINUTE = 60_000;

/** Diurnal demand for every approved region of the configuration, peaking at local evening. */
function diurnalTrace(config: AutoscalerConfig, peak: number, seed: number, days = 3): DemandTrace {
  const regions: DiurnalRegion[] = [...config.regions.alwaysOn, ...config.regions.elastic].map((region, i) => {
    const world = WORLD_REGIONS.find((w) => w.region === region);
    const scale = 1 - (i % 4) * 0.2;
    return {
      region,
      peakHourUtc: world?.peakHourUtc ?? (i * 5) % 24,
      peakUsers: peak * scale,
      baseUsers: peak * scale * 0.05,
    };
  });
  return generateDiurnalTrace({ start: START, days, regions, noise: 0.1, seed });
}

/** A trace of one elastic region from explicit per-minute values (null = no row). */
function stepTrace(values: Array<number | null>, region = 'ap-southeast-1'): DemandTrace {
  return {
    startMs: Date.parse(START),
    stepSeconds: 60,
    periods: values.length,
    regions: [region],
    users: new Map([[region, Float64Array.from(values, (v) => v ?? NaN)]]),
  };
}

const repeat = (value: number | null, minutes: number): Array<number | null> => new Array(minutes).fill(value);

function eventsOf(run: SimulationRun, region: string, ...actions: SimulationEvent['action'][]): SimulationEvent[] {
  return run.report.events.filter((e) => e.region === region && actions.includes(e.action));
}

const configs = fc.record({
  maxElasticActive: fc.integer({ min: 1, max: 4 }),
  cooldownMinutes: fc.integer({ min: 5, max: 60 }),
  minActiveMinutes: fc.integer({ min: 10, max: 120 }),
  upM: fc.integer({ min: 1, max: 5 }),
  downN: fc.integer({ min: 5, max: 20 }),
  scaleUpMinutes: fc.integer({ min: 5, max: 20 }),
  scaleDownMinutes: fc.integer({ min: 5, max: 20 }),
  reconcileMinutes: fc.integer({ min: 1, max: 10 }),
  forecast: fc.constantFrom('on' as const, 'off' as const),
  warm: fc.boolean(),
});
const scenarios = fc
  .record({ knobs: configs, peak: fc.integer({ min: 300, max: 2500 }), seed: fc.integer() })
  .map(({ knobs, peak, seed }) => {
    const config = exampleConfig((raw) => {
      raw.scaling.maxElasticActive = knobs.maxElasticActive;
      raw.scaling.cooldownSeconds = knobs.cooldownMinutes * 60;
      raw.scaling.minActiveSeconds = knobs.minActiveMinutes * 60;
      raw.scaling.thresholds.scaleUp = { users: 500, datapointsToAlarm: knobs.upM, evaluationPeriods: 5 };
      raw.scaling.thresholds.scaleDown = { users: 150, datapointsToAlarm: knobs.downN, evaluationPeriods: knobs.downN };
      raw.scaling.reconcileIntervalMinutes = knobs.reconcileMinutes;
      raw.provisioning = { scaleUpSeconds: knobs.scaleUpMinutes * 60, scaleDownSeconds: knobs.scaleDownMinutes * 60 };
      raw.forecast = { mode: knobs.forecast, minHistoryHours: 24 };
      if (knobs.warm) raw.warm = { regions: ['ap-southeast-1', 'ap-south-1'], keepHours: 2 };
    });
    return { config, trace: diurnalTrace(config, peak, seed) };
  });

describe('simulate: invariants on generated diurnal traces', () => {
  const runs = fc
    .sample(scenarios, { numRuns: 25, seed: 20261121 })
    .map((s) => ({ ...s, run: simulate(s.config, s.trace) }));

  it('always-on regions are never scaled down and serve throughout', () => {
    for (const { config, trace, run } of runs) {
      for (const region of config.regions.alwaysOn) {
        expect(eventsOf(run, region, 'scale-down-start', 'scale-up-start')).toEqual([]);
        expect(run.report.regions[region]!.servingMinutes).toBe(trace.periods);
      }
    }
  });

  it('at most maxElasticActive elastic regions are serving or provisioning at once', () => {
    for (const { config, run } of runs) {
      let occupied = 0;
      for (const e of run.report.events) {
        if (e.action === 'scale-up-start') occupied++;
        if (e.action === 'scale-down-start') occupied--;
        expect(occupied).toBeLessThanOrEqual(config.scaling.maxElasticActive);
      }
    }
  });

  it('honours the cooldown between transitions and the minimum active time before a scale-down', () => {
    for (const { config, run } of runs) {
      for (const region of config.regions.elastic) {
        let lastTransition = -Infinity;
        let activeSince = -Infinity;
        for (const e of eventsOf(
          run,
          region,
          'scale-up-start',
          'scale-up-done',
          'scale-down-start',
          'scale-down-done',
        )) {
          const at = Date.parse(e.at);
          if (e.action === 'scale-up-start' || e.action === 'scale-down-start') {
            expect(at - lastTransition).toBeGreaterThanOrEqual(config.scaling.cooldownSeconds * 1000);
          }
          if (e.action === 'scale-down-start') {
            expect(at - activeSince).toBeGreaterThanOrEqual(config.scaling.minActiveSeconds * 1000);
          }
          if (e.action === 'scale-up-done') activeSince = at;
          lastTransition = at;
        }
      }
    }
  });

  it('a region serves only between its scale-up-done and its next scale-down-start', () => {
    for (const { config, run } of runs) {
      for (const region of config.regions.elastic) {
        const done = eventsOf(run, region, 'scale-up-done').map((e) => Date.parse(e.at));
        const down = eventsOf(run, region, 'scale-down-start').map((e) => Date.parse(e.at));
        const serving = run.serving.get(region)!;
        expect(serving.map(([from]) => from)).toEqual(done);
        expect(serving.slice(0, down.length).map(([, to]) => to)).toEqual(down);
      }
    }
  });

  it('costs less than keeping every region on', () => {
    for (const { run } of runs) {
      expect(run.report.totals.costUsd).toBeLessThan(run.report.baselines.allOn.costUsd);
      expect(run.report.baselines.allOn.farUserMinutes).toBe(0);
    }
  });

  it('without the forecast, never has fewer far user-minutes than the oracle', () => {
    // The oracle serves from the first minute above the threshold; a pre-warm may start up to one
    // reconcile interval earlier and serve users below it, so only the reactive policy is bounded.
    const reactive = runs.filter(({ config }) => config.forecast.mode === 'off');
    expect(reactive.length).toBeGreaterThan(5);
    for (const { run } of reactive) {
      expect(run.report.totals.farUserMinutes).toBeGreaterThanOrEqual(run.report.baselines.oracle.farUserMinutes);
    }
  });

  it('counts the same users in the run and in both baselines', () => {
    for (const { run } of runs) {
      expect(run.report.baselines.allOn.userMinutes).toBe(run.report.totals.userMinutes);
      expect(run.report.baselines.oracle.userMinutes).toBe(run.report.totals.userMinutes);
    }
  });
});

describe('simulate: the deployed behaviour on hand-made traces', () => {
  const config = exampleConfig(); // scale-up above 500 for 3 of 5, down below 150 for 15 of 15, 60 s periods

  it('scales up after M of N breaching periods, serves after the provisioning time', () => {
    const run = simulate(config, stepTrace([...repeat(100, 10), ...repeat(900, 60)]));
    const [start] = eventsOf(run, 'ap-southeast-1', 'scale-up-start');
    // Datapoints 10, 11, 12 breach; the alarm evaluates the period ending at minute 13.
    expect(start).toMatchObject({ at: '2026-03-01T00:13:00Z', action: 'scale-up-start' });
    expect(start!.reason).toContain('demand alarm');
    expect(eventsOf(run, 'ap-southeast-1', 'scale-up-done')).toEqual([
      {
        at: '2026-03-01T00:28:00Z',
        region: 'ap-southeast-1',
        action: 'scale-up-done',
        reason: 'serving after 15 min of provisioning',
      },
    ]);
    expect(run.report.regions['ap-southeast-1']!.servingMinutes).toBe(70 - 28);
    expect(run.report.regions['ap-southeast-1']!.clusterHours).toBeCloseTo((70 - 13) / 60, 2);
  });

  it('missing data never causes a scale-down: a publisher gap instead of low demand keeps the region up', () => {
    const up = [...repeat(100, 10), ...repeat(900, 90)]; // scale-up at minute 13, serving from 28
    const withGap = simulate(config, stepTrace([...up, ...repeat(null, 180)]));
    expect(eventsOf(withGap, 'ap-southeast-1', 'scale-down-start')).toEqual([]);
    expect(withGap.report.regions['ap-southeast-1']!.servingMinutes).toBe(280 - 28);

    // The same hours with low demand instead of the gap: the region is scaled down.
    const withLowDemand = simulate(config, stepTrace([...up, ...repeat(50, 180)]));
    expect(eventsOf(withLowDemand, 'ap-southeast-1', 'scale-down-start')).toHaveLength(1);
  });

  // Scale-up alarm at minute 13, serving from 28 (15 min provisioning); demand gone from minute 50.
  const upThenGone = () => stepTrace([...repeat(100, 10), ...repeat(900, 40), ...repeat(50, 120)]);

  it('a scale-down alarm during the minimum active time is retried by the reconciler', () => {
    // The alarm fires at 01:05 (15 of 15 below), before the 60-minute minimum active time ends
    // (01:28); the reconciler (every 5 minutes) scales down at 01:30.
    const run = simulate(config, upThenGone());
    expect(eventsOf(run, 'ap-southeast-1', 'rejected')).toEqual([
      expect.objectContaining({
        at: '2026-03-01T01:05:00Z',
        reason: expect.stringContaining('down (alarm): min active time'),
      }),
    ]);
    expect(eventsOf(run, 'ap-southeast-1', 'scale-down-start')).toEqual([
      expect.objectContaining({ at: '2026-03-01T01:30:00Z', reason: expect.stringContaining('reconciler') }),
    ]);
    expect(eventsOf(run, 'ap-southeast-1', 'scale-down-done')[0]!.at).toBe('2026-03-01T01:45:00Z');
  });

  it('stops serving when the scale-down starts and counts the users left as far', () => {
    const run = simulate(config, upThenGone());
    expect(run.report.regions['ap-southeast-1']!.servingMinutes).toBe(90 - 28);
    expect(run.report.regions['ap-southeast-1']!.clusterHours).toBeCloseTo((105 - 13) / 60, 2);
    // Far: minutes 0-9 (100 users), 10-27 (900 users, provisioning), 90-169 (50 users, withdrawn).
    expect(run.report.totals.farUserMinutes).toBe(10 * 100 + 18 * 900 + 80 * 50);
    expect(run.report.totals.userMinutes).toBe(10 * 100 + 40 * 900 + 120 * 50);
  });

  it('the oracle serves from the moment demand crosses the threshold', () => {
    const run = simulate(config, upThenGone());
    // Provisioning starts at minute 0 (15 minutes ahead would be before the trace); serving from 15.
    expect(run.oracleServing.get('ap-southeast-1')![0]![0]).toBe(Date.parse(START) + 15 * MINUTE);
    expect(run.report.baselines.oracle.farUserMinutes).toBeLessThan(run.report.totals.farUserMinutes);
  });

  it('no scale-up while the region is paused; the reconciler brings it up when the pause ends', () => {
    const trace = stepTrace(repeat(900, 120));
    const run = simulate(config, trace, {
      pauses: [{ region: 'ap-southeast-1', from: '2026-03-01T00:00:00Z', until: '2026-03-01T00:30:00Z' }],
    });
    expect(eventsOf(run, 'ap-southeast-1', 'rejected')[0]!.reason).toContain('paused');
    expect(eventsOf(run, 'ap-southeast-1', 'scale-up-start')).toEqual([
      expect.objectContaining({ at: '2026-03-01T00:30:00Z', reason: expect.stringContaining('reconciler') }),
    ]);
  });

  it('evaluates alarms on the Average of each alarm period when the trace is finer', () => {
    const fiveMinutes = exampleConfig((raw) => {
      raw.scaling.thresholds.periodSeconds = 300;
      raw.scaling.thresholds.scaleUp = { users: 500, datapointsToAlarm: 1, evaluationPeriods: 1 };
    });
    // 00:00-00:05 averages 400 (no alarm), 00:05-00:10 averages 600 (alarm at 00:10).
    const run = simulate(fiveMinutes, stepTrace([...repeat(400, 5), 900, 900, 300, 600, 300, ...repeat(100, 20)]));
    expect(eventsOf(run, 'ap-southeast-1', 'scale-up-start')[0]!.at).toBe('2026-03-01T00:10:00Z');
  });

  it('refuses a trace whose period does not divide the alarm period, saying how to fix it', () => {
    const trace = { ...stepTrace(repeat(100, 10)), stepSeconds: 120 };
    expect(() => simulate(config, trace)).toThrow(/does not divide the 60 s alarm period of ap-southeast-1; fix:/);
  });

  it('counts the users of regions in neither list as far, and never serves them', () => {
    const run = simulate(config, stepTrace(repeat(10, 60), 'eu-central-1'));
    expect(run.unapprovedRegions).toEqual(['eu-central-1']);
    expect(run.report.totals.farUserMinutes).toBe(600);
    expect(run.report.regions['eu-central-1']).toBeUndefined();
  });

  it('prices clusters from the price table: control plane plus desired nodes', () => {
    const run = simulate(config, stepTrace(repeat(10, 60)));
    // us-east-1 and eu-west-1 always on for one hour: 2 x (0.10 + 2 x 0.0416).
    expect(run.report.totals).toMatchObject({ clusterHours: 2, costUsd: 0.37 });
  });
});
