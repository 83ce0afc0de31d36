/**
 * The emulated cloud's long GetMetricData reads (sandbox/metric-reads.ts): read through the proxy
 * as sub-window reads of moto, answered as moto answers the whole window at once. Every read is
 * made twice, through the proxy and straight to moto, and the answers compared.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  PutMetricDataCommand,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  type MetricDataQuery,
  type MetricDatum,
} from '@aws-sdk/client-cloudwatch';
import { startAwsFaultProxy, type AwsFaultProxy } from '../../../sandbox/aws-proxy';
import { serveLongMetricReads, type MetricReadCounts } from '../../../sandbox/metric-reads';
import { describeWithMoto, motoEndpoint } from '../../support/moto';

/** A region no other suite reads metrics in (moto's GetMetricData scans every datapoint of the region). */
const REGION = 'me-south-1';
const id = `mr${Date.now().toString(36)}`;
const NAMESPACE = `metric-reads-${id}`;
const START = Date.parse('2026-02-01T00:00:00Z');
const HOUR = 3_600_000;
const HOURS = 30;
const edge = [{ Name: 'Edge', Value: id }];
const edgeTier = [...edge, { Name: 'Tier', Value: 'origin' }];

/** 30 hours: Requests every 150 s, Latency every 5 min, Errors every 10 min, off the minute. */
function published(): MetricDatum[] {
  const series = (name: string, dimensions: typeof edge, everySeconds: number, value: (i: number) => number) =>
    Array.from({ length: (HOURS * 3600) / everySeconds }, (_, i) => ({
      MetricName: name,
      Dimensions: dimensions,
      Timestamp: new Date(START + i * everySeconds * 1000 + 7_000),
      Value: value(i),
    }));
  return [
    ...series('Requests', edge, 150, (i) => (i * 37) % 101),
    ...series('Latency', edgeTier, 300, (i) => 20 + ((i * 13) % 17) / 4),
    ...series('Errors', edge, 600, (i) => i % 3),
  ];
}

const stat = (Id: string, MetricName: string, dimensions: typeof edge, Period: number, Stat: string) =>
  ({
    Id,
    MetricStat: { Metric: { Namespace: NAMESPACE, MetricName, Dimensions: dimensions }, Period, Stat },
  }) satisfies MetricDataQuery;

/** Periods 60 and 300: the sub-windows are one hour. */
const QUERIES: MetricDataQuery[] = [
  stat('requestsMax', 'Requests', edge, 60, 'Maximum'),
  stat('requestsSum', 'Requests', edge, 300, 'Sum'),
  { ...stat('latencyAvg', 'Latency', edgeTier, 300, 'Average'), Label: 'origin latency' },
  stat('errorsSum', 'Errors', edge, 60, 'Sum'),
  { ...stat('hidden', 'Errors', edge, 300, 'Maximum'), ReturnData: false },
];

