/**
 * A local HTTP server that plays the few Kubernetes API calls the edge step makes: server-side
 * apply (PATCH with application/apply-patch+yaml), GET and DELETE of objects by path. It keeps
 * the applied objects, records every request, and acts as the cloud controller on demand: a test
 * gives a Service its load balancer (`provisionLoadBalancer`) and decides how many reads a
 * deleted Service lingers (its load balancer being deleted). Used with EDGE_KUBERNETES_API_URL.
 * Several clusters can share one server under path prefixes (`<url>/clusters/<name>`); a
 * `cloudController` hook, when set, plays the load-balancer controller for every new Service.
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

export class KubernetesApiDouble {
  readonly requests: RecordedRequest[] = [];
  readonly objects = new Map<string, StoredObject>();
  /** How many GETs a deleted Service still answers (with deletionTimestamp) before it is gone. */
  serviceDeletionReads = 1;
  /** Answer the next N requests with this HTTP status (e.g. 429, 503, 403). */
  private failures: number[] = [];
  private lingering = new Map<string, number>();
  private server?: Server;
  /** Called once for each Service applied (not re-applied): returns its load balancer's hostname. */
  cloudController?: {
    serviceCreated(servicePath: string): Promise<string>;
    serviceDeleted(servicePath: string, hostname: string): Promise<void>;
  };

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, body }) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
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
    this.serviceDeletionReads = 1;
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

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
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
          this.provisionLoadBalancer(path, await this.cloudController.serviceCreated(path));
        }
        return result;
      }
      case 'GET':
        return this.get(path);
      case 'DELETE':
        return this.delete(path);
      default:
        return { status: 405, body: { kind: 'Status', message: 'method not allowed' } };
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
    this.objects.set(path, stored);
    return { status: existing ? 200 : 201, body: stored };
  }

  private get(path: string) {
    const object = this.objects.get(path);
    if (!object) return { status: 404, body: { kind: 'Status', message: 'not found' } };
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
