/** The simulator's warm tier, predictive pre-warm and demand-ranked slots (issue 13). */
import { describe, expect, it } from '@jest/globals';
import type { AutoscalerConfigInput } from '../../../functions/domain/config';
import { clusterPrice, warmPrice } from '../../../functions/domain/pricing';
import { renderHtmlReport } from '../../../simulator/report';
import { simulate, type SimulationEvent, type SimulationRun } from '../../../simulator/simulate';
import type { DemandTrace } from '../../../simulator/trace';
import { exampleConfig } from '../../support/config-fixtures';

// Example config: scale-up above 500 for 3 of 5 minutes, down below 150 for 15 of 15; cooldown 30 min,
// minimum active 60 min, at most 2 elastic regions, reconciler every 5 min; cold up/down 15 min,
// warm scale-up 3.5 min, warm-up 14 min, down to WARM 8 min.
const START = '2026-03-01T00:00:00Z';
const START_MS = Date.parse(START);
const MINUTE = 60_000;
const at = (minutes: number) => new Date(START_MS + minutes * MINUTE).toISOString().replace('.000Z', 'Z');

type Series = Array<number | null>;
const repeat = (value: number | null, minutes: number): Series => new Array(minutes).fill(value);

function trace(series: Record<string, Series>): DemandTrace {
  const regions = Object.keys(series);
  const periods = Math.max(...regions.map((r) => series[r]!.length));
  return {
    startMs: START_MS,
    stepSeconds: 60,
    periods,
    regions,
    users: new Map(regions.map((r) => [r, Float64Array.from({ length: periods }, (_, i) => series[r]![i] ?? NaN)])),
  };
}

/** `days` days of 100 users, 900 from 12:00 to 16:00 UTC (minutes 720-959 of each day). */
function dailyNoonRise(days: number, rises: (day: number) => boolean = () => true): Series {
  const out: Series = [];
  for (let d = 0; d < days; d++)
    out.push(...repeat(100, 720), ...repeat(rises(d) ? 900 : 100, 240), ...repeat(100, 480));
  return out;
}

const config = (mutate: (raw: AutoscalerConfigInput) => void) => exampleConfig(mutate);
const eventsOf = (run: SimulationRun, region: string, ...actions: SimulationEvent['action'][]) =>
  run.report.events.filter((e) => e.region === region && (actions.length === 0 || actions.includes(e.action)));
const actionsOf = (run: SimulationRun, region: string) =>
  eventsOf(run, region)
    .filter((e) => e.action !== 'rejected')
    .map((e) => `${e.at} ${e.action}`);

describe('simulate: the warm tier', () => {
  // Up at minute 13 (serving 28); low from 70: down to WARM at 90 (the reconciler, after the minimum
  // active time), WARM at 98; back up from WARM at 133 (cooldown over), serving 3.5 min later; down
  // to WARM at 205, WARM at 213; torn down to INACTIVE after keepHours (6 h) at the reconcile of 575.
  const warmTrace = trace({
    'ap-southeast-1': [
      ...repeat(100, 10),
      ...repeat(900, 60),
      ...repeat(50, 60),
      ...repeat(900, 60),
      ...repeat(50, 460),
    ],
  });
  const warmConfig = config((raw) => {
    raw.warm = { regions: ['ap-southeast-1'] };
    raw.forecast = { mode: 'off' };
  });

  it('scales a warm region down to WARM, back up in minutes, and tears it down after keepHours', () => {
    const run = simulate(warmConfig, warmTrace);
    expect(actionsOf(run, 'ap-southeast-1')).toEqual([
      `${at(13)} scale-up-start`,
      `${at(28)} scale-up-done`,
      `${at(90)} scale-down-start`,
      `${at(98)} scale-down-done`,
      `${at(133)} scale-up-start`,
      '2026-03-01T02:16:30Z scale-up-done',
      `${at(205)} scale-down-start`,
      `${at(213)} scale-down-done`,
      `${at(575)} warm-teardown-start`,
      `${at(590)} warm-teardown-done`,
    ]);
    const [, , down, warm, up, served] = eventsOf(run, 'ap-southeast-1').filter((e) => e.action !== 'rejected');
    expect(down!.reason).toContain('to WARM (warm region)');
    expect(warm!.reason).toBe('WARM 8 min after the record was withdrawn (nodes stopped, control plane kept)');
    expect(up!.reason).toContain('from WARM');
    expect(served!.reason).toBe('serving after 3.5 min of provisioning');
    expect(eventsOf(run, 'ap-southeast-1', 'warm-teardown-start')[0]!.reason).toContain(
      'WARM for warm.keepHours (6 h)',
    );
    expect(run.warm.get('ap-southeast-1')).toEqual([
      [START_MS + 98 * MINUTE, START_MS + 133 * MINUTE],
      [START_MS + 213 * MINUTE, START_MS + 575 * MINUTE],
    ]);
  });

  it('costs the warm price while WARM or torn down from WARM, the cluster price while nodes run', () => {
    const run = simulate(warmConfig, warmTrace);
    const region = run.report.regions['ap-southeast-1']!;
    // Nodes from 13 to 98 and from 133 to 213; warm from 98 to 133 and from 213 to 590.
    expect(region.clusterHours).toBeCloseTo(165 / 60, 2);
    expect(region.warmHours).toBeCloseTo(412 / 60, 2);
    const at0 = new Date(START_MS);
    const expected =
      (165 / 60) * clusterPrice(warmConfig, undefined, at0).usdPerHour +
      (412 / 60) * warmPrice(warmConfig, undefined, at0).usdPerHour;
    expect(region.costUsd).toBeCloseTo(expected, 1);
    expect(run.report.totals.warmHours).toBeCloseTo(412 / 60, 2);
    expect(run.warmPrice.usdPerHour).toBeCloseTo(0.1 + 0.0225 + (2 * 20 * 0.08) / 730, 6);
  });

  it('goes INACTIVE instead when the warm tier is over its cost cap', () => {
    const capped = config((raw) => {
      raw.warm = { regions: ['ap-southeast-1'], maxUsdPerHour: 0 };
      raw.forecast = { mode: 'off' };
    });
    const run = simulate(capped, warmTrace);
    expect(eventsOf(run, 'ap-southeast-1', 'scale-down-done')[0]!.reason).toBe(
      'cluster deleted 15 min after the record was withdrawn',
    );
    expect(run.warm.get('ap-southeast-1')).toEqual([]);
    expect(run.report.regions['ap-southeast-1']!.warmHours).toBe(0);
  });
});

