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

/** A cell of the page's tables, as written there. */
type Cell = 'OK' | 'ALARM' | 'Insufficient data' | 'Retain current state';
/** A row as the page writes it: Data points, # of missing data points, MISSING, IGNORE, BREACHING, NOT BREACHING. */
type Row = [datapoints: string, missingCount: number, missing: Cell, ignore: Cell, breaching: Cell, notBreaching: Cell];

/*
 * Amazon CloudWatch User Guide, "Configuring how CloudWatch alarms treat missing data", section
 * "How alarm state is evaluated when data is missing"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html, formerly
 * AlarmThatSendsEmail.html#alarms-evaluating-missing-data; source: awsdocs/amazon-cloudwatch-user-guide,
 * doc_source/AlarmThatSendsEmail.md). "CloudWatch retrieves the 5 most recent data points when evaluating
 * the alarm." "0 is a non-breaching data point, X is a breaching data point, and - is a missing data point",
 * oldest first.
 */
/** First table: "Datapoints to Alarm and Evaluation Periods are both 3". */
const THREE_OF_THREE: Row[] = [
  ['0 - X - X', 2, 'OK', 'OK', 'OK', 'OK'],
  ['0 - - - -', 4, 'OK', 'OK', 'OK', 'OK'],
  ['- - - - -', 5, 'Insufficient data', 'Retain current state', 'ALARM', 'OK'],
  ['0 X X - X', 1, 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
  ['- - - - X', 4, 'Insufficient data', 'Retain current state', 'ALARM', 'OK'],
  ['X - - - -', 4, 'ALARM', 'Retain current state', 'ALARM', 'OK'],
];
/** Second table: "Datapoints to Alarm is only 2 while Evaluation Periods is 3. This is a 2 out of 3, M out of N alarm." */
const TWO_OF_THREE: Row[] = [
  ['0 - X - X', 2, 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
  ['0 0 X 0 X', 0, 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
  ['0 - X - -', 3, 'OK', 'OK', 'ALARM', 'OK'],
  ['- - - - 0', 4, 'OK', 'OK', 'ALARM', 'OK'],
  ['- - - - X', 4, 'Insufficient data', 'Retain current state', 'ALARM', 'OK'],
];

const TABLES = [
  { table: '3 of 3', m: 3, n: 3, rows: THREE_OF_THREE },
  { table: '2 of 3', m: 2, n: 3, rows: TWO_OF_THREE },
];

/** One case per row per treatment: the row's cell in that treatment's column. */
const DOCUMENTED_CASES = TABLES.flatMap(({ table, m, n, rows }) =>
  rows.flatMap(([datapoints, , ...cells]) =>
    TREATMENTS.map((treatment, column) => ({ table, m, n, datapoints, treatment, cell: cells[column]! })),
  ),
);

function expectedState(cell: Cell, current: AlarmState): AlarmState {
  if (cell === 'Retain current state') return current;
  return cell === 'Insufficient data' ? 'INSUFFICIENT_DATA' : cell;
}

describe('evaluateAlarm: the documented examples', () => {
  it('the fixtures are the tables as written: each row has its "# of missing data points"', () => {
    for (const { rows } of TABLES) {
      for (const [datapoints, missingCount] of rows) {
        expect({ datapoints, missing: datapoints.split(' ').filter((c) => c === '-').length }).toEqual({
          datapoints,
          missing: missingCount,
        });
      }
    }
  });

  it.each(DOCUMENTED_CASES)('$table, "$datapoints", $treatment: $cell', ({ m, n, datapoints, treatment, cell }) => {
    const a = alarm(m, n, treatment);
    const series = Float64Array.from(range(datapoints).map((v) => v ?? NaN));
    for (const current of STATES) {
      expect({
        current,
        evaluateAlarm: evaluateAlarm(a, range(datapoints), current),
        evaluateAlarmOverSeries: evaluateAlarmOverSeries(a, series, series.length - 1, series.length, current),
      }).toEqual({
        current,
        evaluateAlarm: expectedState(cell, current),
        evaluateAlarmOverSeries: expectedState(cell, current),
      });
    }
  });

  it('missing: breaching datapoints alone, too few for M, alarm once the oldest is N periods old', () => {
    // Between them, the rows "X - - - -" (ALARM) and "- - - - X" (INSUFFICIENT_DATA) pin this down.
    const at = (m: number, notation: string, treatment: TreatMissingData = 'missing', current: AlarmState = 'OK') =>
      evaluateAlarm(alarm(m, 3, treatment), range(notation), current);
    expect([at(3, '- - X - -'), at(3, '- - X X -'), at(3, '- X - - -')]).toEqual(['ALARM', 'ALARM', 'ALARM']);
    expect([at(3, '- - - X -'), at(3, '- - - X X'), at(2, '- - - X -')]).toEqual([
      'INSUFFICIENT_DATA',
      'INSUFFICIENT_DATA',
      'INSUFFICIENT_DATA',
    ]);
    // M breaching datapoints alarm wherever they are; one within the threshold settles OK.
    expect([at(2, '- - - X X'), at(3, '- - - 0 X'), at(3, 'X - - - 0')]).toEqual(['ALARM', 'OK', 'OK']);
    // ignore keeps the current state wherever missing decides from the position of the missing periods.
    expect([at(3, '- - X - -', 'ignore', 'OK'), at(3, '- - - X -', 'ignore', 'ALARM')]).toEqual(['OK', 'ALARM']);
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

/**
 * The page's wording for `missing`, spelled out period by period: evaluate every real datapoint (the
 * N most recent when there are N) and the most recent missing periods, as few as needed to reach N
 * (periods before the range are missing too); M breaching -> ALARM; one within the threshold -> OK;
 * otherwise the oldest evaluated datapoint decides: real -> ALARM, missing -> INSUFFICIENT_DATA.
 */
function missingAsWorded(a: AlarmDefinition, r: ReadonlyArray<number | null>): AlarmState {
  const n = a.evaluationPeriods;
  const periods = Array.from({ length: r.length + n }, (_, k) => k - n);
  const real = periods.filter((i) => i >= 0 && r[i] !== null).slice(-n);
  const filled = real.length < n ? periods.filter((i) => i < 0 || r[i] === null).slice(real.length - n) : [];
  const oldestEvaluated = Math.min(...real, ...filled);
  const breaching = real.filter((i) => r[i] === BREACH).length;
  if (breaching >= a.datapointsToAlarm) return 'ALARM';
  if (breaching < real.length) return 'OK';
  return real.includes(oldestEvaluated) ? 'ALARM' : 'INSUFFICIENT_DATA';
}

describe('evaluateAlarm: properties', () => {
  it("missing: agrees with the page's wording spelled out period by period", () => {
    const missingScenario = scenario.map((s) => ({
      ...s,
      alarm: { ...s.alarm, treatMissingData: 'missing' as const },
    }));
    fc.assert(
      fc.property(missingScenario, ({ alarm: a, range: r, current }) => {
        expect(evaluateAlarm(a, r, current)).toBe(missingAsWorded(a, r));
      }),
    );
  });

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
