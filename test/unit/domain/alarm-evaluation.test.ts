import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  evaluateAlarm,
  evaluateAlarmOverSeries,
  evaluationRangeLength,
  type AlarmDefinition,
  type AlarmState,
  type TreatMissingData,
} from '../../../functions/domain/alarm-evaluation';

const TREATMENTS: TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];
const STATES: AlarmState[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

function alarm(m: number, n: number, treatMissingData: TreatMissingData): AlarmDefinition {
  return {
    datapointsToAlarm: m,
    evaluationPeriods: n,
    threshold: 1,
    comparisonOperator: 'GreaterThanThreshold',
    treatMissingData,
  };
}

/** "0 - X - X" (the documentation's notation, oldest first) -> [0, null, 2, null, 2] for threshold > 1. */
function range(notation: string): Array<number | null> {
  return notation.split(' ').map((c) => (c === '-' ? null : c === 'X' ? 2 : 0));
}

type Expected = AlarmState | 'retain';
type Row = [datapoints: string, missing: Expected, ignore: Expected, breaching: Expected, notBreaching: Expected];

/*
 * Amazon CloudWatch User Guide, "Configuring how CloudWatch alarms treat missing data", section
 * "How alarm state is evaluated when data is missing" (docs.aws.amazon.com/AmazonCloudWatch/latest/
 * monitoring/alarms-and-missing-data.html; source: awsdocs/amazon-cloudwatch-user-guide,
 * doc_source/AlarmThatSendsEmail.md). CloudWatch retrieves the 5 most recent datapoints.
 * 0 = within the threshold, X = breaching, - = missing. Columns: MISSING, IGNORE, BREACHING, NOT BREACHING.
 */
const THREE_OF_THREE: Row[] = [
  ['0 - X - X', 'OK', 'OK', 'OK', 'OK'],
  ['0 - - - -', 'OK', 'OK', 'OK', 'OK'],
  ['- - - - -', 'INSUFFICIENT_DATA', 'retain', 'ALARM', 'OK'],
  ['0 X X - X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
  // The page's sixth row: ALARM "even if missing data is treated as missing, because the oldest
  // evaluated data point is breaching and there aren't any non-breaching data points".
  ['X - - - -', 'ALARM', 'retain', 'ALARM', 'OK'],
];

const TWO_OF_THREE: Row[] = [
  ['0 - X - X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
  ['0 0 X 0 X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
  ['0 - X - -', 'OK', 'OK', 'ALARM', 'OK'],
  ['- - - - 0', 'OK', 'OK', 'ALARM', 'OK'],
];

function expectRow(m: number, n: number, [datapoints, ...expected]: Row): void {
  TREATMENTS.forEach((treatment, column) => {
    for (const current of STATES) {
      const want = expected[column] === 'retain' ? current : expected[column];
      expect({
        datapoints,
        treatment,
        current,
        state: evaluateAlarm(alarm(m, n, treatment), range(datapoints), current),
      }).toEqual({ datapoints, treatment, current, state: want });
    }
  });
}

describe('evaluateAlarm: the documented examples', () => {
  it.each(THREE_OF_THREE)('3 of 3, datapoints %s', (...row) => expectRow(3, 3, row as Row));
  it.each(TWO_OF_THREE)('2 of 3, datapoints %s', (...row) => expectRow(2, 3, row as Row));

  it('"- - - - X": ignore keeps the current state, breaching alarms, notBreaching stays OK', () => {
    // The same page gives this row for both tables. Its IGNORE, BREACHING and NOT BREACHING cells
    // are checked here; its MISSING cell (INSUFFICIENT_DATA) contradicts the page's own definition
    // of `missing` ("if all data points in the alarm evaluation range are missing, the alarm
    // transitions to INSUFFICIENT_DATA") and its sixth row ("X - - - -" -> ALARM, a lone breaching
    // datapoint), which we follow: a lone breaching datapoint alarms.
    for (const [m, n] of [
      [3, 3],
      [2, 3],
    ] as const) {
      for (const current of STATES) {
        expect(evaluateAlarm(alarm(m, n, 'ignore'), range('- - - - X'), current)).toBe(current);
      }
      expect(evaluateAlarm(alarm(m, n, 'breaching'), range('- - - - X'), 'OK')).toBe('ALARM');
      expect(evaluateAlarm(alarm(m, n, 'notBreaching'), range('- - - - X'), 'ALARM')).toBe('OK');
      expect(evaluateAlarm(alarm(m, n, 'missing'), range('- - - - X'), 'OK')).toBe('ALARM');
    }
  });

  it('uses the N most recent real datapoints, wherever they sit in the range', () => {
    // 4 real datapoints, the newest 3 breaching: missing data plays no part.
    for (const t of TREATMENTS) expect(evaluateAlarm(alarm(3, 3, t), range('0 X - X X'), 'OK')).toBe('ALARM');
    // The newest 3 real datapoints hold one within the threshold.
    for (const t of TREATMENTS) expect(evaluateAlarm(alarm(3, 3, t), range('X X 0 - X'), 'ALARM')).toBe('OK');
  });

  it('M out of N: breaching datapoints need not be consecutive', () => {
    const a = alarm(3, 5, 'missing');
    expect(evaluateAlarm(a, [2, 0, 2, 0, 2], 'OK')).toBe('ALARM');
    expect(evaluateAlarm(a, [2, 0, 2, 0, 0], 'ALARM')).toBe('OK');
  });

  it('applies each comparison operator', () => {
    const base = { datapointsToAlarm: 1, evaluationPeriods: 1, threshold: 5, treatMissingData: 'missing' as const };
    const at = (op: AlarmDefinition['comparisonOperator'], v: number) =>
      evaluateAlarm({ ...base, comparisonOperator: op }, [v], 'INSUFFICIENT_DATA');
    expect([at('GreaterThanThreshold', 5), at('GreaterThanThreshold', 6)]).toEqual(['OK', 'ALARM']);
    expect([at('GreaterThanOrEqualToThreshold', 4), at('GreaterThanOrEqualToThreshold', 5)]).toEqual(['OK', 'ALARM']);
    expect([at('LessThanThreshold', 5), at('LessThanThreshold', 4)]).toEqual(['OK', 'ALARM']);
    expect([at('LessThanOrEqualToThreshold', 6), at('LessThanOrEqualToThreshold', 5)]).toEqual(['OK', 'ALARM']);
  });

  it('the evaluation range is N + 2 datapoints, as in the documented examples (5 for N = 3)', () => {
    expect(evaluationRangeLength(3)).toBe(5);
  });
});

// ---- Properties ----

const BREACH = 2;
const WITHIN = 0;
const cell = fc.constantFrom<number | null>(null, WITHIN, BREACH);
const definition = fc
  .record({
    n: fc.integer({ min: 1, max: 8 }),
    mFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    treatment: fc.constantFrom(...TREATMENTS),
  })
  .map(({ n, mFraction, treatment }) => alarm(Math.max(1, Math.ceil(mFraction * n)), n, treatment));
const scenario = definition.chain((a) =>
  fc.record({
    alarm: fc.constant(a),
    range: fc.array(cell, { minLength: 0, maxLength: a.evaluationPeriods + 4 }),
    current: fc.constantFrom(...STATES),
  }),
);
/** The range with some datapoints turned breaching (missing or within -> breaching). */
const withMoreBreaching = scenario.chain((s) =>
  fc.record({
    s: fc.constant(s),
    worse: fc
      .array(fc.boolean(), { minLength: s.range.length, maxLength: s.range.length })
      .map((flip) => s.range.map((v, i) => (flip[i] ? BREACH : v))),
  }),
);

describe('evaluateAlarm: properties', () => {
  it('more breaching datapoints never turn ALARM into anything else', () => {
    fc.assert(
      fc.property(withMoreBreaching, ({ s, worse }) => {
        if (evaluateAlarm(s.alarm, s.range, s.current) === 'ALARM') {
          expect(evaluateAlarm(s.alarm, worse, s.current)).toBe('ALARM');
        }
      }),
    );
  });

  it('fewer breaching datapoints never turn OK into ALARM', () => {
    fc.assert(
      fc.property(withMoreBreaching, ({ s, worse }) => {
        if (evaluateAlarm(s.alarm, worse, s.current) === 'OK') {
          expect(evaluateAlarm(s.alarm, s.range, s.current)).not.toBe('ALARM');
        }
      }),
    );
  });

  it('with N real datapoints in the range the treatment plays no part: M of the N most recent decide', () => {
    fc.assert(
      fc.property(scenario, ({ alarm: a, range: r, current }) => {
        const real = r.filter((v): v is number => v !== null);
        fc.pre(real.length >= a.evaluationPeriods);
        const breaching = real.slice(-a.evaluationPeriods).filter((v) => v === BREACH).length;
        expect(evaluateAlarm(a, r, current)).toBe(breaching >= a.datapointsToAlarm ? 'ALARM' : 'OK');
      }),
    );
  });

  it('treating missing data as breaching alarms at least as often as any treatment, notBreaching at most as often', () => {
    fc.assert(
      fc.property(scenario, ({ alarm: a, range: r, current }) => {
        const under = (t: TreatMissingData) => evaluateAlarm({ ...a, treatMissingData: t }, r, current);
        if (under('breaching') === 'OK') for (const t of TREATMENTS) expect(under(t)).toBe('OK');
        if (under('notBreaching') === 'ALARM') for (const t of TREATMENTS) expect(under(t)).toBe('ALARM');
      }),
    );
  });

  it('an all-missing range: missing -> INSUFFICIENT_DATA, ignore keeps the state, breaching -> ALARM, notBreaching -> OK', () => {
    fc.assert(
      fc.property(definition, fc.integer({ min: 0, max: 10 }), fc.constantFrom(...STATES), (a, length, current) => {
        const empty = new Array<null>(length).fill(null);
        const expected: Record<TreatMissingData, AlarmState> = {
          missing: 'INSUFFICIENT_DATA',
          ignore: current,
          breaching: 'ALARM',
          notBreaching: 'OK',
        };
        expect(evaluateAlarm(a, empty, current)).toBe(expected[a.treatMissingData]);
      }),
    );
  });

  it('evaluateAlarmOverSeries agrees with evaluateAlarm on the same window of a NaN-marked series', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 0, max: 6 }), ({ alarm: a, range: r, current }, extra) => {
        const series = Float64Array.from([...new Array<number>(extra).fill(BREACH), ...r.map((v) => v ?? NaN)]);
        const end = series.length - 1;
        expect(evaluateAlarmOverSeries(a, series, end, r.length, current)).toBe(evaluateAlarm(a, r, current));
      }),
    );
  });
});
