import { describe, expect, it } from '@jest/globals';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { Construct } from 'constructs';
import { approvedRegions } from '../../../functions/domain/config';
import { scalingAlarmNamePrefix } from '../../../functions/domain/naming';
import { buildTestApp } from '../../support/app-factory';
import { exampleConfig } from '../../support/config-fixtures';

const { control, config } = buildTestApp();
const template = Template.fromStack(control);
const logicalId = (construct: Construct) => control.getLogicalId(construct.node.defaultChild as CfnElement);

interface Widget {
  type: string;
  properties: {
    title?: string;
    alarms?: string[];
    metrics?: unknown[][];
    annotations?: { horizontal?: Array<{ value: number; label: string }> };
  };
}

/**
 * The dashboard body as CloudWatch receives it: the Fn::Join resolved, each CloudFormation
 * reference written as `<LogicalId>` (or `<AWS::Region>`).
 */
function dashboardWidgets(): Widget[] {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = dashboard!.Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1]
          .map((part) => {
            if (typeof part === 'string') return part;
            const ref = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
            return `<${ref.Ref ?? ref['Fn::GetAtt']![0]}>`;
          })
          .join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

const widgets = dashboardWidgets();
const metricWidgets = widgets.filter((w) => w.type === 'metric');
const widgetTitled = (pattern: RegExp) => {
  const found = metricWidgets.filter((w) => pattern.test(w.properties.title ?? ''));
  expect(found).toHaveLength(1);
  return found[0]!;
};
/** Every metric of the dashboard as "Namespace MetricName Dim=Value ..." (dimensions sorted, options dropped). */
const metricLines = metricWidgets.flatMap((w) =>
  (w.properties.metrics ?? []).flatMap((line) => {
    const [namespace, name, ...dims] = line.filter((f): f is string => typeof f === 'string');
    if (!namespace || !name) return []; // a math expression
    const pairs: string[] = [];
    for (let i = 0; i + 1 < dims.length; i += 2) pairs.push(`${dims[i]}=${dims[i + 1]}`);
    return [[namespace, name, ...pairs.sort()].join(' ')];
  }),
);

