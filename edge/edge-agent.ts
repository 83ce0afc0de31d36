/**
 * The edge agent: the program beside nginx in every edge pod. It counts the pod's demand and
 * traffic per period from nginx's log lines (edge/demand-counter.ts, edge/traffic-counts.ts) for
 * the collector in the home region, and purges nginx's cache on request (edge/cache-purge.ts).
 * functions/domain/edge-agent-contract.ts is the contract with nginx and with the control plane.
 *
 * Why it looks like this:
 * - Local syslog: nginx sends one UDP datagram per request to 127.0.0.1 (`access_log syslog:`,
 *   EDGE_LOG_FORMAT), which needs no shared volume, no log file rotation and no extra module, and
 *   never blocks nginx (a datagram the agent misses is lost, never queued).
 * - One HTTP port (AGENT_HTTP_PORT) that no Service exposes: the collector and the purge reach it
 *   through the Kubernetes API server's pod proxy, authenticated and authorized by the cluster,
 *   so there is no public endpoint to guard, by source address or otherwise.
 * - Purge in the agent: open-source nginx has no purge; the agent mounts nginx's cache volume
 *   (EDGE_CACHE_DIR) and deletes the entries, running as nginx's user. Purges run one at a time;
 *   counting goes on meanwhile (the purge's file system calls do not block the event loop).
 * - Dependency-free (Node built-ins only): bundled by `bundleEdgeAgent` (infra/lambda-bundling.ts)
 *   into one readable module that a ConfigMap ships to a public Node image, with no image build.
 */
import { createSocket } from 'node:dgram';
import { realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  AGENT_ENV,
  AGENT_HTTP_PORT,
  AGENT_SYSLOG_PORT,
  NGINX_CACHE_DIR,
  PURGE_PATH,
  type PurgeRequest,
  type PurgeResult,
} from '../functions/domain/edge-agent-contract';
import { createCachePurger, parsePurgeRequest } from './cache-purge';
import { createDemandCounter, type DemandCounter, type DemandCounterOptions } from './demand-counter';

/** A purge request is a path (at most MAX_PURGE_PATH_LENGTH characters) and a flag; a body larger than this is not one. */
const MAX_PURGE_BODY_BYTES = 65_536;

export interface EdgeAgentOptions extends DemandCounterOptions {
  /** nginx's cache directory (its `proxy_cache_path`), which purges delete from. */
  cacheDir: string;
  /** UDP port of the syslog listener (on 127.0.0.1); 0 picks a free one. Default AGENT_SYSLOG_PORT. */
  syslogPort?: number;
  /** TCP port of the HTTP server; 0 picks a free one. Default AGENT_HTTP_PORT. */
  httpPort?: number;
  /** Interface of the HTTP server. Default 0.0.0.0: the API server's pod proxy reaches it at the pod's address. */
  httpHost?: string;
  /** Called after each purge, with its request and its result, or why it failed. */
  onPurge?: (purge: PurgeOutcome) => void;
}

export type PurgeOutcome = PurgeRequest & { durationMs: number } & ({ result: PurgeResult } | { error: string });

export interface RunningEdgeAgent {
  syslogPort: number;
  httpPort: number;
  counter: DemandCounter;
  stop(): Promise<void>;
}

const ROUTES =
  'the agent serves GET /periods, GET /periods/<period start in epoch seconds>, GET /health and POST /purge';

