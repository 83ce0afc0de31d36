/**
 * Task Lambda of the scale-up / scale-down workflows: the edge workload on the region's cluster,
 * through the Kubernetes API, and the load balancer it gets (ELBv2 of that region).
 * See contract.ts for the actions and their results.
 */
import { readFileSync } from 'node:fs';
import { describeEdgeCluster, type EdgeCluster } from '../adapters/eks-cluster';
import { findLoadBalancerByDnsName } from '../adapters/load-balancers';
import { eksClient, elbClient } from '../commons/aws-clients';
import { lambdaHandler, logger } from '../commons/observability';
import { runtime } from '../commons/runtime';
import { recordRegionDuration } from '../commons/workflow-metrics';
import type { AutoscalerConfig } from '../domain/config';
import { defaultEdgeManifests, parseEdgeManifests, type KubernetesManifest } from '../domain/edge-manifests';
import { InvalidRequestError, NotOwnedError, ResourceFailedError, TransientError } from '../domain/errors';
import { isOwned, requireApprovedRegion } from '../domain/lifecycle-rules';
import { createdDuring, STEP_DURATION_METRICS } from '../domain/metric-names';
import { clusterName, OWNER_TAG_KEY } from '../domain/naming';
import { assertBeforeDeadline, phaseDeadline } from '../domain/phase-deadlines';
import { SETTLED_WAIT_SECONDS } from '../domain/poll-schedule';
import { kubernetesClientFor } from '../kubernetes/cluster-access';
import { applyEdgeWorkload, deleteEdgeWorkload, edgeServicePath, readEdgeEndpoint } from '../kubernetes/edge-workload';
import { placeManifests } from '../kubernetes/resource-paths';
import { edgeTaskSchema, type EdgeStatus, type EdgeTaskInput } from './contract';

/** The cluster's API answers in these states; in any other the workload cannot be reached (or is gone). */
const API_SERVING_STATUSES = new Set(['ACTIVE', 'UPDATING']);

export const handler = lambdaHandler(edgeTaskSchema, async (input: EdgeTaskInput): Promise<EdgeStatus> => {
  const { config } = runtime();
  const { region, action } = input;
  requireApprovedRegion(config, region);
  // Bad manifests fail here, before any AWS or Kubernetes call.
  const manifests = placeManifests(edgeManifests(config), config.edge.namespace);
  const servicePath = edgeServicePath(manifests);
  const name = clusterName(config.prefix, region);
  const cluster = await describeEdgeCluster(eksClient(region), name);

  if (action === 'deleteEdge') {
    // Without a deadline this call begins the deletion phase; with one it is that phase's poll.
    const now = new Date();
    const phase = input.deadline === undefined ? { deadline: phaseDeadline('loadBalancerDelete', now) } : {};
    // A cluster that is missing, or not serving its API (creating, failed, deleting), has no workload to remove.
    if (!cluster || !API_SERVING_STATUSES.has(cluster.status)) {
      return { ready: true, waitSeconds: SETTLED_WAIT_SECONDS, ...phase };
    }
    assertOurs(cluster, config.prefix);
    const result = await deleteEdgeWorkload(await kubernetesClientFor(cluster, region), manifests);
    logger.info('Edge deletion', { region, cluster: name, ...result });
    if (!result.ready) assertBeforeDeadline(`the edge Service in ${region} to be deleted`, input.deadline, now);
    return { ...result, ...phase };
  }

  const serving = requireServingCluster(cluster, name, config.prefix);
  const kube = await kubernetesClientFor(serving, region);
  const findLoadBalancer = (dnsName: string) => findLoadBalancerByDnsName(elbClient(region), dnsName);
  const now = new Date();
  const result =
    action === 'applyEdge'
      ? {
          ...(await applyEdgeWorkload(kube, manifests, findLoadBalancer)),
          deadline: phaseDeadline('loadBalancerCreate', now),
        }
      : await readEdgeEndpoint(kube, servicePath, findLoadBalancer);
  logger.info('Edge task done', { action, region, cluster: name, ...result });
  if (action === 'readEdgeEndpoint' && !result.ready) {
    assertBeforeDeadline(`the load balancer of the edge Service in ${region} to be active`, input.deadline, now);
  }
  recordEndpointTime(input, result);
  return result;
});

/** The scale-up's poll that sees the endpoint of a Service it created ready records how long the load balancer took. */
function recordEndpointTime(input: EdgeTaskInput, result: EdgeStatus): void {
  if (input.action !== 'readEdgeEndpoint' || !result.ready) return;
  if (!createdDuring(result.serviceCreatedAt, input.executionStartedAt)) return;
  recordRegionDuration(STEP_DURATION_METRICS.edgeEndpoint, input.region, result.serviceCreatedAt);
}

/** The default nginx edge, or the operator's manifest file (`config.edge.manifestsPath`, JSON). */
function edgeManifests(config: AutoscalerConfig): KubernetesManifest[] {
  const path = config.edge.manifestsPath;
  if (!path) return defaultEdgeManifests(config);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidRequestError(
      `Cannot read the edge manifests ${path} (edge.manifestsPath): ${(error as Error).message}; fix: point it at a JSON array of Kubernetes objects shipped with the Lambda`,
    );
  }
  return parseEdgeManifests(raw, path);
}

function assertOurs(cluster: EdgeCluster, prefix: string): void {
  if (!isOwned(cluster.tags, prefix)) {
    throw new NotOwnedError(
      `Cluster ${cluster.name} is not tagged ${OWNER_TAG_KEY}=${prefix}: the autoscaler never deploys to or deletes from a cluster it does not own`,
    );
  }
}

function requireServingCluster(cluster: EdgeCluster | undefined, name: string, prefix: string): EdgeCluster {
  if (!cluster) throw new ResourceFailedError(`Cluster ${name} does not exist; fix: run the scale-up from the start`);
  assertOurs(cluster, prefix);
  if (API_SERVING_STATUSES.has(cluster.status)) return cluster;
  if (cluster.status === 'CREATING' || cluster.status === 'PENDING') {
    throw new TransientError(`Cluster ${name} is still ${cluster.status}; its API is not reachable yet`);
  }
  throw new ResourceFailedError(`Cluster ${name} is ${cluster.status}; the edge workload cannot be deployed on it`);
}
