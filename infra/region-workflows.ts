/**
 * The scale-up and scale-down workflows: the definition files in workflows/ deployed as they are
 * (their text inline in the template, with the task Lambdas' ARNs as definition substitutions;
 * the timeout is the definition's own TimeoutSeconds, which DefinitionBody.fromString keeps,
 * unlike the construct's `timeout` option), and the four task Lambdas
 * with least-privilege IAM:
 *   - region-task: state table, notifications, foundation parameters, EKS reads;
 *   - cluster-task and edge-task share one "EKS operator" role: the role that creates a cluster
 *     is its Kubernetes admin (bootstrapClusterCreatorAdminPermissions), so the edge task, which
 *     talks to the Kubernetes API, must be the same identity;
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
import { approvedRegions, type AutoscalerConfig } from '../functions/domain/config';
import {
  clusterName,
  clusterRoleName,
  foundationParameterName,
  nodegroupName,
  nodeRoleName,
  scaleDownStateMachineName,
  scaleUpStateMachineName,
} from '../functions/domain/naming';
import { TASK_SUBSTITUTIONS, WORKFLOWS, type TaskLambda } from '../workflows/definitions';
import { AutoscalerFunction } from './autoscaler-function';
import { AutoscalerLogGroup } from './autoscaler-log-group';

export interface RegionWorkflowsProps {
  config: AutoscalerConfig;
  stateTable: dynamodb.ITableV2;
  notifications: sns.ITopic;
}

export class RegionWorkflows extends Construct {
  readonly scaleUp: sfn.StateMachine;
  readonly scaleDown: sfn.StateMachine;
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
        bundledFiles: { edgeAgent: true },
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
          'eks:DeleteNodegroup',
          'eks:ListNodegroups',
        ],
        resources: [...ourClusters, ...ourNodegroups],
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
    Validations.of(operator).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'elasticloadbalancing:DescribeLoadBalancers (read-only) has no resource-level permissions.',
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
