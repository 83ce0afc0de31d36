/**
 * The contract between the edge agent beside every edge nginx (edge/edge-agent.ts) and the
 * control plane in the home region (the collector, the purge Lambda), and between nginx and the
 * agent:
 * - the access-log line nginx sends the agent for every request (`EDGE_LOG_FORMAT`);
 * - how a client address becomes a network prefix, and what the agent reports for one period:
 *   distinct clients per prefix (demand) and the period's traffic (requests, cache hits, response
 *   times). Raw addresses never leave the agent; only prefixes and counts do;
 * - the cache key layout nginx writes and the purge request the agent answers.
 * Pure, dependency-free: the agent bundles it.
 */

/** nginx sends one syslog datagram per request to this pod-local UDP port (loopback only). */
export const AGENT_SYSLOG_PORT = 5140;
/** The agent's HTTP port inside the cluster; reached only through the Kubernetes API's pod proxy. */
export const AGENT_HTTP_PORT = 9145;
export const AGENT_PORT_NAME = 'agent';
/** Container name of the agent in the edge pods. */
export const AGENT_CONTAINER_NAME = 'edge-agent';

/**
 * The access-log line nginx sends the agent (its `log_format`): when the request ended (epoch
 * seconds with milliseconds), the client address, the cache status (`-` where the location does
 * not cache) and the response time in seconds with milliseconds, e.g.
 * `1767225600.123 192.0.2.10 HIT 0.004`.
 */
export const EDGE_LOG_FORMAT = '$msec $remote_addr $upstream_cache_status $request_time';

/** Cache statuses (`$upstream_cache_status`) of a request answered from the cache. */
export const CACHE_HIT_STATUSES: readonly string[] = ['HIT', 'STALE', 'UPDATING', 'REVALIDATED'];
/** Cache statuses of a cacheable request that went to the origin (`BYPASS`: it carried credentials). */
export const CACHE_MISS_STATUSES: readonly string[] = ['MISS', 'EXPIRED', 'BYPASS'];

/**
 * Upper bounds (ms) of the response-time histogram's buckets; one more bucket counts the slower
 * ones. About 20 % apart, so a percentile read from the merged histogram of every pod is within
 * about 20 % of the exact one.
 */
export const RESPONSE_TIME_BOUNDS_MS: readonly number[] = [
  1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 18, 22, 27, 33, 40, 48, 58, 70, 84, 100, 120, 145, 175, 210, 250, 300, 360, 430,
  520, 620, 750, 900, 1100, 1300, 1600, 1900, 2300, 2800, 3400, 4100, 5000, 6000, 7200, 8600, 10300, 12400, 15000,
  18000, 21600, 26000, 31000, 37500, 45000, 54000, 65000,
];

/** Buckets of the response-time histogram: one per bound, and one for the slower requests. */
export const RESPONSE_TIME_BUCKETS = RESPONSE_TIME_BOUNDS_MS.length + 1;

/** The counts of a period without requests. */
export function emptyTrafficCounts(): EdgeTrafficCounts {
  return {
    requests: 0,
    cacheHits: 0,
    cacheMisses: 0,
    responseTimeBuckets: new Array<number>(RESPONSE_TIME_BUCKETS).fill(0),
  };
}

/** The traffic of one period as the agent counts it from the log lines (probes are not logged). */
export interface EdgeTrafficCounts {
  /** Requests that ended in the period. */
  requests: number;
  /** Requests with a CACHE_HIT_STATUSES status. */
  cacheHits: number;
  /** Requests with a CACHE_MISS_STATUSES status; hits + misses are the cacheable requests. */
  cacheMisses: number;
  /** Requests per response-time bucket: index i counts times <= RESPONSE_TIME_BOUNDS_MS[i] (and above the bound before); the last index, the slower ones. */
  responseTimeBuckets: number[];
}

/**
 * Every cache key nginx writes starts with the request's path (`$uri`, decoded and normalized);
 * what follows it, if anything, starts with `?` (the query) or a space (the cookies). The
 * templates per cache-key kind of the configuration:
 */
export const CACHE_KEY_TEMPLATES = {
  uri: '$uri',
  'uri+query': '$uri?$args',
  'uri+cookies': '$uri cookies=$http_cookie',
  'uri+query+cookies': '$uri?$args cookies=$http_cookie',
} as const;
export type CacheKeyKind = keyof typeof CACHE_KEY_TEMPLATES;

/** `POST /purge` with this JSON body: refresh one path (every variant of it: each query and cookie set), or every path under a prefix. */
export interface PurgeRequest {
  /** Starts with `/`. */
  path: string;
  /** true: every path that starts with `path`. */
  prefix: boolean;
}

/** The agent's answer to a purge. */
export interface PurgeResult {
  schema: typeof PURGE_RESULT_SCHEMA;
  /** Cache entries removed: the next request for each goes to the origin. */
  purgedEntries: number;
  /** Cache entries read. */
  scannedEntries: number;
}
export const PURGE_RESULT_SCHEMA = 1;
export const PURGE_PATH = '/purge';
/** The longest path a purge takes (no request that long reaches the cache). */
export const MAX_PURGE_PATH_LENGTH = 8192;
/** Where nginx keeps its cache in the pod, and where the agent (which mounts it too) purges. */
export const NGINX_CACHE_DIR = '/var/cache/nginx/edge';