describeWithMoto('long GetMetricData reads through the proxy, as sub-window reads of moto', () => {
  let proxy: AwsFaultProxy;
  let counts: MetricReadCounts;
  const client = (endpoint: string) =>
    new CloudWatchClient({
      region: REGION,
      endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
      // moto cannot read a compressed PutMetricData body.
      disableRequestCompression: true,
    });
  let viaProxy: CloudWatchClient;
  let direct: CloudWatchClient;

  /** What a read answers, through the proxy and from moto, with the sub-window reads it took. */
  async function readBoth(input: GetMetricDataCommandInput) {
    const before = { ...counts };
    const answer = ({ MetricDataResults, Messages, NextToken }: GetMetricDataCommandOutput) => ({
      MetricDataResults,
      Messages,
      NextToken,
    });
    const proxied = answer(await viaProxy.send(new GetMetricDataCommand(input)));
    const splitReads = counts.splitReads - before.splitReads;
    const subWindowReads = counts.subWindowReads - before.subWindowReads;
    const fromMoto = answer(await direct.send(new GetMetricDataCommand(input)));
    return { proxied, fromMoto, splitReads, subWindowReads };
  }

  beforeAll(async () => {
    proxy = await startAwsFaultProxy(motoEndpoint());
    counts = serveLongMetricReads(proxy, motoEndpoint()).counts;
    viaProxy = client(proxy.endpoint);
    direct = client(motoEndpoint());
    const data = published();
    for (let i = 0; i < data.length; i += 20)
      await direct.send(new PutMetricDataCommand({ Namespace: NAMESPACE, MetricData: data.slice(i, i + 20) }));
  });
  afterAll(async () => {
    viaProxy.destroy();
    direct.destroy();
    await proxy.close();
  });

  it.each([
    ['TimestampDescending (the default)', undefined],
    ['TimestampAscending', 'TimestampAscending' as const],
  ])('answers a 30-hour read as moto does, %s, from 30 one-hour reads of moto', async (_, scanBy) => {
    const read = await readBoth({
      StartTime: new Date(START),
      EndTime: new Date(START + HOURS * HOUR),
      MetricDataQueries: QUERIES,
      ScanBy: scanBy,
    });
    expect(read.proxied).toEqual(read.fromMoto);
    expect({ splitReads: read.splitReads, subWindowReads: read.subWindowReads }).toEqual({
      splitReads: 1,
      subWindowReads: 30,
    });
    const results = read.proxied.MetricDataResults ?? [];
    expect(results.map((r) => [r.Id, r.Label, r.Timestamps?.length])).toEqual([
      ['requestsMax', 'Requests Maximum', HOURS * 24],
      ['requestsSum', 'Requests Sum', HOURS * 12],
      ['latencyAvg', 'origin latency', HOURS * 12],
      ['errorsSum', 'Errors Sum', HOURS * 6],
    ]);
    const times = (results[0]?.Timestamps ?? []).map((t) => t.getTime());
    const ordered = [...times].sort((a, b) => (scanBy === 'TimestampAscending' ? a - b : b - a));
    expect(times).toEqual(ordered);
  });

  it('splits a window off the periods of the data, with a period that does not divide an hour, on multiples of every period', async () => {
    // Periods 60, 300 and 420: sub-windows of 4,200 s (twice their least common multiple) from
    // StartTime; a one-hour split would cut 420 s periods in two. The last period is cut by EndTime.
    const read = await readBoth({
      StartTime: new Date(START + 433_000),
      EndTime: new Date(START + HOURS * HOUR - 17_000),
      MetricDataQueries: [...QUERIES, stat('requests7m', 'Requests', edge, 420, 'Average')],
      ScanBy: 'TimestampAscending',
    });
    expect(read.proxied).toEqual(read.fromMoto);
    expect(read.subWindowReads).toBe(Math.ceil((HOURS * 3600 - 450) / 4200));
  });

  it('passes a read of three hours or less to moto as it is', async () => {
    const read = await readBoth({
      StartTime: new Date(START + 5 * HOUR),
      EndTime: new Date(START + 8 * HOUR),
      MetricDataQueries: QUERIES,
    });
    expect(read.proxied).toEqual(read.fromMoto);
    expect([read.splitReads, read.subWindowReads]).toEqual([0, 0]);
    expect(read.proxied.MetricDataResults?.[0]?.Timestamps).toHaveLength(3 * 24);
  });

  it('answers a long window without data, and a query without data, as moto does', async () => {
    const before = await readBoth({
      StartTime: new Date(START - 2 * 24 * HOUR),
      EndTime: new Date(START),
      MetricDataQueries: QUERIES,
    });
    expect(before.proxied).toEqual(before.fromMoto);
    // 48 empty hours, newest first, each empty answer doubling the next read: 1 + 2 + 4 + 8 + 16 + 17.
    expect(before.subWindowReads).toBe(6);
    expect(before.proxied.MetricDataResults).toHaveLength(4);
    for (const result of before.proxied.MetricDataResults ?? [])
      expect(result).toMatchObject({ Timestamps: [], Values: [], StatusCode: 'Complete' });

    // The 30 hours of data hour by hour, then the empty 2 days before them in 6 reads.
    const history = await readBoth({
      StartTime: new Date(START - 2 * 24 * HOUR),
      EndTime: new Date(START + HOURS * HOUR),
      MetricDataQueries: QUERIES,
      ScanBy: 'TimestampAscending',
    });
    expect(history.proxied).toEqual(history.fromMoto);
    expect(history.subWindowReads).toBe(HOURS + 6);
    expect(history.proxied.MetricDataResults?.[0]?.Timestamps).toHaveLength(HOURS * 24);

    const unknown = await readBoth({
      StartTime: new Date(START),
      EndTime: new Date(START + HOURS * HOUR),
      MetricDataQueries: [stat('unknown', 'NeverPublished', edge, 300, 'Maximum'), QUERIES[1]!],
    });
    expect(unknown.proxied).toEqual(unknown.fromMoto);
    expect(unknown.splitReads).toBe(1);
    expect(unknown.proxied.MetricDataResults?.[0]).toMatchObject({
      Id: 'unknown',
      Timestamps: [],
      Values: [],
      StatusCode: 'Complete',
    });
  });

  it("refuses an empty window with moto's error", async () => {
    const empty = { StartTime: new Date(START), EndTime: new Date(START), MetricDataQueries: QUERIES };
    const failure = (client: CloudWatchClient) =>
      client.send(new GetMetricDataCommand(empty)).then(
        () => 'answered',
        (error: Error & { $metadata?: { httpStatusCode?: number } }) => ({
          name: error.name,
          message: error.message,
          status: error.$metadata?.httpStatusCode,
        }),
      );
    const proxied = await failure(viaProxy);
    expect(proxied).toEqual(await failure(direct));
    expect(proxied).toMatchObject({ name: 'ValidationException', status: 400 });
  });

  it('passes a long read with an expression (which may combine periods) to moto as it is', async () => {
    const read = await readBoth({
      StartTime: new Date(START),
      EndTime: new Date(START + 4 * HOUR),
      MetricDataQueries: [QUERIES[1]!, { Id: 'copy', Expression: 'requestsSum' }],
    });
    expect(read.proxied).toEqual(read.fromMoto);
    expect([read.splitReads, read.subWindowReads]).toEqual([0, 0]);
  });
});
