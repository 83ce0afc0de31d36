/**
 * A local HTTP server that plays the few Kubernetes API calls the edge step makes: server-side
 * apply (PATCH with application/apply-patch+yaml), GET and DELETE of objects by path. It keeps
 * the applied objects, records every request, and acts as the cloud controller on demand: a test
 * gives a Service its load balancer (`provisionLoadBalancer`) and decides how many reads a
 * deleted Service lingers (its load balancer being deleted). Used with EDGE_KUBERNETES_API_URL.
 * Several clusters can share one server under path prefixes (`<url>/clusters/<name>`); a
 * `cloudController` hook, when set, plays the load-balancer controller for every new Service.
 * Pods are whatever a test or the sandbox declares with `setPods` (the double runs no scheduler):
 * it lists them, and its pod proxy (`.../pods/<name>:<port>/proxy/<path>`) forwards GETs and
 * POSTs (with their body) to the local server that plays each pod, as the API server forwards to
 * the pod's IP.
 *
 * Deployments roll out as the Deployment controller reports it: an apply that changes the spec
 * bumps `metadata.generation`, and the status (observedGeneration, replicas, updatedReplicas,
 * availableReplicas, the Progressing condition) shows the rollout in progress until
 * `deploymentRolloutSeconds` of (simulated: the global Date) time have passed, then complete; an
 * apply's own answer still carries the status from before it, as the API server's does. A test
 * makes the rollouts of one cluster stall (`stallRollouts`: Progressing=False,
 * ProgressDeadlineExceeded) or its edge's /health fail (`failHealth`). Pods need nodes: with
 * `nodesReadyAt` set (the sandbox asks its emulated EKS), a Deployment has no available replica
 * while its cluster has no ready nodes, and its new pods are available `podsReadySeconds` after
 * both they were created and the nodes came (a Deployment kept while its nodes were scaled to zero
 * comes back that long after the nodes do). The double also plays the
 * clusters' load balancers for the edge task's health check (EDGE_HEALTH_URL =
 * `<url>${LOAD_BALANCER_HEALTH_PATH}`): `GET /load-balancers/<hostname>/health` answers for the
 * Service that reports that hostname, 200 while its namespace has an available Deployment.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  authorization?: string;
  body?: Record<string, unknown>;
}

type StoredObject = Record<string, unknown> & {
  metadata: Record<string, unknown>;
  status?: Record<string, unknown>;
};

/** A pod the double lists (running and ready unless said otherwise), and where its proxied port really listens. */
export interface DeclaredPod {
  name: string;
  /** Base URL of the local server playing the pod's port (e.g. a demand counter). */
  portUrl: string;
  /** Default Running. */
  phase?: string;
  /** Default true. */
  ready?: boolean;
}

const POD_PROXY = /^(.*)\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/:]+):(\d+)\/proxy(\/.*)?$/;
const POD_LIST = /^(.*)\/api\/v1\/namespaces\/([^/]+)\/pods$/;
const LOAD_BALANCER_HEALTH = /^\/load-balancers\/([^/]+)\/health$/;
/** `(cluster path prefix)/apis/apps/v1/namespaces/(namespace)/deployments/(name)` */
const DEPLOYMENT = /^(.*)\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/[^/]+$/;

/** The path, under the double's URL, of its load balancers' health endpoints (`{hostname}`: the Service's). */
export const LOAD_BALANCER_HEALTH_PATH = '/load-balancers/{hostname}';

/** Where a Deployment's rollout is: when its current spec was applied (ms of the global Date). */
interface DeploymentRollout {
  startedAt: number;
  /** Whether a previous spec's pods were running when it began (they are replaced one by one). */
  replacing: boolean;
}

