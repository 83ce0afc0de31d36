/**
 * The `edge` section of the configuration: the workload every region serves. Its cache rules
 * follow the reference edge's table (images, CSS/JS/fonts, HTML, API, video, never-cached
 * paths), each rule's TTL, cache key and serve-stale setting configurable; the origin's timeouts;
 * TLS at the load balancer; the cache hit-rate alarm. Pure (zod only).
 */
import { MAX_CANARY_BAKE_SECONDS } from './phase-deadlines';
import { z } from 'zod';
import { CACHE_KEY_TEMPLATES, type CacheKeyKind } from './edge-agent-contract';
import { positiveInt, positiveSeconds } from './validation';

/**
 * nginx's stable line (1.30, with the security fixes of 1.30.5), unprivileged build (runs as uid
 * 101, listens on 8080), Alpine, pinned by digest.
 */
export const DEFAULT_EDGE_IMAGE =
  'docker.io/nginxinc/nginx-unprivileged:1.30.5-alpine@sha256:4714e0b1b2577eaa1a6131d07c958b67f0eb68e6d0521e90c6e5287db8cf0bc5';

/** The TLS 1.3 + 1.2 policy ELB recommends for NLB TLS listeners. */
export const DEFAULT_TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

const seconds = (example: number) => positiveSeconds(example).default(example);

const cacheKey = (example: CacheKeyKind) =>
  z
    .enum(Object.keys(CACHE_KEY_TEMPLATES) as [CacheKeyKind, ...CacheKeyKind[]], {
      error: `must be one of ${Object.keys(CACHE_KEY_TEMPLATES).join(', ')}; fix: use for example "${example}"`,
    })
    .default(example);

const extensions = (example: string[]) =>
  z
    .array(
      z.string().regex(/^[a-z0-9]{1,10}$/, {
        error: 'is not a file extension; fix: use lower-case letters and digits without the dot, e.g. "png"',
      }),
    )
    .min(1, { error: `must list at least one extension; fix: use for example ${JSON.stringify(example)}` })
    .default(example);

const pathPrefixes = (example: string[]) =>
  z
    .array(
      z.string().regex(/^\/(?:[A-Za-z0-9._~-]+\/)+$/, {
        error:
          'is not a path prefix; fix: start and end it with "/", with at least one segment of letters, digits, ".", "_", "~", "-", e.g. "/api/"',
      }),
    )
    .min(1, { error: `must list at least one prefix; fix: use for example ${JSON.stringify(example)}` })
    .default(example);

interface RuleDefaults {
  ttlSeconds: number;
  key: CacheKeyKind;
  serveStale: boolean;
  /** Send `Cache-Control: public, max-age=<ttl>` and `Expires` to browsers. */
  browserCache: boolean;
}

/** A cache rule of files matched by extension (images, assets, video). */
const extensionRule = (defaults: RuleDefaults & { extensions: string[] }) =>
  z
    .strictObject({
      extensions: extensions(defaults.extensions),
      /** How long the edge keeps a 200 (and 301/302) answer, unless the origin's Cache-Control says otherwise. */
      ttlSeconds: seconds(defaults.ttlSeconds),
      key: cacheKey(defaults.key),
      /** Serve the cached copy while the origin fails (error, timeout, 500, 502, 503, 504) or is being refreshed. */
      serveStale: z.boolean().default(defaults.serveStale),
      browserCache: z.boolean().default(defaults.browserCache),
    })
    .prefault({});

