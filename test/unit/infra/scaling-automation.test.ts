import { beforeAll, describe, expect, it } from '@jest/globals';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ScalingAutomation } from '../../../infra/scaling-automation';
import { exampleConfig } from '../../support/config-fixtures';
import { newTestApp } from '../../support/test-app';

const config = exampleConfig();
const UP_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:edgescale-scale-up';
const DOWN_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:edgescale-scale-down';
const ROLLOUT_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:edgescale-edge-rollout';

let app: App;
let template: Template;

beforeAll(() => {
  app = newTestApp({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'ScalingAutomationTest', { env: { account: '123456789012', region: 'us-east-1' } });
  new ScalingAutomation(stack, 'Scaling', {
    config,
    stateTable: new dynamodb.TableV2(stack, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    }),
    notifications: new sns.Topic(stack, 'Topic', { enforceSSL: true }),
    scaleUp: sfn.StateMachine.fromStateMachineArn(stack, 'Up', UP_ARN),
    scaleDown: sfn.StateMachine.fromStateMachineArn(stack, 'Down', DOWN_ARN),
    maintenance: { edgeRollout: sfn.StateMachine.fromStateMachineArn(stack, 'Rollout', ROLLOUT_ARN) },
  });
  template = Template.fromStack(stack);
});

interface AlarmProperties {
  AlarmName: string;
  Dimensions: Array<{ Name: string; Value: string }>;
  TreatMissingData?: string;
}

const demandAlarms = () =>
  Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'EdgeAutoscaler' } })).map(
    (r) => r.Properties as AlarmProperties,
  );

