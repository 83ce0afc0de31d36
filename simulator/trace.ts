/**
 * Demand traces for the simulator: CSV with the header `timestamp,region,users`, ISO-8601 UTC
 * timestamps, one row per region per period. A missing row is a missing datapoint (NaN in the
 * series). Bad rows are reported with their line number, all at once.
 *
 * Built for size: 30 days of 1-minute demand for 20 regions is 864,000 rows. The parser walks the
 * text with indexOf (no per-line strings, no per-row regex), reuses the previous row's timestamp
 * (every region of one period shares it) and parses each distinct timestamp once.
 */
import { isAwsRegion } from '../functions/domain/aws-regions';

export interface DemandTrace {
  /** Time of the first period (epoch ms). */
  startMs: number;
  /** Length of one period of the trace, in seconds (the step between timestamps). */
  stepSeconds: number;
  /** Number of periods from the first to the last timestamp. */
  periods: number;
  /** Regions in order of first appearance. */
  regions: string[];
  /** Users per region and period; NaN where the trace has no row (a missing datapoint). */
  users: Map<string, Float64Array>;
}

export interface TraceProblem {
  line: number;
  message: string;
}

export const TRACE_HEADER = 'timestamp,region,users';

/** At most this many bad rows are listed; the count of the rest is given. */
const LISTED_PROBLEMS = 20;
/** Refuse traces whose dense series would not fit comfortably in memory. */
const MAX_CELLS = 60_000_000;

export class TraceError extends Error {
  constructor(
    readonly problems: TraceProblem[],
    readonly totalProblems: number,
    source: string,
  ) {
    const more = totalProblems > problems.length ? `\n  ... and ${totalProblems - problems.length} more` : '';
    super(
      `Invalid demand trace ${source}:\n${problems.map((p) => `  - line ${p.line}: ${p.message}`).join('\n')}${more}`,
    );
    this.name = 'TraceError';
  }
}

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(?:Z|\+00:?00)$/;

/** Epoch ms of an ISO-8601 UTC timestamp such as 2026-03-01T12:00:00Z, or NaN. */
export function parseIsoUtc(text: string): number {
  const m = ISO_UTC.exec(text);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s, ms] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return NaN;
  const value = Date.UTC(
    Number(y),
    month - 1,
    day,
    hour,
    minute,
    second,
    ms === undefined ? 0 : Number(ms.padEnd(3, '0')),
  );
  // Date.UTC rolls 2026-02-30 over to March: refuse dates that do not exist.
  return new Date(value).getUTCDate() === day ? value : NaN;
}