describe('simulate: predictive pre-warm, from the past only', () => {
  const rising = trace({ 'ap-south-1': dailyNoonRise(3) });
  const forecastOn = config(() => undefined);

  it('reacts to the alarm on the first day, and serves before the rise once it has 24 h of history', () => {
    const run = simulate(forecastOn, rising);
    const ups = eventsOf(run, 'ap-south-1', 'scale-up-start');
    expect(ups.map((e) => e.at)).toEqual([at(723), at(1440 + 700), at(2880 + 700)]);
    expect(ups[0]!.reason).toContain('demand alarm');
    // 20 minutes ahead (the cold lead time plus one reconcile interval), serving at 11:55.
    expect(ups[1]!.reason).toContain('pre-warm: forecast crosses 500 users at 2026-03-02T12:00:00.000Z (in 20 min)');
    expect(eventsOf(run, 'ap-south-1', 'scale-up-done')[1]!.at).toBe(at(1440 + 715));
    // The forecast drawn in the report: what it said one cold lead time earlier.
    const drawn = run.forecast.get('ap-south-1')!;
    expect(drawn[1440 + 720]).toBe(900);
    expect(drawn[1440 + 600]).toBe(100);
    expect(Number.isNaN(drawn[600]!)).toBe(true); // no forecast on the first day
  });

  it('uses no look-ahead: a run whose future differs is the same up to the point they differ', () => {
    // The second trace has no rise on the third day: nothing before 2026-03-03T12:00 can tell.
    const quiet = trace({ 'ap-south-1': dailyNoonRise(3, (day) => day < 2) });
    const a = simulate(forecastOn, rising);
    const b = simulate(forecastOn, quiet);
    const until = at(2880 + 720);
    const before = (run: SimulationRun) => run.report.events.filter((e) => e.at < until);
    expect(before(b)).toEqual(before(a));
    expect(before(b).some((e) => e.reason.includes('pre-warm') && e.at > at(2880))).toBe(true);
    const drawnUntil = 2880 + 720;
    expect(Array.from(b.forecast.get('ap-south-1')!.slice(0, drawnUntil))).toEqual(
      Array.from(a.forecast.get('ap-south-1')!.slice(0, drawnUntil)),
    );
  });

  it('forecast-only records what it would have done and acts only on the alarms', () => {
    const run = simulate(
      config((raw) => {
        raw.forecast = { mode: 'forecast-only' };
      }),
      rising,
    );
    expect(eventsOf(run, 'ap-south-1', 'scale-up-start').map((e) => e.at)).toEqual([
      at(723),
      at(1440 + 723),
      at(2880 + 723),
    ]);
    const planned = eventsOf(run, 'ap-south-1', 'pre-warm-planned');
    expect(planned.map((e) => e.at)).toEqual([at(1440 + 700), at(2880 + 700)]);
    expect(planned[0]!.reason).toMatch(/^forecast-only, not acted on: scale-up; pre-warm: forecast crosses 500 users/);
  });

  it('forecast off: no pre-warm and no forecast drawn', () => {
    const run = simulate(
      config((raw) => {
        raw.forecast = { mode: 'off' };
      }),
      rising,
    );
    expect(eventsOf(run, 'ap-south-1', 'scale-up-start').map((e) => e.at)).toEqual([
      at(723),
      at(1440 + 723),
      at(2880 + 723),
    ]);
    expect(run.forecast.size).toBe(0);
  });

  it('warms a warm region up ahead of the rise, then scales it up from WARM with no cooldown in between', () => {
    const run = simulate(
      config((raw) => {
        raw.warm = { regions: ['ap-south-1'], keepHours: 1 };
      }),
      rising,
    );
    const day2 = actionsOf(run, 'ap-south-1').filter((e) => e >= '2026-03-02T10' && e < '2026-03-02T13');
    // Crossing at 12:00: the warm path (14 + 3.5 min) is in time at 11:40, the scale-up from WARM at 11:55.
    expect(day2).toEqual([
      '2026-03-02T11:40:00Z warm-up-start',
      '2026-03-02T11:54:00Z warm-up-done',
      '2026-03-02T11:55:00Z scale-up-start',
      '2026-03-02T11:58:30Z scale-up-done',
    ]);
  });
});