describe('AutoscalerDashboard', () => {
  it('is named <prefix>-autoscaler, the name the stack exports as DashboardName', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'edgescale-autoscaler' });
    template.hasOutput('DashboardName', { Value: 'edgescale-autoscaler' });
  });

  it('graphs the demand of every approved region, as the alarms read it', () => {
    for (const region of approvedRegions(config)) {
      expect(metricLines).toContain(`EdgeAutoscaler ActiveUsers Region=${region}`);
    }
    const elastic = widgetTitled(/^ap-southeast-1: demand/);
    expect(elastic.properties.metrics?.[0]?.at(-1)).toMatchObject({ stat: 'Maximum', period: 60 });
  });

  it.each([
    ['sa-east-1', 300, 80], // the override in cdk.json
    ['ap-southeast-1', 500, 150], // the defaults
  ])('draws the scale-up and scale-down thresholds of %s on its demand graph', (region, up, down) => {
    const annotations = widgetTitled(new RegExp(`^${region}: demand`)).properties.annotations?.horizontal ?? [];
    expect(annotations.map((a) => a.value)).toEqual([up, down]);
    expect(annotations[0]?.label).toMatch(new RegExp(`^scale up above ${up}`));
    expect(annotations[1]?.label).toMatch(new RegExp(`^scale down below ${down}`));
  });

  it('shows the active regions, the executions of both workflows, lead time and every step duration', () => {
    const service = 'service=edge-autoscaler';
    expect(metricLines).toEqual(
      expect.arrayContaining([
        `EdgeAutoscaler ActiveRegions ${service}`,
        `EdgeAutoscaler ActiveElasticRegions ${service}`,
        ...approvedRegions(config).flatMap((region) =>
          [
            'ScaleUpLeadTimeSeconds',
            'ScaleUpFailed',
            'ScaleDownFailed',
            'ClusterCreateSeconds',
            'NodegroupCreateSeconds',
            'EdgeEndpointSeconds',
            'DnsInSyncSeconds',
          ].map((name) => `EdgeAutoscaler ${name} Region=${region} ${service}`),
        ),
        ...[control.workflows.scaleUp, control.workflows.scaleDown].flatMap((machine) =>
          ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut'].map(
            (name) => `AWS/States ${name} StateMachineArn=<${logicalId(machine)}>`,
          ),
        ),
      ]),
    );
  });

  it("shows the collector's figures: users served by each edge, unattributed users and the collection lag", () => {
    expect(metricLines).toEqual(
      expect.arrayContaining([
        ...approvedRegions(config).map((region) => `EdgeAutoscaler ServedUsers Region=${region}`),
        'EdgeAutoscaler UnattributedUsers',
        'EdgeAutoscaler DemandCollectionLagSeconds',
        'EdgeAutoscaler DemandEdgesAnswered',
      ]),
    );
    const titles = widgets.map((w) => w.properties.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Users served by each edge (counted there, before attribution)',
        'Unattributed users (no location in the geolocation database)',
      ]),
    );
  });

  it("graphs each approved region's edge traffic: cache hit rate against its alarm threshold, requests per second, p50 and p95", () => {
    for (const region of approvedRegions(config)) {
      for (const metric of ['CacheHitRate', 'RequestsPerSecond', 'ResponseTimeP50', 'ResponseTimeP95']) {
        expect(metricLines).toContain(`EdgeAutoscaler ${metric} Region=${region}`);
      }
    }
    const hitRate = widgetTitled(/^Edge cache hit rate per region/);
    expect(hitRate.properties.metrics).toHaveLength(approvedRegions(config).length);
    const options = hitRate.properties.metrics?.[0]?.at(-1) as { stat?: string; period?: number };
    // As the alarm reads it; Average is the dashboard's default statistic, left out of the body.
    expect({ stat: options.stat ?? 'Average', period: options.period }).toEqual({ stat: 'Average', period: 60 });
    expect(hitRate.properties.annotations?.horizontal).toEqual([
      expect.objectContaining({ value: 85, label: 'alarm below 85 % (3 of 3 × 5 min)' }),
    ]);
    expect(widgetTitled(/^Edge requests per second/).properties.metrics).toHaveLength(approvedRegions(config).length);
    expect(widgetTitled(/^Edge response time p50/).properties.metrics).toHaveLength(approvedRegions(config).length);
    expect(widgetTitled(/^Edge response time p95/).properties.metrics).toHaveLength(approvedRegions(config).length);
  });

  it('graphs the edge traffic and the collection when the user publishes the demand, without the attribution graphs', () => {
    const external = buildTestApp(exampleConfig((raw) => void (raw.demand = { source: 'external' })));
    const [dashboard] = Object.values(Template.fromStack(external.control).findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    expect(body).toContain('Edge cache hit rate per region');
    expect(body).toContain('Collection: lag and edges answering');
    expect(body).not.toContain('Unattributed users');
  });

  it('shows the state of the scaling alarms, the dead-letter, workflow failure, collection and cache hit-rate alarms', () => {
    const statuses = widgets.filter((w) => w.type === 'alarm');
    expect(statuses).toHaveLength(1);
    const expected = [
      ...control.scaling.alarms.flatMap((a) => [a.scaleUp, a.scaleDown]),
      control.scaling.deadLetterAlarm,
      control.workflowFailureAlarm.alarm,
      control.demandCollection.silenceAlarm,
      ...control.demandCollection.cacheHitRateAlarms,
    ].map((alarm) => `<${logicalId(alarm)}>`);
    expect(statuses[0]!.properties.alarms).toEqual(expected);
    expect(expected).toHaveLength(2 * config.regions.elastic.length + 3 + approvedRegions(config).length);
  });
});

describe('WorkflowFailureAlarm', () => {
  const stateMachineMetric = (metricName: string, machine: Construct) =>
    Match.objectLike({
      MetricStat: Match.objectLike({
        Metric: {
          Namespace: 'AWS/States',
          MetricName: metricName,
          Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId(machine) } }],
        },
        Stat: 'Sum',
        Period: 300,
      }),
    });

  it('fires on one failed or timed-out execution of any workflow in 5 minutes, and notifies the topic', () => {
    const { scaleUp, scaleDown, edgeRollout, clusterUpgrade } = control.workflows;
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'edgescale-workflow-failures',
      Metrics: Match.arrayWith(
        [scaleUp, scaleDown, edgeRollout, clusterUpgrade].flatMap((machine) => [
          stateMachineMetric('ExecutionsFailed', machine),
          stateMachineMetric('ExecutionsTimedOut', machine),
        ]),
      ),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalId(control.notifications) }],
    });
  });

  it('is outside the scaling alarms prefix, so the alarm state change rule never sends it to the decision Lambda', () => {
    const name = 'edgescale-workflow-failures';
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: name });
    expect(name.startsWith(scalingAlarmNamePrefix(config.prefix))).toBe(false);
  });
});
