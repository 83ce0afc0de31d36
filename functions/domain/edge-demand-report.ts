/**
 * The contract between the demand counter beside every edge nginx (edge/demand-counter.ts) and
 * the collector in the home region: how a client address becomes a network prefix, and what the
 * counter reports for one period. Raw addresses never leave the counter; only prefixes and the
 * number of distinct clients seen in each do. Pure, dependency-free: the counter bundles it.
 */

/** nginx sends one syslog datagram per request to this pod-local UDP port (loopback only). */
export const COUNTER_SYSLOG_PORT = 5140;
/** The counter's HTTP port inside the cluster; reached only through the Kubernetes API's pod proxy. */
export const COUNTER_HTTP_PORT = 9145;
export const COUNTER_PORT_NAME = 'demand';
/** Container name of the counter in the edge pods. */
export const COUNTER_CONTAINER_NAME = 'demand-counter';
/** A period is complete (reported) this long after its end: log lines are stamped when a request ends. */
export const COUNTER_GRACE_SECONDS = 2;
/** How many complete periods a counter keeps: a collection up to this many periods late still finds its period. */
export const COUNTER_KEPT_PERIODS = 10;
export const COUNTER_REPORT_SCHEMA = 1;

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
  /** Log lines the counter could not read (no time or no address), and lines for a period already reported. */
  malformedLines: number;
  lateLines: number;
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