describe('simulate: demand-ranked slots', () => {
  // ap-southeast-1 and ap-northeast-1 take both slots (serving from 18) and keep 300 users; ap-south-1
  // rises to 1200 at minute 120. Its alarm is refused at 123 (no slot); the reconciler swaps at 125.
  const contested = trace({
    'ap-southeast-1': [...repeat(900, 30), ...repeat(300, 270)],
    'ap-northeast-1': [...repeat(900, 30), ...repeat(300, 270)],
    'ap-south-1': [...repeat(100, 120), ...repeat(1200, 180)],
  });
  const withRatio = (ratio: number) =>
    config((raw) => {
      raw.scaling.preemptRatio = ratio;
    });

  it('scales the weakest serving region down for a waiting one with more than preemptRatio times its demand', () => {
    const run = simulate(withRatio(2), contested);
    const refused = eventsOf(run, 'ap-south-1', 'rejected').filter((e) => e.reason.includes('max elastic'));
    expect(refused.map((e) => e.at)).toEqual([at(123)]);
    expect(refused[0]!.reason).toMatch(/^up \(alarm\): max elastic/);
    const [swap] = eventsOf(run, 'ap-southeast-1', 'scale-down-start');
    expect(swap).toMatchObject({ at: at(125) });
    expect(swap!.reason).toMatch(
      /^demand-ranked slots: ap-south-1 has 1200 users, more than 2 x the 300 of ap-southeast-1, the weakest serving elastic region; scaling ap-southeast-1 down for it; /,
    );
    expect(eventsOf(run, 'ap-south-1', 'scale-up-start').map((e) => e.at)).toEqual([at(125)]);
    expect(eventsOf(run, 'ap-northeast-1', 'scale-down-start')).toEqual([]);
  });

  it('swaps nothing below the ratio or with preemption off; the oracle applies the same rule', () => {
    for (const ratio of [0, 5]) {
      const run = simulate(withRatio(ratio), contested);
      expect(eventsOf(run, 'ap-south-1', 'scale-up-start')).toEqual([]);
      expect(run.oracleServing.get('ap-south-1')).toEqual([]);
    }
    // At 2 the oracle swaps too, serving ap-south-1 from the rise (its perfect foresight is for timing only).
    const oracle = simulate(withRatio(2), contested).oracleServing.get('ap-south-1')!;
    expect(oracle).toHaveLength(1);
    expect(oracle[0]![0]).toBe(START_MS + 120 * MINUTE);
  });
});

describe('the HTML report', () => {
  it('draws the forecast next to the demand and the warm periods per region', () => {
    const run = simulate(
      config((raw) => {
        raw.warm = { regions: ['ap-south-1'], keepHours: 1 };
      }),
      trace({ 'ap-south-1': dailyNoonRise(2) }),
    );
    const html = renderHtmlReport(run);
    expect(html).toMatch(/<path class="forecast" d="M[\d.]+,[\d.]+L/);
    expect(html).toMatch(/<rect class="warm" x="[\d.]+" y="\d+" width="[\d.]+"/);
    expect(html).toContain('forecast (one cold lead time ahead, from the past only)');
    expect(html).toContain('Warm price (per WARM region-hour): $0.1269');
  });
});