describe('ScalingAutomation', () => {
  it('creates two demand alarms per elastic region and none for always-on regions', () => {
    const alarms = demandAlarms();
    expect(alarms).toHaveLength(2 * config.regions.elastic.length);
    const regions = alarms.map((a) => a.Dimensions[0]!.Value);
    for (const region of config.regions.elastic) expect(regions.filter((r) => r === region)).toHaveLength(2);
    for (const region of config.regions.alwaysOn) expect(regions).not.toContain(region);
    expect(alarms.map((a) => a.AlarmName).sort()).toEqual(
      config.regions.elastic.flatMap((r) => [`edgescale-scale-down-${r}`, `edgescale-scale-up-${r}`]).sort(),
    );
  });

  it('uses the configured thresholds, periods and M of N, with the sa-east-1 override applied', () => {
    const alarm = (name: string) => demandAlarms().find((a) => a.AlarmName === name)!;
    expect(alarm('edgescale-scale-up-ap-southeast-1')).toMatchObject({
      MetricName: 'ActiveUsers',
      Dimensions: [{ Name: 'Region', Value: 'ap-southeast-1' }],
      Statistic: 'Maximum',
      Period: 60,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 500,
      DatapointsToAlarm: 3,
      EvaluationPeriods: 5,
    });
    expect(alarm('edgescale-scale-down-ap-southeast-1')).toMatchObject({
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 150,
      DatapointsToAlarm: 15,
      EvaluationPeriods: 15,
    });
    expect(alarm('edgescale-scale-up-sa-east-1')).toMatchObject({ Threshold: 300, DatapointsToAlarm: 3 });
    expect(alarm('edgescale-scale-down-sa-east-1')).toMatchObject({ Threshold: 80, EvaluationPeriods: 15 });
  });

  it('never lets missing data scale a region down: scale-down notBreaching, scale-up missing', () => {
    for (const alarm of demandAlarms()) {
      expect(alarm.TreatMissingData).toBe(alarm.AlarmName.includes('-scale-down-') ? 'notBreaching' : 'missing');
    }
  });

  it('routes the scaling alarms state changes to the decision Lambda, with retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: 'edgescale-scale-' }] },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ScalingDecisionFunction'), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ScalingDeadLetterQueue'), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        }),
      ],
    });
  });

  it('runs the reconciler on the configured schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ScalingReconcilerFunction'), 'Arn'] } }),
      ],
    });
  });

  it('keeps undeliverable events 14 days in an encrypted, TLS-only queue, with an alarm to the topic', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'edgescale-scaling-dlq',
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('Topic') }],
    });
    // Decisions that fail after Lambda's own retries land in the same queue.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('ScalingDeadLetterQueue'), 'Arn'] } },
      },
    });
  });

  it('gives both Lambdas the workflow ARNs and the table in their environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'edgescale-decision-handler',
      Environment: {
        Variables: Match.objectLike({
          SCALE_UP_STATE_MACHINE_ARN: UP_ARN,
          SCALE_DOWN_STATE_MACHINE_ARN: DOWN_ARN,
          STATE_TABLE_NAME: Match.anyValue(),
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'edgescale-reconcile-handler' });
  });

  it('scopes IAM to the workflows, the scaling alarms, the edge clusters and the configured zone', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>,
    );
    const resourcesOf = (action: string) =>
      statements
        .filter((s) => [s.Action].flat().includes(action))
        .flatMap((s) => [s.Resource].flat())
        .map((r) => JSON.stringify(r));
    const workflows = new Set([UP_ARN, DOWN_ARN, ROLLOUT_ARN].map((arn) => JSON.stringify(arn)));
    expect(new Set(resourcesOf('states:StartExecution'))).toEqual(workflows);
    expect(new Set(resourcesOf('states:ListExecutions'))).toEqual(workflows);
    for (const resource of resourcesOf('states:DescribeExecution')) {
      expect(resource).toMatch(
        /:states:us-east-1:123456789012:execution:edgescale-(scale-up|scale-down|edge-rollout):\*/,
      );
    }
    const alarms = resourcesOf('cloudwatch:DescribeAlarms');
    for (const a of alarms) expect(a).toMatch(/ScalingScale(Up|Down)/);
    const clusters = resourcesOf('eks:DescribeCluster');
    expect(clusters).toHaveLength(6);
    for (const c of clusters) expect(c).toMatch(/:eks:[a-z0-9-]+:123456789012:cluster\/edgescale-edge-[a-z0-9-]+"/);
    expect(resourcesOf('route53:ListResourceRecordSets')).toEqual([
      JSON.stringify({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':route53:::hostedzone/Z0123456789ABCDEFGHIJ']],
      }),
    ]);
    const everything = statements.flatMap((s) => [s.Action].flat());
    expect(everything.filter((a) => /^(eks|route53):/.test(a) && !/Describe|List/.test(a))).toEqual([]);
    expect(everything).not.toContain('eks:ListClusters');
  });

  it('lets the decision Lambda and the reconciler read the state of the scaling alarms, and no other alarm', () => {
    // The decision Lambda acts only on an alarm still in ALARM; the reconciler re-decides those in ALARM.
    const scalingAlarms = new Set(
      Object.entries(
        template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'EdgeAutoscaler' } }),
      ).map(([id]) => JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] })),
    );
    expect(scalingAlarms.size).toBe(2 * config.regions.elastic.length);
    for (const functionName of ['edgescale-decision-handler', 'edgescale-reconcile-handler']) {
      const read = describeAlarmsResourcesOf(functionName);
      expect(new Set(read)).toEqual(scalingAlarms);
      expect(read).not.toContain('"*"');
    }
  });

  it('lets the reconciler alone read metrics (its demand history), on "*": IAM cannot scope GetMetricData', () => {
    const reads = (functionName: string) =>
      roleStatementsOf(functionName).filter((s) => [s.Action].flat().includes('cloudwatch:GetMetricData'));
    expect(reads('edgescale-reconcile-handler')).toEqual([
      { Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' },
    ]);
    expect(reads('edgescale-decision-handler')).toEqual([]);
  });

  it('passes cdk-nag AwsSolutions with no unsuppressed finding', () => {
    const violations = new AwsSolutionsChecks()
      .validateScope(app)
      .violations.map(
        (v) =>
          `${v.ruleName}: ${v.violatingResources.map((r) => `${r.constructPath} ${JSON.stringify(r)}`).join(', ')}`,
      );
    expect(violations).toEqual([]);
  });
});

/** The resources of the cloudwatch:DescribeAlarms statements in the policies of one function's role. */
function describeAlarmsResourcesOf(functionName: string): string[] {
  const [fn] = Object.values(
    template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: functionName } }),
  );
  const role = (fn!.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>)
    .filter((s) => [s.Action].flat().includes('cloudwatch:DescribeAlarms'))
    .flatMap((s) => [s.Resource].flat())
    .map((r) => JSON.stringify(r));
}

/** The statements of the policies attached to the role of the function named `functionName`. */
function roleStatementsOf(functionName: string): Array<{ Action: string | string[]; Resource: unknown }> {
  const [fn] = Object.values(
    template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: functionName } }),
  );
  const role = (fn!.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
}
