/**
 * CloudWatch metric-alarm evaluation, as documented in "Configuring how CloudWatch alarms treat
 * missing data" (Amazon CloudWatch User Guide, section "How alarm state is evaluated when data is
 * missing": https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html).
 * The simulator and the sandbox evaluate alarms with this function and nothing else.
 *
 * The documented rules:
 * - CloudWatch retrieves an evaluation range LONGER than N (Evaluation Periods) datapoints.
 * - N or more real datapoints in the range: the N most recent real ones are evaluated; the
 *   missing-data treatment plays no part.
 * - Fewer than N real datapoints: every real datapoint in the range is used, and missing ones are
 *   filled in only as often as needed to reach N, according to the treatment:
 *     breaching     filled as breaching;
 *     notBreaching  filled as within the threshold;
 *     missing       all missing -> INSUFFICIENT_DATA; otherwise the real datapoints decide
 *                   (ALARM when at least M breach, or when every one of them breaches and there
 *                   is none within the threshold: the page's "X - - - -" example);
 *     ignore        all missing -> the current state is kept; otherwise the real datapoints
 *                   decide when they can (M breaching -> ALARM, one within the threshold among
 *                   too few breaching -> OK) and the current state is kept when they cannot.
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
  for (let i = evaluationRange.length - 1; i >= 0 && real < n; i--) {
    const value = evaluationRange[i];
    if (value === null || value === undefined || Number.isNaN(value)) continue;
    real++;
    if (isBreaching(alarm, value)) breaching++;
  }
  return alarmStateFromCounts(alarm, real, breaching, currentState);
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
  for (let i = end; i >= first && real < n; i--) {
    const value = values[i]!;
    if (value !== value) continue; // NaN: missing
    real++;
    if (isBreaching(alarm, value)) breaching++;
  }
  return alarmStateFromCounts(alarm, real, breaching, currentState);
}

/**
 * The documented decision from the N most recent real datapoints of the range (`real` of them,
 * at most N, `breaching` of which breach).
 */
function alarmStateFromCounts(
  alarm: AlarmDefinition,
  real: number,
  breaching: number,
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
      if (real === 0) return 'INSUFFICIENT_DATA';
      return breaching >= m || breaching === real ? 'ALARM' : 'OK';
    case 'ignore':
      if (breaching >= m) return 'ALARM';
      if (real > 0 && breaching < real) return 'OK';
      return currentState;
  }
}
