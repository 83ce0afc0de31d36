/**
 * The text of the SNS notifications the workflows send: one line that says what happened, in
 * which region and why, readable in an e-mail subject, a chat channel or a pager.
 */
import type { EdgeRestoreOutcome } from './region-maintenance';
import type { MaintenanceKind, ScaleDirection, TransitionTarget } from './region-state';

export interface Notification {
  /** SNS subjects are ASCII, shorter than 100 characters. */
  subject: string;
  message: string;
}

/** Who asked and why, when the workflow passed it on. */
export interface RequestContext {
  reason?: string;
  requestedBy?: string;
}

const SUBJECT_LIMIT = 99;

const verb = (direction: ScaleDirection) => (direction === 'up' ? 'Scale-up' : 'Scale-down');

function why({ reason, requestedBy }: RequestContext): string {
  if (!reason && !requestedBy) return '';
  return ` Requested by ${requestedBy ?? 'unknown'}: ${reason ?? 'no reason given'}.`;
}

/** Line breaks and runs of spaces (a multi-line reason or error message) become one space. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * Request fields end up in the subject (e.g. the region of a refused request): anything but
 * printable ASCII, which SNS rejects in a subject, becomes '?'.
 */
const asciiSubject = (text: string) => oneLine(text).replace(/[^\x20-\x7e]/g, '?');

function notification(prefix: string, subject: string, message: string): Notification {
  const fullSubject = asciiSubject(`[${prefix}] ${subject}`);
  return {
    subject: fullSubject.length > SUBJECT_LIMIT ? `${fullSubject.slice(0, SUBJECT_LIMIT - 3)}...` : fullSubject,
    message: oneLine(`[${prefix}] ${message}`),
  };
}

export function scalingFinished(
  prefix: string,
  region: string,
  direction: ScaleDirection,
  request: RequestContext,
  recordTarget?: { dnsName: string },
  /** Where the transition ended; WARM: a warm-up, or a scale-down that kept the region warm. */
  target: TransitionTarget = direction === 'up' ? 'ACTIVE' : 'INACTIVE',
): Notification {
  if (target === 'WARM') {
    const done =
      direction === 'up'
        ? `Warm-up of ${region} finished: cluster, load balancer and nodegroup (at zero nodes) ready, no record; region WARM.`
        : `Scale-down of ${region} finished: record withdrawn, pods and nodes stopped, cluster and load balancer kept; region WARM.`;
    return notification(prefix, `${region} is warm`, `${done}${why(request)}`);
  }
  if (direction === 'up') {
    const target = recordTarget ? ` (latency record -> ${recordTarget.dnsName})` : '';
    return notification(
      prefix,
      `${region} is serving`,
      `Scale-up of ${region} finished: the region is ACTIVE and in DNS${target}.${why(request)}`,
    );
  }
  return notification(
    prefix,
    `${region} is down`,
    `Scale-down of ${region} finished: record withdrawn, edge cluster deleted, region INACTIVE.${why(request)}`,
  );
}

export function scalingFailed(
  prefix: string,
  region: string,
  direction: ScaleDirection,
  cause: string,
  request: RequestContext,
): Notification {
  const aftermath = direction === 'up' ? 'what this run created was rolled back' : 'the region may be partly torn down';
  return notification(
    prefix,
    `${verb(direction)} of ${region} FAILED`,
    `${verb(direction)} of ${region} FAILED, region marked FAILED (${aftermath}): ${cause}.${why(request)}`,
  );
}

export function scalingRefused(
  prefix: string,
  region: string | undefined,
  direction: ScaleDirection,
  cause: string,
  request: RequestContext,
): Notification {
  const where = region ?? 'an unnamed region';
  return notification(
    prefix,
    `${verb(direction)} of ${where} refused`,
    `${verb(direction)} of ${where} refused, nothing was changed: ${cause}.${why(request)}`,
  );
}

const MAINTENANCE_NAMES: Record<MaintenanceKind, string> = {
  edgeRollout: 'Edge rollout',
  clusterUpgrade: 'Cluster upgrade',
};

/** What a maintenance brings a region to, in words: a short hash, or a Kubernetes version. */
const targetText = (kind: MaintenanceKind, target: string) =>
  kind === 'edgeRollout' ? `edge configuration ${target.slice(0, 12)}` : `Kubernetes ${target}`;

/** What the region runs after the failure, in words. */
const EDGE_AFTERMATH = {
  restored: 'its previous edge manifests were restored and the rollout stopped',
  unchanged: 'nothing had been applied to it; the rollout stopped',
} as const;

/** `restore`: what a failed edge rollout left in the region (edgeRestoreOutcome). */
export function maintenanceFailed(
  prefix: string,
  region: string,
  kind: MaintenanceKind,
  target: string,
  cause: string,
  restore: EdgeRestoreOutcome = 'unchanged',
): Notification {
  const aftermath =
    kind !== 'edgeRollout'
      ? 'the upgrade stopped; the region keeps serving on what it runs now'
      : typeof restore === 'object'
        ? 'restoring its previous edge manifests failed too, so it may run part of the new ones; the rollout stopped'
        : EDGE_AFTERMATH[restore];
  return notification(
    prefix,
    `${MAINTENANCE_NAMES[kind]} of ${region} FAILED`,
    `${MAINTENANCE_NAMES[kind]} of ${region} to ${targetText(kind, target)} FAILED (${aftermath}): ${cause}.`,
  );
}

/** The one summary of a maintenance run: updated, skipped and (if it stopped) the failure. */
export function maintenanceSummary(
  prefix: string,
  kind: MaintenanceKind,
  target: string,
  updated: string[],
  skipped: { region: string; reason: string }[],
  failure?: string,
): Notification {
  const outcome = failure ? 'stopped on a failure' : 'finished';
  const parts = [
    `${MAINTENANCE_NAMES[kind]} to ${targetText(kind, target)} ${outcome}.`,
    `Updated: ${updated.length > 0 ? updated.join(', ') : 'none'}.`,
    ...(skipped.length > 0 ? [`Skipped: ${skipped.map((s) => `${s.region} (${s.reason})`).join('; ')}.`] : []),
    ...(failure ? [`Failure: ${failure}.`] : []),
  ];
  return notification(
    prefix,
    `${MAINTENANCE_NAMES[kind]} ${outcome}: ${updated.length} updated, ${skipped.length} skipped`,
    parts.join(' '),
  );
}
