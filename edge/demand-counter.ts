/**
 * The demand counter: a small program beside nginx in every edge pod that counts, per period,
 * the distinct clients of each network prefix (IPv4 /24, IPv6 /48), for the collector in the home
 * region (functions/domain/edge-agent-contract.ts is the contract between the two).
 *
 * Why it looks like this:
 * - Counting at the edge: shipping every request to CloudWatch Logs costs about $80 a day at
 *   10,000 requests/s; a counter reduces a period's traffic to one small map of prefix -> count.
 * - Local syslog: nginx sends one UDP datagram per request to 127.0.0.1 (`access_log syslog:`),
 *   which needs no shared volume, no log file rotation and no extra module, and never blocks nginx
 *   (a datagram the counter misses is lost, never queued).
 * - Bounded memory: at most `maxTrackedClients` distinct clients are tracked per period; requests of
 *   further clients are counted in an overflow bucket and reported. A period that completes keeps
 *   only its prefix -> count map, as the JSON it is served as; the last COUNTER_KEPT_PERIODS are kept.
 * - Raw addresses never leave the pod: they live in memory until their period completes, and
 *   nothing the counter logs or serves contains one.
 * - Missing is not zero: a period that began before the counter started would be a partial count,
 *   so it is never reported (an absence with its reason); an idle edge reports its periods with no
 *   prefixes.
 *
 * Dependency-free (Node built-ins only): bundled by `bundleEdgeAgent` (infra/lambda-bundling.ts)
 * into one readable module that a ConfigMap ships to a public Node image, with no image build.
 */
import { createSocket } from 'node:dgram';
import { realpathSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  clientAddress,
  COUNTER_GRACE_SECONDS,
  AGENT_HTTP_PORT,
  COUNTER_KEPT_PERIODS,
  COUNTER_REPORT_SCHEMA,
  AGENT_SYSLOG_PORT,
  periodStartMs,
  type ClientAddress,
  type CounterPeriodReport,
  type CounterPeriodsReport,
} from '../functions/domain/edge-agent-contract';

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

export interface DemandCounter {
  /** Counts one nginx log line: a syslog datagram's text, or just its message `<$msec> <$remote_addr>`. */
  recordLine(line: string): void;
  /** Counts one request of `address` that ended at `atMs`. */
  recordClient(address: string, atMs: number): void;
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
}

interface KeptPeriod {
  startMs: number;
  json: string;
}

/** A line's message: `1764585464.123 203.0.113.7` (`$msec $remote_addr`). */
const MESSAGE = /^(\d{1,12})(?:\.(\d{1,3}))? (\S+)$/;

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
      period = { clients: new Map(), trackedClients: 0, overflowRequests: 0, malformedLines: 0, lateLines: 0 };
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
   * Counts one request. Lines that cannot be counted (malformed, or late for a period already
   * complete) are counted in the period open when they arrive; while that is the partial period
   * the counter started in, which is never reported, nowhere.
   */
  function record(address: string | undefined, atMs: number): void {
    const nowMs = now();
    completeDuePeriods(nowMs);
    const arrival = openPeriod(periodStartMs(nowMs, periodSeconds));
    const client = address === undefined ? undefined : clientAddress(address);
    if (!client || !Number.isFinite(atMs)) {
      if (arrival) arrival.malformedLines++;
      return;
    }
    const startMs = periodStartMs(atMs, periodSeconds);
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
    track(openPeriod(startMs)!, client);
  }

  function recordLine(line: string): void {
    const match = MESSAGE.exec(messageOf(line));
    if (!match) return record(undefined, NaN);
    const ms = Number(match[1]) * 1000 + Number((match[2] ?? '').padEnd(3, '0'));
    record(match[3], ms);
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
    recordClient: (address, atMs) => record(address, atMs),
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

/**
 * The message of a syslog datagram as nginx sends it (`<190>Dec  1 10:37:44 edge_demand: <message>`,
 * with `nohostname`; a hostname before the tag changes nothing): what follows the tag's ": ".
 * The header's time has no ": " in it, nor has an IPv6 address. A line without a header is the message.
 */
function messageOf(line: string): string {
  if (!line.startsWith('<')) return line.trim();
  const tagEnd = line.indexOf(': ');
  return tagEnd < 0 ? '' : line.slice(tagEnd + 2).trim();
}

export interface DemandCounterServerOptions extends DemandCounterOptions {
  /** UDP port of the syslog listener (on 127.0.0.1); 0 picks a free one. Default AGENT_SYSLOG_PORT. */
  syslogPort?: number;
  /** TCP port of the HTTP server; 0 picks a free one. Default AGENT_HTTP_PORT. */
  httpPort?: number;
  /** Interface of the HTTP server. Default 0.0.0.0: the API server's pod proxy reaches it at the pod's address. */
  httpHost?: string;
}

export interface RunningDemandCounter {
  syslogPort: number;
  httpPort: number;
  counter: DemandCounter;
  stop(): Promise<void>;
}

const ROUTES = 'the counter serves GET /periods, GET /periods/<period start in epoch seconds> and GET /health';

/** Starts the syslog listener and the HTTP server of a new counter. */
export async function startDemandCounter(options: DemandCounterServerOptions): Promise<RunningDemandCounter> {
  const counter = createDemandCounter(options);

  const syslog = createSocket('udp4');
  syslog.on('message', (datagram) => {
    for (const line of datagram.toString('latin1').split('\n')) if (line.trim() !== '') counter.recordLine(line);
  });
  await new Promise<void>((resolve, reject) => {
    syslog.once('error', reject);
    syslog.bind(options.syslogPort ?? AGENT_SYSLOG_PORT, '127.0.0.1', () => {
      syslog.off('error', reject);
      resolve();
    });
  });
  // A receive error loses a datagram, nothing more: the counter keeps running.
  syslog.on('error', (error) => console.error(`demand-counter: syslog listener: ${error.message}`));

  const http = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    if (request.method !== 'GET') return answer(response, 404, { reason: `not found: ${ROUTES}` });
    if (path === '/health') return answer(response, 200, { status: 'ok' });
    if (path === '/periods') return answer(response, 200, counter.periodsJson());
    const periodPath = /^\/periods\/(.*)$/.exec(path);
    if (periodPath) {
      if (!/^\d{1,12}$/.test(periodPath[1]!))
        return answer(response, 404, { reason: 'not a period start: give it in whole seconds since the epoch' });
      const json = counter.periodJson(Number(periodPath[1]) * 1000);
      return typeof json === 'string' ? answer(response, 200, json) : answer(response, 404, { reason: json.reason });
    }
    return answer(response, 404, { reason: `not found: ${ROUTES}` });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.httpPort ?? AGENT_HTTP_PORT, options.httpHost ?? '0.0.0.0', () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    syslog.close();
    throw error;
  }

  // Completes periods on time even when no traffic arrives (for onPeriodComplete); queries do it too.
  const ticker = setInterval(() => counter.completeDuePeriods(), 1000);
  ticker.unref();

  return {
    syslogPort: syslog.address().port,
    httpPort: (http.address() as AddressInfo).port,
    counter,
    async stop() {
      clearInterval(ticker);
      http.closeAllConnections();
      await Promise.all([
        new Promise<void>((resolve) => http.close(() => resolve())),
        new Promise<void>((resolve) => syslog.close(() => resolve())),
      ]);
    },
  };
}

