/**
 * The scale-up and scale-down workflows: the definition files in workflows/ deployed as they are
 * (their text inline in the template, with the task Lambdas' ARNs as definition substitutions;
 * the timeout is the definition's own TimeoutSeconds, which DefinitionBody.fromString keeps,
 * unlike the construct's `timeout` option), and the four task Lambdas
 * with least-privilege IAM:
 *   - region-task: state table, notifications, foundation parameters, EKS reads;
 *   - cluster-task and edge-task share one "EKS operator" role, with a fixed name: each cluster
 *     makes it cluster admin through an access entry that the cluster task creates (and repairs,
 *     also after this stack is replaced), and the edge task talks to the Kubernetes API as it;
 *   - dns-task: only this project's record name in the configured hosted zone.
 */
import { Arn, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import { ENV } from '../functions/commons/runtime';
import { clusterAdminPolicyArn } from '../functions/domain/access-entries';
import { approvedRegions, type AutoscalerConfig } from '../functions/domain/config';
import {
  clusterName,
  clusterRoleName,
  eksOperatorRoleName,
  foundationParameterName,
  nodegroupName,
  nodeRoleName,
  OWNER_TAG_KEY,
  edgeRolloutStateMachineName,
  clusterUpgradeStateMachineName,
  scaleDownStateMachineName,
  scaleUpStateMachineName,
} from '../functions/domain/naming';
import { TASK_SUBSTITUTIONS, WORKFLOWS, type TaskLambda } from '../workflows/definitions';
import { AutoscalerFunction } from './autoscaler-function';
import { AutoscalerLogGroup } from './autoscaler-log-group';
import { edgeWorkloadFiles } from './config-source';

export interface RegionWorkflowsProps {
  config: AutoscalerConfig;
  stateTable: dynamodb.ITableV2;
  notifications: sns.ITopic;
}

export class RegionWorkflows extends Construct {
  readonly scaleUp: sfn.StateMachine;
  readonly scaleDown: sfn.StateMachine;
  readonly edgeRollout: sfn.StateMachine;
  readonly clusterUpgrade: sfn.StateMachine;
  readonly tasks: Record<TaskLambda, AutoscalerFunction>;
  readonly eksOperatorRole: iam.Role;

  constructor(scope: Construct, id: string, props: RegionWorkflowsProps) {
    super(scope, id);
    const { config, stateTable, notifications } = props;
    const { prefix } = config;
    const stack = Stack.of(this);
    const arn = (service: string, resource: string, region: string) =>
      Arn.format({ service, region, resource, account: stack.account, partition: stack.partition });

    const common = {
      config,
      stateTableName: stateTable.tableName,
      environment: { [ENV.topic]: notifications.topicArn },
    };
    this.eksOperatorRole = new iam.Role(this, 'EksOperatorRole', {
      roleName: eksOperatorRoleName(prefix),
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Creates, adopts and deletes the edge EKS clusters and talks to their Kubernetes API',
    });
    this.tasks = {
      regionTask: new AutoscalerFunction(this, 'RegionTask', {
        ...common,
        entry: 'tasks/region-task',
        description: 'Workflow task: validation, region lock, region state and notifications',
      }),
      clusterTask: new AutoscalerFunction(this, 'ClusterTask', {
        ...common,
        entry: 'tasks/cluster-task',
        role: this.eksOperatorRole,
        description: 'Workflow task: EKS cluster and nodegroup in the target region',
      }),
      edgeTask: new AutoscalerFunction(this, 'EdgeTask', {
        ...common,
        entry: 'tasks/edge-task',
        role: this.eksOperatorRole,
        bundledFiles: edgeWorkloadFiles(config),
        timeout: Duration.seconds(90),
        description: 'Workflow task: the edge workload through the Kubernetes API',
      }),
      dnsTask: new AutoscalerFunction(this, 'DnsTask', {
        ...common,
        entry: 'tasks/dns-task',
        description: "Workflow task: the region's own Route53 latency record",
      }),
    };

    // Exact ARNs, one per approved region: no other region, cluster or parameter is reachable.
    const regions = approvedRegions(config);
    const ourClusters = regions.map((r) => arn('eks', `cluster/${clusterName(prefix, r)}`, r));
    const ourNodegroups = regions.map((r) =>
      arn('eks', `nodegroup/${clusterName(prefix, r)}/${nodegroupName(prefix)}/*`, r),
    );
    const foundationParameters = regions.map((r) => arn('ssm', `parameter${foundationParameterName(prefix, r)}`, r));
    const role = (name: string) => `arn:${stack.partition}:iam::${stack.account}:role/${name}`;

    // region-task
    const regionRole = this.tasks.regionTask.role;
    stateTable.grantReadWriteData(regionRole);
    notifications.grantPublish(regionRole);
    regionRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: foundationParameters }),
    );
    regionRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['eks:DescribeCluster'], resources: ourClusters }),
    );

    // cluster-task + edge-task (EKS operator)
    const operator = this.eksOperatorRole;
    operator.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: foundationParameters }),
    );
    operator.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ManageOnlyPrefixedClusters',
        actions: [
          'eks:CreateCluster',
          'eks:DescribeCluster',
          'eks:DeleteCluster',
          'eks:TagResource',
          'eks:CreateNodegroup',
          'eks:DescribeNodegroup',
          // The warm tier: a nodegroup sized to zero nodes and back (and its EC2 warm pool), waited on by its status.
          'eks:UpdateNodegroupConfig',
          'eks:DeleteNodegroup',
          'eks:ListNodegroups',
          'eks:ListAccessEntries',
        ],
        resources: [...ourClusters, ...ourNodegroups],
      }),
    );
    // Kubernetes upgrades and node patches (eks-version-updates.ts): the same clusters and nodegroups only.
    operator.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'UpgradeOnlyPrefixedClusters',
        actions: ['eks:UpdateClusterVersion', 'eks:UpdateNodegroupVersion', 'eks:DescribeUpdate', 'eks:ListUpdates'],
        resources: [...ourClusters, ...ourNodegroups],
      }),
    );
    // Access entries: only on our clusters, only for the operator and the configured admins, and
    // only the cluster admin policy at cluster scope.
    const ourAccessEntries = regions.map((r) => arn('eks', `access-entry/${clusterName(prefix, r)}/*`, r));
    operator.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'CreateAccessEntriesOnlyForOurAdmins',
        actions: ['eks:CreateAccessEntry'],
        resources: ourClusters,
        conditions: {
          ArnEquals: { 'eks:principalArn': [role(eksOperatorRoleName(prefix)), ...config.cluster.adminRoleArns] },
        },
      }),
    );
    operator.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ManageAccessEntriesOfOurClusters',
        actions: [
          'eks:DescribeAccessEntry',
          'eks:DeleteAccessEntry',
          'eks:ListAssociatedAccessPolicies',
          'eks:TagResource',
        ],
        resources: ourAccessEntries,
      }),
    );
    operator.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AssociateOnlyClusterAdmin',
        actions: ['eks:AssociateAccessPolicy'],
        resources: ourAccessEntries,
        conditions: {
          ArnEquals: { 'eks:policyArn': clusterAdminPolicyArn(stack.partition) },
          StringEquals: { 'eks:accessScope': 'cluster' },
        },
      }),
    );
    // Secrets encryption: EKS, on the operator's behalf, uses the foundation's key of the cluster's
    // region. Its id is generated in that stack: the keys are found by the owner tag, which only
    // the foundation stacks put on a key.
    const ourKeys = arn('kms', 'key/*', '*');
    operator.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DescribeOurSecretsKeys',
        actions: ['kms:DescribeKey'],
        resources: [ourKeys],
        conditions: { StringEquals: { [`aws:ResourceTag/${OWNER_TAG_KEY}`]: prefix } },
      }),
    );
    operator.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'UseOurSecretsKeysThroughEks',
        actions: ['kms:CreateGrant', 'kms:Encrypt', 'kms:Decrypt'],
        resources: [ourKeys],
        conditions: {
          StringEquals: {
            [`aws:ResourceTag/${OWNER_TAG_KEY}`]: prefix,
            'kms:ViaService': regions.map((r) => `eks.${r}.amazonaws.com`),
          },
        },
      }),
    );
    // CreateNodegroup reads the foundation's launch template on the caller's behalf.
    operator.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadTheNodeLaunchTemplate',
        actions: ['ec2:DescribeLaunchTemplateVersions'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:RequestedRegion': regions } },
      }),
    );
    operator.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PassOnlyTheEksRolesToEks',
        actions: ['iam:PassRole'],
        resources: regions.flatMap((r) => [role(clusterRoleName(prefix, r)), role(nodeRoleName(prefix, r))]),
        conditions: { StringEquals: { 'iam:PassedToService': 'eks.amazonaws.com' } },
      }),
    );
    operator.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'EksServiceLinkedRolesOnFirstUse',
        actions: ['iam:CreateServiceLinkedRole'],
        resources: [
          role('aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS'),
          role('aws-service-role/eks-nodegroup.amazonaws.com/AWSServiceRoleForAmazonEKSNodegroup'),
        ],
        conditions: { StringEquals: { 'iam:AWSServiceName': ['eks.amazonaws.com', 'eks-nodegroup.amazonaws.com'] } },
      }),
    );
    operator.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'FindTheEdgeLoadBalancer',
        actions: ['elasticloadbalancing:DescribeLoadBalancers'],
        resources: ['*'],
      }),
    );

    // dns-task: only our record name and type, in the configured zone.
    const zoneArn = `arn:${stack.partition}:route53:::hostedzone/${config.dns.hostedZoneId}`;
    const dnsRole = this.tasks.dnsTask.role;
    dnsRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ChangeOnlyOurLatencyRecord',
        actions: ['route53:ChangeResourceRecordSets'],
        resources: [zoneArn],
        conditions: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': [config.dns.recordName.replace(/\.$/, '')],
            'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
          },
        },
      }),
    );
    dnsRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['route53:ListResourceRecordSets'], resources: [zoneArn] }),
    );
    dnsRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['route53:GetChange'],
        resources: [`arn:${stack.partition}:route53:::change/*`],
      }),
    );

    for (const r of regions) {
      Validations.of(operator).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:eks:${r}:<AWS::AccountId>:nodegroup/${clusterName(prefix, r)}/${nodegroupName(prefix)}/*]`,
        reason: 'EKS appends a generated id to nodegroup ARNs; the cluster and nodegroup names are fixed.',
      });
    }
    for (const r of regions) {
      Validations.of(operator).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:eks:${r}:<AWS::AccountId>:access-entry/${clusterName(prefix, r)}/*]`,
        reason:
          'EKS names access entries by principal with a generated id; only the entries of our cluster, AssociateAccessPolicy only for the cluster admin policy at cluster scope.',
      });
    }
    Validations.of(operator).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:*:<AWS::AccountId>:key/*]',
      reason:
        "Each region's secrets key gets a generated id in its foundation stack: only keys tagged with our owner tag, and (but the read-only DescribeKey) only through EKS in an approved region.",
    });
    Validations.of(operator).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'elasticloadbalancing:DescribeLoadBalancers and ec2:DescribeLaunchTemplateVersions (read-only) have no resource-level permissions; the latter only in approved regions.',
    });
    Validations.of(dnsRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:route53:::change/*]',
      reason: 'route53:GetChange (read-only) takes change ids that Route53 generates.',
    });

    const substitutions = Object.fromEntries(
      Object.entries(TASK_SUBSTITUTIONS).map(([task, placeholder]) => [
        placeholder,
        this.tasks[task as TaskLambda].function.functionArn,
      ]),
    );
    this.scaleUp = this.stateMachine('ScaleUp', scaleUpStateMachineName(prefix), WORKFLOWS.scaleUp, substitutions);
    this.scaleDown = this.stateMachine(
      'ScaleDown',
      scaleDownStateMachineName(prefix),
      WORKFLOWS.scaleDown,
      substitutions,
    );
    this.edgeRollout = this.stateMachine(
      'EdgeRollout',
      edgeRolloutStateMachineName(prefix),
      WORKFLOWS.edgeRollout,
      substitutions,
    );
    this.clusterUpgrade = this.stateMachine(
      'ClusterUpgrade',
      clusterUpgradeStateMachineName(prefix),
      WORKFLOWS.clusterUpgrade,
      substitutions,
    );
  }

  private stateMachine(
    id: string,
    name: string,
    file: string,
    substitutions: Record<string, string>,
  ): sfn.StateMachine {
    const logGroup = new AutoscalerLogGroup(this, `${id}Logs`, { logGroupName: `/aws/vendedlogs/states/${name}` });
    const machine = new sfn.StateMachine(this, id, {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      // The file's text, inline in the template (no asset bucket needed): the tests execute the same file.
      definitionBody: sfn.DefinitionBody.fromString(readFileSync(file, 'utf8')),
      definitionSubstitutions: substitutions,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    for (const task of Object.values(this.tasks)) {
      task.function.grantInvoke(machine);
      Validations.of(machine).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(task.function.node.defaultChild as never)}.Arn>:*]`,
        reason: 'CDK grants invoke on the function and its versions/aliases (":*"); only these four task functions.',
      });
    }
    Validations.of(machine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing and CloudWatch Logs delivery actions do not support resource-level permissions.',
    });
    return machine;
  }
}
