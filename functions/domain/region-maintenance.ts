/**
 * Maintenance of regions that keep serving: which regions an edge rollout or a cluster upgrade
 * goes through, in which order, and what each step writes to the region's state. Pure: the
 * region task applies it under the region's lock.
 *
 * Rules:
 *   - only ACTIVE regions are maintained (one coming up gets the desired configuration and
 *     version from its scale-up; one going down needs neither);
 *   - a region that already runs the target is left out, unless the request names it;
 *   - a region whose last maintenance of this kind FAILED on the same target is left out
 *     unless an operator asks: an automatic retry would fail again the same way;
 *   - one region at a time, the canary first: for an edge rollout the configured
 *     edge.rollout.canaryRegion, else the first elastic region of the plan (it serves fewer users
 *     than an always-on one); then the other elastic regions, then the always-on ones.
 */
import { z } from 'zod';
import { approvedRegions, type AutoscalerConfig } from './config';
import { InvalidRequestError } from './errors';
import { describeFailure } from './lifecycle-rules';
import type { MaintenanceKind, RegionState } from './region-state';
import { REQUESTERS } from './workflow-input';

/**
 * The documented input of the edge rollout and cluster upgrade workflows (regionctl rollout /
 * upgrade, the reconciler, the node patch schedule, or the raw StartExecution API):
 *
 *   { "regions": ["eu-west-1"], "reason": "...", "requestedBy": "operator", "patchNodes": false }
 *
 * Without `regions`, every ACTIVE approved region that needs it.
 */
export const maintenanceInputSchema = z.strictObject({
  regions: z
    .array(z.string().min(1))
    .min(1, { error: 'must name at least one region; fix: leave it out to maintain every ACTIVE region' })
    .optional(),
  reason: z.string().max(500).default('manual request'),
  requestedBy: z.enum(REQUESTERS).default('operator'),
  requestedAt: z.iso.datetime({ offset: true }).optional(),
  /** Cluster upgrade only: also move the nodes to the latest AMI release of their version. */
  patchNodes: z.boolean().default(false),
});
export type MaintenanceInput = z.output<typeof maintenanceInputSchema>;
/** The input as a starter sends it (defaults not yet applied). */
export type MaintenanceInputRaw = z.input<typeof maintenanceInputSchema>;

export interface MaintenanceSkip {
  region: string;
  reason: string;
}

/** planMaintenance's result, stored at `$.plan` of the maintenance workflows. */
export interface MaintenancePlan {
  kind: MaintenanceKind;
  /** The edge configuration hash, or the Kubernetes version, the regions are brought to. */
  target: string;
  /** In the order they are maintained, one at a time. */
  regions: string[];
  /** The region watched alone before the others (edge rollout with more than one region). */
  canary?: string;
  /** How long the canary is watched (edge.rollout.canaryBakeSeconds): the workflow's Wait reads it here. */
  canaryBakeSeconds: number;
  skipped: MaintenanceSkip[];
  reason: string;
  requestedBy: MaintenanceInput['requestedBy'];
  patchNodes: boolean;
}

/** What the region runs, as its state records it, in the terms of the maintenance kind. */
export function currentTarget(state: RegionState, kind: MaintenanceKind): string | undefined {
  return kind === 'edgeRollout' ? state.edgeConfiguration : state.kubernetesVersion;
}

export function planMaintenance(
  config: AutoscalerConfig,
  kind: MaintenanceKind,
  target: string,
  input: MaintenanceInput,
  states: RegionState[],
): MaintenancePlan {
  const approved = approvedRegions(config);
  const named = input.regions;
  const unknown = named?.filter((r) => !approved.includes(r)) ?? [];
  if (unknown.length > 0) {
    throw new InvalidRequestError(
      `Invalid maintenance input: regions ${unknown.join(', ')} are not approved; fix: name regions of ` +
        `regions.alwaysOn or regions.elastic (${approved.join(', ')}), or leave "regions" out for every ACTIVE region`,
    );
  }
  const byRegion = new Map(states.map((s) => [s.region, s]));
  const skipped: MaintenanceSkip[] = [];
  const chosen: string[] = [];
  for (const region of named ?? approved) {
    const state = byRegion.get(region);
    // A region that is down is out of scope, not skipped: named in no summary unless asked for.
    if ((state?.status ?? 'INACTIVE') === 'INACTIVE' && named === undefined) continue;
    const skip = skipReason(state, kind, target, { named: named !== undefined, input });
    if (skip) skipped.push({ region, reason: skip });
    else chosen.push(region);
  }
  const regions = maintenanceOrder(config, kind, chosen);
  return {
    kind,
    target,
    regions,
    canary: kind === 'edgeRollout' && regions.length > 1 ? regions[0] : undefined,
    canaryBakeSeconds: config.edge.rollout.canaryBakeSeconds,
    skipped,
    reason: input.reason,
    requestedBy: input.requestedBy,
    patchNodes: kind === 'clusterUpgrade' && input.patchNodes,
  };
}

