import { describe, expect, it } from '@jest/globals';
import type { Deployment } from '../../../cli/discovery';
import { buildStatusReport, renderStatusReport, type StatusInputs } from '../../../cli/status-report';
import type { MaintenanceRecord } from '../../../functions/domain/region-state';
import { emptySnapshot, type RegionSnapshot } from '../../../functions/domain/scaling-policy';
import { exampleConfig } from '../../support/config-fixtures';

const now = new Date('2026-11-21T12:00:00Z');
const config = exampleConfig();
const DESIRED = 'd'.repeat(64);
const OLDER = 'a'.repeat(64);
const ROLLOUT =
  'arn:aws:states:us-east-1:123456789012:execution:edgescale-edge-rollout:rollout-dddddddddddd-reconcile-20261121T1155';
const deployment: Deployment = {
  stackName: 'edgescale-control',
  homeRegion: 'us-east-1',
  stateTableName: 'edgescale-region-state',
  notificationTopicArn: 'arn:aws:sns:us-east-1:123456789012:edgescale-notifications',
  scaleUpStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:edgescale-scale-up',
  scaleDownStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:edgescale-scale-down',
  edgeRolloutStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:edgescale-edge-rollout',
  configParameterName: '/edgescale/config',
  config,
};

const rollout = (status: MaintenanceRecord['status'], extra: Partial<MaintenanceRecord> = {}): MaintenanceRecord => ({
  status,
  target: DESIRED,
  executionArn: ROLLOUT,
  at: '2026-11-21T11:56:00.000Z',
  ...extra,
});

const active = (region: string, fields: Partial<RegionSnapshot>): RegionSnapshot => ({
  ...emptySnapshot(region, now),
  status: 'ACTIVE',
  ...fields,
});

function inputs(withTargets = true): StatusInputs {
  return {
    deployment,
    snapshots: [
      active('us-east-1', { edgeConfiguration: DESIRED, maintenance: { edgeRollout: rollout('SUCCEEDED') } }),
      active('eu-west-1', { edgeConfiguration: OLDER, maintenance: { edgeRollout: rollout('RUNNING') } }),
      active('ap-southeast-1', {
        edgeConfiguration: OLDER,
        maintenance: { edgeRollout: rollout('FAILED', { cause: 'ReadRollout: the Deployment did not become ready' }) },
      }),
      // Came up before regions recorded their configuration.
      active('ap-northeast-1', {}),
      // Not serving: no edge to compare.
      { ...emptySnapshot('sa-east-1', now), edgeConfiguration: OLDER },
    ],
    runningExecutions: [],
    lastDecisions: new Map(),
    deploymentTargets: withTargets
      ? { edgeConfiguration: DESIRED, kubernetesVersion: '1.35', observedAt: '2026-11-21T11:55:00.000Z' }
      : undefined,
    runningRollouts: ['rollout-dddddddddddd-reconcile-20261121T1155'],
    unavailable: [],
    now,
  };
}

describe('regionctl status: the edge configuration of each region', () => {
  it('tells current, rollout running, rollout failed and pending rollout apart, with the last rollout', () => {
    const report = buildStatusReport(inputs());
    expect(report.desiredEdge).toEqual({ configuration: DESIRED, observedAt: '2026-11-21T11:55:00.000Z' });
    expect(report.runningRollout).toBe('rollout-dddddddddddd-reconcile-20261121T1155');
    const edge = Object.fromEntries(Object.values(report.regions).map((r) => [r.region, r.edge.state]));
    expect(edge).toEqual({
      'us-east-1': 'current',
      'eu-west-1': 'rollout running',
      'ap-southeast-1': 'rollout failed',
      'ap-northeast-1': 'pending rollout',
      'sa-east-1': 'not serving',
      'ap-south-1': 'not serving',
    });
    expect(report.regions['ap-southeast-1']!.edge).toEqual({
      configuration: OLDER,
      state: 'rollout failed',
      lastRollout: rollout('FAILED', { cause: 'ReadRollout: the Deployment did not become ready' }),
    });
  });

  it('renders the short hashes, the state, the failure cause and the running rollout', () => {
    const lines = renderStatusReport(buildStatusReport(inputs()));
    const start = lines.indexOf(
      'Edge configuration (desired dddddddddddd, as the reconciler saw it at 2026-11-21 11:55Z):',
    );
    expect(start).toBeGreaterThan(0);
    expect(lines.slice(start + 1, start + 6)).toEqual([
      '  us-east-1       dddddddddddd  current  (last rollout SUCCEEDED 2026-11-21 11:56Z)',
      '  eu-west-1       aaaaaaaaaaaa  rollout running  (last rollout RUNNING 2026-11-21 11:56Z)',
      '  ap-southeast-1  aaaaaaaaaaaa  rollout FAILED: ReadRollout: the Deployment did not become ready',
      '  ap-northeast-1  unrecorded    pending rollout',
      '  Edge rollout running: rollout-dddddddddddd-reconcile-20261121T1155',
    ]);
  });

  it('says so when no reconciler pass has recorded the desired configuration yet', () => {
    const report = buildStatusReport(inputs(false));
    expect(report.regions['us-east-1']!.edge.state).toBe('unknown');
    expect(renderStatusReport(report)).toContain(
      'Edge configuration (desired not known yet: no reconciler pass has recorded it):',
    );
  });
});
