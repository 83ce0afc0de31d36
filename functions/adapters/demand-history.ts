/**
 * What the reconciler's forecast reads from CloudWatch, in ONE GetMetricData request per pass
 * (its NextToken pages aside), for every elastic region:
 *
 *   users  ActiveUsers {Region}, Maximum per 300 s, over the last forecast.historyDays: the metric,
 *          dimension and statistic the scaling alarms read (demand-metric.ts, alarm-policy.ts)
 *   cold   ScaleUpLeadTimeSeconds {service, Region}, Maximum per 300 s, same window
 *   warm   WarmScaleUpLeadTimeSeconds {service, Region}, Maximum per 300 s, same window
 *
 * Why 300 s: the forecast bins demand into 5-minute Maximums anyway (demand-forecast.ts BIN_SECONDS),
 * so CloudWatch's own 300 s Maximum is what it would compute from 1-minute datapoints, at a fifth of
 * the datapoints: 14 days are 4,032 per region, and one page of GetMetricData (100,800 datapoints)
 * holds the history of 25 regions. CloudWatch keeps 60 s periods 15 days and 300 s ones 63 days: the
 * whole window stays readable.
 *
 * Why the lead times come as Maximum per 300 s and not as CloudWatch's p90 over the window: a region
 * finishes at most one scale-up in 5 minutes (a scale-up takes minutes, and the cooldown separates
 * two), so each period with data holds one measurement, which its Maximum is; the p90 over them is
 * taken from the samples (forecast-actions.ts), which also tells how many there are. (moto, the
 * emulator the tests run against, has no extended statistics such as p90 either.)
 *
 * Incremental reads: `demandHistoryReader` keeps the history of its last read (a warm Lambda keeps
 * it between passes) and asks only for the periods since, re-reading the last REREAD_SECONDS, which
 * late datapoints may still change; it is still one request per pass. A cold start, a read that
 * could not be answered in full, or a gap longer than the window reads the whole window again.
 *
 * Missing data stays missing: a period CloudWatch has no datapoint for is NaN, never 0; a query
 * CloudWatch could not answer (Forbidden, InternalError) leaves its series NaN and is named in
 * `incomplete`, so the forecast of that region knows nothing rather than something wrong.
 */
