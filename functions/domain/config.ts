/**
 * The autoscaler's one configuration object: its schema, its cross-field rules and the
 * helpers that derive per-region values from it. Pure TypeScript (zod only): the CDK app,
 * the Lambdas, the CLI and the simulator all validate with this module.
 */
import { z } from 'zod';
import { AWS_REGIONS, isAwsRegion } from './aws-regions';
import { edgeSchema } from './edge-config';
import { adminRoleArnsSchema, endpointPublicAccessCidrsSchema } from './cluster-security-config';
import {
  isKnownKubernetesVersion,
  KNOWN_KUBERNETES_VERSIONS,
  SUGGESTED_KUBERNETES_VERSION,
  unsupportedVersionProblem,
} from './kubernetes-versions';
import { positiveInt, positiveSeconds, valueAt } from './validation';
import { MAX_DRAIN_WAIT_SECONDS } from './phase-deadlines';

const REGION_FIX = `use an AWS region code such as us-east-1 (known codes: ${AWS_REGIONS.join(', ')})`;

const region = z.string().refine((value): boolean => isAwsRegion(value), {
  error: `is not an AWS region code; fix: ${REGION_FIX}`,
});

/** CloudWatch accepts 10 s and 30 s (high-resolution metrics) or any multiple of 60 s. */
const alarmPeriodSeconds = positiveSeconds(60).refine((p) => p === 10 || p === 30 || p % 60 === 0, {
  error: 'is not a CloudWatch alarm period; fix: use 10 or 30 (high resolution) or a multiple of 60',
});

const alarmRule = z.strictObject({
  /** Demand (users) that the alarm compares against. */
  users: z
    .number({ error: 'must be a number of users; fix: use for example 500' })
    .nonnegative({ error: 'must be 0 or more users; fix: use for example 500' }),
  /** M: how many breaching datapoints within the evaluation range trigger the alarm. */
  datapointsToAlarm: positiveInt('datapoints M of N', 3),
  /** N: how many most recent periods are evaluated. */
  evaluationPeriods: positiveInt('evaluation periods N', 5),
});

const thresholds = z.strictObject({
  periodSeconds: alarmPeriodSeconds,
  scaleUp: alarmRule,
  scaleDown: alarmRule,
});

const thresholdOverride = z.strictObject({
  periodSeconds: alarmPeriodSeconds.optional(),
  scaleUp: alarmRule.partial().optional(),
  scaleDown: alarmRule.partial().optional(),
});

/**
 * An EventBridge Scheduler expression for the node patches: cron(minutes hours day-of-month month
 * day-of-week year), or rate(N days). A patch replaces every node (10-30 minutes a region), so
 * rates under a day are refused.
 */
const nodePatchScheduleSchema = z
  .string()
  .regex(/^(cron\(\S+( \S+){5}\)|rate\(\d+ (minutes?|hours?|days?)\))$/, {
    error:
      'is not an EventBridge Scheduler expression; fix: use cron(minutes hours day-of-month month day-of-week year), e.g. "cron(0 4 ? * SUN *)" (Sundays 04:00 UTC), or "rate(7 days)"',
    abort: true,
  })
  .refine((expression) => !/^rate\(\d+ (minutes?|hours?)\)$/.test(expression) || rateHours(expression) >= 24, {
    error:
      'patches more often than once a day, and each patch replaces every node; fix: use at least "rate(1 day)", e.g. "cron(0 4 ? * SUN *)"',
  });

function rateHours(expression: string): number {
  const [, amount = '0', unit = ''] = /^rate\((\d+) (\w+)\)$/.exec(expression) ?? [];
  return unit.startsWith('minute') ? Number(amount) / 60 : Number(amount);
}

/** Node 22 on Alpine from ECR Public (a mirror of Docker Hub's official image), pinned by digest. */
export const DEFAULT_COUNTER_IMAGE =
  'public.ecr.aws/docker/library/node:22-alpine@sha256:8094c002d08262dba12645a3b4a15cd6cd627d30bc782f53229a2ec13ee22a00';

export const DEFAULT_PREEMPT_RATIO = 2;
export const DEFAULT_WARM_KEEP_HOURS = 6;
export const DEFAULT_WARM_MAX_USD_PER_HOUR = 0.5;
export const DEFAULT_WARM_SCALE_UP_SECONDS = 210;
export const DEFAULT_WARM_UP_SECONDS = 840;
export const DEFAULT_WARM_DOWN_SECONDS = 480;
export const FORECAST_MODES = ['on', 'forecast-only', 'off'] as const;
export type ForecastMode = (typeof FORECAST_MODES)[number];
export const MAX_FORECAST_HISTORY_DAYS = 14;

