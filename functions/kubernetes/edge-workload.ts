/**
 * The edge workload on a cluster, through the Kubernetes API: apply its manifests, read the
 * load balancer of its Service and the readiness of its pods, scale its Deployments to zero (a
 * WARM region keeps the Service and its load balancer), and delete it so the load balancer goes
 * with it (a cluster deleted under a LoadBalancer Service would leave the load balancer behind,
 * and billed). Applying begins the phase of the edge serving (load balancer active, pods
 * available; the result carries its deadline) and readEdgeEndpoint is its poll;
 * deleteEdgeWorkload is both begin and poll of the deletion phase (phase-deadlines.ts).
 */
import type { EdgeLoadBalancer } from '../adapters/load-balancers';
import { deploymentRolloutStatus, type DeploymentView } from '../domain/deployment-rollout';
import { EDGE_SERVICE_NAME } from '../domain/edge-manifests';
import { ResourceFailedError } from '../domain/errors';
import { assertBeforeDeadline, phaseDeadline } from '../domain/phase-deadlines';
import { nextWaitSeconds, POLL_PLANS, SETTLED_WAIT_SECONDS } from '../domain/poll-schedule';
import type { EdgeStatus } from '../tasks/contract';
import type { KubernetesClient, KubernetesObject } from './kubernetes-client';
import type { PlacedManifest } from './resource-paths';

export type FindLoadBalancer = (dnsName: string) => Promise<EdgeLoadBalancer | undefined>;

/** The phase a poll belongs to: its deadline, and the region whose edge it waits on (named when it is late). */
export interface EdgePhaseWatch {
  region: string;
  deadline?: string;
}

/** Namespaces the autoscaler never deletes, even when a custom manifest set lists them. */
export const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** The API path of the Service whose load balancer the latency record points at. */
export function edgeServicePath(manifests: PlacedManifest[]): string {
  const service = manifests.find(
    (p) => p.manifest.kind === 'Service' && p.manifest.metadata.name === EDGE_SERVICE_NAME,
  );
  if (!service) throw new ResourceFailedError(`The edge manifests have no Service named ${EDGE_SERVICE_NAME}`);
  return service.path;
}

/** The Deployments of the manifest set. */
const deploymentsOf = (manifests: PlacedManifest[]) => manifests.filter((p) => p.manifest.kind === 'Deployment');

/** The manifests with every Deployment at zero replicas: a WARM region's edge, which runs no pod. */
export function withoutReplicas(manifests: PlacedManifest[]): PlacedManifest[] {
  return manifests.map((placed) =>
    placed.manifest.kind === 'Deployment'
      ? {
          ...placed,
          manifest: { ...placed.manifest, spec: { ...(placed.manifest.spec as object | undefined), replicas: 0 } },
        }
      : placed,
  );
}

/**
 * Applies every manifest (server-side apply), then reports the Service's endpoint as
 * readEdgeEndpoint does; `created` says whether the edge Service is new (a rollback deletes it).
 * Begins the phase of the edge serving: the result carries its deadline.
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
  return {
    ...(await endpointStatus(service ?? {}, findLoadBalancer, now)),
    created: !existed,
    deadline: phaseDeadline('loadBalancerCreate', now),
  };
}

/**
 * The Service's endpoint, ready once its load balancer is active and the rollout of every
 * Deployment of the set is complete with each replica available (their pods serve, so the nodes
 * they run on are ready): DeadlineExceededError once it is not ready by the watch's deadline,
 * ResourceFailedError when Kubernetes reports a Deployment's rollout stalled.
 */
