/**
 * The autoscaler's CloudWatch dashboard (`<prefix>-autoscaler`, home region), top to bottom:
 *   1. the state of every alarm: scaling alarms per elastic region, dead letters, failed workflows,
 *      the collection's silence, the cache hit rate per region;
 *   2. demand per elastic region against its scale-up and scale-down thresholds (override applied),
 *      and the demand of the always-on regions;
 *   2b. the edge's traffic per region (functions/domain/edge-traffic.ts): cache hit rate against
 *      its alarm threshold, requests per second, p50 and p95 response time, and the collection's
 *      lag and edges answering (functions/collect/demand-collector.ts);
 *   2c. with edge-counted demand: users served by each edge and the unattributed share;
 *   3. active regions over time and the executions of each workflow;
 *   4. scale-up lead time and failed scalings per region;
 *   5. how long each step of a scale-up took, per region.
 * Metric names come from functions/domain/metric-names.ts (what the Lambdas emit),
 * demand-metric.ts and edge-traffic.ts; thresholds from alarm-policy.ts and edge-traffic.ts (what
 * the alarms use).
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DEMAND_ALARM_STATISTIC, demandAlarmsFor } from '../functions/domain/alarm-policy';
import { approvedRegions, type AutoscalerConfig } from '../functions/domain/config';
import { demandCounterPeriodSeconds } from '../functions/domain/demand-collection';
import {
  COLLECTOR_METRICS,
  DEMAND_DIMENSION,
  DEMAND_METRIC_NAME,
  DEMAND_NAMESPACE,
} from '../functions/domain/demand-metric';
import {
  AUTOSCALER_NAMESPACE,
  FLEET_GAUGE_METRICS,
  REGION_DIMENSION,
  SCALE_UP_LEAD_TIME_METRIC,
  SERVICE_DIMENSION,
  SERVICE_NAME,
  STEP_DURATION_METRICS,
  scalingOutcomeMetric,
} from '../functions/domain/metric-names';
import {
  CACHE_HIT_RATE_ALARM_STATISTIC,
  cacheHitRateAlarm,
  TRAFFIC_METRICS,
  type TrafficFigure,
} from '../functions/domain/edge-traffic';
import { dashboardName } from '../functions/domain/naming';

export interface AutoscalerDashboardProps {
  config: AutoscalerConfig;
  scaleUp: sfn.IStateMachine;
  scaleDown: sfn.IStateMachine;
  /** Every alarm of the autoscaler, shown in the alarm status widget in this order. */
  alarms: cloudwatch.IAlarm[];
}

/** Events (executions, durations) are rare: one datapoint per 5 minutes keeps each one visible. */
const EVENT_PERIOD = Duration.minutes(5);
const FULL_WIDTH = 24;

const COLORS = { up: cloudwatch.Color.RED, down: cloudwatch.Color.BLUE, ok: cloudwatch.Color.GREEN };

export class AutoscalerDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: AutoscalerDashboardProps) {
    super(scope, id);
    const { config } = props;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: dashboardName(config.prefix),
      defaultInterval: Duration.days(1),
      widgets: [
        [alarmStatus(props.alarms)],
        demandOfElasticRegions(config),
        [demandOfAlwaysOnRegions(config)],
        ...edgeTraffic(config),
        ...(config.demand.source === 'edge-counters' ? [demandCollection(config)] : []),
        [activeRegions(), ...workflowExecutions(props)],
        [leadTime(config), failedScalings(config)],
        stepDurations(config),
      ],
    });
  }
}

/** A metric the autoscaler's Lambdas emit (Powertools adds the service dimension to each). */
function autoscalerMetric(metricName: string, statistic: string, region?: string, period = EVENT_PERIOD) {
  return new cloudwatch.Metric({
    namespace: AUTOSCALER_NAMESPACE,
    metricName,
    dimensionsMap: { [SERVICE_DIMENSION]: SERVICE_NAME, ...(region ? { [REGION_DIMENSION]: region } : {}) },
    statistic,
    period,
    label: region,
  });
}

/** The demand metric as the scaling alarms read it (same statistic and period). */
function demandMetric(region: string, periodSeconds: number) {
  return new cloudwatch.Metric({
    namespace: DEMAND_NAMESPACE,
    metricName: DEMAND_METRIC_NAME,
    dimensionsMap: { [DEMAND_DIMENSION]: region },
    statistic: DEMAND_ALARM_STATISTIC,
    period: Duration.seconds(periodSeconds),
    label: `${region} users`,
  });
}

function alarmStatus(alarms: cloudwatch.IAlarm[]) {
  return new cloudwatch.AlarmStatusWidget({
    title:
      'Alarms: scaling (per elastic region), dead letters, failed workflows, collection, cache hit rate (per region)',
    alarms,
    width: FULL_WIDTH,
    height: 4,
  });
}