function answer(response: ServerResponse, status: number, body: string | object): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}

/** Reads one whole-number setting from the environment; undefined when it is optional and unset. */
function wholeNumberSetting(
  name: string,
  min: number,
  max: number,
  example: string,
  required: boolean,
): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') {
    if (!required) return undefined;
    throw new Error(`${name} is not set; fix: set it to ${example}`);
  }
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max)
    throw new Error(`${name} is "${text}": it must be a whole number from ${min} to ${max}; fix: set it to ${example}`);
  return value;
}

function log(message: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), level: 'info', message, ...fields }));
}

/** The program: settings from the environment, one JSON log line per completed period, stops on SIGTERM. */
async function main(): Promise<void> {
  let settings: { periodSeconds: number; maxTrackedClients: number; syslogPort?: number; httpPort?: number };
  try {
    settings = {
      periodSeconds: wholeNumberSetting('DEMAND_PERIOD_SECONDS', 1, 86_400, 'the period in seconds, e.g. 60', true)!,
      maxTrackedClients: wholeNumberSetting('DEMAND_MAX_TRACKED_CLIENTS', 1, 100_000_000, 'a cap, e.g. 200000', true)!,
      syslogPort: wholeNumberSetting('DEMAND_SYSLOG_PORT', 0, 65_535, `a UDP port, e.g. ${AGENT_SYSLOG_PORT}`, false),
      httpPort: wholeNumberSetting('DEMAND_HTTP_PORT', 0, 65_535, `a TCP port, e.g. ${AGENT_HTTP_PORT}`, false),
    };
  } catch (error) {
    console.error(`demand-counter: ${(error as Error).message}`);
    process.exitCode = 1;
    return;
  }
  const running = await startDemandCounter({
    ...settings,
    onPeriodComplete: (report) =>
      log('period complete', {
        start: report.start,
        prefixes: Object.keys(report.prefixes).length,
        trackedClients: report.trackedClients,
        maxTrackedClients: report.maxTrackedClients,
        overflowRequests: report.overflowRequests,
        malformedLines: report.malformedLines,
        lateLines: report.lateLines,
      }),
  });
  log('listening', {
    syslogPort: running.syslogPort,
    httpPort: running.httpPort,
    periodSeconds: settings.periodSeconds,
    maxTrackedClients: settings.maxTrackedClients,
  });
  const stop = (signal: string) => {
    void running.stop().then(() => log('stopped', { signal }));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/**
 * Run as a program (`node edge-agent.mjs`), not imported. Both sides are resolved through
 * symbolic links: a ConfigMap volume mounts its files as links, and Node resolves its main module.
 */
function isMainModule(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  main().catch((error: unknown) => {
    console.error(`demand-counter: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
