/**
 * Task Lambda of the scale-up / scale-down workflows: the region's EKS cluster and nodegroup,
 * through an EKS client of that region. See contract.ts for the actions and their results.
 */
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
import { requireApprovedRegion } from '../domain/lifecycle-rules';
import { createdDuring, STEP_DURATION_METRICS } from '../domain/metric-names';
import { clusterName, nodegroupName } from '../domain/naming';
import { clusterTaskSchema, type ClusterTaskInput, type ResourceStatus } from './contract';

export const handler = lambdaHandler(clusterTaskSchema, async (input: ClusterTaskInput): Promise<ResourceStatus> => {
  const { config } = runtime();
  const { region, action } = input;
  requireApprovedRegion(config, region);
  const { prefix } = config;
  const eks = eksClient(region);
  const cluster = clusterName(prefix, region);
  const nodegroup = nodegroupName(prefix);
  const foundation = () => loadFoundation(ssmClient(region), prefix, region);

  const result = await (() => {
    switch (action) {
      case 'ensureCluster':
        return ensureCluster(eks, { name: cluster, prefix, executionId: input.executionId, config, foundation });
      case 'describeCluster':
        return clusterStatus(eks, cluster, input);
      case 'ensureNodegroup':
        return ensureNodegroup(eks, {
          clusterName: cluster,
          nodegroupName: nodegroup,
          prefix,
          executionId: input.executionId,
          config,
          foundation,
        });
      case 'describeNodegroup':
        return nodegroupStatus(eks, cluster, nodegroup, input);
      case 'deleteNodegroup':
        return deleteNodegroup(eks, cluster, nodegroup, prefix);
      case 'deleteCluster':
        return deleteCluster(eks, cluster, prefix);
    }
  })();
  logger.info('Cluster task done', { action, region, cluster, ...result });
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