export const configSchema = z
  .strictObject({
    /** Prefix of every stack, cluster, role, table and parameter name; also the ownership tag value. */
    prefix: z.string().regex(/^[a-z][a-z0-9-]{1,18}[a-z0-9]$/, {
      error:
        'must be 3-20 characters of lower-case letters, digits and hyphens, starting with a letter; fix: use for example "edgescale"',
    }),
    /** Account to deploy to; defaults to the CLI's credentials (CDK_DEFAULT_ACCOUNT). */
    account: z
      .string()
      .regex(/^\d{12}$/, { error: 'must be a 12-digit AWS account id; fix: remove it or use e.g. "123456789012"' })
      .optional(),
    /** Region of the control plane: state table, workflows, Lambdas, alarms, dashboard. */
    homeRegion: region,
    regions: z.strictObject({
      alwaysOn: z.array(region).min(1, {
        error: 'must list at least one region; fix: add the region(s) that must always serve, e.g. ["us-east-1"]',
      }),
      elastic: z.array(region),
    }),
    dns: z.strictObject({
      hostedZoneId: z.string().regex(/^Z[A-Z0-9]{4,31}$/, {
        error: 'is not a Route53 hosted zone id; fix: use the id without "/hostedzone/", e.g. "Z0123456789ABCDEFGHIJ"',
      }),
      recordName: z.string().regex(/^(?=.{1,253}\.?$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$/, {
        error: 'is not a DNS name; fix: use a lower-case fully qualified name such as "edge.cdn.example.com"',
      }),
      ttlSeconds: positiveSeconds(60),
    }),
    scaling: z.strictObject({
      thresholds,
      /** Per-region overrides of the thresholds, keyed by elastic region code. */
      regionOverrides: z.record(z.string(), thresholdOverride).default({}),
      /** Minimum time between two transitions of one region. */
      cooldownSeconds: positiveSeconds(1800),
      /** A region scaled up stays at least this long before an automatic scale-down. */
      minActiveSeconds: positiveSeconds(3600),
      /** At most this many elastic regions serving or provisioning at once. */
      maxElasticActive: positiveInt('elastic regions', 2),
      /** Time between withdrawing a record (after TTL) and deleting the cluster. */
      drainSeconds: positiveSeconds(300),
      /** How often the reconciler runs. */
      reconcileIntervalMinutes: positiveInt('minutes', 5).default(5),
      /**
       * Demand-ranked slots: with every elastic slot taken, a waiting region whose demand (or
       * forecast) is more than this many times the weakest serving elastic region's takes its slot
       * (scaling-policy.ts). 0 turns it off.
       */
      preemptRatio: z
        .number({ error: 'must be a number; fix: use for example 2, or 0 to turn preemption off' })
        .refine((ratio) => ratio === 0 || (ratio > 1 && ratio <= 100), {
          error:
            'must be 0 (off) or above 1 and at most 100: at 1 or below two regions of equal demand would swap back and forth; fix: use for example 2',
        })
        .default(DEFAULT_PREEMPT_RATIO),
    }),
    cluster: z.strictObject({
      /**
       * A version of EKS's release calendar (kubernetes-versions.ts). Whether it is still supported
       * depends on the date: checked at synth (configProblems with `at`), not here, so a deployed
       * autoscaler keeps running when its version's support ends.
       */
      kubernetesVersion: z
        .string()
        .regex(/^1\.\d{2}$/, {
          error: `is not an EKS Kubernetes version; fix: use for example "${SUGGESTED_KUBERNETES_VERSION}"`,
          abort: true,
        })
        .refine(isKnownKubernetesVersion, {
          error: `is not in EKS's release calendar as this autoscaler knows it (${KNOWN_KUBERNETES_VERSIONS.join(', ')}); fix: use one of these, e.g. "${SUGGESTED_KUBERNETES_VERSION}" (in standard support), or add a newer EKS version to EKS_RELEASE_CALENDAR in functions/domain/kubernetes-versions.ts`,
        }),
      instanceTypes: z
        .array(
          z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, {
            error: 'is not an EC2 instance type; fix: use for example "t3.medium"',
          }),
        )
        .min(1, { error: 'must list at least one instance type; fix: use for example ["t3.medium"]' }),
      nodes: z.strictObject({
        min: positiveInt('nodes', 2),
        desired: positiveInt('nodes', 2),
        max: positiveInt('nodes', 4),
      }),
      /** IAM roles of the people who administer the clusters: each gets an access entry with cluster admin. */
      adminRoleArns: adminRoleArnsSchema,
      /** Who may reach the public Kubernetes API endpoint (cluster-security-config.ts says why the default is open). */
      endpointPublicAccessCidrs: endpointPublicAccessCidrsSchema,
      /**
       * When the nodes of every ACTIVE region move to the latest AMI release of their Kubernetes
       * version (the cluster upgrade workflow with patchNodes): an EventBridge Scheduler expression,
       * in UTC. Left out: nodes are replaced only by a version upgrade.
       */
      nodePatchSchedule: nodePatchScheduleSchema.optional(),
    }),
    edge: edgeSchema,
    /** Where the demand signal (`ActiveUsers` per approved region) comes from. */
    demand: z
      .strictObject({
        /**
         * `edge-counters`: the edges count their clients and the collector Lambda attributes and
         * publishes them (no user code). `external`: the user publishes ActiveUsers (publishDemand,
         * `regionctl publish-demand`); no counter, no collector. Never both.
         */
        source: z
          .enum(['edge-counters', 'external'], {
            error:
              'must be "edge-counters" or "external"; fix: use "edge-counters" unless you publish ActiveUsers yourself',
          })
          .default('edge-counters'),
        /**
         * MMDB files (GeoLite2/GeoIP2 City or DB-IP City layout) that locate client prefixes, looked up in
         * order; by default the DB-IP Lite City databases shipped with the collector.
         */
        geoDatabaseFiles: z
          .array(
            z.string().regex(/\.mmdb$/, { error: 'is not an .mmdb file; fix: give the path of a MaxMind DB file' }),
          )
          .min(1, { error: 'must list at least one file; fix: remove it to use the shipped database' })
          .optional(),
        /** Country (ISO 3166-1 alpha-2) -> approved region, taking precedence over distance, e.g. {"BR": "sa-east-1"}. */
        countryRegions: z
          .record(
            z.string().regex(/^[A-Z]{2}$/, { error: 'is not an ISO 3166-1 alpha-2 country code; fix: use e.g. "BR"' }),
            region,
          )
          .default({}),
        counter: z
          .strictObject({
            /** Public Node.js image the edge agent (the counter, traffic counts, purge) runs on (its code comes from a ConfigMap), pinned by digest. */
            image: z
              .string()
              .regex(/@sha256:[0-9a-f]{64}$/, {
                error:
                  'must be pinned by digest; fix: use e.g. "public.ecr.aws/docker/library/node:22-alpine@sha256:<64 hex>"',
              })
              .default(DEFAULT_COUNTER_IMAGE),
            /** Memory cap: distinct clients tracked per period and pod; requests of further clients are counted as overflow. */
            maxTrackedClients: positiveInt('clients', 200_000).default(200_000),
          })
          .default({ image: DEFAULT_COUNTER_IMAGE, maxTrackedClients: 200_000 }),
      })
      .default({
        source: 'edge-counters',
        countryRegions: {},
        counter: { image: DEFAULT_COUNTER_IMAGE, maxTrackedClients: 200_000 },
      }),
    /**
     * The warm standby tier: a WARM region keeps its control plane, its load balancer and its
     * (stopped) warm-pool nodes, runs no node and has no DNS record, and serves again in minutes.
     */
    warm: z
      .strictObject({
        /** Elastic regions that go WARM instead of INACTIVE after a scale-down, and that a forecast may warm up. */
        regions: z.array(region).default([]),
        /** How long a region stays WARM after its scale-down before it is torn down to INACTIVE. */
        keepHours: z
          .number({ error: 'must be a number of hours; fix: use for example 6' })
          .positive({ error: 'must be greater than 0 hours; fix: use for example 6' })
          .max(168, { error: 'must be at most 168 hours (a week); fix: use for example 6' })
          .default(DEFAULT_WARM_KEEP_HOURS),
        /** Cost cap of the whole warm tier: WARM regions at most cost this much per hour together (pricing.ts warmPrice). */
        maxUsdPerHour: z
          .number({ error: 'must be a number of US dollars per hour; fix: use for example 0.5' })
          .nonnegative({ error: 'must not be negative; fix: use for example 0.5, or 0 for no warm region' })
          .default(DEFAULT_WARM_MAX_USD_PER_HOUR),
        /** Keep the nodes' instances stopped in an EC2 warm pool of the nodegroup (EKS warmPoolConfig) while WARM. */
        nodeWarmPool: z.boolean({ error: 'must be true or false; fix: use true' }).default(true),
      })
      .default({
        regions: [],
        keepHours: DEFAULT_WARM_KEEP_HOURS,
        maxUsdPerHour: DEFAULT_WARM_MAX_USD_PER_HOUR,
        nodeWarmPool: true,
      }),
    /** Predictive pre-warm: the reconciler's demand forecast (demand-forecast.ts). */
    forecast: z
      .strictObject({
        /** `on`: act on the forecast; `forecast-only`: only record what it would have done; `off`. */
        mode: z.enum(FORECAST_MODES, { error: 'must be "on", "forecast-only" or "off"; fix: use "on"' }).default('on'),
        /** Days of ActiveUsers history the forecast reads (one GetMetricData call per run). */
        historyDays: z
          .number({ error: 'must be a number of days; fix: use for example 14' })
          .int({ error: 'must be a whole number of days; fix: use for example 14' })
          .min(1, { error: 'must be at least 1 day; fix: use for example 14' })
          .max(MAX_FORECAST_HISTORY_DAYS, {
            error: `must be at most ${MAX_FORECAST_HISTORY_DAYS} days; fix: use for example 14`,
          })
          .default(MAX_FORECAST_HISTORY_DAYS),
        /** A region's forecast does nothing until it has this much history. */
        minHistoryHours: positiveInt('hours', 24).default(24),
      })
      .default({ mode: 'on', historyDays: MAX_FORECAST_HISTORY_DAYS, minHistoryHours: 24 }),
    /**
     * Lead times before any is measured (the reconciler then uses the workflows' own
     * ScaleUpLeadTimeSeconds), and the simulator's provisioning model (defaults from published EKS timings).
     */
    provisioning: z
      .strictObject({
        /** Cold scale-up, INACTIVE -> ACTIVE: control plane, nodegroup, load balancer, DNS. */
        scaleUpSeconds: positiveSeconds(900).default(900),
        /** Scale-down to INACTIVE: record withdrawn, drain, nodegroup and cluster deleted. */
        scaleDownSeconds: positiveSeconds(900).default(900),
        /** WARM -> ACTIVE: nodes from the warm pool, pods ready, DNS. */
        warmScaleUpSeconds: positiveSeconds(210).default(DEFAULT_WARM_SCALE_UP_SECONDS),
        /** INACTIVE -> WARM (a warm-up): control plane, nodegroup at zero, load balancer. */
        warmUpSeconds: positiveSeconds(840).default(DEFAULT_WARM_UP_SECONDS),
        /** ACTIVE -> WARM: record withdrawn, drain, nodes back to the warm pool. */
        warmDownSeconds: positiveSeconds(480).default(DEFAULT_WARM_DOWN_SECONDS),
      })
      .default({
        scaleUpSeconds: 900,
        scaleDownSeconds: 900,
        warmScaleUpSeconds: DEFAULT_WARM_SCALE_UP_SECONDS,
        warmUpSeconds: DEFAULT_WARM_UP_SECONDS,
        warmDownSeconds: DEFAULT_WARM_DOWN_SECONDS,
      }),
  })
  .superRefine((config, ctx) => {
    const { alwaysOn, elastic } = config.regions;
    for (const [listName, list] of [
      ['alwaysOn', alwaysOn],
      ['elastic', elastic],
    ] as const) {
      list.forEach((r, i) => {
        if (list.indexOf(r) !== i) {
          ctx.addIssue({
            code: 'custom',
            path: ['regions', listName, i],
            input: r,
            message: `lists ${r} twice; fix: keep one entry`,
          });
        }
      });
    }
    elastic.forEach((r, i) => {
      if (alwaysOn.includes(r)) {
        ctx.addIssue({
          code: 'custom',
          path: ['regions', 'elastic', i],
          input: r,
          message: `${r} is in both regions.alwaysOn and regions.elastic; fix: keep it in one list only`,
        });
      }
    });
    const { scaling } = config;
    const defaultProblems = thresholdProblems(scaling.thresholds);
    for (const problem of defaultProblems) {
      ctx.addIssue({
        code: 'custom',
        path: ['scaling', 'thresholds', ...problem.path],
        input: problem.input,
        message: problem.message,
      });
    }
    for (const [r, override] of Object.entries(scaling.regionOverrides)) {
      if (!elastic.includes(r)) {
        ctx.addIssue({
          code: 'custom',
          path: ['scaling', 'regionOverrides', r],
          input: override,
          message: `overrides thresholds for ${r}, which is not in regions.elastic (only elastic regions scale); fix: remove the override or add ${r} to regions.elastic`,
        });
        continue;
      }
      // Report only what the override itself breaks; problems of the defaults are reported once, above.
      for (const problem of thresholdProblems(mergeThresholds(scaling.thresholds, override))) {
        if (defaultProblems.some((d) => d.message === problem.message)) continue;
        ctx.addIssue({
          code: 'custom',
          path: ['scaling', 'regionOverrides', r, ...problem.path],
          input: problem.input,
          message: problem.message,
        });
      }
    }

    if (scaling.drainSeconds < config.dns.ttlSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['scaling', 'drainSeconds'],
        input: scaling.drainSeconds,
        message: `is shorter than dns.ttlSeconds (${config.dns.ttlSeconds}): resolvers would still send users to a deleted edge; fix: set it to at least ${config.dns.ttlSeconds}`,
      });
    }

    if (config.dns.ttlSeconds + scaling.drainSeconds > MAX_DRAIN_WAIT_SECONDS) {
      ctx.addIssue({
        code: 'custom',
        path: ['scaling', 'drainSeconds'],
        input: scaling.drainSeconds,
        message: `plus dns.ttlSeconds (${config.dns.ttlSeconds}) is ${config.dns.ttlSeconds + scaling.drainSeconds} s, longer than the ${MAX_DRAIN_WAIT_SECONDS} s the scale-down workflow's timeout allows for the drain; fix: set drainSeconds to at most ${MAX_DRAIN_WAIT_SECONDS - config.dns.ttlSeconds}`,
      });
    }

    config.warm.regions.forEach((r, i) => {
      if (!elastic.includes(r)) {
        ctx.addIssue({
          code: 'custom',
          path: ['warm', 'regions', i],
          input: r,
          message: alwaysOn.includes(r)
            ? `${r} is always-on: it always serves and never goes WARM; fix: remove it from warm.regions`
            : `${r} is not in regions.elastic; fix: add it to regions.elastic or remove it from warm.regions`,
        });
      }
    });

    const canary = config.edge.rollout.canaryRegion;
    if (canary !== undefined && !alwaysOn.includes(canary) && !elastic.includes(canary)) {
      ctx.addIssue({
        code: 'custom',
        path: ['edge', 'rollout', 'canaryRegion'],
        input: canary,
        message: `${canary} is not an approved region; fix: use one of regions.alwaysOn or regions.elastic, or leave it out (the first ACTIVE elastic region is the canary)`,
      });
    }

    for (const [country, target] of Object.entries(config.demand.countryRegions)) {
      if (!alwaysOn.includes(target) && !elastic.includes(target)) {
        ctx.addIssue({
          code: 'custom',
          path: ['demand', 'countryRegions', country],
          input: target,
          message: `sends the users of ${country} to ${target}, which is in neither regions.alwaysOn nor regions.elastic; fix: name an approved region or add ${target} to regions.elastic`,
        });
      }
    }

    const { min, desired, max } = config.cluster.nodes;
    if (!(min <= desired && desired <= max)) {
      ctx.addIssue({
        code: 'custom',
        path: ['cluster', 'nodes'],
        input: config.cluster.nodes,
        message: `must satisfy min <= desired <= max (got ${min}/${desired}/${max}); fix: for example {"min":2,"desired":2,"max":4}`,
      });
    }
  });