export async function readEdgeEndpoint(
  kube: KubernetesClient,
  manifests: PlacedManifest[],
  findLoadBalancer: FindLoadBalancer,
  watch: EdgePhaseWatch,
  now = new Date(),
): Promise<EdgeStatus> {
  const servicePath = edgeServicePath(manifests);
  const service = await kube.get(servicePath);
  if (!service) {
    throw new ResourceFailedError(
      `The edge Service ${servicePath} does not exist; fix: run the scale-up again to apply it`,
    );
  }
  const endpoint = await endpointStatus(service, findLoadBalancer, now);
  if (!endpoint.ready) {
    assertBeforeDeadline(`the load balancer of the edge Service in ${watch.region} to be active`, watch.deadline, now);
    return endpoint;
  }
  const waitingFor = await podsWaitedFor(kube, manifests, watch.region);
  if (waitingFor.length === 0) return endpoint;
  assertBeforeDeadline(
    `the edge pods in ${watch.region} to be available (${waitingFor.join('; ')})`,
    watch.deadline,
    now,
  );
  return { ready: false, waitSeconds: POLL_PLANS.edgePods.pollSeconds };
}

/** What the Deployments' rollouts still wait for (kubectl's words); empty when every replica is available. */
async function podsWaitedFor(kube: KubernetesClient, manifests: PlacedManifest[], region: string): Promise<string[]> {
  const waitingFor: string[] = [];
  for (const { path } of deploymentsOf(manifests)) {
    const deployment = await kube.get(path);
    if (!deployment) {
      throw new ResourceFailedError(
        `The edge Deployment ${path} of ${region} does not exist; fix: run the scale-up again to apply it`,
      );
    }
    const status = deploymentRolloutStatus(deployment as DeploymentView);
    if (status.state === 'stalled') {
      throw new ResourceFailedError(
        `The edge pods in ${region} do not start: ${status.reason}; fix: look at the Deployment's events and its pods (image, probes, resources, nodes)`,
      );
    }
    if (status.state === 'progressing') waitingFor.push(status.waitingFor);
  }
  return waitingFor;
}

/**
 * Scales every Deployment of the set that exists to zero replicas (server-side apply of its whole
 * manifest, so the fields this manager owns stay as they are), leaving the Service, and its load
 * balancer, and everything else in place; creates nothing. The pods stop; the nodes are the
 * nodegroup's to stop.
 */
export async function parkEdgeWorkload(kube: KubernetesClient, manifests: PlacedManifest[]): Promise<EdgeStatus> {
  for (const { manifest, path } of deploymentsOf(withoutReplicas(manifests))) {
    if ((await kube.get(path)) !== undefined) await kube.apply(path, manifest);
  }
  return { ready: true, waitSeconds: SETTLED_WAIT_SECONDS };
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
 * `kube` is undefined when the cluster has no API to reach (missing, creating, failed,
 * deleting): then there is no workload to remove. Without a deadline in the watch this call
 * begins the deletion phase (the result carries its deadline); with one it is that phase's poll.
 */
export async function deleteEdgeWorkload(
  kube: KubernetesClient | undefined,
  manifests: PlacedManifest[],
  watch: EdgePhaseWatch,
  now = new Date(),
): Promise<EdgeStatus> {
  const phase = watch.deadline === undefined ? { deadline: phaseDeadline('loadBalancerDelete', now) } : {};
  if (!kube) return { ready: true, waitSeconds: SETTLED_WAIT_SECONDS, ...phase };
  const services = manifests.filter((p) => p.manifest.kind === 'Service');
  for (const { path } of services) await kube.delete(path);
  const remaining = (await Promise.all(services.map(({ path }) => kube.get(path)))).filter(
    (s): s is KubernetesObject => s !== undefined,
  );
  if (remaining.length > 0) {
    const deletionAt = remaining[0]?.metadata?.deletionTimestamp;
    const startedAt = deletionAt ? new Date(deletionAt) : now;
    assertBeforeDeadline(`the edge Service in ${watch.region} to be deleted`, watch.deadline, now);
    return { ready: false, waitSeconds: nextWaitSeconds(POLL_PLANS.loadBalancerDelete, startedAt, now), ...phase };
  }
  const namespaces = manifests.filter(
    (p) => p.manifest.kind === 'Namespace' && !PROTECTED_NAMESPACES.has(p.manifest.metadata.name),
  );
  for (const { path } of namespaces) await kube.delete(path);
  return { ready: true, waitSeconds: SETTLED_WAIT_SECONDS, ...phase };
}
