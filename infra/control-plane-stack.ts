/**
 * The control plane in the home region: region state and locks, notifications, the workflows,
 * the decision Lambda and the reconciler, the alarms and the dashboard.
 * Everything here is pay-per-use and costs (close to) nothing while idle.
 */
import { CfnOutput, RemovalPolicy, Stack, Tags, Validations, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { AutoscalerConfig } from '../functions/domain/config';
import {
  CONTROL_OUTPUTS,
  OWNER_TAG_KEY,
  configParameterName,
  dashboardName,
  stateTableName,
} from '../functions/domain/naming';
import { AutoscalerDashboard } from './autoscaler-dashboard';
import { CachePurge } from './cache-purge';
import { configParameterValue } from './config-parameter';
import { DemandCollection } from './demand-collection';
import { KubernetesVersionRecord } from './kubernetes-version-record';
import { NodePatchSchedule } from './node-patch-schedule';
import { RegionWorkflows } from './region-workflows';
import { ScalingAutomation } from './scaling-automation';
import { stackEncryptionKey } from './stack-encryption-key';
import { WorkflowFailureAlarm } from './workflow-failure-alarm';

export interface ControlPlaneStackProps extends StackProps {
  config: AutoscalerConfig;
  /** The date the Kubernetes version's support status is judged at (default: now, the synth's). */
  now?: Date;
}

export class ControlPlaneStack extends Stack {
  readonly config: AutoscalerConfig;
  readonly stateTable: dynamodb.TableV2;
  readonly notifications: sns.Topic;
  readonly workflows: RegionWorkflows;
  readonly scaling: ScalingAutomation;
  readonly workflowFailureAlarm: WorkflowFailureAlarm;
  readonly dashboard: AutoscalerDashboard;
  /** The collector of the edge agents' counts: traffic always, ActiveUsers with demand.source = edge-counters. */
  readonly demandCollection: DemandCollection;
  readonly cachePurge: CachePurge;
  readonly kubernetesVersion: KubernetesVersionRecord;
  /** With cluster.nodePatchSchedule: starts the cluster upgrade workflow with patchNodes. */
  readonly nodePatchSchedule?: NodePatchSchedule;

  constructor(scope: Construct, id: string, props: ControlPlaneStackProps) {
    super(scope, id, props);
    this.config = props.config;
    const { prefix } = props.config;
    Tags.of(this).add(OWNER_TAG_KEY, prefix);
    // First: a configuration too large for its parameter fails synth before any Lambda is bundled.
    const configParameterContent = configParameterValue(props.config, configParameterName(prefix));

    // One item per region (sk "state"), one per region lock (sk "lock") and the region's
    // decision history (sk "decision#<time>#<id>", expiring through the TTL attribute).
    this.stateTable = new dynamodb.TableV2(this, 'RegionStateTable', {
      tableName: stateTableName(prefix),
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // KMS with the AWS-managed key (Control Tower CT.DYNAMODB.PR.2, which cfn-guard only checks on
      // AWS::DynamoDB::Table): no monthly fee, and, unlike the stack's key, it outlives the stack
      // as this retained table does.
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      timeToLiveAttribute: 'expiresAt',
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // The stack's customer-managed key ($1/month), shared with its log groups: CloudWatch alarm
    // actions cannot publish to a topic encrypted with the AWS-managed alias/aws/sns key, and the
    // DLQ and failure alarms notify here.
    const topicKey = stackEncryptionKey(this);
    topicKey.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to the encrypted topic (grantPublish) needs kms:GenerateDataKey* on its one key; SNS picks the variant.',
    });
    this.notifications = new sns.Topic(this, 'Notifications', {
      topicName: `${prefix}-notifications`,
      displayName: 'Edge autoscaler notifications',
      enforceSSL: true,
      masterKey: topicKey,
    });

    this.workflows = new RegionWorkflows(this, 'Workflows', {
      config: props.config,
      stateTable: this.stateTable,
      notifications: this.notifications,
    });

    this.scaling = new ScalingAutomation(this, 'ScalingAutomation', {
      config: props.config,
      stateTable: this.stateTable,
      notifications: this.notifications,
      scaleUp: this.workflows.scaleUp,
      scaleDown: this.workflows.scaleDown,
      maintenance: { edgeRollout: this.workflows.edgeRollout, clusterUpgrade: this.workflows.clusterUpgrade },
    });

    this.demandCollection = new DemandCollection(this, 'DemandCollection', {
      config: props.config,
      stateTable: this.stateTable,
      notifications: this.notifications,
      operatorRole: this.workflows.eksOperatorRole,
      deadLetterQueue: this.scaling.deadLetterQueue,
    });

    const { nodePatchSchedule } = props.config.cluster;
    if (nodePatchSchedule) {
      this.nodePatchSchedule = new NodePatchSchedule(this, 'NodePatchSchedule', {
        config: props.config,
        expression: nodePatchSchedule,
        clusterUpgrade: this.workflows.clusterUpgrade,
        deadLetterQueue: this.scaling.deadLetterQueue,
      });
    }

    this.cachePurge = new CachePurge(this, 'CachePurge', {
      config: props.config,
      stateTable: this.stateTable,
      operatorRole: this.workflows.eksOperatorRole,
    });

    const workflows = { scaleUp: this.workflows.scaleUp, scaleDown: this.workflows.scaleDown };
    this.workflowFailureAlarm = new WorkflowFailureAlarm(this, 'WorkflowFailureAlarm', {
      prefix,
      ...workflows,
      maintenance: [this.workflows.edgeRollout, this.workflows.clusterUpgrade],
      notifications: this.notifications,
    });
    this.dashboard = new AutoscalerDashboard(this, 'Dashboard', {
      config: props.config,
      ...workflows,
      alarms: [
        ...this.scaling.alarms.flatMap((a) => [a.scaleUp, a.scaleDown]),
        this.scaling.deadLetterAlarm,
        this.workflowFailureAlarm.alarm,
        this.demandCollection.silenceAlarm,
        ...this.demandCollection.cacheHitRateAlarms,
      ],
    });

    // The deployed configuration, for regionctl (it finds this stack by name, then reads this).
    // The deployed Kubernetes version: the next synth refuses to lower it, and warns in extended support.
    this.kubernetesVersion = new KubernetesVersionRecord(this, 'KubernetesVersion', {
      config: props.config,
      now: props.now,
    });

    // regionctl reads this one: the configuration without its default values, in the tier its size
    // needs (config-parameter.ts).
    const configParameter = new ssm.StringParameter(this, 'ConfigParameter', {
      parameterName: configParameterName(prefix),
      description: 'Edge autoscaler configuration (JSON without the default values), as validated at synth time',
      stringValue: configParameterContent.value,
      tier: configParameterContent.tier,
    });

    const outputs: Record<keyof typeof CONTROL_OUTPUTS, string> = {
      stateTableName: this.stateTable.tableName,
      notificationTopicArn: this.notifications.topicArn,
      scaleUpStateMachineArn: this.workflows.scaleUp.stateMachineArn,
      scaleDownStateMachineArn: this.workflows.scaleDown.stateMachineArn,
      edgeRolloutStateMachineArn: this.workflows.edgeRollout.stateMachineArn,
      clusterUpgradeStateMachineArn: this.workflows.clusterUpgrade.stateMachineArn,
      configParameterName: configParameter.parameterName,
      dashboardName: dashboardName(prefix),
      purgeFunctionName: this.cachePurge.purgeFunction.functionName,
    };
    for (const [key, value] of Object.entries(outputs)) {
      new CfnOutput(this, CONTROL_OUTPUTS[key as keyof typeof CONTROL_OUTPUTS], { value });
    }
  }
}
