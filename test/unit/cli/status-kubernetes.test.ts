import { describe, expect, it } from '@jest/globals';
import type { Deployment } from '../../../cli/discovery';
import { buildStatusReport, renderStatusReport, type StatusInputs } from '../../../cli/status-report';
import { emptySnapshot } from '../../../functions/domain/scaling-policy';
import { exampleConfig } from '../../support/config-fixtures';

/** The day before 1.34 leaves standard support. */
const now = new Date('2026-12-01T12:00:00Z');
const config = exampleConfig();
const deployment: Deployment = {
  stackName: 'edgescale-control',
  homeRegion: 'us-east-1',
  stateTableName: 'edgescale-region-state',
  notificationTopicArn: 'arn:aws:sns:us-east-1:123456789012:edgescale-notifications',
  scaleUpStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:edgescale-scale-up',
  scaleDownStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:edgescale-scale-down',
  configParameterName: '/edgescale/config',
  dashboardName: 'edgescale-autoscaler',
  config,
};

function inputs(clusterVersions: Map<string, string> | undefined): StatusInputs {
  const active = (region: string, kubernetesVersion?: string) => ({
    ...emptySnapshot(region, now),
    status: 'ACTIVE' as const,
    kubernetesVersion,
  });
  return {
    deployment,
    snapshots: [
      active('us-east-1', '1.35'),
      active('eu-west-1', '1.34'),
      active('ap-southeast-1', '1.33'),
      // INACTIVE: no cluster; a version its state still records runs nowhere.
      { ...emptySnapshot('ap-northeast-1', now), kubernetesVersion: '1.33' },
    ],
    runningExecutions: [],
    lastDecisions: new Map(),
    clusterVersions,
    unavailable: [],
    now,
  };
}

describe('regionctl status: Kubernetes versions', () => {
  it("reports each region's version from its cluster, its support and control-plane price", () => {
    const report = buildStatusReport(
      inputs(
        new Map([
          ['us-east-1', '1.35'],
          ['eu-west-1', '1.34'],
          ['ap-southeast-1', '1.33'],
        ]),
      ),
    );
    expect(report.regions['us-east-1']!.kubernetes).toEqual({
      version: '1.35',
      source: 'cluster',
      support: 'standard',
      endOfStandardSupport: '2027-03-27',
      daysUntilEndOfStandardSupport: 116,
      controlPlaneUsdPerHour: 0.1,
      warning: null,
    });
    expect(report.regions['eu-west-1']!.kubernetes).toMatchObject({
      support: 'standard',
      daysUntilEndOfStandardSupport: 1,
      warning: expect.stringContaining('leaves EKS standard support on 2 December 2026 (in 1 day)'),
    });
    expect(report.regions['ap-southeast-1']!.kubernetes).toMatchObject({
      support: 'extended',
      controlPlaneUsdPerHour: 0.6,
      warning: expect.stringContaining('costs $0.60/h instead of $0.10/h'),
    });
    expect(report.regions['ap-northeast-1']!.kubernetes).toBeNull();
    expect(report.regions['sa-east-1']!.kubernetes).toBeNull();
  });

  it('falls back to the version the region state records when the clusters could not be read', () => {
    const report = buildStatusReport(inputs(undefined));
    expect(report.regions['eu-west-1']!.kubernetes).toMatchObject({ version: '1.34', source: 'state' });
  });

  it('prints one line per region with a cluster, and the warning with its date and price under it', () => {
    const lines = renderStatusReport(
      buildStatusReport(
        inputs(
          new Map([
            ['us-east-1', '1.35'],
            ['eu-west-1', '1.34'],
            ['ap-southeast-1', '1.33'],
          ]),
        ),
      ),
    );
    const start = lines.indexOf('Kubernetes (EKS support, control plane price):');
    expect(start).toBeGreaterThan(0);
    expect(lines.slice(start + 1, start + 6)).toEqual([
      '  us-east-1       1.35  standard support until 27 March 2027, $0.10/h',
      '  eu-west-1       1.34  standard support until 2 December 2026, $0.10/h',
      expect.stringMatching(
        /^ {18}warning: Kubernetes 1\.34 leaves EKS standard support on 2 December 2026 \(in 1 day\): its control plane then costs \$0\.60\/h instead of \$0\.10\/h; fix: raise cluster\.kubernetesVersion towards "1\.35"/,
      ),
      '  ap-southeast-1  1.33  extended support, $0.60/h',
      expect.stringMatching(/^ {18}warning: Kubernetes 1\.33 left EKS standard support on 29 July 2026/),
    ]);
  });

  it('says where a version came from when it is the recorded one', () => {
    const lines = renderStatusReport(buildStatusReport(inputs(undefined)));
    expect(lines).toContain(
      '  us-east-1       1.35  standard support until 27 March 2027, $0.10/h (as the region state records it)',
    );
  });
});
