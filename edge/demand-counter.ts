/**
 * The demand counter: the counting core of the edge agent (edge/edge-agent.ts, the program beside
 * nginx in every edge pod). From nginx's log lines it counts, per period, the distinct clients of
 * each network prefix (IPv4 /24, IPv6 /48) and the period's traffic (edge/traffic-counts.ts), for
 * the collector in the home region (functions/domain/edge-agent-contract.ts is the contract
 * between the two).
 *
 * Why it looks like this:
 * - Counting at the edge: shipping every request to CloudWatch Logs costs about $80 a day at
 *   10,000 requests/s; a counter reduces a period's traffic to one small map of prefix -> count
 *   and a few dozen traffic counts.
 * - Bounded memory: at most `maxTrackedClients` distinct clients are tracked per period; requests of
 *   further clients are counted in an overflow bucket and reported (and in the traffic, like every
 *   request). A period that completes keeps only its report, as the JSON it is served as; the last
 *   COUNTER_KEPT_PERIODS are kept.
 * - Raw addresses never leave the pod: they live in memory until their period completes, and
 *   nothing the counter logs or serves contains one.
 * - A request belongs to the period of its own time (nginx stamps a line when the request ends),
 *   so a line that arrives late within the grace still counts where it belongs.
 * - Missing is not zero: a period that began before the counter started would be a partial count,
 *   so it is never reported (an absence with its reason); an idle edge reports its periods with no
 *   prefixes and no requests.
 */
import {
  clientAddress,
  COUNTER_GRACE_SECONDS,
  COUNTER_KEPT_PERIODS,
  COUNTER_REPORT_SCHEMA,
  periodStartMs,
  type ClientAddress,
  type CounterPeriodReport,
  type CounterPeriodsReport,
  emptyTrafficCounts,
  type EdgeTrafficCounts,
} from '../functions/domain/edge-agent-contract';
import { addRequest, isCacheStatus } from './traffic-counts';

export interface DemandCounterOptions {
  /** Length of a period in whole seconds; periods start at multiples of it since the epoch. */
  periodSeconds: number;
  /** Distinct clients tracked per period at most (the memory cap). */
  maxTrackedClients: number;
  /** The clock (ms since the epoch); the local sandbox injects its simulated one. */
  now?: () => number;
  /** Called once for each period as it completes, oldest first. */
  onPeriodComplete?: (report: CounterPeriodReport) => void;
}

/** Why a period cannot be reported. */
export type PeriodAbsenceKind = 'not-aligned' | 'before-start' | 'not-complete' | 'not-kept';

export interface PeriodAbsence {
  absence: PeriodAbsenceKind;
  reason: string;
}

/** One request as nginx logs it (EDGE_LOG_FORMAT). */
export interface EdgeRequest {
  /** The client address (`$remote_addr`). */
  address: string;
  /** When the request ended, ms since the epoch (`$msec`). */
  atMs: number;
  /** `$upstream_cache_status`: a CACHE_HIT_STATUSES or CACHE_MISS_STATUSES status, or `-` where the location does not cache. */
  cacheStatus: string;
  /** `$request_time` in ms. */
  responseTimeMs: number;
}

export interface DemandCounter {
  /** Counts one nginx log line: a syslog datagram's text, or just its message (EDGE_LOG_FORMAT). */
  recordLine(line: string): void;
  /** Counts one request. */
  recordRequest(request: EdgeRequest): void;
  /** The complete period that starts at `startMs`, or why there is none. */
  period(startMs: number): CounterPeriodReport | PeriodAbsence;
  /** Every complete period still kept, oldest first. */
  periods(): CounterPeriodsReport;
  /** `period()` as the JSON text the HTTP server answers. */
  periodJson(startMs: number): string | PeriodAbsence;
  /** `periods()` as the JSON text the HTTP server answers. */
  periodsJson(): string;
  /** Completes the periods that are due (every other call does it too); returns the ones it completed. */
  completeDuePeriods(): CounterPeriodReport[];
  /** Distinct clients tracked in the periods still open (their memory is what the cap bounds). */
  openTrackedClients(): number;
}

/** A period still counting: the distinct hosts of each prefix. */
interface OpenPeriod {
  /** prefix -> hosts seen; an IPv4 host is kept as a number (no string to allocate). */
  clients: Map<string, Set<string | number>>;
  trackedClients: number;
  overflowRequests: number;
  malformedLines: number;
  lateLines: number;
  traffic: EdgeTrafficCounts;
}

