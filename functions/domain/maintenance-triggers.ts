/**
 * When the reconciler starts a maintenance workflow by itself: an edge rollout when an ACTIVE
 * region does not run the deployment's edge configuration (a region that came up before regions
 * recorded one counts as behind), a cluster upgrade when an ACTIVE region's Kubernetes version is
 * below cluster.kubernetesVersion. Pure: the reconciler reads the fleet and the running
 * executions, asks this, and starts what it says.
 *
 * Rules, in this order:
 *   - no region behind: nothing to do;
 *   - held: a region behind whose last maintenance of this kind FAILED on this same target holds
 *     the target for every region. The workflow stops at a failure so that a bad configuration
 *     (or an upgrade that breaks the edge) goes no further than one region, the canary first; an
 *     automatic run for the other regions would carry it on. An operator retries the failed region
 *     (regionctl rollout --region R); once it succeeds, the reconciler goes on with the rest;
 *   - one maintenance at a time: none starts while an execution of either maintenance workflow runs;
 *   - a region the workflow would skip is not a reason to start one: locked or with a scaling
 *     execution (the lock holder goes first, the rollout comes at a later pass) or paused. When
 *     every region behind is such a region, nothing starts now.
 */
import { compareKubernetesVersions } from './kubernetes-versions';
import { currentTarget } from './region-maintenance';
import type { MaintenanceKind } from './region-state';
import type { RegionSnapshot } from './scaling-policy';

/** The kinds in the order the reconciler considers them: configuration first, then versions. */
export const TRIGGER_ORDER: readonly MaintenanceKind[] = ['edgeRollout', 'clusterUpgrade'];

/** A maintenance kind in words ("edge rollout", "cluster upgrade"). */
export const MAINTENANCE_LABELS: Readonly<Record<MaintenanceKind, string>> = {
  edgeRollout: 'edge rollout',
  clusterUpgrade: 'cluster upgrade',
};

/** How a target reads in one line: the short configuration hash, or the Kubernetes version. */
export function targetLabel(kind: MaintenanceKind, target: string): string {
  return kind === 'edgeRollout' ? `edge configuration ${target.slice(0, 12)}` : `Kubernetes ${target}`;
}

export interface MaintenanceTriggerInput {
  kind: MaintenanceKind;
  /** What every ACTIVE region should run: the desired edge configuration hash, or cluster.kubernetesVersion. */
  target: string;
  /** A snapshot of every approved region. */
  snapshots: RegionSnapshot[];
  /** An execution of either maintenance workflow is RUNNING. */
  maintenanceRunning: boolean;
  /** Cluster upgrade: the version EKS reports, for the regions whose state records none. */
  clusterVersions?: ReadonlyMap<string, string>;
  now: Date;
}

export interface RegionNote {
  region: string;
  reason: string;
}

export type MaintenanceTrigger =
  /** Every ACTIVE region runs the target (or its version is not known). */
  | { action: 'none' }
  /** Start the workflow (without `regions`: it plans every ACTIVE region that needs it). */
  | { action: 'start'; regions: string[]; reason: string }
  /** Regions are behind, but none can be maintained now: a later pass starts it. */
  | { action: 'wait'; waiting: RegionNote[]; reason: string }
  /** The target failed in a region: no automatic run until an operator retries it. */
  | { action: 'hold'; failed: RegionNote[]; reason: string };

/** What the region runs, in the terms of the kind: the recorded value, or (versions) the one EKS reports. */
function runs(snapshot: RegionSnapshot, input: MaintenanceTriggerInput): string | undefined {
  return currentTarget(snapshot, input.kind) ?? input.clusterVersions?.get(snapshot.region);
}

/** True when the ACTIVE region should be brought to the target. */
function isBehind(snapshot: RegionSnapshot, input: MaintenanceTriggerInput): boolean {
  const current = runs(snapshot, input);
  if (input.kind === 'edgeRollout') return current !== input.target;
  // An unknown version (no record, no cluster answer) is not a reason to upgrade.
  return current !== undefined && compareKubernetesVersions(current, input.target) < 0;
}

function whyNotNow(snapshot: RegionSnapshot, now: Date): string | undefined {
  if (snapshot.locked) return `its lock is held (${snapshot.executionArn ?? 'another execution'})`;
  if (snapshot.executionRunning) return 'a scaling execution works on it';
  if (snapshot.pausedUntil && Date.parse(snapshot.pausedUntil) > now.getTime()) {
    return `paused until ${snapshot.pausedUntil}`;
  }
  return undefined;
}

export function decideMaintenanceTrigger(input: MaintenanceTriggerInput): MaintenanceTrigger {
  const { kind, target, now } = input;
  const label = MAINTENANCE_LABELS[kind];
  const wanted = targetLabel(kind, target);
  const behind = input.snapshots.filter((s) => s.status === 'ACTIVE' && isBehind(s, input));
  if (behind.length === 0) return { action: 'none' };

  const failed = behind.flatMap((s): RegionNote[] => {
    const last = s.maintenance?.[kind];
    return last?.status === 'FAILED' && last.target === target
      ? [{ region: s.region, reason: last.cause ?? 'no cause recorded' }]
      : [];
  });
  if (failed.length > 0) {
    const where = failed.map((f) => `${f.region} (${f.reason})`).join('; ');
    return {
      action: 'hold',
      failed,
      reason:
        `automatic ${label} to ${wanted} held: it failed in ${where}; ` +
        `an operator retries it (regionctl ${kind === 'edgeRollout' ? 'rollout' : 'upgrade'} --region ${failed[0]!.region}) after fixing the cause`,
    };
  }

  const described = behind.map(
    (s) => `${s.region} runs ${runs(s, input)?.slice(0, 12) ?? 'an unrecorded configuration'}`,
  );
  if (input.maintenanceRunning) {
    return {
      action: 'wait',
      waiting: behind.map((s) => ({ region: s.region, reason: 'a maintenance execution runs' })),
      reason: `${label} to ${wanted} waits for the maintenance execution that runs (${described.join(', ')})`,
    };
  }
  const waiting: RegionNote[] = [];
  const ready: string[] = [];
  for (const s of behind) {
    const reason = whyNotNow(s, now);
    if (reason) waiting.push({ region: s.region, reason });
    else ready.push(s.region);
  }
  if (ready.length === 0) {
    return {
      action: 'wait',
      waiting,
      reason: `${label} to ${wanted} waits: ${waiting.map((w) => `${w.region}: ${w.reason}`).join('; ')}`,
    };
  }
  return {
    action: 'start',
    regions: ready,
    reason: `${described.join(', ')}, not ${wanted}; ${label} of ${ready.join(', ')}`,
  };
}