const cacheSchema = z
  .strictObject({
    images: extensionRule({
      extensions: ['jpg', 'jpeg', 'png', 'gif', 'ico', 'webp', 'avif', 'svg'],
      ttlSeconds: 86_400,
      key: 'uri',
      serveStale: true,
      browserCache: true,
    }),
    /** CSS, JavaScript and fonts: versioned by their query string, so it is part of the key. */
    assets: extensionRule({
      extensions: ['css', 'js', 'mjs', 'woff', 'woff2', 'ttf', 'otf'],
      ttlSeconds: 86_400,
      key: 'uri+query',
      serveStale: true,
      browserCache: true,
    }),
    video: extensionRule({
      extensions: ['mp4', 'webm', 'm4s', 'm3u8'],
      ttlSeconds: 604_800,
      key: 'uri',
      serveStale: true,
      browserCache: true,
    }),
    /** HTML pages, and every path no other rule matches. */
    html: z
      .strictObject({
        ttlSeconds: seconds(300),
        key: cacheKey('uri+cookies'),
        serveStale: z.boolean().default(true),
      })
      .prefault({}),
    api: z
      .strictObject({
        pathPrefixes: pathPrefixes(['/api/']),
        ttlSeconds: seconds(300),
        key: cacheKey('uri+query'),
        serveStale: z.boolean().default(false),
        /** Requests carrying one of `sessionCookies` go to the origin and are not stored (a personal answer). */
        bypassSessionCookies: z.boolean().default(true),
      })
      .prefault({}),
    /** Paths never cached (personal pages). */
    noCache: z.strictObject({ pathPrefixes: pathPrefixes(['/admin/', '/auth/']) }).prefault({}),
    /** How long a 404 of a cached path is kept. */
    notFoundTtlSeconds: seconds(60),
    /** Cookie names that mark a signed-in user (see api.bypassSessionCookies). */
    sessionCookies: z
      .array(
        z.string().regex(/^[A-Za-z0-9_]{1,64}$/, {
          error: 'is not a cookie name nginx can read; fix: use letters, digits and "_" only, e.g. "session"',
        }),
      )
      .default(['session', 'sessionid', 'PHPSESSID', 'JSESSIONID']),
  })
  .prefault({})
  .superRefine((cache, ctx) => {
    const owners = new Map<string, string>();
    for (const rule of ['images', 'assets', 'video'] as const) {
      cache[rule].extensions.forEach((extension, i) => {
        const owner = owners.get(extension);
        if (owner) {
          ctx.addIssue({
            code: 'custom',
            path: [rule, 'extensions', i],
            input: extension,
            message: `"${extension}" is also in edge.cache.${owner}.extensions; fix: keep it in one rule`,
          });
        }
        owners.set(extension, rule);
      });
    }
    cache.api.pathPrefixes.forEach((prefix, i) => {
      const clash = cache.noCache.pathPrefixes.find((p) => p.startsWith(prefix) || prefix.startsWith(p));
      if (clash) {
        ctx.addIssue({
          code: 'custom',
          path: ['api', 'pathPrefixes', i],
          input: prefix,
          message: `overlaps edge.cache.noCache.pathPrefixes "${clash}"; fix: keep each path in one rule`,
        });
      }
    });
  });

export const edgeSchema = z.strictObject({
  /** Where the edge caches fetch from. */
  originUrl: z.url({
    protocol: /^https?$/,
    error: 'is not an http(s) URL; fix: use the origin the caches fetch from, e.g. "https://origin.example.com"',
  }),
  /** Optional file of Kubernetes manifests (JSON array) that replaces the default nginx edge. */
  manifestsPath: z.string().min(1).optional(),
  namespace: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
      error: 'is not a Kubernetes namespace name; fix: use for example "edge"',
    })
    .default('edge'),
  /** An unprivileged nginx image (runs as a non-root user, listens on 8080), pinned by digest. */
  image: z
    .string()
    .regex(/@sha256:[0-9a-f]{64}$/, {
      error: `must be pinned by digest; fix: use e.g. "${DEFAULT_EDGE_IMAGE}"`,
    })
    .default(DEFAULT_EDGE_IMAGE),
  replicas: positiveInt('pods', 2).default(2),
  origin: z
    .strictObject({
      /** How long nginx waits to connect to the origin (then serves stale where the rule allows it). */
      connectTimeoutSeconds: seconds(5),
      /** How long nginx waits between two reads (or writes) of the origin's answer. */
      readTimeoutSeconds: seconds(30),
    })
    .prefault({}),
  cache: cacheSchema,
  tls: z
    .strictObject({
      /**
       * HTTPS for dns.recordName at the load balancer, with an ACM certificate per region
       * (validated in dns.hostedZoneId); HTTP redirects to HTTPS.
       */
      enabled: z.boolean().default(true),
      /** The load balancer's TLS security policy. */
      securityPolicy: z
        .string()
        .regex(/^ELBSecurityPolicy-[A-Za-z0-9-]+$/, {
          error: `is not an ELB security policy name; fix: use for example "${DEFAULT_TLS_POLICY}"`,
        })
        .default(DEFAULT_TLS_POLICY),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /** The hit-rate alarm fires when a region's cache hit rate stays below this (percent). */
      hitRateAlarmPercent: z
        .number({ error: 'must be a percentage; fix: use for example 85' })
        .gt(0, { error: 'must be above 0; fix: use for example 85' })
        .max(100, { error: 'must be at most 100; fix: use for example 85' })
        .default(85),
      /** A period's hit rate is published only when it had at least this many cacheable requests (fewer say little). */
      hitRateMinRequests: positiveInt('requests', 100).default(100),
    })
    .prefault({}),
  /** How a changed edge configuration reaches the ACTIVE regions (the edge rollout workflow). */
  rollout: z
    .strictObject({
      /**
       * The region updated first, alone, watched for canaryBakeSeconds before any other; by default
       * the first ACTIVE elastic region (fewer users than an always-on one), else the first always-on.
       */
      canaryRegion: z.string().optional(),
      /** How long the canary must stay healthy before the other regions are updated. */
      canaryBakeSeconds: positiveSeconds(300)
        .max(MAX_CANARY_BAKE_SECONDS, {
          error: `must be at most ${MAX_CANARY_BAKE_SECONDS} (one hour), which the rollout workflow's timeout allows for; fix: use for example 300`,
        })
        .default(300),
    })
    .prefault({}),
});

export type EdgeConfig = z.output<typeof edgeSchema>;
export type EdgeCacheConfig = EdgeConfig['cache'];