interface ThresholdProblem {
  path: string[];
  input: number;
  message: string;
}

function thresholdProblems(t: Thresholds): ThresholdProblem[] {
  const problems: ThresholdProblem[] = [];
  if (t.scaleDown.users >= t.scaleUp.users) {
    problems.push({
      path: ['scaleDown', 'users'],
      input: t.scaleDown.users,
      message: `must be below scaleUp.users (${t.scaleUp.users}), or regions would flap up and down; fix: set it lower than ${t.scaleUp.users}`,
    });
  }
  for (const direction of ['scaleUp', 'scaleDown'] as const) {
    const { datapointsToAlarm, evaluationPeriods } = t[direction];
    if (datapointsToAlarm > evaluationPeriods) {
      problems.push({
        path: [direction, 'datapointsToAlarm'],
        input: datapointsToAlarm,
        message: `M (${datapointsToAlarm}) is greater than evaluationPeriods N (${evaluationPeriods}): the alarm could never fire; fix: set it to at most ${evaluationPeriods}`,
      });
    }
  }
  return problems;
}

export type AutoscalerConfigInput = z.input<typeof configSchema>;
export type AutoscalerConfig = z.output<typeof configSchema>;
export type Thresholds = z.output<typeof thresholds>;
type ThresholdOverride = z.output<typeof thresholdOverride>;