/** Whether the cache entry with `key` (a CACHE_KEY_TEMPLATES key) is one that `request` purges. */
export function cacheKeyPurgedBy(key: string, request: PurgeRequest): boolean {
  if (request.prefix) return key.startsWith(request.path);
  return key === request.path || key.startsWith(`${request.path}?`) || key.startsWith(`${request.path} `);
}
/** The environment variables the agent reads (the edge manifests set them). */
export const AGENT_ENV = {
  periodSeconds: 'DEMAND_PERIOD_SECONDS',
  maxTrackedClients: 'DEMAND_MAX_TRACKED_CLIENTS',
  syslogPort: 'DEMAND_SYSLOG_PORT',
  httpPort: 'DEMAND_HTTP_PORT',
  cacheDir: 'EDGE_CACHE_DIR',
} as const;
/** A period is complete (reported) this long after its end: log lines are stamped when a request ends. */
export const COUNTER_GRACE_SECONDS = 2;
/** How many complete periods a counter keeps: a collection up to this many periods late still finds its period. */
export const COUNTER_KEPT_PERIODS = 10;
export const COUNTER_REPORT_SCHEMA = 2;

/**
 * One complete period as a counter reports it (`GET /periods/<start epoch seconds>`).
 * `prefixes` maps a prefix (`prefixOf`) to the distinct client addresses seen in it.
 */
export interface CounterPeriodReport {
  schema: typeof COUNTER_REPORT_SCHEMA;
  periodSeconds: number;
  /** Period start, ISO-8601 UTC, a multiple of periodSeconds since the epoch. */
  start: string;
  prefixes: Record<string, number>;
  /** Sum of `prefixes`: distinct clients tracked. */
  trackedClients: number;
  /** The memory cap: at most this many distinct clients are tracked per period. */
  maxTrackedClients: number;
  /** Requests of clients not tracked because the cap was reached (the overflow bucket). */
  overflowRequests: number;
  /** Log lines the agent could not read (not EDGE_LOG_FORMAT: no time, address, cache status or response time), and lines for a period already reported. */
  malformedLines: number;
  lateLines: number;
  /** The period's traffic (every request, tracked client or not). */
  traffic: EdgeTrafficCounts;
}

/** `GET /periods`: every complete period the counter still keeps, oldest first. */
export interface CounterPeriodsReport {
  schema: typeof COUNTER_REPORT_SCHEMA;
  periodSeconds: number;
  periods: CounterPeriodReport[];
}

const IPV4 =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** IPv4 `a.b.c.0/24` or IPv6 `h:h:h::/48` (lower-case hex, no leading zeros): the only shapes a report carries. */
export const PREFIX_PATTERN =
  /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}0\/24$|^(?:0|[1-9a-f][0-9a-f]{0,3}):(?:0|[1-9a-f][0-9a-f]{0,3}):(?:0|[1-9a-f][0-9a-f]{0,3})::\/48$/;

export interface ClientAddress {
  /** The network prefix (`/24` or `/48`) in canonical form. */
  prefix: string;
  /** The address within it, canonical, to count distinct clients. */
  host: string;
}

/**
 * Splits a client address (nginx's `$remote_addr`: dotted IPv4, or IPv6 in any valid text form,
 * including IPv4-mapped `::ffff:a.b.c.d`) into its prefix and host part; undefined when it is not
 * an IP address.
 */
export function clientAddress(text: string): ClientAddress | undefined {
  const v4 = IPV4.exec(text);
  if (v4) return { prefix: `${v4[1]}.${v4[2]}.${v4[3]}.0/24`, host: v4[4]! };
  const groups = ipv6Groups(text);
  if (!groups) return undefined;
  if (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  ) {
    // IPv4-mapped: the client is an IPv4 client.
    return clientAddress(`${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`);
  }
  return {
    prefix: `${groups[0]!.toString(16)}:${groups[1]!.toString(16)}:${groups[2]!.toString(16)}::/48`,
    host: groups
      .slice(3)
      .map((g) => g.toString(16))
      .join(':'),
  };
}

/** The eight 16-bit groups of an IPv6 address, or undefined when the text is not one. */
function ipv6Groups(text: string): number[] | undefined {
  if (!text.includes(':') || text.length > 45) return undefined;
  let body = text;
  if (body.includes('.')) {
    // An embedded IPv4 tail (`::ffff:192.0.2.1`) is the last two groups.
    const lastColon = body.lastIndexOf(':');
    const v4 = IPV4.exec(body.slice(lastColon + 1));
    if (!v4) return undefined;
    const high = (Number(v4[1]) << 8) | Number(v4[2]);
    const low = (Number(v4[3]) << 8) | Number(v4[4]);
    body = `${body.slice(0, lastColon + 1)}${high.toString(16)}:${low.toString(16)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const head = hexGroups(halves[0]!);
  const rest = halves.length === 2 ? hexGroups(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const explicit = head.length + rest.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return undefined;
  return [...head, ...new Array<number>(8 - explicit).fill(0), ...rest];
}

function hexGroups(part: string): number[] | undefined {
  if (part === '') return [];
  const groups: number[] = [];
  for (const group of part.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    groups.push(parseInt(group, 16));
  }
  return groups;
}

/** Start (ms since the epoch) of the period that contains `ms`. */
export function periodStartMs(ms: number, periodSeconds: number): number {
  const periodMs = periodSeconds * 1000;
  return Math.floor(ms / periodMs) * periodMs;
}
