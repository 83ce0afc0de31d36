/**
 * Task Lambda of the scale-up / scale-down workflows: the region's EKS cluster and nodegroup,
 * through an EKS client of that region. See contract.ts for the actions and their results.
 */
import type { EKSClient } from '@aws-sdk/client-eks';
import type { SSMClient } from '@aws-sdk/client-ssm';
import {
  ensureCluster,
  ensureNodegroup,
  clusterStatus,
  deleteCluster,
  deleteNodegroup,
  nodegroupStatus,
} from '../adapters/eks-cluster';
import { loadFoundation } from '../adapters/foundation';
import { eksClient, ssmClient } from '../commons/aws-clients';
import { lambdaHandler, logger } from '../commons/observability';
import { runtime } from '../commons/runtime';
import { recordRegionDuration } from '../commons/workflow-metrics';
import type { AutoscalerConfig } from '../domain/config';
import { requireApprovedRegion } from '../domain/lifecycle-rules';
import { createdDuring, STEP_DURATION_METRICS } from '../domain/metric-names';
import { clusterName, nodegroupName } from '../domain/naming';
import { clusterTaskSchema, type ClusterTaskInput, type ResourceStatus } from './contract';

/** The region's clients: EKS, and SSM for the region's foundation (read only to create). */
export interface ClusterActionDependencies {
  config: AutoscalerConfig;
  eks: EKSClient;
  ssm: SSMClient;
  now: Date;
}

/** Performs one cluster-task action on the region's cluster or nodegroup. */
export async function runClusterAction(
  input: ClusterTaskInput,
  deps: ClusterActionDependencies,
): Promise<ResourceStatus> {
  const { config, eks, now } = deps;
  const { region } = input;
  requireApprovedRegion(config, region);
  const { prefix } = config;
  const cluster = clusterName(prefix, region);
  const nodegroup = nodegroupName(prefix);
  const foundation = () => loadFoundation(deps.ssm, prefix, region);
  switch (input.action) {
    case 'ensureCluster':
      return ensureCluster(eks, { name: cluster, prefix, executionId: input.executionId, config, foundation }, now);
    case 'describeCluster':
      return clusterStatus(eks, cluster, input, now);
    case 'ensureNodegroup':
      return ensureNodegroup(
        eks,
        { clusterName: cluster, nodegroupName: nodegroup, prefix, executionId: input.executionId, config, foundation },
        now,
      );
    case 'describeNodegroup':
      return nodegroupStatus(eks, cluster, nodegroup, input, now);
    case 'deleteNodegroup':
      return deleteNodegroup(eks, cluster, nodegroup, prefix, now);
    case 'deleteCluster':
      return deleteCluster(eks, cluster, prefix, now);
  }
}

export const handler = lambdaHandler(clusterTaskSchema, async (input: ClusterTaskInput): Promise<ResourceStatus> => {
  const { config } = runtime();
  const { region, action } = input;
  const result = await runClusterAction(input, {
    config,
    eks: eksClient(region),
    ssm: ssmClient(region),
    now: new Date(),
  });
  logger.info('Cluster task done', { action, region, cluster: clusterName(config.prefix, region), ...result });
  recordCreationTime(input, result);
  return result;
});

/** The scale-up's poll that sees a cluster or nodegroup it created ACTIVE records how long the creation took. */
function recordCreationTime(input: ClusterTaskInput, result: ResourceStatus): void {
  if (input.action !== 'describeCluster' && input.action !== 'describeNodegroup') return;
  if (result.status !== 'ACTIVE' || !createdDuring(result.createdAt, input.executionStartedAt)) return;
  const metric =
    input.action === 'describeCluster' ? STEP_DURATION_METRICS.clusterCreate : STEP_DURATION_METRICS.nodegroupCreate;
  recordRegionDuration(metric, input.region, result.createdAt);
}
