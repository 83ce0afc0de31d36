/**
 * Task Lambda of the scale-up / scale-down and edge rollout workflows: the edge workload on the
 * region's cluster, through the Kubernetes API, and the load balancer it gets (ELBv2 of that
 * region). With edge.tls.enabled the default edge's Service names the region's certificate, read
 * from the region's foundation (SSM of that region). A rollout snapshots the edge's objects,
 * applies the desired manifests, waits for the Deployments' rollout, asks /health through the
 * load balancer and, on a failure, restores the snapshot. See contract.ts for the actions and
 * their results.
 */
import type { EKSClient } from '@aws-sdk/client-eks';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { API_SERVING_STATUSES, describeEdgeCluster, type EdgeCluster } from '../adapters/eks-cluster';
import { loadEdgeCertificateArn } from '../adapters/foundation';
import { checkEdgeHealth, type HealthCheckOptions } from '../adapters/edge-health';
import { findLoadBalancerByDnsName } from '../adapters/load-balancers';
import { eksClient, elbClient, ssmClient } from '../commons/aws-clients';
import { desiredEdgeInputs } from '../commons/desired-edge';
import { lambdaHandler, logger } from '../commons/observability';
import { runtime } from '../commons/runtime';
import { recordRegionDuration } from '../commons/workflow-metrics';
import type { AutoscalerConfig } from '../domain/config';
import { edgeConfigurationHash, renderEdgeManifests, type EdgeConfigurationInputs } from '../domain/edge-configuration';
import type { KubernetesManifest } from '../domain/edge-manifests';
import { EdgeUnhealthyError, NotOwnedError, ResourceFailedError, TransientError } from '../domain/errors';
import { isOwned, requireApprovedRegion } from '../domain/lifecycle-rules';
import { createdDuring, STEP_DURATION_METRICS } from '../domain/metric-names';
import { clusterName, OWNER_TAG_KEY } from '../domain/naming';
import { kubernetesClientFor } from '../kubernetes/cluster-access';
import { applyEdgeRollout, readEdgeRollout, restoreEdgeObjects, snapshotEdgeObjects } from '../kubernetes/edge-rollout';
import {
  applyEdgeWorkload,
  deleteEdgeWorkload,
  edgeServicePath,
  parkEdgeWorkload,
  readEdgeEndpoint,
  withoutReplicas,
} from '../kubernetes/edge-workload';
import type { KubernetesClient } from '../kubernetes/kubernetes-client';
import { placeManifests } from '../kubernetes/resource-paths';
import {
  edgeTaskSchema,
  type DesiredEdge,
  type EdgeHealth,
  type EdgeRestoreResult,
  type EdgeRolloutStart,
  type EdgeRolloutStatus,
  type EdgeSnapshot,
  type EdgeStatus,
  type EdgeTaskInput,
} from './contract';

/** The actions on one region's edge (every action but describeDesiredEdge). */
export type RegionalEdgeTaskInput = Exclude<EdgeTaskInput, { action: 'describeDesiredEdge' }>;

export type EdgeTaskResult =
  EdgeStatus | DesiredEdge | EdgeSnapshot | EdgeRolloutStart | EdgeRolloutStatus | EdgeHealth | EdgeRestoreResult;

/** The region's clients, and how to reach the Kubernetes API of a cluster that serves it. */
export interface EdgeActionDependencies extends EdgeConfigurationInputs {
  config: AutoscalerConfig;
  eks: EKSClient;
  elb: ElasticLoadBalancingV2Client;
  /** SSM of the region: its foundation holds the edge's certificate. */
  ssm: SSMClient;
  kubernetes: (cluster: EdgeCluster) => Promise<KubernetesClient>;
  /** How checkEdgeHealth asks /health (attempts, spacing; the adapter's defaults otherwise). */
  healthCheck?: HealthCheckOptions;
  now: Date;
}

/** The edge configuration this deployment renders, which every region should run. */
export function describeDesiredEdge(config: AutoscalerConfig, inputs: EdgeConfigurationInputs): DesiredEdge {
  return { configuration: edgeConfigurationHash(config, inputs) };
}

