import { describe, expect, it } from '@jest/globals';
import { ERROR_NAMES } from '../../../functions/domain/errors';
import {
  compareKubernetesVersions,
  controlPlaneUsdPerHour,
  daysUntilEndOfStandardSupport,
  EKS_RELEASE_CALENDAR,
  extendedSupportWarning,
  EXTENDED_SUPPORT_MONTHS,
  isKnownKubernetesVersion,
  nextMinorVersion,
  nextUpgradeStep,
  parseKubernetesVersion,
  STANDARD_SUPPORT_MONTHS,
  SUGGESTED_KUBERNETES_VERSION,
  suggestedVersion,
  supportEndWarning,
  supportStatus,
  unsupportedVersionProblem,
  upgradePath,
  versionLoweringProblem,
  versionsInStandardSupport,
} from '../../../functions/domain/kubernetes-versions';

const at = (iso: string) => new Date(iso);
const TODAY = at('2026-12-01T12:00:00Z');

function addMonths(day: string, months: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
}

describe('EKS release calendar', () => {
  it('holds one row per minor version from 1.29 to at least 1.36, oldest first, without gaps', () => {
    const versions = EKS_RELEASE_CALENDAR.map((r) => r.version);
    expect(versions.slice(0, 8)).toEqual(['1.29', '1.30', '1.31', '1.32', '1.33', '1.34', '1.35', '1.36']);
    for (let i = 1; i < versions.length; i++) expect(nextMinorVersion(versions[i - 1]!)).toBe(versions[i]);
  });

  it('follows the 14 + 12 month rule for every version', () => {
    for (const r of EKS_RELEASE_CALENDAR) {
      expect([r.version, addMonths(r.eksRelease, STANDARD_SUPPORT_MONTHS)]).toEqual([
        r.version,
        r.endOfStandardSupport,
      ]);
      expect([r.version, addMonths(r.endOfStandardSupport, EXTENDED_SUPPORT_MONTHS)]).toEqual([
        r.version,
        r.endOfExtendedSupport,
      ]);
    }
  });

  it('has the dates the issue and the toolchain notes give', () => {
    const end = (v: string) => EKS_RELEASE_CALENDAR.find((r) => r.version === v)?.endOfStandardSupport;
    expect(end('1.33')).toBe('2026-07-29');
    expect(end('1.34')).toBe('2026-12-02');
    expect(end('1.35')).toBe('2027-03-27');
  });
});

describe('versions', () => {
  it('parse as major.minor and compare numerically', () => {
    expect(parseKubernetesVersion('1.35')).toEqual({ major: 1, minor: 35 });
    expect(() => parseKubernetesVersion('1.35.2')).toThrow(/not a Kubernetes minor version; fix: use the form/);
    expect(() => parseKubernetesVersion('v1.35')).toThrow(/MAJOR.MINOR/);
    expect(compareKubernetesVersions('1.9', '1.10')).toBeLessThan(0);
    expect(compareKubernetesVersions('1.35', '1.35')).toBe(0);
    expect(compareKubernetesVersions('1.36', '1.35')).toBeGreaterThan(0);
    expect(compareKubernetesVersions('2.0', '1.99')).toBeGreaterThan(0);
  });

  it('are known only when the calendar lists them', () => {
    expect(isKnownKubernetesVersion('1.35')).toBe(true);
    expect(isKnownKubernetesVersion('1.28')).toBe(false);
    expect(isKnownKubernetesVersion('1.99')).toBe(false);
    expect(isKnownKubernetesVersion(SUGGESTED_KUBERNETES_VERSION)).toBe(true);
  });
});

describe('upgradePath', () => {
  it('goes one minor at a time and ends at the target', () => {
    expect(upgradePath('1.33', '1.35')).toEqual(['1.34', '1.35']);
    expect(upgradePath('1.33', '1.34')).toEqual(['1.34']);
    expect(upgradePath('1.35', '1.35')).toEqual([]);
    expect(upgradePath('1.9', '1.11')).toEqual(['1.10', '1.11']);
  });

  it('never goes down, nor across a major version', () => {
    expect(() => upgradePath('1.35', '1.34')).toThrow(/cannot downgrade/);
    expect(() => upgradePath('1.35', '2.0')).toThrow(/within one major version/);
  });
});

