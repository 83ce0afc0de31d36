/**
 * Task Lambda of the scale-up / scale-down workflows: the region's EKS cluster and nodegroup,
 * through an EKS client of that region. See contract.ts for the actions and their results.
 */
import type { EKSClient } from '@aws-sdk/client-eks';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';
import { ensureClusterAccess } from '../adapters/eks-access';
import {
  ensureCluster,
  ensureNodegroup,
  clusterStatus,
  deleteCluster,
  deleteNodegroup,
  nodegroupStatus,
  scaleNodegroup,
} from '../adapters/eks-cluster';
import {
  clusterUpdateStatus,
  nodegroupUpdateStatus,
  readVersions,
  startClusterVersionUpdate,
  startNodegroupVersionUpdate,
} from '../adapters/eks-version-updates';
import { loadClusterFoundation } from '../adapters/foundation';
import { eksClient, ssmClient, stsClient } from '../commons/aws-clients';
import { lambdaHandler, logger } from '../commons/observability';
import { runtime } from '../commons/runtime';
import { recordRegionDuration } from '../commons/workflow-metrics';
import type { AutoscalerConfig } from '../domain/config';
import { requireApprovedRegion } from '../domain/lifecycle-rules';
import { createdDuring, STEP_DURATION_METRICS } from '../domain/metric-names';
import { clusterName, nodegroupName } from '../domain/naming';
import {
  clusterTaskSchema,
  type ClusterAccessResult,
  type ClusterTaskInput,
  type ClusterVersions,
  type ResourceStatus,
  type VersionUpdateStatus,
} from './contract';

/** What the cluster task's actions return (see contract.ts). */
type ClusterTaskResult = ResourceStatus | ClusterAccessResult | ClusterVersions | VersionUpdateStatus;

/**
 * The region's clients: EKS, SSM for the region's foundation (read only to create), and STS for
 * the identity the task runs as (the operator role whose access entry it ensures).
 */
export interface ClusterActionDependencies {
  config: AutoscalerConfig;
  eks: EKSClient;
  ssm: SSMClient;
  sts: STSClient;
  now: Date;
}

/** Performs one cluster-task action on the region's cluster, its nodegroup or its access entries. */
export async function runClusterAction(
  input: ClusterTaskInput,
  deps: ClusterActionDependencies,
): Promise<ClusterTaskResult> {
  const { config, eks, now } = deps;
  const { region } = input;
  requireApprovedRegion(config, region);
  const { prefix } = config;
  const cluster = clusterName(prefix, region);
  const nodegroup = nodegroupName(prefix);
  const foundation = () => loadClusterFoundation(deps.ssm, prefix, region);
  const versioned = { cluster, nodegroup, prefix };
  switch (input.action) {
    case 'ensureCluster':
      return ensureCluster(eks, { name: cluster, prefix, executionId: input.executionId, config, foundation }, now);
    case 'describeCluster':
      return clusterStatus(eks, cluster, input, now);
    case 'ensureNodegroup':
      return ensureNodegroup(
        eks,
        {
          clusterName: cluster,
          nodegroupName: nodegroup,
          region,
          prefix,
          executionId: input.executionId,
          config,
          foundation,
          target: input.target,
        },
        now,
      );
    case 'scaleNodegroup':
      return scaleNodegroup(
        eks,
        { clusterName: cluster, nodegroupName: nodegroup, region, prefix, config },
        input.target,
        now,
      );
    case 'describeNodegroup':
      return nodegroupStatus(eks, cluster, nodegroup, input, now);
    case 'deleteNodegroup':
      return deleteNodegroup(eks, cluster, nodegroup, prefix, now);
    case 'deleteCluster':
      return deleteCluster(eks, cluster, prefix, now);
    case 'ensureClusterAccess':
      return ensureClusterAccess(eks, deps.sts, {
        clusterName: cluster,
        prefix,
        adminRoleArns: config.cluster.adminRoleArns,
        onlyIfServing: input.onlyIfServing,
      });
    case 'readVersions':
      return readVersions(eks, versioned, input.target ?? config.cluster.kubernetesVersion);
    case 'updateClusterVersion':
      return startClusterVersionUpdate(eks, versioned, input.version, now);
    case 'describeClusterUpdate':
      return clusterUpdateStatus(eks, versioned, input.updateId, input.deadline, now);
    case 'updateNodegroupVersion':
      return startNodegroupVersionUpdate(eks, versioned, input.version, now);
    case 'describeNodegroupUpdate':
      return nodegroupUpdateStatus(eks, versioned, input.updateId, input.deadline, now);
  }
}

export const handler = lambdaHandler(clusterTaskSchema, async (input: ClusterTaskInput): Promise<ClusterTaskResult> => {
  const { config } = runtime();
  const { region, action } = input;
  const result = await runClusterAction(input, {
    config,
    eks: eksClient(region),
    ssm: ssmClient(region),
    sts: stsClient(region),
    now: new Date(),
  });
  logger.info('Cluster task done', { action, region, cluster: clusterName(config.prefix, region), ...result });
  recordCreationTime(input, result);
  return result;
});

/** The scale-up's poll that sees a cluster or nodegroup it created ACTIVE records how long the creation took. */
function recordCreationTime(input: ClusterTaskInput, result: ClusterTaskResult): void {
  if (input.action !== 'describeCluster' && input.action !== 'describeNodegroup') return;
  if (!('createdAt' in result)) return;
  if (result.status !== 'ACTIVE' || !createdDuring(result.createdAt, input.executionStartedAt)) return;
  const metric =
    input.action === 'describeCluster' ? STEP_DURATION_METRICS.clusterCreate : STEP_DURATION_METRICS.nodegroupCreate;
  recordRegionDuration(metric, input.region, result.createdAt);
}
