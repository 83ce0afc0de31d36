/**
 * The Kubernetes versions of EKS: their release calendar, how versions compare, the upgrade path
 * one minor version at a time, a version's support status at a date and what its control plane
 * costs then. Pure: the config validation, the synth, the cluster task, the price table and
 * regionctl status all decide with these functions.
 *
 * Sources of the calendar (dates in UTC):
 *   - 1.29 to 1.34: the "Amazon EKS Kubernetes release calendar" of the EKS user guide,
 *     https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html
 *     (awsdocs/amazon-eks-user-guide, latest/ug/versioning/kubernetes-versions.adoc);
 *   - 1.35: endoflife.date/amazon-eks (end of standard support 27 March 2027, of extended
 *     support 27 March 2028; released on EKS 27 January 2026, its 1.35-eks-3 platform version);
 *   - 1.36: the EKS user guide's release notes list 1.36 in standard support; its dates (on EKS
 *     2 June 2026, standard support to 2 August 2027) are from a 2026 operator's write-up
 *     ("Kubernetes 1.36 on Amazon EKS", devopsdreams.blogspot.com) and agree with the 14-month
 *     rule. Re-check against the user guide's calendar when adding a version.
 * The rule behind every row: standard support lasts 14 months from the EKS release, extended
 * support 12 more; EKS bills extended support from the start (00:00 UTC) of the day standard
 * support ends, and upgrades a control plane by itself after extended support ends.
 */
import { RefusedError } from './errors';

export type SupportStatus = 'standard' | 'extended' | 'unsupported';

export interface EksVersionRelease {
  /** Kubernetes minor version, e.g. "1.35". */
  version: string;
  /** When EKS released it (YYYY-MM-DD, UTC). */
  eksRelease: string;
  /** Extended support (and its price) begins at 00:00 UTC of this day. */
  endOfStandardSupport: string;
  /** From 00:00 UTC of this day the version is unsupported: EKS creates no cluster on it and upgrades existing ones. */
  endOfExtendedSupport: string;
}

export const STANDARD_SUPPORT_MONTHS = 14;
export const EXTENDED_SUPPORT_MONTHS = 12;

/** Oldest first; one row per minor version, with no gap. */
export const EKS_RELEASE_CALENDAR: readonly EksVersionRelease[] = [
  { version: '1.29', eksRelease: '2024-01-23', endOfStandardSupport: '2025-03-23', endOfExtendedSupport: '2026-03-23' },
  { version: '1.30', eksRelease: '2024-05-23', endOfStandardSupport: '2025-07-23', endOfExtendedSupport: '2026-07-23' },
  { version: '1.31', eksRelease: '2024-09-26', endOfStandardSupport: '2025-11-26', endOfExtendedSupport: '2026-11-26' },
  { version: '1.32', eksRelease: '2025-01-23', endOfStandardSupport: '2026-03-23', endOfExtendedSupport: '2027-03-23' },
  { version: '1.33', eksRelease: '2025-05-29', endOfStandardSupport: '2026-07-29', endOfExtendedSupport: '2027-07-29' },
  { version: '1.34', eksRelease: '2025-10-02', endOfStandardSupport: '2026-12-02', endOfExtendedSupport: '2027-12-02' },
  { version: '1.35', eksRelease: '2026-01-27', endOfStandardSupport: '2027-03-27', endOfExtendedSupport: '2028-03-27' },
  { version: '1.36', eksRelease: '2026-06-02', endOfStandardSupport: '2027-08-02', endOfExtendedSupport: '2028-08-02' },
];

export const KNOWN_KUBERNETES_VERSIONS: readonly string[] = EKS_RELEASE_CALENDAR.map((r) => r.version);

/** The version the examples and the configuration hints name: in standard support until 27 March 2027. */
export const SUGGESTED_KUBERNETES_VERSION = '1.35';

/**
 * EKS control plane, USD per cluster-hour (https://aws.amazon.com/eks/pricing/). Past extended
 * support EKS moves the cluster to the oldest version it still supports, in extended support:
 * the extended price.
 */
export const CONTROL_PLANE_USD_PER_HOUR: Readonly<Record<SupportStatus, number>> = {
  standard: 0.1,
  extended: 0.6,
  unsupported: 0.6,
};

export interface KubernetesVersion {
  major: number;
  minor: number;
}

const VERSION_PATTERN = /^(\d+)\.(\d+)$/;

/** "1.35" -> { major: 1, minor: 35 }; an Error naming the expected form otherwise. */
export function parseKubernetesVersion(version: string): KubernetesVersion {
  const match = VERSION_PATTERN.exec(version);
  if (!match) {
    throw new Error(
      `"${version}" is not a Kubernetes minor version; fix: use the form MAJOR.MINOR, e.g. "${SUGGESTED_KUBERNETES_VERSION}"`,
    );
  }
  return { major: Number(match[1]), minor: Number(match[2]) };
}

export const formatKubernetesVersion = (v: KubernetesVersion): string => `${v.major}.${v.minor}`;

