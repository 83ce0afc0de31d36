/**
 * The package entry (`exports["."]`): what other code may import from the autoscaler.
 *
 *   import { evaluateAlarm, parseTrace, simulate } from 'regional-edge-autoscaler';
 */
export {
  evaluateAlarm,
  evaluationRangeLength,
  type AlarmDefinition,
  type AlarmState,
  type ComparisonOperator,
  type TreatMissingData,
} from '../functions/domain/alarm-evaluation';
export {
  simulate,
  type Interval,
  type Pause,
  type RegionResult,
  type SimulationAction,
  type SimulationEvent,
  type SimulationOptions,
  type SimulationReport,
  type SimulationRun,
  type Totals,
} from '../simulator/simulate';
export { parseTrace, TraceError, type DemandTrace, type TraceProblem } from '../simulator/trace';
export { formatSummary, renderHtmlReport } from '../simulator/report';
