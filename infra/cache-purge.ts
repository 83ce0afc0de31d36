/**
 * Cache purge: the Lambda `regionctl purge` invokes (synchronously) to refresh a path, or every
 * path under a prefix, in every serving region's edge cache. It shares the EKS operator role of
 * the task Lambdas and the collector: it reaches each edge pod's agent through its cluster's
 * Kubernetes API as the cluster's creator does (presigned-token authentication, pod proxy), so
 * the purge needs no new credentials and no endpoint of its own: nothing public to guard.
 */
import { Arn, Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { POD_PURGE_TIMEOUT_MS } from '../functions/domain/cache-purge';
import { approvedRegions, type AutoscalerConfig } from '../functions/domain/config';
import { clusterName } from '../functions/domain/naming';
import { AutoscalerFunction } from './autoscaler-function';

export interface CachePurgeProps {
  config: AutoscalerConfig;
  stateTable: dynamodb.ITableV2;
  operatorRole: iam.Role;
}

export class CachePurge extends Construct {
  readonly purgeFunction: lambda.Function;

  constructor(scope: Construct, id: string, props: CachePurgeProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);
    this.purgeFunction = new AutoscalerFunction(this, 'Purge', {
      config,
      entry: 'purge/purge-handler',
      stateTableName: props.stateTable.tableName,
      role: props.operatorRole,
      // Regions and pods are purged side by side; the slowest pod is bounded by POD_PURGE_TIMEOUT_MS.
      timeout: Duration.millis(POD_PURGE_TIMEOUT_MS + 30_000),
      memorySize: 256,
      description: "Purges a path or a prefix from every serving region's edge caches, through the Kubernetes API",
    }).function;
    // Which regions serve (the state table), and each one's cluster endpoint and CA.
    props.stateTable.grantReadData(this.purgeFunction);
    this.purgeFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DescribeTheEdgeClustersToPurge',
        actions: ['eks:DescribeCluster'],
        resources: approvedRegions(config).map((region) =>
          Arn.format({
            service: 'eks',
            region,
            account: stack.account,
            partition: stack.partition,
            resource: `cluster/${clusterName(config.prefix, region)}`,
          }),
        ),
      }),
    );
  }
}
