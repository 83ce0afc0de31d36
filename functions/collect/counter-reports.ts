/**
 * Checks what an edge agent answered before any of it is counted: the report must follow the
 * contract (functions/domain/edge-agent-contract.ts, schema COUNTER_REPORT_SCHEMA: demand and
 * traffic) and be the period that was asked for. Data from an edge is input like any other: a
 * malformed report is rejected whole, with a reason.
 */
import { z } from 'zod';
import {
  COUNTER_REPORT_SCHEMA,
  PREFIX_PATTERN,
  RESPONSE_TIME_BUCKETS,
  type CounterPeriodReport,
} from '../domain/edge-agent-contract';

const MAX_CLIENTS_PER_PREFIX = 2 ** 32;
const count = z.number().int().nonnegative().max(MAX_CLIENTS_PER_PREFIX);
const requests = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const trafficSchema = z
  .object({
    requests,
    cacheHits: requests,
    cacheMisses: requests,
    responseTimeBuckets: z.array(requests).length(RESPONSE_TIME_BUCKETS, {
      error: `must have ${RESPONSE_TIME_BUCKETS} buckets (one per RESPONSE_TIME_BOUNDS_MS bound and one for the slower requests)`,
    }),
  })
  .refine((t) => t.cacheHits + t.cacheMisses <= t.requests, {
    error: 'counts more cache hits and misses than requests',
  })
  .refine((t) => t.responseTimeBuckets.reduce((sum, n) => sum + n, 0) <= t.requests, {
    error: 'counts more response times than requests',
    path: ['responseTimeBuckets'],
  });

const reportSchema = z.object({
  schema: z.literal(COUNTER_REPORT_SCHEMA),
  periodSeconds: z.number().int().positive(),
  start: z.iso.datetime(),
  // Checked entry by entry below: tens of thousands of entries per report, and one bad entry is enough.
  prefixes: z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
    error: 'must be an object of prefix -> distinct clients',
  }),
  trackedClients: count,
  maxTrackedClients: count,
  overflowRequests: count,
  malformedLines: count,
  lateLines: count,
  traffic: trafficSchema,
});

export type ReportCheck = { ok: true; report: CounterPeriodReport } | { ok: false; reason: string };

/** The report when it is well formed and covers `periodStart` in periods of `periodSeconds`; otherwise why not. */
export function checkCounterReport(body: unknown, periodStart: Date, periodSeconds: number): ReportCheck {
  const schema = body && typeof body === 'object' && 'schema' in body ? body.schema : undefined;
  if (schema !== COUNTER_REPORT_SCHEMA) {
    const given = schema === undefined ? 'has no schema' : `reports schema ${JSON.stringify(schema)}`;
    return {
      ok: false,
      reason: `${given}, not ${COUNTER_REPORT_SCHEMA} (demand and traffic): its pod runs an edge agent of another version than this collector (an edge applied by an earlier deployment, or a rollout in progress); fix: apply this deployment's edge workload to the region, which ships the matching agent`,
    };
  }
  const parsed = reportSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map(String).join('.') || 'report';
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problems)` : '';
    return { ok: false, reason: `malformed report: ${field} ${issue.message}${more}` };
  }
  const report = parsed.data as CounterPeriodReport;
  if (report.periodSeconds !== periodSeconds) {
    return {
      ok: false,
      reason: `counts periods of ${report.periodSeconds} s, not ${periodSeconds} s: its pod runs another configuration (a rollout in progress?)`,
    };
  }
  if (new Date(report.start).getTime() !== periodStart.getTime()) {
    return { ok: false, reason: `answered for the period of ${report.start}, not ${periodStart.toISOString()}` };
  }
  let sum = 0;
  for (const prefix in report.prefixes) {
    const clients = report.prefixes[prefix];
    if (!PREFIX_PATTERN.test(prefix)) {
      return {
        ok: false,
        reason: `malformed report: ${JSON.stringify(prefix.slice(0, 60))} is not an IPv4 /24 or IPv6 /48 prefix`,
      };
    }
    if (typeof clients !== 'number' || !Number.isInteger(clients) || clients < 1 || clients > MAX_CLIENTS_PER_PREFIX) {
      return {
        ok: false,
        reason: `malformed report: prefix ${prefix} counts ${JSON.stringify(clients)} clients, not a whole number of at least 1`,
      };
    }
    if (clients > 256 && prefix.endsWith('/24')) {
      return { ok: false, reason: `malformed report: ${clients} clients in ${prefix}, which holds 256 addresses` };
    }
    sum += clients;
  }
  if (sum !== report.trackedClients) {
    return {
      ok: false,
      reason: `malformed report: its prefixes add up to ${sum}, not trackedClients ${report.trackedClients}`,
    };
  }
  return { ok: true, report };
}
