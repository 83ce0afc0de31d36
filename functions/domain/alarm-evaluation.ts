/**
 * CloudWatch metric-alarm evaluation, as documented in "Configuring how CloudWatch alarms treat
 * missing data" (Amazon CloudWatch User Guide, section "How alarm state is evaluated when data is
 * missing": https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html).
 * The page's two tables of examples are the specification (test/unit/domain/alarm-evaluation.test.ts
 * checks every row). The simulator and the sandbox evaluate alarms with this function and nothing else.
 *
 * The rule:
 * - CloudWatch retrieves an evaluation range LONGER than N (Evaluation Periods) datapoints.
 * - N or more real datapoints in the range: the N most recent real ones are evaluated; the
 *   missing-data treatment plays no part.
 * - Fewer than N real datapoints: the evaluated datapoints are every real one in the range plus
 *   the most recent missing periods, as few as needed to reach N. Those missing periods count as:
 *     breaching     breaching;
 *     notBreaching  within the threshold;
 *     missing       neither. A datapoint within the threshold -> OK. Otherwise (only breaching
 *                   datapoints, fewer than M, or none) the oldest evaluated datapoint decides:
 *                   a real, breaching one -> ALARM ("X - - - -": "the oldest evaluated data point
 *                   is breaching and there aren't any non-breaching data points"), a missing
 *                   one -> INSUFFICIENT_DATA ("- - - - X", "- - - - -");
 *     ignore        as `missing`, except that where `missing` would decide from the position of
 *                   the missing periods (ALARM or INSUFFICIENT_DATA above) the state is kept.
 * - M (Datapoints to Alarm) or more breaching among the N evaluated -> ALARM, else OK.
 */

export type ComparisonOperator =
  'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';

export type TreatMissingData = 'missing' | 'ignore' | 'breaching' | 'notBreaching';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmDefinition {
  /** N: how many datapoints are evaluated. */
  evaluationPeriods: number;
  /** M: how many of the N evaluated datapoints must breach for ALARM. */
  datapointsToAlarm: number;
  threshold: number;
  comparisonOperator: ComparisonOperator;
  treatMissingData: TreatMissingData;
}

/**
 * How many datapoints longer than N the evaluation range is. CloudWatch does not publish the
 * exact length (it "depends on the length of the alarm period and whether it is based on a metric
 * with standard resolution or high resolution"); its documented examples retrieve 5 datapoints
 * for N = 3, which is what the simulator and the sandbox use: N + 2.
 */
export const EXTRA_RANGE_PERIODS = 2;

/** Length of the evaluation range CloudWatch retrieves for an alarm of N evaluation periods. */
export function evaluationRangeLength(evaluationPeriods: number): number {
  return evaluationPeriods + EXTRA_RANGE_PERIODS;
}

/** Whether one datapoint breaches the alarm's threshold. */
export function isBreaching(alarm: AlarmDefinition, value: number): boolean {
  switch (alarm.comparisonOperator) {
    case 'GreaterThanThreshold':
      return value > alarm.threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= alarm.threshold;
    case 'LessThanThreshold':
      return value < alarm.threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= alarm.threshold;
  }
}

/**
 * The state CloudWatch gives the alarm after evaluating `evaluationRange` (oldest first; null =
 * no datapoint in that period). Allocation-free: the simulator calls it millions of times.
 */
export function evaluateAlarm(
  alarm: AlarmDefinition,
  evaluationRange: ReadonlyArray<number | null>,
  currentState: AlarmState,
): AlarmState {
  const n = alarm.evaluationPeriods;
  let real = 0;
  let breaching = 0;
  let oldestReal = evaluationRange.length;
  for (let i = evaluationRange.length - 1; i >= 0 && real < n; i--) {
    const value = evaluationRange[i];
    if (value === null || value === undefined || Number.isNaN(value)) continue;
    real++;
    oldestReal = i;
    if (isBreaching(alarm, value)) breaching++;
  }
  return alarmStateFromCounts(alarm, real, breaching, evaluationRange.length - oldestReal, currentState);
}

/**
 * Same as `evaluateAlarm` over `values[end - rangeLength + 1 .. end]` of a series in which NaN
 * marks a missing datapoint (and indices before 0 are missing): lets the simulator evaluate
 * straight over its typed arrays without copying a window.
 */
export function evaluateAlarmOverSeries(
  alarm: AlarmDefinition,
  values: Float64Array,
  end: number,
  rangeLength: number,
  currentState: AlarmState,
): AlarmState {
  const n = alarm.evaluationPeriods;
  const first = Math.max(0, end - rangeLength + 1);
  let real = 0;
  let breaching = 0;
  let oldestReal = end + 1;
  for (let i = end; i >= first && real < n; i--) {
    const value = values[i]!;
    if (value !== value) continue; // NaN: missing
    real++;
    oldestReal = i;
    if (isBreaching(alarm, value)) breaching++;
  }
  return alarmStateFromCounts(alarm, real, breaching, end + 1 - oldestReal, currentState);
}

/**
 * The documented decision from the N most recent real datapoints of the range (`real` of them,
 * at most N, `breaching` of which breach; the oldest of them is `age` periods old, counting the
 * newest period of the range as 1, and 0 when there is none).
 */
function alarmStateFromCounts(
  alarm: AlarmDefinition,
  real: number,
  breaching: number,
  age: number,
  currentState: AlarmState,
): AlarmState {
  const n = alarm.evaluationPeriods;
  const m = alarm.datapointsToAlarm;
  if (real >= n) return breaching >= m ? 'ALARM' : 'OK';
  const filled = n - real;
  switch (alarm.treatMissingData) {
    case 'breaching':
      return breaching + filled >= m ? 'ALARM' : 'OK';
    case 'notBreaching':
      return breaching >= m ? 'ALARM' : 'OK';
    case 'missing':
      if (breaching >= m) return 'ALARM';
      if (breaching < real) return 'OK';
      // Only breaching datapoints (or none), too few for M: ALARM when the oldest evaluated one is
      // real. It is when the `filled` most recent missing periods all come after the oldest real
      // datapoint, i.e. when that datapoint is at least N periods old.
      return age >= n ? 'ALARM' : 'INSUFFICIENT_DATA';
    case 'ignore':
      if (breaching >= m) return 'ALARM';
      if (breaching < real) return 'OK';
      return currentState;
  }
}
