import { describe, expect, it } from '@jest/globals';
import type { Deployment } from '../../../cli/discovery';
import { PAUSED_UNTIL_RESUMED } from '../../../cli/pause-until';
import { buildStatusReport, renderStatusReport, type StatusInputs } from '../../../cli/status-report';
import { renderTable } from '../../../cli/table';
import { emptySnapshot } from '../../../functions/domain/scaling-policy';
import { exampleConfig } from '../../support/config-fixtures';

const now = new Date('2026-11-21T12:00:00Z');
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

function inputs(): StatusInputs {
  const active = (region: string, since: string) => ({
    ...emptySnapshot(region, now),
    status: 'ACTIVE' as const,
    since,
    activeSince: since,
  });
  return {
    deployment,
    snapshots: [
      active('us-east-1', '2026-11-01T00:00:00.000Z'),
      active('eu-west-1', '2026-11-01T00:00:00.000Z'),
      { ...active('ap-southeast-1', '2026-11-21T10:15:00.000Z'), holdUntil: '2026-11-21T16:00:00.000Z' },
      { ...emptySnapshot('ap-northeast-1', now), pausedUntil: PAUSED_UNTIL_RESUMED },
      { ...emptySnapshot('sa-east-1', now), status: 'PROVISIONING', since: '2026-11-21T11:58:00.000Z', locked: true },
      {
        ...emptySnapshot('ap-south-1', now),
        status: 'FAILED',
        since: '2026-11-21T09:00:00.000Z',
        lastFailureCause: 'ResourceFailedError: the EKS cluster is FAILED',
        pausedUntil: '2026-11-21T11:00:00.000Z', // expired: not shown
      },
    ],
    runningExecutions: ['up-sa-east-1-manual-20261121T115800Z'],
    lastDecisions: new Map([
      [
        'sa-east-1',
        {
          region: 'sa-east-1',
          at: '2026-11-21T11:58:00.000Z',
          direction: 'up' as const,
          source: 'alarm' as const,
          outcome: 'started' as const,
          reason: 'scale-up of sa-east-1 allowed (demand alarm); 2 of 2 elastic slots in use after it',
        },
      ],
    ]),
    dnsRecords: new Set(['us-east-1', 'eu-west-1', 'ap-southeast-1']),
    demand: new Map([
      ['sa-east-1', { users: 412.4, at: new Date('2026-11-21T11:59:00Z') }],
      ['us-east-1', { users: 9000, at: new Date('2026-11-21T11:59:00Z') }],
    ]),
    alarms: new Map([['sa-east-1', { scaleUp: 'ALARM', scaleDown: 'OK' }]]),
    unavailable: [],
    now,
  };
}