/** One graph per elastic region: its demand and the thresholds its alarms compare it with. */
function demandOfElasticRegions(config: AutoscalerConfig): cloudwatch.IWidget[] {
  const width = Math.max(6, Math.floor(FULL_WIDTH / Math.max(1, config.regions.elastic.length)));
  return config.regions.elastic.map((region) => {
    const { periodSeconds, scaleUp, scaleDown } = demandAlarmsFor(config, region);
    return new cloudwatch.GraphWidget({
      title: `${region}: demand vs thresholds`,
      left: [demandMetric(region, periodSeconds)],
      leftAnnotations: [
        {
          value: scaleUp.threshold,
          color: COLORS.up,
          label: `scale up above ${scaleUp.threshold} (${scaleUp.datapointsToAlarm} of ${scaleUp.evaluationPeriods})`,
        },
        {
          value: scaleDown.threshold,
          color: COLORS.down,
          label: `scale down below ${scaleDown.threshold} (${scaleDown.datapointsToAlarm} of ${scaleDown.evaluationPeriods})`,
        },
      ],
      leftYAxis: { min: 0, label: 'users', showUnits: false },
      width,
    });
  });
}

function demandOfAlwaysOnRegions(config: AutoscalerConfig) {
  const { periodSeconds } = config.scaling.thresholds;
  return new cloudwatch.GraphWidget({
    title: 'Always-on regions: demand (they never scale down)',
    left: config.regions.alwaysOn.map((region) => demandMetric(region, periodSeconds)),
    leftYAxis: { min: 0, label: 'users', showUnits: false },
    width: FULL_WIDTH,
  });
}

/** The collector's own figures (no service dimension: it publishes them with PutMetricData). */
function collectorMetric(
  metricName: string,
  statistic: string,
  periodSeconds: number,
  region?: string,
  label?: string,
) {
  return new cloudwatch.Metric({
    namespace: DEMAND_NAMESPACE,
    metricName,
    dimensionsMap: region ? { [DEMAND_DIMENSION]: region } : {},
    statistic,
    period: Duration.seconds(Math.max(60, periodSeconds)),
    label: label ?? region,
  });
}

/**
 * Each serving edge's traffic (one line per approved region; a region that is down has none), and
 * how each collection went: its lag and the edges that answered.
 */
function edgeTraffic(config: AutoscalerConfig): cloudwatch.IWidget[][] {
  const periodSeconds = demandCounterPeriodSeconds(config);
  const regions = approvedRegions(config);
  const perRegion = (figure: TrafficFigure, statistic = 'Average') =>
    regions.map((region) => collectorMetric(TRAFFIC_METRICS[figure], statistic, periodSeconds, region));
  const alarm = cacheHitRateAlarm(config);
  const msAxis = { min: 0, label: 'ms', showUnits: false };
  return [
    [
      new cloudwatch.GraphWidget({
        title: 'Edge cache hit rate per region (%)',
        left: perRegion('cacheHitRate', CACHE_HIT_RATE_ALARM_STATISTIC),
        leftAnnotations: [
          {
            value: alarm.threshold,
            color: COLORS.up,
            label: `alarm below ${alarm.threshold} % (${alarm.datapointsToAlarm} of ${alarm.evaluationPeriods} × ${alarm.periodSeconds / 60} min)`,
          },
        ],
        leftYAxis: { min: 0, max: 100, label: '%', showUnits: false },
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Edge requests per second per region',
        left: perRegion('requestsPerSecond'),
        leftYAxis: { min: 0, label: 'requests/s', showUnits: false },
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Collection: lag and edges answering',
        left: [collectorMetric(COLLECTOR_METRICS.collectionLag, 'Maximum', periodSeconds, undefined, 'lag (s)')],
        right: [
          collectorMetric(COLLECTOR_METRICS.edgesAnswered, 'Minimum', periodSeconds, undefined, 'edges answered'),
          collectorMetric(COLLECTOR_METRICS.edgesSilent, 'Maximum', periodSeconds, undefined, 'edges silent'),
        ],
        leftYAxis: { min: 0, label: 'seconds', showUnits: false },
        rightYAxis: { min: 0, label: 'edges', showUnits: false },
        width: 8,
      }),
    ],
    [
      new cloudwatch.GraphWidget({
        title: 'Edge response time p50 per region (ms)',
        left: perRegion('responseTimeP50'),
        leftYAxis: msAxis,
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Edge response time p95 per region (ms)',
        left: perRegion('responseTimeP95'),
        leftYAxis: msAxis,
        width: 12,
      }),
    ],
  ];
}