/** Performs one edge-task action on the workload of the region's cluster. */
export async function runEdgeAction(
  input: RegionalEdgeTaskInput,
  deps: EdgeActionDependencies,
): Promise<EdgeTaskResult> {
  const { config, now } = deps;
  const { region } = input;
  requireApprovedRegion(config, region);
  // Bad manifests, or a foundation without the certificate, fail here, before any Kubernetes call.
  const manifests = placeManifests(await edgeManifests(input, deps), config.edge.namespace);
  const servicePath = edgeServicePath(manifests);
  const name = clusterName(config.prefix, region);
  const cluster = await describeEdgeCluster(deps.eks, name);

  if (input.action === 'deleteEdge') {
    // A cluster that is missing, or not serving its API (creating, failed, deleting), has no workload to remove.
    const serving = cluster && API_SERVING_STATUSES.has(cluster.status) ? cluster : undefined;
    if (serving) assertOurs(serving, config.prefix);
    const kube = serving && (await deps.kubernetes(serving));
    return deleteEdgeWorkload(kube, manifests, { region, deadline: input.deadline }, now);
  }

  const kube = await deps.kubernetes(requireServingCluster(cluster, name, config.prefix));
  const findLoadBalancer = (dnsName: string) => findLoadBalancerByDnsName(deps.elb, dnsName);
  const watch = { region, deadline: 'deadline' in input ? input.deadline : undefined };
  switch (input.action) {
    case 'applyEdge': {
      // A warm-up applies the edge with no pod: its Service, and so its load balancer, come up.
      const sized = input.target === 'WARM' ? withoutReplicas(manifests) : manifests;
      return {
        ...(await applyEdgeWorkload(kube, sized, findLoadBalancer, now)),
        configuration: edgeConfigurationHash(config, deps),
      };
    }
    case 'parkEdge':
      return parkEdgeWorkload(kube, manifests);
    case 'readEdgeEndpoint':
      return readEdgeEndpoint(kube, manifests, findLoadBalancer, watch, now);
    case 'snapshotEdge':
      return snapshotEdgeObjects(kube, manifests, region);
    case 'rolloutEdge':
      return { configuration: edgeConfigurationHash(config, deps), ...(await applyEdgeRollout(kube, manifests, now)) };
    case 'readEdgeRollout':
      return readEdgeRollout(kube, manifests, watch, now);
    case 'checkEdgeHealth':
      return askEdgeHealth(kube, servicePath, region, deps);
    case 'restoreEdge':
      return restoreEdgeObjects(kube, manifests, input.snapshot);
  }
}

export const handler = lambdaHandler(edgeTaskSchema, async (input: EdgeTaskInput): Promise<EdgeTaskResult> => {
  const { config } = runtime();
  const inputs = desiredEdgeInputs(config);
  if (input.action === 'describeDesiredEdge') {
    const desired = describeDesiredEdge(config, inputs);
    logger.info('Desired edge', { ...desired });
    return desired;
  }
  const { region, action } = input;
  const result = await runEdgeAction(input, {
    config,
    eks: eksClient(region),
    elb: elbClient(region),
    ssm: ssmClient(region),
    kubernetes: (cluster) => kubernetesClientFor(cluster, region),
    ...inputs,
    now: new Date(),
  });
  logger.info('Edge task done', { action, region, cluster: clusterName(config.prefix, region), ...loggable(result) });
  if (input.action === 'readEdgeEndpoint') recordEndpointTime(input, result as EdgeStatus);
  return result;
});

/** A snapshot's objects (up to 200 KB of base64) are logged by their size only. */
function loggable(result: EdgeTaskResult): Record<string, unknown> {
  if (!('objects' in result)) return { ...result };
  return { absent: result.absent, snapshotBytes: Buffer.byteLength(result.objects) };
}

/** The scale-up's poll that sees the endpoint of a Service it created ready records how long the load balancer took. */
function recordEndpointTime(input: Extract<EdgeTaskInput, { action: 'readEdgeEndpoint' }>, result: EdgeStatus): void {
  if (!result.ready) return;
  if (!createdDuring(result.serviceCreatedAt, input.executionStartedAt)) return;
  recordRegionDuration(STEP_DURATION_METRICS.edgeEndpoint, input.region, result.serviceCreatedAt);
}

/** /health through the load balancer of the edge Service (its hostname, from the Service's status). */
async function askEdgeHealth(
  kube: KubernetesClient,
  servicePath: string,
  region: string,
  { config, healthCheck }: EdgeActionDependencies,
): Promise<EdgeHealth> {
  const service = await kube.get(servicePath);
  const hostname = service?.status?.loadBalancer?.ingress?.[0]?.hostname;
  if (!hostname) {
    throw new EdgeUnhealthyError(
      `The edge of ${region} cannot be asked for /health: its Service ${servicePath} ${service ? 'has no load balancer hostname' : 'does not exist'}`,
    );
  }
  const target = { edge: region, hostname, recordName: config.dns.recordName, tls: config.edge.tls.enabled };
  return checkEdgeHealth(target, healthCheck);
}

/**
 * Actions that write the manifests apply them with the region's certificate (it shapes the
 * Deployment's ports too); the others find objects by name.
 */
const APPLYING_ACTIONS = new Set<RegionalEdgeTaskInput['action']>(['applyEdge', 'rolloutEdge', 'parkEdge']);

/** The default nginx edge, or the operator's manifests. */
async function edgeManifests(
  input: RegionalEdgeTaskInput,
  deps: EdgeActionDependencies,
): Promise<KubernetesManifest[]> {
  const { config } = deps;
  if (deps.customManifests || !config.edge.tls.enabled) return renderEdgeManifests(config, deps);
  if (APPLYING_ACTIONS.has(input.action)) {
    const certificateArn = await loadEdgeCertificateArn(deps.ssm, config.prefix, input.region);
    return renderEdgeManifests(config, deps, certificateArn);
  }
  // The other actions find the edge's objects by name, which TLS does not change: they need no
  // certificate, so a scale-down or a restore works whatever the region's foundation holds.
  return renderEdgeManifests(withoutTls(config), deps);
}

function withoutTls(config: AutoscalerConfig): AutoscalerConfig {
  return { ...config, edge: { ...config.edge, tls: { ...config.edge.tls, enabled: false } } };
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