interface KeptPeriod {
  startMs: number;
  json: string;
}

/**
 * A line's message (EDGE_LOG_FORMAT): `1767225600.123 192.0.2.10 HIT 0.004`: `$msec` and
 * `$request_time` in seconds with milliseconds, the address and the cache status as words.
 */
const MESSAGE = /^(\d{1,12})(?:\.(\d{1,3}))? (\S+) (\S+) (\d{1,9})(?:\.(\d{1,3}))?$/;

export function createDemandCounter(options: DemandCounterOptions): DemandCounter {
  const { periodSeconds, maxTrackedClients, now = Date.now, onPeriodComplete } = options;
  if (!Number.isInteger(periodSeconds) || periodSeconds <= 0)
    throw new RangeError(`periodSeconds is ${periodSeconds}: it must be a whole number of seconds > 0`);
  if (!Number.isInteger(maxTrackedClients) || maxTrackedClients <= 0)
    throw new RangeError(`maxTrackedClients is ${maxTrackedClients}: it must be a whole number > 0`);

  const periodMs = periodSeconds * 1000;
  const graceMs = COUNTER_GRACE_SECONDS * 1000;
  const startedAtMs = now();
  // The first period the counter saw from its beginning; earlier ones would be partial counts.
  const firstReportableMs = Math.ceil(startedAtMs / periodMs) * periodMs;
  // Every period before this one is complete (or was never counted); it and later ones are open.
  let nextToCompleteMs = firstReportableMs;
  const open = new Map<number, OpenPeriod>();
  const kept: KeptPeriod[] = [];

  /** The counters of an open period; undefined for a period that is complete or began before the start. */
  function openPeriod(startMs: number): OpenPeriod | undefined {
    if (startMs < nextToCompleteMs) return undefined;
    let period = open.get(startMs);
    if (!period) {
      period = {
        clients: new Map(),
        trackedClients: 0,
        overflowRequests: 0,
        malformedLines: 0,
        lateLines: 0,
        traffic: emptyTrafficCounts(),
      };
      open.set(startMs, period);
    }
    return period;
  }

  function completeDuePeriods(nowMs = now()): CounterPeriodReport[] {
    // The latest period whose end plus the grace has passed.
    const lastCompleteMs = periodStartMs(nowMs - graceMs - periodMs, periodSeconds);
    if (lastCompleteMs < nextToCompleteMs) return [];
    // After a long pause (or a jump of the clock) only the periods that would still be kept are reported.
    const firstMs = Math.max(nextToCompleteMs, lastCompleteMs - (COUNTER_KEPT_PERIODS - 1) * periodMs);
    const completed: CounterPeriodReport[] = [];
    for (let startMs = firstMs; startMs <= lastCompleteMs; startMs += periodMs) {
      const report = reportOf(startMs, open.get(startMs));
      completed.push(report);
      kept.push({ startMs, json: JSON.stringify(report) });
    }
    for (const startMs of open.keys()) if (startMs <= lastCompleteMs) open.delete(startMs);
    kept.splice(0, Math.max(0, kept.length - COUNTER_KEPT_PERIODS));
    nextToCompleteMs = lastCompleteMs + periodMs;
    if (onPeriodComplete) for (const report of completed) onPeriodComplete(report);
    return completed;
  }

  function reportOf(startMs: number, period: OpenPeriod | undefined): CounterPeriodReport {
    const prefixes: Record<string, number> = {};
    for (const [prefix, hosts] of period?.clients ?? []) prefixes[prefix] = hosts.size;
    return {
      schema: COUNTER_REPORT_SCHEMA,
      periodSeconds,
      start: new Date(startMs).toISOString(),
      prefixes,
      trackedClients: period?.trackedClients ?? 0,
      maxTrackedClients,
      overflowRequests: period?.overflowRequests ?? 0,
      malformedLines: period?.malformedLines ?? 0,
      lateLines: period?.lateLines ?? 0,
      traffic: period?.traffic ?? emptyTrafficCounts(),
    };
  }

  function track(period: OpenPeriod, client: ClientAddress): void {
    let hosts = period.clients.get(client.prefix);
    const host = client.prefix.endsWith('/24') ? Number(client.host) : client.host;
    if (hosts?.has(host)) return;
    if (period.trackedClients >= maxTrackedClients) {
      period.overflowRequests++;
      return;
    }
    if (!hosts) {
      hosts = new Set();
      period.clients.set(client.prefix, hosts);
    }
    hosts.add(host);
    period.trackedClients++;
  }

  /**
   * Counts one request (undefined: a line that could not be read). Lines that cannot be counted
   * (malformed, or late for a period already complete) are counted in the period open when they
   * arrive; while that is the partial period the counter started in, which is never reported, nowhere.
   */
  function record(request: EdgeRequest | undefined): void {
    const nowMs = now();
    completeDuePeriods(nowMs);
    const arrival = openPeriod(periodStartMs(nowMs, periodSeconds));
    const client = request && clientAddress(request.address);
    if (
      !request ||
      !client ||
      !Number.isFinite(request.atMs) ||
      !isCacheStatus(request.cacheStatus) ||
      !Number.isFinite(request.responseTimeMs) ||
      request.responseTimeMs < 0
    ) {
      if (arrival) arrival.malformedLines++;
      return;
    }
    const startMs = periodStartMs(request.atMs, periodSeconds);
    if (startMs > nowMs) {
      // Stamped in a period that has not begun: nginx and the counter share the pod's clock.
      if (arrival) arrival.malformedLines++;
      return;
    }
    if (startMs < nextToCompleteMs) {
      // A period already complete is late; one that began before the counter is never reported.
      if (arrival && startMs >= firstReportableMs) arrival.lateLines++;
      return;
    }
    const period = openPeriod(startMs)!;
    track(period, client);
    addRequest(period.traffic, request.cacheStatus, request.responseTimeMs);
  }

  function recordLine(line: string): void {
    const match = MESSAGE.exec(messageOf(line));
    if (!match) return record(undefined);
    record({
      address: match[3]!,
      atMs: millisecondsOf(match[1]!, match[2]),
      cacheStatus: match[4]!,
      responseTimeMs: millisecondsOf(match[5]!, match[6]),
    });
  }

  function periodJson(startMs: number): string | PeriodAbsence {
    completeDuePeriods();
    const at = Number.isFinite(startMs) ? new Date(startMs).toISOString() : String(startMs);
    if (!Number.isInteger(startMs) || startMs % periodMs !== 0)
      return {
        absence: 'not-aligned',
        reason: `${at} is not the start of a period: periods start at multiples of ${periodSeconds} s since the epoch`,
      };
    if (startMs < firstReportableMs)
      return {
        absence: 'before-start',
        reason: `the period ${at} began before the counter started (${new Date(startedAtMs).toISOString()}): its count would be partial`,
      };
    if (startMs >= nextToCompleteMs)
      return {
        absence: 'not-complete',
        reason: `the period ${at} is not complete yet: it is reported from ${new Date(startMs + periodMs + graceMs).toISOString()}`,
      };
    const found = kept.find((period) => period.startMs === startMs);
    if (!found)
      return {
        absence: 'not-kept',
        reason: `the period ${at} is no longer kept: the counter keeps the last ${COUNTER_KEPT_PERIODS} complete periods`,
      };
    return found.json;
  }

  function periodsJson(): string {
    completeDuePeriods();
    return `{"schema":${COUNTER_REPORT_SCHEMA},"periodSeconds":${periodSeconds},"periods":[${kept.map((p) => p.json).join(',')}]}`;
  }

  return {
    recordLine,
    recordRequest: (request) => record(request),
    period: (startMs) => {
      const json = periodJson(startMs);
      return typeof json === 'string' ? (JSON.parse(json) as CounterPeriodReport) : json;
    },
    periods: () => JSON.parse(periodsJson()) as CounterPeriodsReport,
    periodJson,
    periodsJson,
    completeDuePeriods: () => completeDuePeriods(),
    openTrackedClients: () => [...open.values()].reduce((sum, period) => sum + period.trackedClients, 0),
  };
}

/** Whole ms of nginx's `<seconds>.<milliseconds>` (exact: no floating-point seconds in between). */
function millisecondsOf(seconds: string, fraction: string | undefined): number {
  return Number(seconds) * 1000 + Number((fraction ?? '').padEnd(3, '0'));
}

/**
 * The message of a syslog datagram as nginx sends it (`<190>Dec  1 10:37:44 <tag>: <message>`,
 * with `nohostname`; a hostname before the tag changes nothing): what follows the tag's ": ".
 * The header's time has no ": " in it, nor has an IPv6 address. A line without a header is the message.
 */
function messageOf(line: string): string {
  if (!line.startsWith('<')) return line.trim();
  const tagEnd = line.indexOf(': ');
  return tagEnd < 0 ? '' : line.slice(tagEnd + 2).trim();
}