/** Where users were counted and how many could not be placed. */
function demandCollection(config: AutoscalerConfig): cloudwatch.IWidget[] {
  const periodSeconds = demandCounterPeriodSeconds(config);
  const regions = approvedRegions(config);
  const attributed = regions.map((region, i) => ({
    id: `a${i}`,
    metric: demandMetric(region, Math.max(60, periodSeconds)),
  }));
  const unattributed = collectorMetric(
    COLLECTOR_METRICS.unattributedUsers,
    'Maximum',
    periodSeconds,
    undefined,
    'unattributed',
  );
  const share = new cloudwatch.MathExpression({
    expression: `100 * u / (u + ${attributed.map((a) => a.id).join(' + ')})`,
    usingMetrics: { u: unattributed, ...Object.fromEntries(attributed.map((a) => [a.id, a.metric])) },
    label: 'unattributed share (%)',
    period: Duration.seconds(Math.max(60, periodSeconds)),
  });
  return [
    new cloudwatch.GraphWidget({
      title: 'Users served by each edge (counted there, before attribution)',
      left: regions.map((region) => collectorMetric(COLLECTOR_METRICS.servedUsers, 'Maximum', periodSeconds, region)),
      leftYAxis: { min: 0, label: 'users', showUnits: false },
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Unattributed users (no location in the geolocation database)',
      left: [unattributed],
      right: [share],
      leftYAxis: { min: 0, label: 'users', showUnits: false },
      rightYAxis: { min: 0, max: 100, label: '%', showUnits: false },
      width: 12,
    }),
  ];
}

/**
 * The gauges are emitted only when a region changes state: FILL(…, REPEAT) carries the last
 * value forward so the graph reads as "regions serving at that time".
 */
function activeRegions() {
  const gauge = (metricName: string, label: string, color: string) =>
    new cloudwatch.MathExpression({
      expression: `FILL(${label}, REPEAT)`,
      usingMetrics: { [label]: autoscalerMetric(metricName, cloudwatch.Stats.MAXIMUM) },
      label,
      color,
      period: EVENT_PERIOD,
    });
  return new cloudwatch.GraphWidget({
    title: 'Active regions (serving)',
    left: [
      gauge(FLEET_GAUGE_METRICS.activeRegions, 'all', COLORS.ok),
      gauge(FLEET_GAUGE_METRICS.activeElasticRegions, 'elastic', COLORS.up),
    ],
    leftYAxis: { min: 0, showUnits: false },
    width: 8,
  });
}

function workflowExecutions(props: AutoscalerDashboardProps): cloudwatch.IWidget[] {
  const sum = { period: EVENT_PERIOD, statistic: cloudwatch.Stats.SUM };
  const machines = [
    ['Scale-up', props.scaleUp],
    ['Scale-down', props.scaleDown],
  ] as const;
  return machines.map(
    ([name, machine]) =>
      new cloudwatch.GraphWidget({
        title: `${name} workflow executions`,
        left: [
          machine.metricStarted({ ...sum, label: 'started' }),
          machine.metricSucceeded({ ...sum, label: 'succeeded', color: COLORS.ok }),
          machine.metricFailed({ ...sum, label: 'failed', color: COLORS.up }),
          machine.metricTimedOut({ ...sum, label: 'timed out' }),
        ],
        leftYAxis: { min: 0, showUnits: false },
        view: cloudwatch.GraphWidgetView.BAR,
        width: 8,
      }),
  );
}

function leadTime(config: AutoscalerConfig) {
  return new cloudwatch.GraphWidget({
    title: 'Scale-up lead time: region lock to ACTIVE and in DNS (seconds)',
    left: approvedRegions(config).map((region) =>
      autoscalerMetric(SCALE_UP_LEAD_TIME_METRIC, cloudwatch.Stats.MAXIMUM, region),
    ),
    leftYAxis: { min: 0, showUnits: false },
    width: 12,
  });
}

function failedScalings(config: AutoscalerConfig) {
  const failed = (region: string) => [
    autoscalerMetric(scalingOutcomeMetric('up', 'Failed'), cloudwatch.Stats.SUM, region).with({
      label: `${region} scale-up`,
    }),
    autoscalerMetric(scalingOutcomeMetric('down', 'Failed'), cloudwatch.Stats.SUM, region).with({
      label: `${region} scale-down`,
    }),
  ];
  return new cloudwatch.GraphWidget({
    title: 'Failed scalings per region (rolled back, region FAILED)',
    left: approvedRegions(config).flatMap(failed),
    leftYAxis: { min: 0, showUnits: false },
    view: cloudwatch.GraphWidgetView.BAR,
    width: 12,
  });
}

/** One graph per step of a scale-up, one line per region. */
function stepDurations(config: AutoscalerConfig): cloudwatch.IWidget[] {
  const steps = [
    [STEP_DURATION_METRICS.clusterCreate, 'EKS cluster created'],
    [STEP_DURATION_METRICS.nodegroupCreate, 'Nodegroup created'],
    [STEP_DURATION_METRICS.edgeEndpoint, 'Edge load balancer ready'],
    [STEP_DURATION_METRICS.dnsInSync, 'DNS record in sync'],
  ] as const;
  return steps.map(
    ([metricName, title]) =>
      new cloudwatch.GraphWidget({
        title: `${title} (seconds)`,
        left: approvedRegions(config).map((region) => autoscalerMetric(metricName, cloudwatch.Stats.MAXIMUM, region)),
        leftYAxis: { min: 0, showUnits: false },
        width: FULL_WIDTH / steps.length,
      }),
  );
}