describe('support status', () => {
  it('is standard until 00:00 UTC of the end of standard support, then extended, then unsupported', () => {
    expect(supportStatus('1.34', at('2026-12-01T23:59:59Z'))).toBe('standard');
    expect(supportStatus('1.34', at('2026-12-02T00:00:00Z'))).toBe('extended');
    expect(supportStatus('1.34', at('2027-12-01T23:59:59Z'))).toBe('extended');
    expect(supportStatus('1.34', at('2027-12-02T00:00:00Z'))).toBe('unsupported');
  });

  it('on 1 December 2026: 1.31 unsupported, 1.32 and 1.33 extended, 1.34 to 1.36 standard', () => {
    expect(['1.31', '1.32', '1.33', '1.34', '1.35', '1.36'].map((v) => supportStatus(v, TODAY))).toEqual([
      'unsupported',
      'extended',
      'extended',
      'standard',
      'standard',
      'standard',
    ]);
    expect(versionsInStandardSupport(TODAY)).toEqual(['1.36', '1.35', '1.34']);
  });

  it('suggests the oldest version that stays in standard support for more than 60 days, else the newest', () => {
    // 1.34 leaves standard support tomorrow: 1.35 is the smallest upgrade not due again soon.
    expect(suggestedVersion(TODAY)).toBe('1.35');
    expect(suggestedVersion(at('2026-09-01T00:00:00Z'))).toBe('1.34');
    expect(suggestedVersion(at('2030-01-01T00:00:00Z'))).toBe(EKS_RELEASE_CALENDAR.at(-1)!.version);
  });

  it('throws for a version the calendar does not know, naming the known ones and the fix', () => {
    expect(() => supportStatus('1.40', TODAY)).toThrow(
      /Kubernetes 1.40 is not in EKS's release calendar .*1\.29, 1\.30.*; fix: .*EKS_RELEASE_CALENDAR/,
    );
  });

  it('counts whole days until extended support begins: 1 the day before, 0 on the day, negative after', () => {
    expect(daysUntilEndOfStandardSupport('1.34', TODAY)).toBe(1);
    expect(daysUntilEndOfStandardSupport('1.34', at('2026-12-02T00:00:00Z'))).toBe(0);
    expect(daysUntilEndOfStandardSupport('1.33', TODAY)).toBe(-125);
    expect(daysUntilEndOfStandardSupport('1.35', TODAY)).toBe(116);
  });

  it('prices the control plane at $0.10/h in standard support and $0.60/h after it', () => {
    expect(controlPlaneUsdPerHour('1.35', TODAY)).toBe(0.1);
    expect(controlPlaneUsdPerHour('1.33', TODAY)).toBe(0.6);
    expect(controlPlaneUsdPerHour('1.34', at('2026-12-02T00:00:00Z'))).toBe(0.6);
  });
});

