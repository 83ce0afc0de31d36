/**
 * The demand history the reconciler reads: one GetMetricData request per pass (pages followed),
 * the metrics exactly as the alarms and the workflows name them, missing periods NaN, failed
 * queries unknown, and incremental reads that ask only for what may have changed.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DEMAND_HISTORY_PERIOD_SECONDS,
  demandHistoryQueries,
  demandHistoryReader,
  demandHistoryWindow,
  readDemandHistory,
  REREAD_SECONDS,
} from '../../../functions/adapters/demand-history';
import { DEMAND_ALARM_STATISTIC } from '../../../functions/domain/alarm-policy';
import { DEMAND_DIMENSION, DEMAND_METRIC_NAME, DEMAND_NAMESPACE } from '../../../functions/domain/demand-metric';
import { everyRegionConfig, exampleConfig } from '../../support/config-fixtures';

const STEP_MS = DEMAND_HISTORY_PERIOD_SECONDS * 1000;
const NOW = new Date('2026-11-21T12:07:30Z');
const config = exampleConfig();
const cloudWatch = mockClient(CloudWatchClient);
/** Any client: the mock replaces the class's send. */
const client = new CloudWatchClient({ region: 'us-east-1' });

/** Datapoints CloudWatch holds: metric name + Region -> period start (ms) -> Maximum. */
type Stored = Map<string, Map<number, number>>;
const key = (metric: string, region: string) => `${metric}|${region}`;

/**
 * Answers GetMetricData from `stored` as CloudWatch does: each query's periods with data in
 * [StartTime, EndTime), in time order, split into pages of at most `pageSize` datapoints.
 */
function serve(stored: Stored, options: { pageSize?: number; failing?: string[] } = {}): GetMetricDataCommandInput[] {
  const requests: GetMetricDataCommandInput[] = [];
  cloudWatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
    requests.push(input);
    const from = input.StartTime!.getTime();
    const to = input.EndTime!.getTime();
    const all = input.MetricDataQueries!.flatMap((q) => {
      const metric = q.MetricStat!.Metric!;
      const region = metric.Dimensions!.find((d) => d.Name === 'Region')!.Value!;
      const points = [...(stored.get(key(metric.MetricName!, region)) ?? new Map()).entries()]
        .filter(([at]) => at >= from && at < to)
        .sort(([a], [b]) => a - b);
      return points.map(([at, value]) => ({ id: q.Id!, at, value }));
    });
    const pageSize = options.pageSize ?? Infinity;
    const page = Number(input.NextToken ?? 0);
    const slice = all.slice(page * pageSize, (page + 1) * pageSize);
    const results: MetricDataResult[] = input.MetricDataQueries!.map((q) => {
      if (options.failing?.includes(q.Id!)) {
        return { Id: q.Id, StatusCode: 'Forbidden', Messages: [{ Code: 'Forbidden', Value: 'not allowed' }] };
      }
      const mine = slice.filter((p) => p.id === q.Id);
      return {
        Id: q.Id,
        StatusCode: 'Complete',
        Timestamps: mine.map((p) => new Date(p.at)),
        Values: mine.map((p) => p.value),
      };
    });
    const more = (page + 1) * pageSize < all.length;
    return { MetricDataResults: results, ...(more ? { NextToken: String(page + 1) } : {}) };
  });
  return requests;
}

function store(entries: Array<[metric: string, region: string, at: string, value: number]>): Stored {
  const stored: Stored = new Map();
  for (const [metric, region, at, value] of entries) {
    const periods = stored.get(key(metric, region)) ?? new Map<number, number>();
    periods.set(Math.floor(Date.parse(at) / STEP_MS) * STEP_MS, value);
    stored.set(key(metric, region), periods);
  }
  return stored;
}

/** The value of a series at the period starting at `at`. */
const valueAt = (series: { startMs: number; values: number[] }, at: string) =>
  series.values[(Date.parse(at) - series.startMs) / STEP_MS];

beforeEach(() => {
  cloudWatch.reset();
});
afterEach(() => {
  cloudWatch.reset();
});

