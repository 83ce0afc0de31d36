/**
 * The demand alarms of an elastic region as the deployment defines them: comparison, missing-data
 * treatment, thresholds and M of N from the configuration. The infrastructure creates the alarms
 * from these values and the simulator and the sandbox evaluate them with the same values, so a
 * what-if run behaves like the deployment.
 */
import type { AlarmDefinition, ComparisonOperator, TreatMissingData } from './alarm-evaluation';
import { thresholdsFor, type AutoscalerConfig } from './config';

/**
 * Scale-up alarm: missing data is `missing`. A silent publisher (every datapoint of the range
 * missing) leaves the alarm in INSUFFICIENT_DATA and never brings a region up.
 */
export const SCALE_UP_MISSING_DATA: TreatMissingData = 'missing';

/**
 * Scale-down alarm: missing data is `notBreaching`, i.e. "not below the threshold". A broken
 * publisher is not "zero users", so missing data never tears a region down.
 */
export const SCALE_DOWN_MISSING_DATA: TreatMissingData = 'notBreaching';

/** Scale up when demand is above the scale-up threshold. */
export const SCALE_UP_COMPARISON: ComparisonOperator = 'GreaterThanThreshold';

/** Scale down when demand is below the scale-down threshold. */
export const SCALE_DOWN_COMPARISON: ComparisonOperator = 'LessThanThreshold';

/**
 * Statistic the alarms apply to the demand metric within one period. The contract is one
 * datapoint per region per period; Maximum keeps a publisher that retries, or reports more often
 * than the period, from inflating demand (Sum would add duplicates up), and makes a scale-down
 * need every sample of the period to be low.
 */
export const DEMAND_ALARM_STATISTIC = 'Maximum';

export interface DemandAlarms {
  periodSeconds: number;
  scaleUp: AlarmDefinition;
  scaleDown: AlarmDefinition;
}

/** The scale-up and scale-down alarms of one elastic region (its threshold override applied). */
export function demandAlarmsFor(config: AutoscalerConfig, region: string): DemandAlarms {
  const t = thresholdsFor(config, region);
  return {
    periodSeconds: t.periodSeconds,
    scaleUp: {
      threshold: t.scaleUp.users,
      datapointsToAlarm: t.scaleUp.datapointsToAlarm,
      evaluationPeriods: t.scaleUp.evaluationPeriods,
      comparisonOperator: SCALE_UP_COMPARISON,
      treatMissingData: SCALE_UP_MISSING_DATA,
    },
    scaleDown: {
      threshold: t.scaleDown.users,
      datapointsToAlarm: t.scaleDown.datapointsToAlarm,
      evaluationPeriods: t.scaleDown.evaluationPeriods,
      comparisonOperator: SCALE_DOWN_COMPARISON,
      treatMissingData: SCALE_DOWN_MISSING_DATA,
    },
  };
}
