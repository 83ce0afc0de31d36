/**
 * Task Lambda of the scale-up / scale-down workflows: the edge workload on the region's cluster,
 * through the Kubernetes API, and the load balancer it gets (ELBv2 of that region). With
 * edge.tls.enabled the default edge's Service names the region's certificate, read from the
 * region's foundation (SSM of that region). See contract.ts for the actions and their results.
 */
import type { EKSClient } from '@aws-sdk/client-eks';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { readFileSync } from 'node:fs';
import { describeEdgeCluster, type EdgeCluster } from '../adapters/eks-cluster';
import { loadEdgeCertificateArn } from '../adapters/foundation';
import { findLoadBalancerByDnsName } from '../adapters/load-balancers';
import { eksClient, elbClient, ssmClient } from '../commons/aws-clients';
import { lambdaHandler, logger } from '../commons/observability';
import { runtime } from '../commons/runtime';
import { recordRegionDuration } from '../commons/workflow-metrics';
import type { AutoscalerConfig } from '../domain/config';
import {
  EDGE_AGENT_FILE,
  EDGE_AGENT_SCRIPT_ENV,
  defaultEdgeManifests,
  parseEdgeManifests,
  type KubernetesManifest,
} from '../domain/edge-manifests';
import { InvalidRequestError, NotOwnedError, ResourceFailedError, TransientError } from '../domain/errors';
import { isOwned, requireApprovedRegion } from '../domain/lifecycle-rules';
import { createdDuring, STEP_DURATION_METRICS } from '../domain/metric-names';
import { clusterName, OWNER_TAG_KEY } from '../domain/naming';
import { kubernetesClientFor } from '../kubernetes/cluster-access';
import { applyEdgeWorkload, deleteEdgeWorkload, edgeServicePath, readEdgeEndpoint } from '../kubernetes/edge-workload';
import type { KubernetesClient } from '../kubernetes/kubernetes-client';
import { placeManifests } from '../kubernetes/resource-paths';
import { edgeTaskSchema, type EdgeStatus, type EdgeTaskInput } from './contract';

/** The cluster's API answers in these states; in any other the workload cannot be reached (or is gone). */
const API_SERVING_STATUSES = new Set(['ACTIVE', 'UPDATING']);

/** The region's clients, and how to reach the Kubernetes API of a cluster that serves it. */
export interface EdgeActionDependencies {
  config: AutoscalerConfig;
  eks: EKSClient;
  elb: ElasticLoadBalancingV2Client;
  /** SSM of the region: its foundation holds the edge's certificate. */
  ssm: SSMClient;
  kubernetes: (cluster: EdgeCluster) => Promise<KubernetesClient>;
  /** The built edge agent the default edge ships in a ConfigMap. */
  agentScript: string;
  now: Date;
}

/** Performs one edge-task action on the workload of the region's cluster. */
export async function runEdgeAction(input: EdgeTaskInput, deps: EdgeActionDependencies): Promise<EdgeStatus> {
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
  return input.action === 'applyEdge'
    ? applyEdgeWorkload(kube, manifests, findLoadBalancer, now)
    : readEdgeEndpoint(kube, servicePath, findLoadBalancer, { region, deadline: input.deadline }, now);
}

export const handler = lambdaHandler(edgeTaskSchema, async (input: EdgeTaskInput): Promise<EdgeStatus> => {
  const { config } = runtime();
  const { region, action } = input;
  const result = await runEdgeAction(input, {
    config,
    eks: eksClient(region),
    elb: elbClient(region),
    ssm: ssmClient(region),
    kubernetes: (cluster) => kubernetesClientFor(cluster, region),
    agentScript: edgeAgentScript(),
    now: new Date(),
  });
  logger.info('Edge task done', { action, region, cluster: clusterName(config.prefix, region), ...result });
  recordEndpointTime(input, result);
  return result;
});

/** The scale-up's poll that sees the endpoint of a Service it created ready records how long the load balancer took. */
function recordEndpointTime(input: EdgeTaskInput, result: EdgeStatus): void {
  if (input.action !== 'readEdgeEndpoint' || !result.ready) return;
  if (!createdDuring(result.serviceCreatedAt, input.executionStartedAt)) return;
  recordRegionDuration(STEP_DURATION_METRICS.edgeEndpoint, input.region, result.serviceCreatedAt);
}

let agentScript: string | undefined;

/** The built edge agent, shipped beside this handler in its bundle (infra/lambda-bundling.ts). */
function edgeAgentScript(): string {
  agentScript ??= readFileSync(
    process.env[EDGE_AGENT_SCRIPT_ENV] ?? new URL(`./${EDGE_AGENT_FILE}`, import.meta.url),
    'utf8',
  );
  return agentScript;
}

/** The default nginx edge, or the operator's manifest file (`config.edge.manifestsPath`, JSON). */
async function edgeManifests(input: EdgeTaskInput, deps: EdgeActionDependencies): Promise<KubernetesManifest[]> {
  const { config, agentScript } = deps;
  const path = config.edge.manifestsPath;
  if (path) return customManifests(path);
  if (!config.edge.tls.enabled) return defaultEdgeManifests(config, { agentScript });
  if (input.action === 'applyEdge') {
    const certificateArn = await loadEdgeCertificateArn(deps.ssm, config.prefix, input.region);
    return defaultEdgeManifests(config, { agentScript, certificateArn });
  }
  // Reading the endpoint and deleting find the edge's objects by name, which TLS does not change:
  // they need no certificate, so a scale-down works whatever the region's foundation holds.
  return defaultEdgeManifests(withoutTls(config), { agentScript });
}

function withoutTls(config: AutoscalerConfig): AutoscalerConfig {
  return { ...config, edge: { ...config.edge, tls: { ...config.edge.tls, enabled: false } } };
}

function customManifests(path: string): KubernetesManifest[] {
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