describe('status report', () => {
  it('holds, per approved region, what runs there and why, as one JSON-ready object', () => {
    const report = buildStatusReport(inputs());
    expect(Object.keys(report.regions)).toEqual([...config.regions.alwaysOn, ...config.regions.elastic]);
    expect(report).toMatchObject({
      prefix: 'edgescale',
      homeRegion: 'us-east-1',
      dashboardName: 'edgescale-autoscaler',
      generatedAt: '2026-11-21T12:00:00.000Z',
    });
    expect(report.regions['sa-east-1']).toEqual({
      region: 'sa-east-1',
      list: 'elastic',
      state: 'PROVISIONING',
      since: '2026-11-21T11:58:00.000Z',
      activeSince: null,
      dnsRecord: false,
      demand: { users: 412.4, at: '2026-11-21T11:59:00.000Z', scaleUpAbove: 300, scaleDownBelow: 80 },
      alarms: { scaleUp: 'ALARM', scaleDown: 'OK' },
      pausedUntil: null,
      holdUntil: null,
      locked: true,
      runningExecution: 'up-sa-east-1-manual-20261121T115800Z',
      lastDecision: expect.objectContaining({ outcome: 'started', source: 'alarm' }),
      lastFailureCause: null,
      kubernetes: null,
      edge: { configuration: null, state: 'not serving', lastRollout: null },
    });
    expect(report.regions['us-east-1']).toMatchObject({
      list: 'always-on',
      dnsRecord: true,
      alarms: null,
      demand: { users: 9000, scaleUpAbove: null, scaleDownBelow: null },
    });
    expect(report.regions['ap-south-1']).toMatchObject({
      pausedUntil: null,
      lastFailureCause: 'ResourceFailedError: the EKS cluster is FAILED',
    });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('renders a table with one row per region, then the last decisions', () => {
    const lines = renderStatusReport(buildStatusReport(inputs()));
    const text = lines.join('\n');
    expect(lines[0]).toBe('Autoscaler "edgescale" (stack edgescale-control in us-east-1) at 2026-11-21T12:00:00.000Z');
    expect(lines.slice(2, 10)).toEqual([
      'REGION          LIST       STATE         SINCE        DNS  DEMAND (users)                ALARMS              PAUSE/HOLD                    EXECUTION',
      '--------------  ---------  ------------  -----------  ---  ----------------------------  ------------------  ----------------------------  ------------------------------------',
      'us-east-1       always-on  ACTIVE        20 days ago  yes  9000                          -                   -                             -',
      'eu-west-1       always-on  ACTIVE        20 days ago  yes  no data                       -                   -                             -',
      'ap-southeast-1  elastic    ACTIVE        105 min ago  yes  no data (up >500, down <150)  up ? / down ?       held until 2026-11-21 16:00Z  -',
      'ap-northeast-1  elastic    INACTIVE      0 s ago      no   no data (up >500, down <150)  up ? / down ?       paused until resumed          -',
      'sa-east-1       elastic    PROVISIONING  2 min ago    no   412 (up >300, down <80)       up ALARM / down OK  -                             up-sa-east-1-manual-20261121T115800Z',
      'ap-south-1      elastic    FAILED        3 h ago      no   no data (up >500, down <150)  up ? / down ?       -                             -',
    ]);
    expect(text).toContain(
      '  sa-east-1       2026-11-21 11:58Z  up started (alarm): scale-up of sa-east-1 allowed (demand alarm); 2 of 2 elastic slots in use after it',
    );
    expect(text).toContain('  us-east-1       none recorded');
    expect(text).toContain('                  last failure: ResourceFailedError: the EKS cluster is FAILED');
    expect(lines.at(-1)).toBe('Dashboard: edgescale-autoscaler (CloudWatch, us-east-1)');
  });

  it('marks a lock held without a running execution', () => {
    const data = inputs();
    data.runningExecutions = [];
    const row = renderStatusReport(buildStatusReport(data)).find((l) => l.startsWith('sa-east-1 '))!;
    expect(row).toMatch(/^sa-east-1 +elastic +PROVISIONING \(locked\) +2 min ago /);
  });

  it('shows what could not be read as "?" and says why, keeping the rest', () => {
    const data = inputs();
    data.dnsRecords = undefined;
    data.unavailable = ['DNS records (Route53 zone Z0123456789ABCDEFGHIJ): AccessDenied: not authorized'];
    const report = buildStatusReport(data);
    expect(report.regions['us-east-1']!.dnsRecord).toBeNull();
    const lines = renderStatusReport(report);
    expect(lines.find((l) => l.startsWith('us-east-1 '))).toMatch(
      /^us-east-1 +always-on +ACTIVE +20 days ago +\? +9000 /,
    );
    expect(lines.slice(-4)).toEqual([
      'Not shown (? above), could not be read:',
      '  DNS records (Route53 zone Z0123456789ABCDEFGHIJ): AccessDenied: not authorized',
      '',
      'Dashboard: edgescale-autoscaler (CloudWatch, us-east-1)',
    ]);
  });
});

describe('renderTable', () => {
  it('aligns columns two spaces apart under a header rule, without trailing spaces', () => {
    expect(
      renderTable(
        ['A', 'LONGER', 'C'],
        [
          ['xyz', '1', 'last'],
          ['', 'twenty', ''],
        ],
      ),
    ).toEqual(['A    LONGER  C', '---  ------  ----', 'xyz  1       last', '     twenty']);
  });
});