/** Negative when a is older than b, 0 when equal, positive when newer (numerically: 1.9 < 1.10). */
export function compareKubernetesVersions(a: string, b: string): number {
  const x = parseKubernetesVersion(a);
  const y = parseKubernetesVersion(b);
  return x.major !== y.major ? x.major - y.major : x.minor - y.minor;
}

/** The next minor version: the only one EKS upgrades a control plane to. */
export function nextMinorVersion(version: string): string {
  const v = parseKubernetesVersion(version);
  return formatKubernetesVersion({ major: v.major, minor: v.minor + 1 });
}

/**
 * The versions an upgrade from `from` to `to` passes through, one minor at a time, `to` last
 * (empty when they are equal). EKS cannot downgrade a control plane: an older `to` throws.
 */
export function upgradePath(from: string, to: string): string[] {
  const start = parseKubernetesVersion(from);
  const end = parseKubernetesVersion(to);
  if (start.major !== end.major) {
    throw new Error(`No upgrade path from ${from} to ${to}: EKS upgrades within one major version only`);
  }
  if (end.minor < start.minor) {
    throw new Error(`No upgrade path from ${from} down to ${to}: EKS cannot downgrade a cluster's Kubernetes version`);
  }
  const path: string[] = [];
  for (let minor = start.minor + 1; minor <= end.minor; minor++) path.push(`${start.major}.${minor}`);
  return path;
}

export function calendarEntry(version: string): EksVersionRelease | undefined {
  return EKS_RELEASE_CALENDAR.find((r) => r.version === version);
}

export const isKnownKubernetesVersion = (version: string): boolean => calendarEntry(version) !== undefined;

function requireCalendarEntry(version: string): EksVersionRelease {
  const entry = calendarEntry(version);
  if (entry) return entry;
  throw new Error(
    `Kubernetes ${version} is not in EKS's release calendar as this autoscaler knows it (${KNOWN_KUBERNETES_VERSIONS.join(', ')}); ` +
      `fix: use one of these, or add the version to EKS_RELEASE_CALENDAR in functions/domain/kubernetes-versions.ts`,
  );
}

const startOfDay = (day: string): number => Date.parse(`${day}T00:00:00Z`);
const DAY_MS = 86_400_000;

/**
 * Standard until the end of standard support (also before the EKS release: the calendar says
 * nothing earlier), extended until the end of extended support, unsupported after.
 */
export function supportStatus(version: string, at: Date): SupportStatus {
  const entry = requireCalendarEntry(version);
  const t = at.getTime();
  if (t < startOfDay(entry.endOfStandardSupport)) return 'standard';
  if (t < startOfDay(entry.endOfExtendedSupport)) return 'extended';
  return 'unsupported';
}

/** Whole days (rounded up) until extended support begins; 0 on that day, negative after it. */
export function daysUntilEndOfStandardSupport(version: string, at: Date): number {
  return Math.ceil((startOfDay(requireCalendarEntry(version).endOfStandardSupport) - at.getTime()) / DAY_MS);
}

/** What the EKS control plane of a cluster on `version` costs per hour at `at`. */
export function controlPlaneUsdPerHour(version: string, at: Date): number {
  return CONTROL_PLANE_USD_PER_HOUR[supportStatus(version, at)];
}

