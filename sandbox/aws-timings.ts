/**
 * The sandbox's timing table: how long the emulated cloud keeps each resource in its transitional
 * state (simulated seconds), which moto does not (its EKS clusters and nodegroups are ACTIVE at
 * once, its load balancers active at the first look, its Route53 changes INSYNC at once). The
 * layer that plays them is emulated-lead-times.ts; `npm start -- --timings fast|realistic|FILE`
 * chooses the table.
 *
 * - realistic (the default of `npm start`): AWS's published figures and users' reports, the middle
 *   of each range, so that a scale-up's lead time has the shape it has on AWS.
 * - fast (the tests' default): everything at once, as moto does, but for the edge rollout's minute.
 * - FILE: a JSON object of some of the keys below (seconds), over `realistic`, or over the
 *   profile its `"base"` names (`{ "base": "fast", "clusterCreateSeconds": 120 }`).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export interface AwsTimings {
  /** EKS CreateCluster, CREATING -> ACTIVE (AWS: 9-16 min). */
  clusterCreateSeconds: number;
  /** EKS DeleteCluster, DELETING -> gone (3-9 min). */
  clusterDeleteSeconds: number;
  /** EKS CreateNodegroup, CREATING -> ACTIVE: instances launched and joined (1.5-3.5 min). */
  nodegroupCreateSeconds: number;
  /** EKS DeleteNodegroup, DELETING -> gone: nodes drained and terminated (2-10 min). */
  nodegroupDeleteSeconds: number;
  /**
   * UpdateNodegroupConfig raising the desired size of a nodegroup with an EC2 warm pool: its
   * stopped, pre-initialized instances start and join (UPDATING -> ACTIVE, about a minute).
   */
  nodegroupScaleOutFromWarmPoolSeconds: number;
  /** The same without a warm pool: new instances launch, boot and join, as in a creation. */
  nodegroupScaleOutSeconds: number;
  /** UpdateNodegroupConfig lowering the desired size (to zero: WARM): nodes drained and stopped. */
  nodegroupScaleInSeconds: number;
  /** New pods of the edge Deployment on ready nodes: scheduled, image cached, readiness passed (~20 s). */
  podsReadySeconds: number;
  /** A changed edge Deployment's rollout: its pods replaced a few at a time (about a minute). */
  edgeRolloutSeconds: number;
  /** A network load balancer, provisioning -> active (ELBv2 State; 1-3 min). */
  loadBalancerCreateSeconds: number;
  /** A Route53 change batch, PENDING -> INSYNC (GetChange; all name servers within about 60 s). */
  dnsChangeSeconds: number;
}

export type TimingProfileName = 'fast' | 'realistic';

export const TIMING_PROFILES: Record<TimingProfileName, AwsTimings> = {
  realistic: {
    clusterCreateSeconds: 660,
    clusterDeleteSeconds: 300,
    nodegroupCreateSeconds: 150,
    nodegroupDeleteSeconds: 180,
    nodegroupScaleOutFromWarmPoolSeconds: 60,
    nodegroupScaleOutSeconds: 150,
    nodegroupScaleInSeconds: 60,
    podsReadySeconds: 20,
    edgeRolloutSeconds: 60,
    loadBalancerCreateSeconds: 120,
    dnsChangeSeconds: 60,
  },
  fast: {
    clusterCreateSeconds: 0,
    clusterDeleteSeconds: 0,
    nodegroupCreateSeconds: 0,
    nodegroupDeleteSeconds: 0,
    nodegroupScaleOutFromWarmPoolSeconds: 0,
    nodegroupScaleOutSeconds: 0,
    nodegroupScaleInSeconds: 0,
    podsReadySeconds: 0,
    edgeRolloutSeconds: 60,
    loadBalancerCreateSeconds: 0,
    dnsChangeSeconds: 0,
  },
};

/** A timing table and what it was chosen as (`realistic`, `fast`, or the file's path), for the timeline and the report. */
export interface NamedTimings {
  name: string;
  timings: AwsTimings;
}

export const namedProfile = (name: TimingProfileName): NamedTimings => ({ name, timings: TIMING_PROFILES[name] });

const seconds = z
  .number()
  .int()
  .min(0)
  .max(24 * 3600);
const timingsFileSchema = z
  .object({
    base: z.enum(['fast', 'realistic']).optional(),
    ...(Object.fromEntries(Object.keys(TIMING_PROFILES.realistic).map((key) => [key, seconds.optional()])) as Record<
      keyof AwsTimings,
      z.ZodOptional<typeof seconds>
    >),
  })
  .strict();

/** `fast`, `realistic`, or the path of a JSON file of timings (see the header); a clear error otherwise. */
export function readTimings(option: string): NamedTimings {
  if (option === 'fast' || option === 'realistic') return namedProfile(option);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(option, 'utf8'));
  } catch (error) {
    throw new Error(
      `--timings ${option}: not "fast", "realistic" or a readable JSON file (${(error as Error).message}); ` +
        'fix: pass a profile name or the path of a JSON object of timings in seconds',
      { cause: error },
    );
  }
  return { name: option, timings: parseTimings(raw, option) };
}

/** A timings object (some keys, in seconds, over its `base` profile, realistic by default). */
export function parseTimings(raw: unknown, source: string): AwsTimings {
  const parsed = timingsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path.join('.') || '(the file)';
      if (issue.code === 'unrecognized_keys') {
        return `${issue.keys.join(', ')}: not a timing; the timings are base, ${Object.keys(TIMING_PROFILES.realistic).join(', ')}`;
      }
      return `${field}: ${issue.message}; fix: whole seconds from 0 to 86400`;
    });
    throw new Error(`Invalid timings in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  const { base = 'realistic', ...overrides } = parsed.data;
  return { ...TIMING_PROFILES[base], ...overrides };
}

/** One line for the start of a run: `realistic (EKS cluster 11 min, nodegroup 2.5 min, ...)`. */
export function describeTimings({ name, timings }: NamedTimings): string {
  const minutes = (s: number) => `${Math.round((s / 60) * 10) / 10} min`;
  const t = timings;
  return (
    `${name}: EKS cluster ${minutes(t.clusterCreateSeconds)} to create, ${minutes(t.clusterDeleteSeconds)} to delete; ` +
    `nodegroup ${minutes(t.nodegroupCreateSeconds)} / ${minutes(t.nodegroupDeleteSeconds)}; ` +
    `nodes from the warm pool ${minutes(t.nodegroupScaleOutFromWarmPoolSeconds)} (${minutes(t.nodegroupScaleOutSeconds)} without), ` +
    `to zero ${minutes(t.nodegroupScaleInSeconds)}; pods ${t.podsReadySeconds} s; load balancer ${minutes(t.loadBalancerCreateSeconds)}; ` +
    `DNS change ${minutes(t.dnsChangeSeconds)}`
  );
}