describe('the demand history queries', () => {
  it('read ActiveUsers as the alarms do, and both lead times as the workflows publish them, for every elastic region', () => {
    const queries = demandHistoryQueries(config);
    expect(queries).toHaveLength(3 * config.regions.elastic.length);
    expect(queries.slice(0, 3)).toEqual([
      {
        Id: 'users0',
        MetricStat: {
          Metric: {
            Namespace: DEMAND_NAMESPACE,
            MetricName: DEMAND_METRIC_NAME,
            Dimensions: [{ Name: DEMAND_DIMENSION, Value: 'ap-southeast-1' }],
          },
          Period: 300,
          Stat: DEMAND_ALARM_STATISTIC,
        },
        ReturnData: true,
      },
      {
        Id: 'coldleadtimes0',
        MetricStat: {
          Metric: {
            Namespace: 'EdgeAutoscaler',
            MetricName: 'ScaleUpLeadTimeSeconds',
            Dimensions: [
              { Name: 'service', Value: 'edge-autoscaler' },
              { Name: 'Region', Value: 'ap-southeast-1' },
            ],
          },
          Period: 300,
          Stat: 'Maximum',
        },
        ReturnData: true,
      },
      expect.objectContaining({
        Id: 'warmleadtimes0',
        MetricStat: expect.objectContaining({
          Metric: expect.objectContaining({ MetricName: 'WarmScaleUpLeadTimeSeconds' }),
        }),
      }),
    ]);
    // CloudWatch takes at most 500 queries per request: every AWS region elastic still fits.
    expect(demandHistoryQueries(everyRegionConfig()).length).toBeLessThanOrEqual(500);
  });

  it('cover forecast.historyDays on period boundaries, up to the end of the current period', () => {
    expect(demandHistoryWindow(config, NOW)).toEqual({
      from: new Date('2026-11-07T12:05:00Z'),
      to: new Date('2026-11-21T12:10:00Z'),
    });
    const short = exampleConfig((raw) => void (raw.forecast = { historyDays: 3 }));
    expect(demandHistoryWindow(short, new Date('2026-11-21T12:10:00Z')).from).toEqual(new Date('2026-11-18T12:10:00Z'));
  });
});

describe('reading the demand history', () => {
  it('is one request whose pages are followed, each period with its Maximum and NaN where there is none', async () => {
    const requests = serve(
      store([
        ['ActiveUsers', 'ap-southeast-1', '2026-11-20T12:00:00Z', 420],
        ['ActiveUsers', 'ap-southeast-1', '2026-11-21T12:05:00Z', 610],
        ['ActiveUsers', 'sa-east-1', '2026-11-21T11:00:00Z', 0],
        ['ScaleUpLeadTimeSeconds', 'sa-east-1', '2026-11-19T03:00:00Z', 930],
        ['WarmScaleUpLeadTimeSeconds', 'sa-east-1', '2026-11-19T09:00:00Z', 205],
        ['ActiveUsers', 'us-east-1', '2026-11-21T12:00:00Z', 5000], // always-on: not read
      ]),
      { pageSize: 2 },
    );
    const history = await readDemandHistory(client, config, NOW);

    // Three pages of one request: the same queries and window, NextToken followed.
    expect(requests).toHaveLength(3);
    expect(requests.map((r) => r.NextToken)).toEqual([undefined, '1', '2']);
    expect(new Set(requests.map((r) => JSON.stringify({ ...r, NextToken: undefined }))).size).toBe(1);
    expect(requests[0]).toMatchObject({ ScanBy: 'TimestampAscending', StartTime: history.from, EndTime: history.to });

    expect([...history.regions.keys()]).toEqual(config.regions.elastic);
    const singapore = history.regions.get('ap-southeast-1')!;
    expect(singapore.users.values).toHaveLength((14 * 86_400_000 + 5 * 60_000) / STEP_MS);
    expect(valueAt(singapore.users, '2026-11-20T12:00:00Z')).toBe(420);
    expect(valueAt(singapore.users, '2026-11-21T12:05:00Z')).toBe(610);
    expect(valueAt(singapore.users, '2026-11-21T12:00:00Z')).toBeNaN();
    expect(singapore.users.values.filter(Number.isFinite)).toEqual([420, 610]);
    // A real 0 is kept as 0; a missing period is NaN.
    const saoPaulo = history.regions.get('sa-east-1')!;
    expect(valueAt(saoPaulo.users, '2026-11-21T11:00:00Z')).toBe(0);
    expect(valueAt(saoPaulo.users, '2026-11-21T11:05:00Z')).toBeNaN();
    expect(saoPaulo.coldLeadTimes.values.filter(Number.isFinite)).toEqual([930]);
    expect(saoPaulo.warmLeadTimes.values.filter(Number.isFinite)).toEqual([205]);
    expect(history.regions.get('ap-south-1')!.users.values.every(Number.isNaN)).toBe(true);
    expect(history.incomplete).toEqual([]);
  });

  it('leaves a query CloudWatch refused unknown (NaN), and says which', async () => {
    serve(store([['ActiveUsers', 'ap-northeast-1', '2026-11-21T12:00:00Z', 300]]), { failing: ['users1'] });
    const history = await readDemandHistory(client, config, NOW);
    expect(history.regions.get('ap-northeast-1')!.users.values.every(Number.isNaN)).toBe(true);
    expect(history.incomplete).toEqual(['ActiveUsers of ap-northeast-1: Forbidden: not allowed']);
  });

  it('makes no request without elastic regions', async () => {
    const requests = serve(new Map());
    const none = exampleConfig((raw) => {
      raw.regions.elastic = [];
      raw.scaling.regionOverrides = {};
    });
    const history = await readDemandHistory(client, none, NOW);
    expect(requests).toEqual([]);
    expect(history.regions.size).toBe(0);
  });
});