/** Starts the syslog listener and the HTTP server of a new agent. */
export async function startEdgeAgent(options: EdgeAgentOptions): Promise<RunningEdgeAgent> {
  const counter = createDemandCounter(options);
  const purger = createCachePurger(options.cacheDir);

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
  // A receive error loses a datagram, nothing more: the agent keeps running.
  syslog.on('error', (error) => console.error(`edge-agent: syslog listener: ${error.message}`));

  async function purge(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await bodyOf(request, MAX_PURGE_BODY_BYTES);
    if (body === undefined)
      return answer(response, 413, {
        error: `the body is larger than ${MAX_PURGE_BODY_BYTES} bytes: send only {"path": ..., "prefix": ...}`,
      });
    const check = parsePurgeRequest(body);
    if (!check.ok) return answer(response, 400, { error: check.error });
    const startedMs = Date.now();
    try {
      const result = await purger.purge(check.request);
      options.onPurge?.({ ...check.request, durationMs: Date.now() - startedMs, result });
      return answer(response, 200, result);
    } catch (error) {
      const message = `the purge of ${check.request.path} failed: ${(error as Error).message}`;
      options.onPurge?.({ ...check.request, durationMs: Date.now() - startedMs, error: message });
      return answer(response, 500, { error: message });
    }
  }

  const http = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    const periodPath = /^\/periods\/(.*)$/.exec(path);
    if (path === PURGE_PATH) {
      if (request.method !== 'POST') return notAllowed(response, 'POST', path);
      // Only reading the body can fail here: the caller went away mid-request.
      purge(request, response).catch((error: unknown) => {
        console.error(`edge-agent: purge request: ${(error as Error).message}`);
        if (!response.headersSent) answer(response, 500, { error: 'the purge failed' });
      });
      return;
    }
    if (path !== '/health' && path !== '/periods' && !periodPath)
      return answer(response, 404, { reason: `not found: ${ROUTES}` });
    if (request.method !== 'GET') return notAllowed(response, 'GET', path);
    if (path === '/health') return answer(response, 200, { status: 'ok' });
    if (path === '/periods') return answer(response, 200, counter.periodsJson());
    if (!/^\d{1,12}$/.test(periodPath![1]!))
      return answer(response, 404, { reason: 'not a period start: give it in whole seconds since the epoch' });
    const json = counter.periodJson(Number(periodPath![1]) * 1000);
    return typeof json === 'string' ? answer(response, 200, json) : answer(response, 404, { reason: json.reason });
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

/** The request's body as text; undefined when it is longer than `maxBytes`. */
async function bodyOf(request: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function notAllowed(response: ServerResponse, method: 'GET' | 'POST', path: string): void {
  response.setHeader('allow', method);
  answer(response, 405, { error: `${path} answers ${method} only: ${ROUTES}` });
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

/** The cache directory from EDGE_CACHE_DIR (an absolute path), else NGINX_CACHE_DIR. */
function cacheDirSetting(): string {
  const text = process.env[AGENT_ENV.cacheDir];
  if (text === undefined || text === '') return NGINX_CACHE_DIR;
  if (!text.startsWith('/'))
    throw new Error(
      `EDGE_CACHE_DIR is "${text}": it must be an absolute path; fix: set it to nginx's proxy_cache_path, e.g. ${NGINX_CACHE_DIR}`,
    );
  return text;
}

function log(message: string, fields: Record<string, unknown>, level: 'info' | 'error' = 'info'): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }));
}

/** The program: settings from the environment, one JSON log line per completed period and per purge, stops on SIGTERM. */
async function main(): Promise<void> {
  let settings: {
    periodSeconds: number;
    maxTrackedClients: number;
    syslogPort?: number;
    httpPort?: number;
    cacheDir: string;
  };
  try {
    settings = {
      periodSeconds: wholeNumberSetting(AGENT_ENV.periodSeconds, 1, 86_400, 'the period in seconds, e.g. 60', true)!,
      maxTrackedClients: wholeNumberSetting(AGENT_ENV.maxTrackedClients, 1, 100_000_000, 'a cap, e.g. 200000', true)!,
      syslogPort: wholeNumberSetting(AGENT_ENV.syslogPort, 0, 65_535, `a UDP port, e.g. ${AGENT_SYSLOG_PORT}`, false),
      httpPort: wholeNumberSetting(AGENT_ENV.httpPort, 0, 65_535, `a TCP port, e.g. ${AGENT_HTTP_PORT}`, false),
      cacheDir: cacheDirSetting(),
    };
  } catch (error) {
    console.error(`edge-agent: ${(error as Error).message}`);
    process.exitCode = 1;
    return;
  }
  const running = await startEdgeAgent({
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
        requests: report.traffic.requests,
        cacheHits: report.traffic.cacheHits,
        cacheMisses: report.traffic.cacheMisses,
      }),
    onPurge: (purge) => {
      const { path, prefix, durationMs } = purge;
      if ('error' in purge) return log('purge failed', { path, prefix, durationMs, error: purge.error }, 'error');
      const { purgedEntries, scannedEntries } = purge.result;
      log('purged', { path, prefix, purgedEntries, scannedEntries, durationMs });
    },
  });
  log('listening', {
    syslogPort: running.syslogPort,
    httpPort: running.httpPort,
    periodSeconds: settings.periodSeconds,
    maxTrackedClients: settings.maxTrackedClients,
    cacheDir: settings.cacheDir,
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
    console.error(`edge-agent: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