export class KubernetesApiDouble {
  readonly requests: RecordedRequest[] = [];
  /** Pods by `<cluster path prefix>|<namespace>`, e.g. `/clusters/edgescale-edge-sa-east-1|edge`. */
  private pods = new Map<string, DeclaredPod[]>();
  readonly objects = new Map<string, StoredObject>();
  /** How many GETs a deleted Service still answers (with deletionTimestamp) before it is gone. */
  serviceDeletionReads = 1;
  /** Answer the next N requests with this HTTP status (e.g. 429, 503, 403). */
  private failures: number[] = [];
  private lingering = new Map<string, number>();
  /** Simulated seconds from an apply that changes a Deployment's spec to its rollout being complete. */
  deploymentRolloutSeconds = 0;
  /**
   * Simulated seconds new pods (a new Deployment's, or any once nodes come back) take to be
   * available on ready nodes; unset: a new Deployment takes deploymentRolloutSeconds, as a changed one.
   */
  podsReadySeconds?: number;
  /** Since when (ms of the global Date) the cluster at this path prefix has ready nodes; undefined: none. Unset: always. */
  nodesReadyAt?: (clusterPath: string) => number | undefined;
  private rollouts = new Map<string, DeploymentRollout>();
  /** Cluster path prefixes whose Deployments' rollouts stall, and whose edge's /health fails. */
  private stalledClusters = new Set<string>();
  private unhealthyClusters = new Set<string>();
  private server?: Server;
  /** Called once for each Service applied (not re-applied), with the Service as stored: returns its load balancer's hostname. */
  cloudController?: {
    serviceCreated(servicePath: string, service: Record<string, unknown>): Promise<string>;
    serviceDeleted(servicePath: string, hostname: string): Promise<void>;
  };

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, body, raw }) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(raw ?? JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  reset(): void {
    this.requests.length = 0;
    this.objects.clear();
    this.failures = [];
    this.lingering.clear();
    this.pods.clear();
    this.serviceDeletionReads = 1;
    this.deploymentRolloutSeconds = 0;
    this.podsReadySeconds = undefined;
    this.nodesReadyAt = undefined;
    this.rollouts.clear();
    this.stalledClusters.clear();
    this.unhealthyClusters.clear();
  }

  /**
   * The rollouts of the cluster's Deployments (`clusterPath` as for setPods) stall: once
   * deploymentRolloutSeconds have passed, Kubernetes reports ProgressDeadlineExceeded. `false` lifts it.
   */
  stallRollouts(clusterPath: string, stalled = true): void {
    if (stalled) this.stalledClusters.add(clusterPath);
    else this.stalledClusters.delete(clusterPath);
  }

  /** The cluster's edge answers /health through its load balancer with 503 (`false`: answers again). */
  failHealth(clusterPath: string, failing = true): void {
    if (failing) this.unhealthyClusters.add(clusterPath);
    else this.unhealthyClusters.delete(clusterPath);
  }

  /** Declares the running, ready pods of a namespace in a cluster (`clusterPath` is '' for a single-cluster server). */
  setPods(clusterPath: string, namespace: string, pods: DeclaredPod[]): void {
    this.pods.set(`${clusterPath}|${namespace}`, pods);
  }

  failNext(...statuses: number[]): void {
    this.failures.push(...statuses);
  }

  /** What the cloud controller does once the load balancer exists: the Service reports its hostname. */
  provisionLoadBalancer(servicePath: string, hostname: string): void {
    const service = this.objects.get(servicePath);
    if (!service) throw new Error(`no Service at ${servicePath}`);
    service.status = { loadBalancer: { ingress: [{ hostname }] } };
  }

  applied(kind: string): StoredObject[] {
    return [...this.objects.values()].filter((o) => o.kind === kind);
  }

  /** `raw`: an answer relayed as it came (the pod proxy), not re-encoded. */
  private async handle(req: IncomingMessage): Promise<{ status: number; body?: unknown; raw?: string }> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const text = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
      req.on('end', () => resolve(data));
    });
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers['content-type'],
      authorization: req.headers.authorization,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
    });
    const failure = this.failures.shift();
    if (failure) return { status: failure, body: { kind: 'Status', message: `injected HTTP ${failure}` } };
    const path = url.pathname;
    switch (req.method) {
      case 'PATCH': {
        const isNew = !this.objects.has(path);
        const result = this.apply(path, JSON.parse(text) as StoredObject, req.headers['content-type']);
        if (isNew && this.cloudController && (result.body as StoredObject).kind === 'Service') {
          this.provisionLoadBalancer(
            path,
            await this.cloudController.serviceCreated(path, result.body as StoredObject),
          );
        }
        return result;
      }
      case 'GET':
        if (POD_PROXY.test(path)) return this.proxyToPod(path, url.search);
        if (POD_LIST.test(path)) return this.listPods(path);
        if (LOAD_BALANCER_HEALTH.test(path)) return this.loadBalancerHealth(path);
        return this.get(path);
      case 'POST':
        if (POD_PROXY.test(path))
          return this.proxyToPod(path, url.search, { body: text, contentType: req.headers['content-type'] });
        return { status: 405, body: { kind: 'Status', message: 'the double takes POST only through the pod proxy' } };
      case 'DELETE':
        return this.delete(path);
      default:
        return { status: 405, body: { kind: 'Status', message: 'method not allowed' } };
    }
  }

  private listPods(path: string) {
    const [, cluster, namespace] = POD_LIST.exec(path)!;
    const items = (this.pods.get(`${cluster}|${namespace}`) ?? []).map((pod) => ({
      metadata: { name: pod.name, namespace },
      status: {
        phase: pod.phase ?? 'Running',
        conditions: [{ type: 'Ready', status: pod.ready === false ? 'False' : 'True' }],
      },
    }));
    return { status: 200, body: { kind: 'PodList', apiVersion: 'v1', items } };
  }

  /** Like the API server's pod proxy: the pod's own answer, status and body; 503 when nothing listens. */
  private async proxyToPod(
    path: string,
    search: string,
    /** A POST's body, relayed as it came. */
    post?: { body: string; contentType?: string },
  ): Promise<{ status: number; body?: unknown; raw?: string }> {
    const [, cluster, namespace, name, , rest] = POD_PROXY.exec(path)!;
    const pod = (this.pods.get(`${cluster}|${namespace}`) ?? []).find((p) => p.name === name);
    if (!pod) return { status: 404, body: { kind: 'Status', message: `pods "${name}" not found` } };
    try {
      const response = await fetch(
        `${pod.portUrl}${rest ?? '/'}${search}`,
        post && {
          method: 'POST',
          body: post.body,
          headers: post.contentType ? { 'Content-Type': post.contentType } : {},
        },
      );
      return { status: response.status, raw: await response.text() };
    } catch (error) {
      return {
        status: 503,
        body: { kind: 'Status', message: `error trying to reach service: ${(error as Error).message}` },
      };
    }
  }

  private apply(path: string, manifest: StoredObject, contentType: string | undefined) {
    if (contentType !== 'application/apply-patch+yaml') {
      return { status: 415, body: { kind: 'Status', message: `unsupported content type ${contentType}` } };
    }
    const existing = this.objects.get(path);
    const stored: StoredObject = {
      ...manifest,
      metadata: {
        ...manifest.metadata,
        creationTimestamp: existing?.metadata.creationTimestamp ?? new Date().toISOString(),
      },
      ...(existing?.status ? { status: existing.status } : {}),
    };
    if (stored.kind === 'Deployment') this.applyDeployment(path, stored, existing);
    this.objects.set(path, stored);
    // The answer carries the status as it was: the controller has not acted on the new spec yet.
    return { status: existing ? 200 : 201, body: structuredClone(stored) };
  }

  /** A changed spec is a new generation, whose rollout begins now. */
  private applyDeployment(path: string, stored: StoredObject, existing: StoredObject | undefined): void {
    const generation = Number(existing?.metadata.generation ?? 0);
    const changed = !existing || JSON.stringify(existing.spec) !== JSON.stringify(stored.spec);
    stored.metadata.generation = changed ? generation + 1 : generation;
    if (changed) this.rollouts.set(path, { startedAt: Date.now(), replacing: existing !== undefined });
    stored.status ??= { observedGeneration: 0, replicas: 0, updatedReplicas: 0, availableReplicas: 0 };
  }

  /** The Deployment controller's view of a rollout, at the time of the global Date. */
  private deploymentStatus(path: string, deployment: StoredObject): Record<string, unknown> {
    const desired = Number((deployment.spec as { replicas?: number } | undefined)?.replicas ?? 1);
    const generation = deployment.metadata.generation;
    const rollout = this.rollouts.get(path) ?? { startedAt: 0, replacing: false };
    const cluster = DEPLOYMENT.exec(path)?.[1] ?? '';
    const nodesSince = this.nodesReadyAt ? this.nodesReadyAt(cluster) : 0;
    if (nodesSince === undefined) {
      // No node to run a pod on: every pod Pending.
      return {
        observedGeneration: generation,
        replicas: desired,
        updatedReplicas: desired,
        readyReplicas: 0,
        availableReplicas: 0,
        conditions: [
          { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' },
          { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' },
        ],
      };
    }
    const now = Date.now();
    const rolloutSeconds =
      rollout.replacing || this.podsReadySeconds === undefined ? this.deploymentRolloutSeconds : this.podsReadySeconds;
    const podsStarted = Math.max(rollout.startedAt, nodesSince);
    const settled =
      now - rollout.startedAt >= rolloutSeconds * 1000 && now - podsStarted >= (this.podsReadySeconds ?? 0) * 1000;
    const stalled = this.stalledClusters.has(cluster);
    if (settled && !stalled) {
      return {
        observedGeneration: generation,
        replicas: desired,
        updatedReplicas: desired,
        readyReplicas: desired,
        availableReplicas: desired,
        conditions: [
          { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
          { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
        ],
      };
    }
    // In progress (or stuck): one new pod surged beside the old ones, which still serve.
    const old = rollout.replacing ? desired : 0;
    const progressing =
      settled && stalled
        ? {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: `ReplicaSet "${deployment.metadata.name}" has timed out progressing.`,
          }
        : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' };
    return {
      observedGeneration: generation,
      replicas: old + 1,
      updatedReplicas: Math.min(1, desired),
      readyReplicas: old,
      availableReplicas: old,
      conditions: [{ type: 'Available', status: old > 0 ? 'True' : 'False' }, progressing],
    };
  }

  /**
   * A load balancer's answer to /health: the edge Service reporting that hostname, through to its
   * pods (200 while a Deployment of its namespace has available replicas), unless failHealth.
   */
  private loadBalancerHealth(path: string) {
    const hostname = decodeURIComponent(LOAD_BALANCER_HEALTH.exec(path)![1]!);
    const service = [...this.objects.entries()].find(
      ([, o]) =>
        o.kind === 'Service' &&
        (o.status?.loadBalancer as { ingress?: { hostname?: string }[] } | undefined)?.ingress?.[0]?.hostname ===
          hostname,
    );
    if (!service) return { status: 502, body: { message: `no load balancer ${hostname}` } };
    const [servicePath] = service;
    const cluster = servicePath.slice(0, servicePath.indexOf('/api/'));
    const namespace = String(service[1].metadata.namespace);
    const serving = [...this.objects.entries()].some(([p, o]) => {
      const match = DEPLOYMENT.exec(p);
      return (
        match?.[1] === cluster && match[2] === namespace && Number(this.deploymentStatus(p, o).availableReplicas) > 0
      );
    });
    if (this.unhealthyClusters.has(cluster) || !serving) {
      return { status: 503, body: { message: `the edge behind ${hostname} is unhealthy` } };
    }
    return { status: 200, body: { status: 'ok' } };
  }

  private get(path: string) {
    const object = this.objects.get(path);
    if (!object) return { status: 404, body: { kind: 'Status', message: 'not found' } };
    if (object.kind === 'Deployment') object.status = this.deploymentStatus(path, object);
    const reads = this.lingering.get(path);
    if (reads !== undefined) {
      if (reads <= 0) {
        this.objects.delete(path);
        this.lingering.delete(path);
        return { status: 404, body: { kind: 'Status', message: 'not found' } };
      }
      this.lingering.set(path, reads - 1);
    }
    return { status: 200, body: object };
  }

  private async delete(path: string) {
    const object = this.objects.get(path);
    if (!object) return { status: 404, body: { kind: 'Status', message: 'not found' } };
    const hostname = (object.status?.loadBalancer as { ingress?: { hostname: string }[] } | undefined)?.ingress?.[0]
      ?.hostname;
    if (object.kind === 'Service' && hostname && this.cloudController && !object.metadata.deletionTimestamp) {
      await this.cloudController.serviceDeleted(path, hostname);
    }
    if (object.kind === 'Service' && object.status && this.serviceDeletionReads > 0) {
      // The controller holds the Service (finalizer) until its load balancer is deleted.
      object.metadata.deletionTimestamp ??= new Date().toISOString();
      if (!this.lingering.has(path)) this.lingering.set(path, this.serviceDeletionReads);
      return { status: 200, body: object };
    }
    this.objects.delete(path);
    if (object.kind === 'Namespace') {
      const name = String(object.metadata.name);
      const cluster = path.slice(0, path.indexOf('/api'));
      for (const key of [...this.objects.keys()]) {
        if (key.startsWith(cluster) && key.includes(`/namespaces/${name}/`)) this.objects.delete(key);
      }
    }
    return { status: 200, body: object };
  }
}
