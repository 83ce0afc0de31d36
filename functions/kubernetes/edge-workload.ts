/**
 * The edge workload on a cluster, through the Kubernetes API: apply its manifests, read the
 * load balancer of its Service, and delete it so the load balancer goes with it (a cluster
 * deleted under a LoadBalancer Service would leave the load balancer behind, and billed).
 */
import type { EdgeLoadBalancer } from '../adapters/load-balancers';
import { EDGE_SERVICE_NAME } from '../domain/edge-manifests';
import { ResourceFailedError } from '../domain/errors';
import { nextWaitSeconds, POLL_PLANS, SETTLED_WAIT_SECONDS } from '../domain/poll-schedule';
import type { EdgeStatus } from '../tasks/contract';
import type { KubernetesClient, KubernetesObject } from './kubernetes-client';
import type { PlacedManifest } from './resource-paths';

export type FindLoadBalancer = (dnsName: string) => Promise<EdgeLoadBalancer | undefined>;

/** Namespaces the autoscaler never deletes, even when a custom manifest set lists them. */
const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** The API path of the Service whose load balancer the latency record points at. */
export function edgeServicePath(manifests: PlacedManifest[]): string {
  const service = manifests.find(
    (p) => p.manifest.kind === 'Service' && p.manifest.metadata.name === EDGE_SERVICE_NAME,
  );
  if (!service) throw new ResourceFailedError(`The edge manifests have no Service named ${EDGE_SERVICE_NAME}`);
  return service.path;
}

/**
 * Applies every manifest (server-side apply), then reports the Service's endpoint as
 * readEdgeEndpoint does; `created` says whether the edge Service is new (a rollback deletes it).
 */
export async function applyEdgeWorkload(
  kube: KubernetesClient,
  manifests: PlacedManifest[],
  findLoadBalancer: FindLoadBalancer,
  now = new Date(),
): Promise<EdgeStatus> {
  const servicePath = edgeServicePath(manifests);
  const existed = (await kube.get(servicePath)) !== undefined;
  let service: KubernetesObject | undefined;
  for (const { manifest, path } of manifests) {
    const applied = await kube.apply(path, manifest);
    if (path === servicePath) service = applied;
  }
  return { ...(await endpointStatus(service ?? {}, findLoadBalancer, now)), created: !existed };
}

export async function readEdgeEndpoint(
  kube: KubernetesClient,
  servicePath: string,
  findLoadBalancer: FindLoadBalancer,
  now = new Date(),
): Promise<EdgeStatus> {
  const service = await kube.get(servicePath);
  if (!service) {
    throw new ResourceFailedError(
      `The edge Service ${servicePath} does not exist; fix: run the scale-up again to apply it`,
    );
  }
  return endpointStatus(service, findLoadBalancer, now);
}

/**
 * Ready once the Service reports its load balancer's hostname and ELBv2 knows that load
 * balancer as active: the alias then resolves to something that answers.
 */
async function endpointStatus(
  service: KubernetesObject,
  findLoadBalancer: FindLoadBalancer,
  now: Date,
): Promise<EdgeStatus> {
  const serviceCreatedAt = service.metadata?.creationTimestamp;
  const createdAt = serviceCreatedAt ? new Date(serviceCreatedAt) : now;
  const notReady: EdgeStatus = {
    ready: false,
    waitSeconds: nextWaitSeconds(POLL_PLANS.loadBalancerCreate, createdAt, now),
  };
  const hostname = service.status?.loadBalancer?.ingress?.[0]?.hostname;
  if (!hostname) return notReady;
  const loadBalancer = await findLoadBalancer(hostname);
  if (!loadBalancer) return notReady;
  if (loadBalancer.state === 'failed') {
    throw new ResourceFailedError(`The edge load balancer ${hostname} failed to provision (ELBv2 state failed)`);
  }
  if (loadBalancer.state !== 'active' && loadBalancer.state !== 'active_impaired') return notReady;
  return {
    ready: true,
    dnsName: loadBalancer.dnsName,
    hostedZoneId: loadBalancer.canonicalHostedZoneId,
    serviceCreatedAt,
    waitSeconds: SETTLED_WAIT_SECONDS,
  };
}

/**
 * Deletes every Service of the manifest set; ready when all are gone (their load balancers
 * deleted by the cloud controller, which holds each Service until then). Then deletes the
 * manifests' namespaces without waiting: the cluster is deleted next anyway.
 */
export async function deleteEdgeWorkload(
  kube: KubernetesClient,
  manifests: PlacedManifest[],
  now = new Date(),
): Promise<EdgeStatus> {
  const services = manifests.filter((p) => p.manifest.kind === 'Service');
  for (const { path } of services) await kube.delete(path);
  const remaining = (await Promise.all(services.map(({ path }) => kube.get(path)))).filter(
    (s): s is KubernetesObject => s !== undefined,
  );
  if (remaining.length > 0) {
    const deletionAt = remaining[0]?.metadata?.deletionTimestamp;
    const startedAt = deletionAt ? new Date(deletionAt) : now;
    return { ready: false, waitSeconds: nextWaitSeconds(POLL_PLANS.loadBalancerDelete, startedAt, now) };
  }
  const namespaces = manifests.filter(
    (p) => p.manifest.kind === 'Namespace' && !PROTECTED_NAMESPACES.has(p.manifest.metadata.name),
  );
  for (const { path } of namespaces) await kube.delete(path);
  return { ready: true, waitSeconds: SETTLED_WAIT_SECONDS };
}