/** 2026-03-01T12:00:00Z (no milliseconds unless there are some). */
export function formatIsoUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Parses a trace, or throws a TraceError listing every bad row with its line number. */
export function parseTrace(text: string, source = 'trace'): DemandTrace {
  const problems: TraceProblem[] = [];
  let problemCount = 0;
  const problem = (line: number, message: string): void => {
    problemCount++;
    if (problems.length < LISTED_PROBLEMS) problems.push({ line, message });
  };

  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const headerEnd = lineEnd(text, pos);
  const header = text.slice(pos, headerEnd.contentEnd).trim().toLowerCase();
  if (header !== TRACE_HEADER) {
    throw new TraceError(
      [{ line: 1, message: `header is "${header}"; fix: make the first line "${TRACE_HEADER}"` }],
      1,
      source,
    );
  }
  pos = headerEnd.next;

  let capacity = 1 << 16;
  let times = new Float64Array(capacity);
  let regionOfRow = new Uint16Array(capacity);
  let usersOfRow = new Float64Array(capacity);
  let lineOfRow = new Uint32Array(capacity);
  let rows = 0;

  const regionIndex = new Map<string, number>();
  const regions: string[] = [];
  const timeCache = new Map<string, number>();
  let lastStamp = '';
  let lastStampMs = NaN;
  let line = 1;

  while (pos < text.length) {
    line++;
    const start = pos;
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const contentEnd = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    pos = nl + 1;
    if (contentEnd === start) continue; // blank line

    const c1 = text.indexOf(',', start);
    const c2 = c1 < 0 || c1 >= contentEnd ? -1 : text.indexOf(',', c1 + 1);
    const c3 = c2 < 0 ? -1 : text.indexOf(',', c2 + 1);
    if (c2 < 0 || c2 >= contentEnd || (c3 >= 0 && c3 < contentEnd)) {
      problem(line, `expected 3 fields (${TRACE_HEADER}), got "${text.slice(start, contentEnd)}"`);
      continue;
    }

    // Timestamp: every region of one period shares it, so compare with the previous row first.
    let stampMs: number;
    if (c1 - start === lastStamp.length && text.startsWith(lastStamp, start)) {
      stampMs = lastStampMs;
    } else {
      const stamp = text.slice(start, c1);
      let cached = timeCache.get(stamp);
      if (cached === undefined) {
        cached = parseIsoUtc(stamp.trim());
        timeCache.set(stamp, cached);
      }
      stampMs = cached;
      lastStamp = stamp;
      lastStampMs = cached;
    }
    if (Number.isNaN(stampMs)) {
      problem(
        line,
        `timestamp "${text.slice(start, c1)}" is not ISO-8601 UTC; fix: write it like 2026-03-01T12:00:00Z`,
      );
      continue;
    }

    const regionName = text.slice(c1 + 1, c2);
    let region = regionIndex.get(regionName);
    if (region === undefined) {
      const trimmed = regionName.trim();
      if (!isAwsRegion(trimmed)) {
        problem(line, `region "${regionName}" is not an AWS region code; fix: use a code such as us-east-1`);
        continue;
      }
      region = regions.indexOf(trimmed);
      if (region < 0) {
        region = regions.length;
        regions.push(trimmed);
      }
      regionIndex.set(regionName, region);
    }

    const users = parseUsers(text, c2 + 1, contentEnd);
    if (!(users >= 0) || users === Infinity) {
      problem(
        line,
        `users "${text.slice(c2 + 1, contentEnd)}" is not a number of users (0 or more); fix: write e.g. 420`,
      );
      continue;
    }

    if (rows === capacity) {
      capacity *= 2;
      times = grow(times, capacity);
      regionOfRow = grow(regionOfRow, capacity);
      usersOfRow = grow(usersOfRow, capacity);
      lineOfRow = grow(lineOfRow, capacity);
    }
    times[rows] = stampMs;
    regionOfRow[rows] = region;
    usersOfRow[rows] = users;
    lineOfRow[rows] = line;
    rows++;
  }

  if (problemCount > 0) throw new TraceError(problems, problemCount, source);
  if (rows === 0) {
    throw new TraceError(
      [{ line: 2, message: 'the trace has no data rows; fix: add rows "timestamp,region,users"' }],
      1,
      source,
    );
  }

  // The step is the greatest common divisor of the gaps between distinct timestamps.
  const distinct = Float64Array.from(new Set(timeCache.values()).values())
    .filter((t) => !Number.isNaN(t))
    .sort();
  const startMs = distinct[0]!;
  let stepMs = 0;
  for (let i = 1; i < distinct.length; i++) stepMs = gcd(stepMs, distinct[i]! - distinct[i - 1]!);
  if (stepMs === 0) stepMs = 60_000;
  if (stepMs % 1000 !== 0) {
    throw new TraceError(
      [
        {
          line: 2,
          message: `timestamps are ${stepMs} ms apart, not a whole number of seconds; fix: one row per region per period of whole seconds (e.g. 60 s)`,
        },
      ],
      1,
      source,
    );
  }
  const periods = Math.round((distinct[distinct.length - 1]! - startMs) / stepMs) + 1;
  if (periods * regions.length > MAX_CELLS) {
    throw new TraceError(
      [
        {
          line: 2,
          message: `${periods} periods of ${stepMs / 1000} s for ${regions.length} regions is too large to simulate; fix: use a coarser period or a shorter trace`,
        },
      ],
      1,
      source,
    );
  }

  const series = regions.map(() => new Float64Array(periods).fill(NaN));
  for (let r = 0; r < rows; r++) {
    const period = Math.round((times[r]! - startMs) / stepMs);
    const values = series[regionOfRow[r]!]!;
    if (!Number.isNaN(values[period]!)) {
      problem(
        lineOfRow[r]!,
        `a second row for ${regions[regionOfRow[r]!]} at ${formatIsoUtc(times[r]!)}; fix: keep one row per region per period`,
      );
      continue;
    }
    values[period] = usersOfRow[r]!;
  }
  if (problemCount > 0) throw new TraceError(problems, problemCount, source);

  return {
    startMs,
    stepSeconds: stepMs / 1000,
    periods,
    regions,
    users: new Map(regions.map((region, i) => [region, series[i]!])),
  };
}

/** End of the line's content (before \r\n or \n) and the start of the next line. */
function lineEnd(text: string, pos: number): { contentEnd: number; next: number } {
  let nl = text.indexOf('\n', pos);
  if (nl < 0) nl = text.length;
  const contentEnd = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
  return { contentEnd, next: nl + 1 };
}

/** Whole numbers by hand (the common case); anything else through Number(). NaN when empty. */
function parseUsers(text: string, start: number, end: number): number {
  let value = 0;
  let i = start;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
  }
  if (i === end && end > start) return value;
  const rest = text.slice(start, end).trim();
  return rest === '' ? NaN : Number(rest);
}

function grow<T extends Float64Array | Uint16Array | Uint32Array>(array: T, capacity: number): T {
  const bigger = new (array.constructor as new (n: number) => T)(capacity);
  bigger.set(array);
  return bigger;
}