describe('messages', () => {
  it('an unsupported version: when its extended support ended, what EKS does, and the fix', () => {
    expect(unsupportedVersionProblem('1.35', TODAY)).toBeUndefined();
    expect(unsupportedVersionProblem('1.33', TODAY)).toBeUndefined();
    expect(unsupportedVersionProblem('1.31', TODAY)).toBe(
      'Kubernetes 1.31 left EKS extended support on 26 November 2026: EKS creates no cluster on it and upgrades ' +
        'existing ones by itself; fix: raise it one minor at a time towards a version in standard support ' +
        '(e.g. "1.35"); the upgrade workflow takes running regions there',
    );
  });

  it('a version in extended support: since when, until when, and the $0.60/h price', () => {
    expect(extendedSupportWarning('1.35', TODAY)).toBeUndefined();
    const warning = extendedSupportWarning('1.33', TODAY);
    expect(warning).toContain('Kubernetes 1.33 is in EKS extended support since 29 July 2026 (until 29 July 2027)');
    expect(warning).toContain('$0.60/h instead of $0.10/h');
    expect(warning).toContain('fix: raise cluster.kubernetesVersion towards "1.35"');
  });

  it('lowering: refused with the deployed and configured versions, why, and the fix; raising by several minors is fine', () => {
    expect(versionLoweringProblem('1.34', '1.36')).toBeUndefined();
    expect(versionLoweringProblem('1.35', '1.35')).toBeUndefined();
    expect(versionLoweringProblem('1.35', '1.34')).toBe(
      'cluster.kubernetesVersion "1.34" is lower than "1.35", the version this deployment runs: EKS cannot ' +
        'downgrade a cluster\'s control plane or move nodes below it; fix: set cluster.kubernetesVersion to "1.35" or newer',
    );
  });
});

describe('nextUpgradeStep', () => {
  it('moves the control plane one minor towards the target once its nodes run its version', () => {
    expect(nextUpgradeStep({ cluster: '1.33', nodegroup: '1.33' }, '1.35')).toEqual({
      step: 'controlPlane',
      toVersion: '1.34',
    });
  });

  it('brings nodes behind their control plane to its version first', () => {
    expect(nextUpgradeStep({ cluster: '1.34', nodegroup: '1.33' }, '1.35')).toEqual({
      step: 'nodegroup',
      toVersion: '1.34',
    });
    expect(nextUpgradeStep({ cluster: '1.35', nodegroup: '1.34' }, '1.35')).toEqual({
      step: 'nodegroup',
      toVersion: '1.35',
    });
  });

  it('is done at the target', () => {
    expect(nextUpgradeStep({ cluster: '1.35', nodegroup: '1.35' }, '1.35')).toEqual({ step: 'done' });
  });

  it('refuses a control plane newer than the target (RefusedError): EKS cannot downgrade it', () => {
    let caught: unknown;
    try {
      nextUpgradeStep({ cluster: '1.36', nodegroup: '1.36' }, '1.35');
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({
      name: ERROR_NAMES.refused,
      message: expect.stringContaining('runs Kubernetes 1.36, newer than the target 1.35'),
    });
  });
});

describe('supportEndWarning (regionctl status)', () => {
  it('says nothing while standard support lasts more than 60 days', () => {
    expect(supportEndWarning('1.35', TODAY)).toBeUndefined();
    expect(supportEndWarning('1.34', at('2026-10-02T00:00:00Z'))).toBeUndefined();
  });

  it('warns from 60 days before the end of standard support, with the date and the price to come', () => {
    expect(supportEndWarning('1.34', at('2026-10-03T00:00:00Z'))).toContain('(in 60 days)');
    expect(supportEndWarning('1.34', TODAY)).toBe(
      'Kubernetes 1.34 leaves EKS standard support on 2 December 2026 (in 1 day): its control plane then costs ' +
        '$0.60/h instead of $0.10/h; fix: raise cluster.kubernetesVersion towards "1.35" and deploy; the upgrade ' +
        'workflow takes the region there one minor at a time',
    );
  });

  it('warns past it: the extended price now, and what EKS does after extended support', () => {
    expect(supportEndWarning('1.33', TODAY)).toMatch(
      /^Kubernetes 1\.33 left EKS standard support on 29 July 2026: its control plane costs \$0\.60\/h instead of \$0\.10\/h until extended support ends on 29 July 2027, when EKS upgrades it by itself; fix: /,
    );
    expect(supportEndWarning('1.31', TODAY)).toMatch(
      /^Kubernetes 1\.31 left EKS extended support on 26 November 2026: EKS upgrades the control plane by itself/,
    );
  });

  it('says when a version is not in the calendar (a cluster made by hand, an old autoscaler)', () => {
    expect(supportEndWarning('1.27', TODAY)).toMatch(/^Kubernetes 1\.27 is not in EKS's release calendar/);
  });
});