function mergeThresholds(base: Thresholds, override: ThresholdOverride): Thresholds {
  return {
    periodSeconds: override.periodSeconds ?? base.periodSeconds,
    scaleUp: { ...base.scaleUp, ...definedOnly(override.scaleUp) },
    scaleDown: { ...base.scaleDown, ...definedOnly(override.scaleDown) },
  };
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Thrown with every problem of a configuration; each problem names the field, the value and the fix. */
export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    source: string,
  ) {
    super(`Invalid autoscaler configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * `at`: also refuse what cannot be deployed on that date (a Kubernetes version past EKS's
 * extended support). The synth and `regionctl config validate` pass it; the Lambdas, which read
 * the configuration that was deployed, do not: it stays valid for them whatever the date.
 */
export interface ConfigCheckOptions {
  at?: Date;
}

/** Returns every problem of a raw configuration, as one line each; empty when it is valid. */
export function configProblems(raw: unknown, options: ConfigCheckOptions = {}): string[] {
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (result.success) return options.at ? deploymentDateProblems(result.data, options.at) : [];
  return result.error.issues.map((issue) => {
    const path = issue.path.map(String);
    const field = ['autoscaler', ...path].join('.');
    const value = issue.input !== undefined ? issue.input : valueAt(raw, path);
    const shown = value === undefined ? 'missing' : JSON.stringify(value);
    let message = issue.message;
    if (issue.code === 'invalid_type' && value === undefined)
      message = 'is required; fix: add it (see cdk.json for an example)';
    else if (issue.code === 'invalid_type') message = `${message}; fix: give it the documented type (see cdk.json)`;
    else if (issue.code === 'unrecognized_keys')
      message = `${message}; fix: remove it or correct its spelling (see README "Configure")`;
    return `${field} = ${shown}: ${message}`;
  });
}

/** Validates a raw configuration, or throws a ConfigError listing every problem. */
export function parseConfig(
  raw: unknown,
  source = 'configuration',
  options: ConfigCheckOptions = {},
): AutoscalerConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(configProblems(raw), source);
  const dated = options.at ? deploymentDateProblems(result.data, options.at) : [];
  if (dated.length > 0) throw new ConfigError(dated, source);
  return result.data;
}

function deploymentDateProblems(config: AutoscalerConfig, at: Date): string[] {
  const version = config.cluster.kubernetesVersion;
  const problem = unsupportedVersionProblem(version, at);
  return problem ? [`autoscaler.cluster.kubernetesVersion = ${JSON.stringify(version)}: ${problem}`] : [];
}

// ---- Derived values: one place for every per-region rule ----

export type RegionList = 'always-on' | 'elastic';

export function approvedRegions(config: AutoscalerConfig): string[] {
  return [...config.regions.alwaysOn, ...config.regions.elastic];
}

/** The list a region belongs to, or undefined when it is not approved (never touched). */
export function regionList(config: AutoscalerConfig, region: string): RegionList | undefined {
  if (config.regions.alwaysOn.includes(region)) return 'always-on';
  if (config.regions.elastic.includes(region)) return 'elastic';
  return undefined;
}

/** The thresholds of one region: the defaults with its override applied. */
/** Whether the region goes WARM, not INACTIVE, after a scale-down (cost cap permitting). */
export function isWarmRegion(config: AutoscalerConfig, region: string): boolean {
  return config.warm.regions.includes(region);
}

export function thresholdsFor(config: AutoscalerConfig, region: string): Thresholds {
  const override = config.scaling.regionOverrides[region];
  return override ? mergeThresholds(config.scaling.thresholds, override) : config.scaling.thresholds;
}