describe('the reconciler’s reader', () => {
  it('after its first read, asks only for the last hour and the new periods, and keeps the older ones', async () => {
    const stored = store([
      ['ActiveUsers', 'ap-southeast-1', '2026-11-20T12:00:00Z', 420],
      ['ActiveUsers', 'ap-southeast-1', '2026-11-21T12:05:00Z', 610],
    ]);
    const requests = serve(stored);
    const read = demandHistoryReader(client, config);
    const first = await read(NOW);

    // Five minutes later: a late datapoint for 11:40 and a new one at 12:10.
    stored.get(key('ActiveUsers', 'ap-southeast-1'))!.set(Date.parse('2026-11-21T11:40:00Z'), 580);
    stored.get(key('ActiveUsers', 'ap-southeast-1'))!.set(Date.parse('2026-11-21T12:10:00Z'), 650);
    const later = new Date(NOW.getTime() + 5 * 60_000);
    const second = await read(later);

    expect(requests).toHaveLength(2);
    expect(requests[1]!.StartTime).toEqual(new Date(first.to.getTime() - REREAD_SECONDS * 1000));
    expect(requests[1]!.EndTime).toEqual(second.to);
    const users = second.regions.get('ap-southeast-1')!.users;
    expect(users.startMs).toBe(Date.parse('2026-11-07T12:10:00Z'));
    expect(valueAt(users, '2026-11-20T12:00:00Z')).toBe(420); // kept from the first read
    expect(valueAt(users, '2026-11-21T11:40:00Z')).toBe(580); // re-read: late datapoint
    expect(valueAt(users, '2026-11-21T12:10:00Z')).toBe(650);
    expect(users.values.filter(Number.isFinite)).toEqual([420, 580, 610, 650]);
    // The same as a read of the whole window.
    const whole = await readDemandHistory(client, config, later);
    expect(second.regions).toEqual(whole.regions);
  });

  it('reads the whole window again after an incomplete read or a gap longer than the window, else from before the gap', async () => {
    const stored = store([['ActiveUsers', 'sa-east-1', '2026-11-20T12:00:00Z', 120]]);
    const requests = serve(stored, { failing: ['users2'] });
    const read = demandHistoryReader(client, config);
    await read(NOW);
    cloudWatch.reset();
    const retried = serve(stored);
    const after = await read(new Date(NOW.getTime() + 5 * 60_000));
    expect(requests).toHaveLength(1);
    expect(retried[0]!.StartTime).toEqual(after.from);
    expect(valueAt(after.regions.get('sa-east-1')!.users, '2026-11-20T12:00:00Z')).toBe(120);

    // Two hours without a pass: the request starts an hour before the last one ended.
    await read(new Date(NOW.getTime() + 2 * 3_600_000));
    expect(retried[1]!.StartTime).toEqual(new Date(after.to.getTime() - REREAD_SECONDS * 1000));
    // Fifteen days without one: nothing of the last read is in the window any more.
    const muchLater = await read(new Date(NOW.getTime() + 15 * 86_400_000));
    expect(retried[2]!.StartTime).toEqual(muchLater.from);
    expect(muchLater.regions.get('sa-east-1')!.users.values.every(Number.isNaN)).toBe(true);
  });
});
