/**
 * Long CloudWatch GetMetricData reads for the emulated cloud, sent to moto as hour-long reads.
 *
 * moto 5.2.1's GetMetricData is quadratic: for every query and every period of the window it scans
 * every datapoint of the window (of every metric in the region), so a read costs periods x
 * datapoints. The reconciler's first read of a fresh Lambda instance (after a deploy: --rollout-at)
 * covers the forecast's whole window, 14 days of 300 s periods, which over a sandbox day of data
 * took moto 13 minutes. Read as consecutive one-hour windows, each scans only its own periods and
 * datapoints: the cost grows linearly with the window.
 *
 * A read longer than `longerThanSeconds` of metric queries only is served: its queries are sent to
 * moto for consecutive sub-windows whose boundaries lie on multiples of every query's Period from
 * StartTime (no period is split, each keeps its timestamp), and moto's answers are joined per query
 * Id in the order ScanBy asks for (TimestampDescending when absent, as CloudWatch). moto computes
 * every value; the join only concatenates. Shorter reads, and reads with an expression (metric math
 * or Metrics Insights, which may combine periods across the window), go to moto untouched.
 *
 * The sub-windows are read from the newest back, and each one that comes back without a datapoint
 * doubles the next one's length: every sub-read also costs moto a scan of all the region's data, and
 * the window before a sandbox's first simulated day is empty (a few reads instead of hundreds).
 */
import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  type MessageData,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { AwsServiceFault, type AwsFaultProxy, type RemoveRule, type ServedRequest } from './aws-proxy';

export interface MetricReadOptions {
  /** Reads of a longer window are split (default 3 hours). */
  longerThanSeconds?: number;
  /** The sub-windows' length, rounded up to a multiple of every query's Period (default 1 hour). */
  subWindowSeconds?: number;
}

/** What the emulation did: how many reads it split, into how many sub-window reads of moto. */
export interface MetricReadCounts {
  splitReads: number;
  subWindowReads: number;
}

const DEFAULTS: Required<MetricReadOptions> = { longerThanSeconds: 3 * 3600, subWindowSeconds: 3600 };

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const lcm = (a: number, b: number) => (a / gcd(a, b)) * b;
const isPositiveInteger = (value: unknown): value is number => Number.isInteger(value) && (value as number) > 0;

/** The sub-window length of the read `body`, or undefined when it is not split (see the header). */
function subWindowSeconds(body: Record<string, unknown>, options: Required<MetricReadOptions>): number | undefined {
  const { StartTime: start, EndTime: end, MetricDataQueries: queries } = body;
  if (typeof start !== 'number' || typeof end !== 'number' || end - start <= options.longerThanSeconds) return;
  if (!Array.isArray(queries) || queries.length === 0) return;
  const periods = (queries as MetricDataQuery[]).map((q) => (q.Expression === undefined ? q.MetricStat?.Period : 0));
  if (!periods.every(isPositiveInteger)) return;
  const step = periods.reduce(lcm, 1);
  const length = step * Math.ceil(options.subWindowSeconds / step);
  return length < end - start ? length : undefined;
}

/** A double as awsJson carries it: NaN and the infinities as strings. */
const wireDouble = (value: number) => (Number.isFinite(value) ? value : String(value));

const distinctMessages = (messages: MessageData[]) =>
  messages.filter((m, i) => messages.findIndex((n) => n.Code === m.Code && n.Value === m.Value) === i);

/** The sub-window answers of one query joined, `windows` in the order of the read's ScanBy. */
function joinedResult(id: string, windows: MetricDataResult[]) {
  const messages = distinctMessages(windows.flatMap((w) => w.Messages ?? []));
  return {
    Id: id,
    Label: windows[0]?.Label,
    Timestamps: windows.flatMap((w) => (w.Timestamps ?? []).map((t) => t.getTime() / 1000)),
    Values: windows.flatMap((w) => (w.Values ?? []).map(wireDouble)),
    StatusCode: windows.find((w) => w.StatusCode !== 'Complete')?.StatusCode ?? 'Complete',
    ...(messages.length > 0 && { Messages: messages }),
  };
}

/**
 * Serves long GetMetricData reads through `proxy` as sub-window reads of moto at `upstream` (see
 * the header). Returns the live counts and what removes the emulation.
 */
export function serveLongMetricReads(
  proxy: Pick<AwsFaultProxy, 'serve'>,
  upstream: string,
  options: MetricReadOptions = {},
): { counts: MetricReadCounts; remove: RemoveRule } {
  const settings = { ...DEFAULTS, ...options };
  const counts: MetricReadCounts = { splitReads: 0, subWindowReads: 0 };

  async function splitRead(request: ServedRequest) {
    const length = subWindowSeconds(request.body, settings);
    if (length === undefined) return undefined;
    const { StartTime: start, EndTime: end } = request.body as { StartTime: number; EndTime: number };
    const descending = (request.body.ScanBy ?? 'TimestampDescending') === 'TimestampDescending';
    counts.splitReads += 1;
    const cloudWatch = new CloudWatchClient({
      region: request.region,
      endpoint: upstream,
      credentials: { accessKeyId: 'emulated', secretAccessKey: 'emulated' },
      maxAttempts: 1,
    });
    // Newest first, in whole `length`s from StartTime: [start + from * length, start + to * length), cut at EndTime.
    const answers: GetMetricDataCommandOutput[] = [];
    try {
      let units = 1;
      for (let to = Math.ceil((end - start) / length); to > 0;) {
        const from = Math.max(0, to - units);
        const input = {
          ...request.body,
          StartTime: new Date((start + from * length) * 1000),
          EndTime: new Date(Math.min(start + to * length, end) * 1000),
        } as GetMetricDataCommandInput;
        counts.subWindowReads += 1;
        const answer = await cloudWatch.send(new GetMetricDataCommand(input));
        if (answer.NextToken) throw new Error('GetMetricData: a sub-window read came back paged, which the join lacks');
        answers.push(answer);
        const empty = (answer.MetricDataResults ?? []).every((r) => (r.Values ?? []).length === 0);
        units = empty ? units * 2 : 1;
        to = from;
      }
    } catch (error) {
      if (!(error instanceof Error) || !('$metadata' in error)) throw error;
      const { $metadata } = error as Error & { $metadata: { httpStatusCode?: number } };
      throw new AwsServiceFault({ code: error.name, status: $metadata.httpStatusCode ?? 500, message: error.message });
    } finally {
      cloudWatch.destroy();
    }
    if (!descending) answers.reverse();
    const ids = (answers[0]?.MetricDataResults ?? []).map((r) => r.Id!);
    const messages = distinctMessages(answers.flatMap((a) => a.Messages ?? []));
    const results = ids.map((id) =>
      joinedResult(
        id,
        answers.flatMap((a) => a.MetricDataResults?.filter((r) => r.Id === id) ?? []),
      ),
    );
    return { body: { MetricDataResults: results, ...(messages.length > 0 && { Messages: messages }) } };
  }

  const remove = proxy.serve({ service: 'monitoring', operation: 'GetMetricData' }, splitRead);
  return { counts, remove };
}