/** "2 December 2026", for messages. */
export function formatCalendarDay(day: string): string {
  return new Date(startOfDay(day)).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/** The calendar versions in standard support at `at`, newest first. */
export function versionsInStandardSupport(at: Date): string[] {
  return KNOWN_KUBERNETES_VERSIONS.filter((v) => supportStatus(v, at) === 'standard').reverse();
}

/**
 * regionctl status warns this many days before a version leaves standard support: EKS announces
 * the date at least 60 days ahead, and an upgrade of every region takes a few hours.
 */
export const SUPPORT_END_WARNING_DAYS = 60;

/**
 * The version to suggest at `at`: the oldest one in standard support for more than
 * SUPPORT_END_WARNING_DAYS (the smallest upgrade that is not due again soon), else the newest.
 */
export function suggestedVersion(at: Date): string {
  const lasting = versionsInStandardSupport(at).filter(
    (v) => daysUntilEndOfStandardSupport(v, at) > SUPPORT_END_WARNING_DAYS,
  );
  return lasting.at(-1) ?? KNOWN_KUBERNETES_VERSIONS.at(-1)!;
}

/**
 * Why a configured version cannot be deployed at `at`: it is past the end of extended support
 * (EKS creates no cluster on it and upgrades existing ones by itself). Undefined when it can.
 */
export function unsupportedVersionProblem(version: string, at: Date): string | undefined {
  if (supportStatus(version, at) !== 'unsupported') return undefined;
  const { endOfExtendedSupport } = requireCalendarEntry(version);
  const suggestion = suggestedVersion(at);
  return (
    `Kubernetes ${version} left EKS extended support on ${formatCalendarDay(endOfExtendedSupport)}: EKS creates no ` +
    `cluster on it and upgrades existing ones by itself; fix: raise it one minor at a time towards a version in ` +
    `standard support (e.g. "${suggestion}"); the upgrade workflow takes running regions there`
  );
}

/** The warning for a version in extended support at `at` (its price), or undefined. */
export function extendedSupportWarning(version: string, at: Date): string | undefined {
  if (supportStatus(version, at) !== 'extended') return undefined;
  const { endOfStandardSupport, endOfExtendedSupport } = requireCalendarEntry(version);
  return (
    `Kubernetes ${version} is in EKS extended support since ${formatCalendarDay(endOfStandardSupport)} (until ` +
    `${formatCalendarDay(endOfExtendedSupport)}): each cluster's control plane costs ` +
    `$${CONTROL_PLANE_USD_PER_HOUR.extended.toFixed(2)}/h instead of $${CONTROL_PLANE_USD_PER_HOUR.standard.toFixed(2)}/h; ` +
    `fix: raise cluster.kubernetesVersion towards "${suggestedVersion(at)}" (the upgrade workflow goes one minor at a time)`
  );
}

/**
 * Why the configuration may not lower the version the deployment runs (`deployed`), or undefined
 * when `configured` is the same or newer. A jump of several minors is allowed: the upgrade
 * workflow takes each region through them one at a time.
 */
export function versionLoweringProblem(deployed: string, configured: string): string | undefined {
  if (compareKubernetesVersions(configured, deployed) >= 0) return undefined;
  return (
    `cluster.kubernetesVersion "${configured}" is lower than "${deployed}", the version this deployment runs: ` +
    `EKS cannot downgrade a cluster's control plane or move nodes below it; fix: set cluster.kubernetesVersion to ` +
    `"${deployed}" or newer`
  );
}

/** What an upgrade does next in a region: the control plane first, then the nodes, one minor at a time. */
export type UpgradeStep = { step: 'controlPlane' | 'nodegroup'; toVersion: string } | { step: 'done' };

/**
 * The next step towards `target` for a cluster whose control plane runs `cluster` and whose
 * nodegroup runs `nodegroup`. Nodes behind their control plane catch up first: EKS updates a
 * control plane only when its nodes run its own minor version. Then the control plane moves one
 * minor. A control plane newer than the target (upgraded by hand, or by EKS itself at the end of
 * extended support) is refused with RefusedError: EKS cannot downgrade it, and recording the
 * target as what the region runs would be false.
 */
export function nextUpgradeStep(versions: { cluster: string; nodegroup: string }, target: string): UpgradeStep {
  if (compareKubernetesVersions(versions.cluster, target) > 0) {
    throw new RefusedError(
      `The cluster's control plane runs Kubernetes ${versions.cluster}, newer than the target ${target}: EKS cannot ` +
        `downgrade it; fix: set cluster.kubernetesVersion to "${versions.cluster}" or newer and deploy`,
    );
  }
  if (compareKubernetesVersions(versions.nodegroup, versions.cluster) < 0) {
    return { step: 'nodegroup', toVersion: versions.cluster };
  }
  if (compareKubernetesVersions(versions.cluster, target) < 0) {
    return { step: 'controlPlane', toVersion: nextMinorVersion(versions.cluster) };
  }
  return { step: 'done' };
}

/**
 * What regionctl status says about a region running `version` at `at`: a warning from
 * SUPPORT_END_WARNING_DAYS before the end of standard support on, with the date and the price
 * consequence; undefined while standard support lasts longer.
 */
export function supportEndWarning(version: string, at: Date): string | undefined {
  const entry = calendarEntry(version);
  if (!entry) {
    return (
      `Kubernetes ${version} is not in EKS's release calendar as this autoscaler knows it (${KNOWN_KUBERNETES_VERSIONS.join(', ')}): ` +
      `its support dates and price are unknown; fix: upgrade the cluster to a known version, or add ${version} to EKS_RELEASE_CALENDAR`
    );
  }
  const { standard, extended } = CONTROL_PLANE_USD_PER_HOUR;
  const price = (usd: number) => `$${usd.toFixed(2)}/h`;
  const fix = `fix: raise cluster.kubernetesVersion towards "${suggestedVersion(at)}" and deploy; the upgrade workflow takes the region there one minor at a time`;
  const endOfStandard = formatCalendarDay(entry.endOfStandardSupport);
  const endOfExtended = formatCalendarDay(entry.endOfExtendedSupport);
  switch (supportStatus(version, at)) {
    case 'standard': {
      const days = daysUntilEndOfStandardSupport(version, at);
      if (days > SUPPORT_END_WARNING_DAYS) return undefined;
      return (
        `Kubernetes ${version} leaves EKS standard support on ${endOfStandard} (in ${days} day${days === 1 ? '' : 's'}): ` +
        `its control plane then costs ${price(extended)} instead of ${price(standard)}; ${fix}`
      );
    }
    case 'extended':
      return (
        `Kubernetes ${version} left EKS standard support on ${endOfStandard}: its control plane costs ${price(extended)} ` +
        `instead of ${price(standard)} until extended support ends on ${endOfExtended}, when EKS upgrades it by itself; ${fix}`
      );
    case 'unsupported':
      return (
        `Kubernetes ${version} left EKS extended support on ${endOfExtended}: EKS upgrades the control plane by itself ` +
        `(not its nodes) and bills ${price(extended)} meanwhile; ${fix}`
      );
  }
}