import {
  GetMetricDataCommand,
  type CloudWatchClient,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { DEMAND_ALARM_STATISTIC } from '../domain/alarm-policy';
import type { AutoscalerConfig } from '../domain/config';
import { DEMAND_DIMENSION, DEMAND_METRIC_NAME, DEMAND_NAMESPACE } from '../domain/demand-metric';
import type { MetricSeries, RegionDemandHistory } from '../domain/forecast-actions';
import {
  AUTOSCALER_NAMESPACE,
  REGION_DIMENSION,
  SCALE_UP_LEAD_TIME_METRIC,
  SERVICE_DIMENSION,
  SERVICE_NAME,
  WARM_SCALE_UP_LEAD_TIME_METRIC,
} from '../domain/metric-names';

/** The period of every query, in seconds (see above). */
export const DEMAND_HISTORY_PERIOD_SECONDS = 300;
const STEP_MS = DEMAND_HISTORY_PERIOD_SECONDS * 1000;

/** An incremental read asks again for the last hour: datapoints published late still land there. */
export const REREAD_SECONDS = 3600;

export interface DemandHistory {
  /** The window: [from, to), on period boundaries. */
  from: Date;
  to: Date;
  /** Every elastic region of the configuration (its series all NaN when CloudWatch has nothing). */
  regions: Map<string, RegionDemandHistory>;
  /** Queries CloudWatch did not answer in full, with its status and message (for the log). */
  incomplete: string[];
}

const SERIES = ['users', 'coldLeadTimes', 'warmLeadTimes'] as const;
type SeriesKind = (typeof SERIES)[number];
const METRIC_OF: Record<SeriesKind, string> = {
  users: DEMAND_METRIC_NAME,
  coldLeadTimes: SCALE_UP_LEAD_TIME_METRIC,
  warmLeadTimes: WARM_SCALE_UP_LEAD_TIME_METRIC,
};

/**
 * The window of a read at `now`: historyDays back, on period boundaries (CloudWatch answers
 * aligned queries fastest), to the end of the period `now` is in, so that the newest datapoint counts.
 */
export function demandHistoryWindow(config: AutoscalerConfig, now: Date): { from: Date; to: Date } {
  const to = Math.ceil((now.getTime() + 1) / STEP_MS) * STEP_MS;
  const from = Math.floor((now.getTime() - config.forecast.historyDays * 86_400_000) / STEP_MS) * STEP_MS;
  return { from: new Date(from), to: new Date(to) };
}

/** The queries of the one request: three per elastic region (CloudWatch takes up to 500 per request). */
export function demandHistoryQueries(config: AutoscalerConfig): MetricDataQuery[] {
  return config.regions.elastic.flatMap((region, i) =>
    SERIES.map((kind): MetricDataQuery => {
      const dimensions =
        kind === 'users'
          ? [{ Name: DEMAND_DIMENSION, Value: region }]
          : [
              { Name: SERVICE_DIMENSION, Value: SERVICE_NAME },
              { Name: REGION_DIMENSION, Value: region },
            ];
      return {
        Id: queryId(kind, i),
        MetricStat: {
          Metric: {
            Namespace: kind === 'users' ? DEMAND_NAMESPACE : AUTOSCALER_NAMESPACE,
            MetricName: METRIC_OF[kind],
            Dimensions: dimensions,
          },
          Period: DEMAND_HISTORY_PERIOD_SECONDS,
          Stat: kind === 'users' ? DEMAND_ALARM_STATISTIC : 'Maximum',
        },
        ReturnData: true,
      };
    }),
  );
}

/**
 * Reads the demand history of every elastic region at `now`: one GetMetricData request (its pages
 * followed). With `previous` (the last read of the same configuration), only the periods from
 * REREAD_SECONDS before its end are asked for, the older ones are taken from it.
 */
export async function readDemandHistory(
  cloudWatch: CloudWatchClient,
  config: AutoscalerConfig,
  now: Date,
  previous?: DemandHistory,
): Promise<DemandHistory> {
  const { from, to } = demandHistoryWindow(config, now);
  const reusable = previous && reusableFrom(previous, from, to);
  const askFrom = reusable ? new Date(reusable) : from;
  const answers = await getMetricData(cloudWatch, demandHistoryQueries(config), askFrom, to);

  const length = (to.getTime() - from.getTime()) / STEP_MS;
  const regions = new Map<string, RegionDemandHistory>();
  config.regions.elastic.forEach((region, i) => {
    const series = (kind: SeriesKind): MetricSeries => {
      const values = new Array<number>(length).fill(NaN);
      const kept = reusable ? previous!.regions.get(region)?.[kind] : undefined;
      if (kept) copyBefore(kept, values, from.getTime(), askFrom.getTime());
      const answer = answers.get(queryId(kind, i));
      answer?.timestamps.forEach((at, k) => {
        const index = Math.floor((at.getTime() - from.getTime()) / STEP_MS);
        const value = answer.values[k]!;
        if (index >= 0 && index < length && Number.isFinite(value)) values[index] = value;
      });
      return { startMs: from.getTime(), stepSeconds: DEMAND_HISTORY_PERIOD_SECONDS, values };
    };
    regions.set(region, {
      users: series('users'),
      coldLeadTimes: series('coldLeadTimes'),
      warmLeadTimes: series('warmLeadTimes'),
    });
  });
  const incomplete = [...answers.entries()]
    .filter(([, answer]) => answer.failure)
    .map(([id, answer]) => `${describeQuery(config, id)}: ${answer.failure}`);
  return { from, to, regions, incomplete };
}

/**
 * A reader for the reconciler: each call reads at its `now`, incrementally after the first
 * (readDemandHistory's `previous`). One reader per configuration (a Lambda container has one).
 */
export function demandHistoryReader(
  cloudWatch: CloudWatchClient,
  config: AutoscalerConfig,
): (now: Date) => Promise<DemandHistory> {
  let last: DemandHistory | undefined;
  return async (now) => {
    last = await readDemandHistory(cloudWatch, config, now, last);
    return last;
  };
}

/** Where an incremental read may start, or undefined when the whole window must be read. */
function reusableFrom(previous: DemandHistory, from: Date, to: Date): number | undefined {
  if (previous.incomplete.length > 0) return undefined;
  const askFrom = previous.to.getTime() - REREAD_SECONDS * 1000;
  const covered = previous.from.getTime() <= from.getTime() && askFrom > from.getTime();
  return covered && previous.to.getTime() <= to.getTime() ? askFrom : undefined;
}

function copyBefore(kept: MetricSeries, into: number[], fromMs: number, untilMs: number): void {
  const offset = (fromMs - kept.startMs) / STEP_MS;
  const count = (untilMs - fromMs) / STEP_MS;
  for (let i = 0; i < count; i++) into[i] = kept.values[offset + i] ?? NaN;
}

interface Answer {
  timestamps: Date[];
  values: number[];
  failure?: string;
}

async function getMetricData(
  cloudWatch: CloudWatchClient,
  queries: MetricDataQuery[],
  from: Date,
  to: Date,
): Promise<Map<string, Answer>> {
  const answers = new Map<string, Answer>();
  if (queries.length === 0) return answers;
  let nextToken: string | undefined;
  do {
    const page = await cloudWatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: from,
        EndTime: to,
        ScanBy: 'TimestampAscending',
        NextToken: nextToken,
      }),
    );
    for (const result of page.MetricDataResults ?? []) collect(answers, result);
    nextToken = page.NextToken;
  } while (nextToken);
  return answers;
}

/** Pages of one query are appended; a query that failed keeps no datapoint (unknown, rather than a part). */
function collect(answers: Map<string, Answer>, result: MetricDataResult): void {
  if (!result.Id) return;
  const answer = answers.get(result.Id) ?? { timestamps: [], values: [] };
  answers.set(result.Id, answer);
  if (result.StatusCode === 'Forbidden' || result.StatusCode === 'InternalError') {
    const message = (result.Messages ?? []).map((m) => m.Value ?? m.Code).join('; ');
    answer.failure = message ? `${result.StatusCode}: ${message}` : result.StatusCode;
  }
  if (answer.failure) {
    answer.timestamps.length = 0;
    answer.values.length = 0;
    return;
  }
  const timestamps = result.Timestamps ?? [];
  const values = result.Values ?? [];
  for (let k = 0; k < Math.min(timestamps.length, values.length); k++) {
    answer.timestamps.push(timestamps[k]!);
    answer.values.push(values[k]!);
  }
}

function queryId(kind: SeriesKind, regionIndex: number): string {
  return `${kind.toLowerCase()}${regionIndex}`;
}

function describeQuery(config: AutoscalerConfig, id: string): string {
  const kind = SERIES.find((k) => id.startsWith(k.toLowerCase()));
  const region = config.regions.elastic[Number(id.replace(/^[a-z]+/, ''))] ?? '?';
  return `${kind ? METRIC_OF[kind] : id} of ${region}`;
}
