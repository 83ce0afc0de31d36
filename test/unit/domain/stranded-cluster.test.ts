import { describe, expect, it } from '@jest/globals';
import { strandedClusterReport } from '../../../functions/domain/stranded-cluster';
import { exampleConfig } from '../../support/config-fixtures';

const cluster = {
  region: 'sa-east-1',
  clusterName: 'edgescale-edge-sa-east-1',
  clusterStatus: 'ACTIVE',
  consecutiveFailures: 3,
  failedAt: '2026-11-21T06:00:00.000Z',
};
const now = new Date('2026-11-21T16:30:00.000Z');

describe('strandedClusterReport: a cluster of ours still running in a region left FAILED', () => {
  it('prices the hours since the region failed at the control plane plus the nodes', () => {
    // 10.5 h x ($0.10 + 2 x $0.0416) = $1.92; a month (730 h) = $133.74.
    const report = strandedClusterReport(exampleConfig(), cluster, now);
    expect(report.usdSoFar).toBeCloseTo(10.5 * 0.1832, 10);
    expect(report.subject).toBe('[edgescale] sa-east-1 FAILED, its cluster still runs: $1.92 so far');
    expect(report.detail).toBe(
      'cluster edgescale-edge-sa-east-1 (ACTIVE) still runs in FAILED sa-east-1: about $1.92 in the 10 h 30 min since sa-east-1 failed at 2026-11-21T06:00:00.000Z, $0.18/h',
    );
    expect(report.message.split('\n')).toEqual([
      '[edgescale] sa-east-1 is FAILED after 3 failed scale-ups in a row, and its cluster edgescale-edge-sa-east-1 (tagged as ours, ACTIVE) still runs, serving no one.',
      'It has cost about $1.92 in the 10 h 30 min since sa-east-1 failed at 2026-11-21T06:00:00.000Z, at $0.18/h (EKS control plane $0.10/h + 2 x t3.medium $0.0416/h (us-east-1 on-demand prices of 2025)); $133.74 a month if it is left running.',
      'Autoscaling does not remove it: a region left FAILED waits for an operator, with what the failed runs left for diagnosis. Fix the cause and bring it up with "regionctl up sa-east-1", or remove it with "regionctl down sa-east-1".',
      'This report repeats at every reconciler pass (every 5 min) while the cluster runs.',
    ]);
  });

  it('still reports the cluster when its instance type has no price, saying why the cost is unknown', () => {
    const config = exampleConfig((raw) => void (raw.cluster.instanceTypes = ['x2iedn.32xlarge']));
    const report = strandedClusterReport(config, cluster, now);
    expect(report.usdSoFar).toBeUndefined();
    expect(report.subject).toBe('[edgescale] sa-east-1 FAILED, its cluster still runs: cost unknown');
    expect(report.message).toContain(
      'Its cost in the 10 h 30 min since sa-east-1 failed at 2026-11-21T06:00:00.000Z is not known: No price for instance type x2iedn.32xlarge',
    );
  });
});