function skipReason(
  state: RegionState | undefined,
  kind: MaintenanceKind,
  target: string,
  { named, input }: { named: boolean; input: MaintenanceInput },
): string | undefined {
  const status = state?.status ?? 'INACTIVE';
  if (status !== 'ACTIVE') {
    return `${status}, not ACTIVE: a region that comes up gets the target from its scale-up`;
  }
  // A node patch moves nodes already at the version to a newer AMI; it means nothing to an edge rollout.
  const forced = named || (kind === 'clusterUpgrade' && input.patchNodes);
  if (!forced && currentTarget(state!, kind) === target) return `already at ${target}`;
  const last = state!.maintenance?.[kind];
  if (last?.status === 'FAILED' && last.target === target && input.requestedBy !== 'operator') {
    return `its last ${kind} to ${target} failed (${last.cause ?? 'no cause recorded'}); an operator retries it with regionctl`;
  }
  return undefined;
}

/** The canary first, then the elastic regions, then the always-on ones, each in configuration order. */
export function maintenanceOrder(config: AutoscalerConfig, kind: MaintenanceKind, regions: string[]): string[] {
  const ordered = [...config.regions.elastic, ...config.regions.alwaysOn].filter((r) => regions.includes(r));
  const canary = config.edge.rollout.canaryRegion;
  if (kind !== 'edgeRollout' || !canary || !ordered.includes(canary)) return ordered;
  return [canary, ...ordered.filter((r) => r !== canary)];
}

// ---- State transitions of the maintenance steps (the region's status never changes) ----

export function maintenanceStartedState(
  state: RegionState,
  kind: MaintenanceKind,
  target: string,
  owner: string,
  now: Date,
): RegionState {
  return withRecord(state, kind, { status: 'RUNNING', target, executionArn: owner, at: now.toISOString() });
}

/** The region now runs `target`: the edge configuration hash or the Kubernetes version is recorded. */
export function maintenanceFinishedState(
  state: RegionState,
  kind: MaintenanceKind,
  target: string,
  owner: string,
  now: Date,
): RegionState {
  const done = withRecord(state, kind, { status: 'SUCCEEDED', target, executionArn: owner, at: now.toISOString() });
  return kind === 'edgeRollout' ? { ...done, edgeConfiguration: target } : { ...done, kubernetesVersion: target };
}

export function maintenanceFailedState(
  state: RegionState,
  kind: MaintenanceKind,
  target: string,
  owner: string,
  cause: string,
  now: Date,
): RegionState {
  return withRecord(state, kind, { status: 'FAILED', target, executionArn: owner, at: now.toISOString(), cause });
}

/**
 * What a failed edge rollout left in its region: its previous objects `restored`, `unchanged`
 * (it failed before anything was applied: no restore ran), or the restore's own failure.
 */
export type EdgeRestoreOutcome = 'restored' | 'unchanged' | { restoreFailed: string };

/** The workflow's error of a failed region, as failMaintenance receives it (restoreEdge adds `restored` or `restore`). */
export interface MaintenanceFailure {
  Error?: string;
  Cause?: string;
  restored?: unknown;
  restore?: { Error?: string; Cause?: string };
}

export function edgeRestoreOutcome(failure: MaintenanceFailure): EdgeRestoreOutcome {
  if (failure.restore) return { restoreFailed: describeFailure(failure.restore) };
  return failure.restored ? 'restored' : 'unchanged';
}

/** The one-line cause recorded for a failed maintenance: the failure, and a failed restore beside it. */
export function maintenanceFailureCause(kind: MaintenanceKind, failure: MaintenanceFailure): string {
  const cause = describeFailure(failure);
  const restore = kind === 'edgeRollout' ? edgeRestoreOutcome(failure) : undefined;
  return typeof restore === 'object' ? `${cause}; the restore failed too: ${restore.restoreFailed}` : cause;
}

function withRecord(
  state: RegionState,
  kind: MaintenanceKind,
  record: NonNullable<RegionState['maintenance']>[MaintenanceKind],
): RegionState {
  return { ...state, maintenance: { ...state.maintenance, [kind]: record } };
}
