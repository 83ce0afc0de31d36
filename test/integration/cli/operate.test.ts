import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { showHistory } from '../../../cli/commands/history';
import { pauseRegion, resumeRegion } from '../../../cli/commands/pause';
import { scaleUp } from '../../../cli/commands/scale';
import { showStatus } from '../../../cli/commands/status';
import { EXIT } from '../../../cli/exit-codes';
import type { StatusReport } from '../../../cli/status-report';
import { StateStore } from '../../../functions/adapters/state-store';
import { documentClient, resetClients } from '../../../functions/commons/aws-clients';
import { DEMAND_DIMENSION, DEMAND_METRIC_NAME, DEMAND_NAMESPACE } from '../../../functions/domain/demand-metric';
import { scaleDownAlarmName, scaleUpAlarmName } from '../../../functions/domain/naming';
import { exampleConfig } from '../../support/config-fixtures';
import { deployControlStack, uniquePrefix, type EmulatedControlStack } from '../../support/control-stack-fixture';
import { describeWithMoto, useEmulator } from '../../support/moto';
import { regionctlEnv } from '../../support/regionctl-env';

// Demand datapoints are read back for the last 30 minutes: this suite runs on the real clock.
const NOW = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);

describeWithMoto('regionctl pause, resume, status and history against the emulator', () => {
  let stack: EmulatedControlStack;
  let store: StateStore;
  let prefix: string;
  beforeAll(async () => {
    await useEmulator();
    stack = await deployControlStack(exampleConfig((c) => void (c.prefix = uniquePrefix('ctlops'))));
    prefix = stack.config.prefix;
    store = new StateStore(documentClient('us-east-1'), stack.stateTableName);
  });
  afterAll(() => resetClients());

  it('pause --for writes pausedUntil, resume clears it, and a second resume says there was nothing to lift', async () => {
    const pause = regionctlEnv(prefix, NOW);
    expect(await pauseRegion(pause, 'ap-southeast-1', { for: '90m' })).toBe(EXIT.ok);
    const until = new Date(NOW.getTime() + 90 * 60_000).toISOString();
    expect((await store.getRegionState('ap-southeast-1')).pausedUntil).toBe(until);
    expect(pause.out.lines[0]).toBe(`Paused autoscaling of ap-southeast-1 until ${until} (90 min).`);

    const resume = regionctlEnv(prefix, NOW);
    expect(await resumeRegion(resume, 'ap-southeast-1')).toBe(EXIT.ok);
    expect((await store.getRegionState('ap-southeast-1')).pausedUntil).toBeUndefined();
    expect(resume.out.lines).toEqual([`Resumed autoscaling of ap-southeast-1 (it was paused until ${until}).`]);
    const again = regionctlEnv(prefix, NOW);
    expect(await resumeRegion(again, 'ap-southeast-1')).toBe(EXIT.ok);
    expect(again.out.lines).toEqual(['Autoscaling of ap-southeast-1 was not paused; nothing to resume.']);
  });

  it('pause without --for lasts until resume; pause refuses unapproved regions and bad durations', async () => {
    const env = regionctlEnv(prefix, NOW);
    expect(await pauseRegion(env, 'ap-south-1')).toBe(EXIT.ok);
    expect(env.out.lines[0]).toBe('Paused autoscaling of ap-south-1 until resumed.');
    expect((await store.getRegionState('ap-south-1')).pausedUntil).toBe('9999-12-31T23:59:59.000Z');

    const refused = regionctlEnv(prefix, NOW);
    expect(await pauseRegion(refused, 'me-south-1')).toBe(EXIT.refused);
    expect(await pauseRegion(refused, 'sa-east-1', { for: 'forever' })).toBe(EXIT.usage);
    expect(refused.out.errors).toEqual([
      expect.stringMatching(/^regionctl: Region me-south-1 is not approved for this autoscaler; approved regions: /),
      'regionctl: --for "forever" is not a duration; fix: use a number followed by s, m, h or d, e.g. 45s, 90m, 2h, 1d or 1h30m',
    ]);
    expect((await store.getRegionState('sa-east-1')).pausedUntil).toBeUndefined();
  });

  it('status --json reports state, DNS record, demand, alarms, pause, running execution and last decision', async () => {
    for (const region of ['us-east-1', 'sa-east-1']) {
      await store.updateRegionState(region, (s) => ({
        ...s,
        status: 'ACTIVE',
        since: minutesAgo(45).toISOString(),
        activeSince: minutesAgo(45).toISOString(),
      }));
    }
    const latency = (name: string, region: string) => ({
      Action: 'UPSERT' as const,
      ResourceRecordSet: {
        Name: name,
        Type: 'A' as const,
        SetIdentifier: region,
        Region: region as 'us-east-1',
        TTL: 60,
        ResourceRecords: [{ Value: '192.0.2.10' }],
      },
    });
    await new Route53Client({ region: 'us-east-1' }).send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: stack.config.dns.hostedZoneId,
        ChangeBatch: {
          Changes: [
            latency(stack.config.dns.recordName, 'us-east-1'),
            latency(stack.config.dns.recordName, 'sa-east-1'),
            // Another name in the zone with a region's identifier: not the edge record.
            latency(`other.${stack.config.dns.recordName}`, 'ap-northeast-1'),
          ],
        },
      }),
    );
    const cloudWatch = new CloudWatchClient({ region: 'us-east-1' });
    await cloudWatch.send(
      new PutMetricDataCommand({
        Namespace: DEMAND_NAMESPACE,
        MetricData: [
          [minutesAgo(3), 120],
          [minutesAgo(2), 380],
        ].map(([at, users]) => ({
          MetricName: DEMAND_METRIC_NAME,
          Dimensions: [{ Name: DEMAND_DIMENSION, Value: 'sa-east-1' }],
          Timestamp: at as Date,
          Value: users as number,
          Unit: 'Count',
        })),
      }),
    );
    for (const [name, threshold, operator] of [
      [scaleUpAlarmName(prefix, 'sa-east-1'), 300, 'GreaterThanThreshold'],
      [scaleDownAlarmName(prefix, 'sa-east-1'), 80, 'LessThanThreshold'],
    ] as const) {
      await cloudWatch.send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          Namespace: DEMAND_NAMESPACE,
          MetricName: DEMAND_METRIC_NAME,
          Dimensions: [{ Name: DEMAND_DIMENSION, Value: 'sa-east-1' }],
          Statistic: 'Average',
          Period: 60,
          EvaluationPeriods: 5,
          Threshold: threshold,
          ComparisonOperator: operator,
        }),
      );
    }
    await cloudWatch.send(
      new SetAlarmStateCommand({
        AlarmName: scaleUpAlarmName(prefix, 'sa-east-1'),
        StateValue: 'ALARM',
        StateReason: 'test',
      }),
    );
    expect(await scaleUp(regionctlEnv(prefix, NOW), 'ap-northeast-1', { reason: 'launch in Tokyo' })).toBe(EXIT.ok);

    const env = regionctlEnv(prefix, NOW);
    expect(await showStatus(env, { json: true })).toBe(EXIT.ok);
    const report = JSON.parse(env.out.stdout) as StatusReport;
    expect(report).toMatchObject({
      prefix,
      homeRegion: 'us-east-1',
      stackName: `${prefix}-control`,
      dashboardName: `${prefix}-autoscaler`,
      generatedAt: NOW.toISOString(),
      unavailable: [],
    });
    expect(Object.keys(report.regions)).toEqual([
      'us-east-1',
      'eu-west-1',
      'ap-southeast-1',
      'ap-northeast-1',
      'sa-east-1',
      'ap-south-1',
    ]);
    expect(report.regions['sa-east-1']).toMatchObject({
      list: 'elastic',
      state: 'ACTIVE',
      since: minutesAgo(45).toISOString(),
      dnsRecord: true,
      demand: { users: 380, at: minutesAgo(2).toISOString(), scaleUpAbove: 300, scaleDownBelow: 80 },
      alarms: { scaleUp: 'ALARM', scaleDown: 'OK' },
      runningExecution: null,
      pausedUntil: null,
    });
    expect(report.regions['us-east-1']).toMatchObject({
      list: 'always-on',
      state: 'ACTIVE',
      dnsRecord: true,
      alarms: null,
    });
    expect(report.regions['eu-west-1']).toMatchObject({ state: 'INACTIVE', dnsRecord: false, demand: { users: null } });
    expect(report.regions['ap-northeast-1']).toMatchObject({
      dnsRecord: false,
      runningExecution: expect.stringMatching(/^up-ap-northeast-1-manual-\d{8}T\d{6}Z$/),
      lastDecision: { direction: 'up', source: 'operator', outcome: 'started', reason: 'launch in Tokyo' },
      alarms: { scaleUp: null, scaleDown: null },
    });
    expect(report.regions['ap-south-1']!.pausedUntil).toBe('9999-12-31T23:59:59.000Z');

    const table = regionctlEnv(prefix, NOW);
    expect(await showStatus(table)).toBe(EXIT.ok);
    expect(table.out.lines.find((l) => l.startsWith('sa-east-1 '))).toMatch(
      /^sa-east-1 +elastic +ACTIVE +45 min ago +yes +380 \(up >300, down <80\) +up ALARM \/ down OK +- +-$/,
    );
    expect(table.out.lines).toContain(
      '  ap-northeast-1  ' +
        `${NOW.toISOString().slice(0, 16).replace('T', ' ')}Z  up started (operator): launch in Tokyo`,
    );
  });

  it('history lists the decisions and the executions of a region with their outcomes, newest first', async () => {
    const sfn = new SFNClient({ region: 'us-east-1' });
    // moto stamps executions with the real time: decisions are made on the real clock too here.
    const first = regionctlEnv(prefix, new Date());
    // sa-east-1 serves and ap-northeast-1 holds the other elastic slot (claimed by the up above).
    expect(await scaleUp(first, 'ap-southeast-1', { reason: 'first try', allowOverMax: true })).toBe(EXIT.ok);
    const { executions = [] } = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: stack.scaleUpStateMachineArn, statusFilter: 'RUNNING' }),
    );
    const firstRun = executions.find((e) => e.name!.startsWith('up-ap-southeast-1-'))!;
    await sfn.send(
      new StopExecutionCommand({ executionArn: firstRun.executionArn, error: 'OperatorAbort', cause: 'wrong region' }),
    );
    const refusedAt = new Date(Date.now() + 1_000);
    const refused = regionctlEnv(prefix, refusedAt);
    await store.acquireLock('ap-southeast-1', 'someone-else', refusedAt);
    expect(await scaleUp(refused, 'ap-southeast-1', { allowOverMax: true })).toBe(EXIT.refused);

    const env = regionctlEnv(prefix, NOW);
    expect(await showHistory(env, 'ap-southeast-1')).toBe(EXIT.ok);
    const [title, header, , ...rows] = env.out.lines;
    expect(title).toBe('History of ap-southeast-1 (newest first; up to 20 decisions and 20 executions):');
    expect(header).toMatch(/^TIME +KIND +WHAT +OUTCOME +DETAIL$/);
    const stamp = (d: Date) => `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(
      new RegExp(
        `^${stamp(refusedAt)} +decision +up by operator +rejected +locked: another execution holds the lock of ap-southeast-1$`,
      ),
    );
    // moto keeps no error or cause for a stopped execution: the detail column shows "-".
    expect(rows[1]).toMatch(new RegExp(`^\\S+ \\S+ +execution +${firstRun.name} +ABORTED +-$`));
    expect(rows[2]).toMatch(/ decision +up by operator +started +first try$/);

    const quiet = regionctlEnv(prefix, NOW);
    expect(await showHistory(quiet, 'eu-west-1')).toBe(EXIT.ok);
    expect(quiet.out.lines).toEqual(['No decisions or executions recorded for eu-west-1.']);
    const unknown = regionctlEnv(prefix, NOW);
    expect(await showHistory(unknown, 'xx-nowhere-1')).toBe(EXIT.refused);
  });
});
