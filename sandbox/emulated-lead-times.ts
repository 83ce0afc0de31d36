/**
 * AWS's lead times for the emulated cloud. moto makes an EKS cluster or nodegroup ACTIVE at
 * once, a load balancer active at the first look and a Route53 change INSYNC at once; installed
 * on the AWS proxy between the Lambdas and moto (aws-proxy.ts), this layer keeps each in its
 * transitional state for the simulated seconds of a timing table (aws-timings.ts), measured on
 * this process's Date (which the sandbox and the tests drive), as AWS would show it:
 *   - an EKS cluster CREATING (no endpoint yet) until its creation time has passed, then ACTIVE;
 *     after DeleteCluster, DELETING (moto has already forgotten it) until its deletion time;
 *   - a nodegroup CREATING, then ACTIVE; DELETING after DeleteNodegroup; UPDATING while an
 *     UpdateNodegroupConfig changes its desired size (the update InProgress in DescribeUpdate):
 *     scaling out from an EC2 warm pool (warmPoolConfig enabled) or without one, or scaling in;
 *   - the edge's network load balancer `provisioning` in DescribeLoadBalancers until its time,
 *     from its creation by the emulated cloud controller (loadBalancerCreated);
 *   - a Route53 change PENDING in ChangeResourceRecordSets and GetChange until its time.
 * It refuses what EKS refuses in those states (CreateNodegroup on a cluster not ACTIVE, a cluster
 * or nodegroup created again while its namesake is DELETING, DeleteCluster while a nodegroup is
 * DELETING, a scaling while the nodegroup is not ACTIVE), and shows each resource's createdAt on
 * the simulated clock (moto stamps the real one). The Kubernetes API double asks it when a
 * cluster's nodes are ready (nodesReadyAt): pods need nodes.
 *
 * Every hold is kept: heldWithin() tells the emulated AWS time within a scale-up's lead time
 * (the lead time minus it is the control plane's own overhead, lead-times.ts). Installed before the
 * EKS version updates (eks-version-updates.ts), whose DescribeUpdate answers only for its own.
 */
import type { AwsTimings } from './aws-timings';
import { AwsServiceFault, type AwsFaultProxy, type RemoveRule, type ServedRequest } from './aws-proxy';

/** What the emulated cloud held transitional: the steps of a scale-up (and of a scale-down). */
export type HoldKind =
  | 'cluster'
  | 'nodegroup'
  | 'nodes'
  | 'load balancer'
  | 'DNS change'
  | 'nodes to zero'
  | 'nodegroup deletion'
  | 'cluster deletion';

interface Hold {
  kind: HoldKind;
  /** The region of the resource (a DNS change: of the latency record it changes). */
  region: string;
  /** The cluster, nodegroup, load balancer or change. */
  resource: string;
  /** Epoch ms (simulated) it began and ends. */
  from: number;
  to: number;
}

/** A resource's hold clipped to a window; heldWithin's answer. */
export interface HeldTime {
  /** Seconds of the window in which at least one resource was held (the union of the holds). */
  seconds: number;
  /** Seconds held per kind, within the window. */
  byKind: Partial<Record<HoldKind, number>>;
  /** Kinds of the holds that began within the window (a zero-second hold too). */
  began: Set<HoldKind>;
}

type Json = Record<string, unknown>;
type ClusterBody = { cluster?: Json };
type NodegroupBody = { nodegroup?: Json };

interface TrackedCluster {
  createdAt: number;
  readyAt: number;
  /** After DeleteCluster: the cluster as EKS last described it, shown DELETING until `until`. */
  deleting?: { body: Json; until: number };
}

interface TrackedNodegroup {
  createdAt: number;
  readyAt: number;
  desiredSize?: number;
  /** Since when its nodes run pods (its creation or latest scale-out done); undefined while it has none. */
  nodesSince?: number;
  /** The warm pool the nodegroup was given (moto does not keep it); shown in DescribeNodegroup. */
  warmPoolConfig?: Json;
  scaling?: { until: number; scalingOut: boolean };
  deleting?: { body: Json; until: number };
}

interface TrackedUpdate {
  region: string;
  cluster: string;
  nodegroup: string;
  body: Json;
  until: number;
}

const fault = (code: string, status: number, message: string) => new AwsServiceFault({ code, status, message });
const inUse = (message: string) => fault('ResourceInUseException', 409, message);

/** restJson1 timestamps are epoch seconds. */
const epochSeconds = (ms: number) => ms / 1000;

/** The id of a Route53 change, without the `/change/` the API prefixes it with in answers. */
const bareChangeId = (id: string) => id.replace(/^\/change\//, '');

export class EmulatedLeadTimes {
  private readonly clusters = new Map<string, TrackedCluster>();
  private readonly nodegroups = new Map<string, TrackedNodegroup>();
  private readonly updates = new Map<string, TrackedUpdate>();
  /** By `region/dns name` (lower case). */
  private readonly loadBalancers = new Map<string, number>();
  /** By change id: when it was submitted and is INSYNC. */
  private readonly changes = new Map<string, { submittedAt: number; until: number }>();
  private readonly log: Hold[] = [];
  private removeRules: RemoveRule = () => undefined;

  constructor(readonly timings: AwsTimings) {}

  /** Plays the lead times on `proxy`; install it before the EKS version updates. */
  install(proxy: Pick<AwsFaultProxy, 'serve' | 'rewriteJson' | 'rewriteResponses'>): RemoveRule {
    this.removeRules();
    const eks = (operation: string) => ({ service: 'eks', operation });
    const removers = [
      proxy.serve(eks('CreateCluster'), (r) => this.refuseClusterCreation(r)),
      proxy.serve(eks('DescribeCluster'), (r) => this.describeDeletingCluster(r)),
      proxy.serve(eks('DeleteCluster'), (r) => this.refuseClusterDeletion(r)),
      proxy.serve(eks('CreateNodegroup'), (r) => this.refuseNodegroupCreation(r)),
      proxy.serve(eks('DescribeNodegroup'), (r) => this.describeDeletingNodegroup(r)),
      proxy.serve(eks('UpdateNodegroupConfig'), (r) => this.refuseScaling(r)),
      proxy.serve(eks('DescribeUpdate'), (r) => this.describeUpdate(r)),
      proxy.rewriteJson<ClusterBody>(eks('CreateCluster'), (body, r) => this.clusterCreated(body.cluster, r)),
      proxy.rewriteJson<ClusterBody>(eks('DescribeCluster'), (body, r) => this.showCluster(body.cluster, r)),
      proxy.rewriteJson<ClusterBody>(eks('DeleteCluster'), (body, r) => this.clusterDeleted(body.cluster, r)),
      proxy.rewriteJson<{ clusters?: string[] }>(eks('ListClusters'), (body, r) => {
        body.clusters = [...(body.clusters ?? []), ...this.deletingClusters(r.region, body.clusters ?? [])];
      }),
      proxy.rewriteJson<NodegroupBody>(eks('CreateNodegroup'), (body, r) => this.nodegroupCreated(body.nodegroup, r)),
      proxy.rewriteJson<NodegroupBody>(eks('DescribeNodegroup'), (body, r) => this.showNodegroup(body.nodegroup, r)),
      proxy.rewriteJson<NodegroupBody>(eks('DeleteNodegroup'), (body, r) => this.nodegroupDeleted(body.nodegroup, r)),
      proxy.rewriteJson<{ nodegroups?: string[] }>(eks('ListNodegroups'), (body, r) => {
        const [, clusterName = ''] = r.segments;
        body.nodegroups = [
          ...(body.nodegroups ?? []),
          ...this.deletingNodegroups(r.region, clusterName, body.nodegroups ?? []),
        ];
      }),
      proxy.rewriteJson<{ update?: Json }>(eks('UpdateNodegroupConfig'), (body, r) => this.scaled(body.update, r)),
      proxy.rewriteResponses({ service: 'elasticloadbalancing', operation: 'DescribeLoadBalancers' }, (xml, r) =>
        this.showLoadBalancers(xml, r.region),
      ),
      proxy.rewriteResponses({ service: 'route53', operation: 'ChangeResourceRecordSets' }, (xml, r) =>
        this.changeSubmitted(xml, r.text),
      ),
      proxy.rewriteResponses({ service: 'route53', operation: 'GetChange' }, (xml, r) =>
        this.showChange(xml, r.segments.at(-1) ?? ''),
      ),
    ];
    this.removeRules = () => removers.forEach((remove) => remove());
    return this.removeRules;
  }

  /** The emulated cloud controller created the edge's load balancer: provisioning from now. */
  loadBalancerCreated(region: string, dnsName: string): void {
    const now = Date.now();
    const until = now + this.timings.loadBalancerCreateSeconds * 1000;
    this.loadBalancers.set(`${region}/${dnsName.toLowerCase()}`, until);
    this.hold('load balancer', region, dnsName, now, until);
  }

  /**
   * Since when the cluster has nodes to run pods on: its nodegroup's creation or latest scale-out
   * done; undefined while it has none (creating, scaled to zero, deleting). A cluster whose
   * nodegroups this layer never saw created is taken as having nodes.
   */
  nodesReadyAt(region: string, cluster: string): number | undefined {
    const own = [...this.nodegroups.entries()].filter(([key]) => key.startsWith(`${region}/${cluster}/`));
    if (own.length === 0) return this.clusters.has(`${region}/${cluster}`) ? undefined : 0;
    const now = Date.now();
    const since = own.flatMap(([, ng]) => (ng.nodesSince !== undefined && ng.nodesSince <= now ? [ng.nodesSince] : []));
    return since.length ? Math.min(...since) : undefined;
  }

  /** What the region's resources were held within [fromMs, toMs]: the emulated AWS time of that span. */
  heldWithin(region: string, fromMs: number, toMs: number): HeldTime {
    const byKind: Partial<Record<HoldKind, number>> = {};
    const began = new Set<HoldKind>();
    const spans: [number, number][] = [];
    for (const h of this.log) {
      if (h.region !== region) continue;
      const from = Math.max(h.from, fromMs);
      const to = Math.min(h.to, toMs);
      const beganWithin = h.from >= fromMs && h.from <= toMs;
      // A hold outside the window, or one that only touches it, is not of this span (a zero-second one that begins in it is).
      if (to < from || (to === from && !beganWithin)) continue;
      if (beganWithin) began.add(h.kind);
      byKind[h.kind] = (byKind[h.kind] ?? 0) + (to - from) / 1000;
      if (to > from) spans.push([from, to]);
    }
    spans.sort((a, b) => a[0] - b[0]);
    let seconds = 0;
    let reach = -Infinity;
    for (const [from, to] of spans) {
      const start = Math.max(from, reach);
      if (to > start) seconds += (to - start) / 1000;
      reach = Math.max(reach, to);
    }
    return { seconds, byKind, began };
  }

  // ---------- EKS clusters ----------

  private clusterCreated(cluster: Json | undefined, request: ServedRequest): void {
    if (!cluster || typeof cluster.name !== 'string') return;
    const now = Date.now();
    const readyAt = now + this.timings.clusterCreateSeconds * 1000;
    this.clusters.set(`${request.region}/${cluster.name}`, { createdAt: now, readyAt });
    this.hold('cluster', request.region, cluster.name, now, readyAt);
    this.showCluster(cluster, request);
  }

  private showCluster(cluster: Json | undefined, request: ServedRequest): void {
    if (!cluster || typeof cluster.name !== 'string') return;
    const tracked = this.clusters.get(`${request.region}/${cluster.name}`);
    if (!tracked) return;
    cluster.createdAt = epochSeconds(tracked.createdAt);
    if (Date.now() < tracked.readyAt && cluster.status === 'ACTIVE') {
      cluster.status = 'CREATING';
      // EKS gives the API server's address and certificate once the control plane is up.
      delete cluster.endpoint;
      delete cluster.certificateAuthority;
    }
  }

  private clusterDeleted(cluster: Json | undefined, request: ServedRequest): void {
    if (!cluster || typeof cluster.name !== 'string') return;
    const key = `${request.region}/${cluster.name}`;
    const now = Date.now();
    const until = now + this.timings.clusterDeleteSeconds * 1000;
    const tracked = this.clusters.get(key);
    if (tracked) cluster.createdAt = epochSeconds(tracked.createdAt);
    cluster.status = 'DELETING';
    this.clusters.set(key, {
      createdAt: tracked?.createdAt ?? now,
      readyAt: tracked?.readyAt ?? now,
      deleting: { body: structuredClone(cluster), until },
    });
    this.hold('cluster deletion', request.region, cluster.name, now, until);
  }

  /** A cluster moto has deleted and EKS still deletes: DELETING, until it is gone. */
  private describeDeletingCluster(request: ServedRequest) {
    const [, name = ''] = request.segments;
    const deleting = this.deletingCluster(request.region, name);
    return deleting && { body: { cluster: deleting.body } };
  }

  private deletingCluster(region: string, name: string) {
    const key = `${region}/${name}`;
    const deleting = this.clusters.get(key)?.deleting;
    if (!deleting) return undefined;
    if (Date.now() < deleting.until) return deleting;
    this.clusters.delete(key);
    return undefined;
  }

  private deletingClusters(region: string, listed: string[]): string[] {
    const names = [...this.clusters.keys()].filter((k) => k.startsWith(`${region}/`)).map((k) => k.split('/')[1]!);
    return names.filter((name) => !listed.includes(name) && this.deletingCluster(region, name));
  }

  private refuseClusterCreation(request: ServedRequest): undefined {
    const name = String(request.body.name ?? '');
    if (this.deletingCluster(request.region, name)) throw inUse(`Cluster already exists with name: ${name}`);
    return undefined;
  }

  private refuseClusterDeletion(request: ServedRequest): undefined {
    const [, name = ''] = request.segments;
    const deleting = [...this.nodegroups.keys()]
      .filter((key) => key.startsWith(`${request.region}/${name}/`))
      .filter((key) => this.deletingNodegroup(key));
    if (deleting.length > 0) {
      throw inUse(`Cluster has nodegroups attached (${deleting.map((k) => k.split('/')[2]).join(', ')} DELETING)`);
    }
    return undefined;
  }

  // ---------- EKS nodegroups ----------

  /** `region/cluster/nodegroup` of a request on a nodegroup (`name` when its path does not carry it: CreateNodegroup). */
  private nodegroupKey(request: ServedRequest, name?: string): string {
    const [, cluster = '', , nodegroup = ''] = request.segments;
    return `${request.region}/${cluster}/${name ?? nodegroup}`;
  }

  private nodegroupCreated(nodegroup: Json | undefined, request: ServedRequest): void {
    if (!nodegroup || typeof nodegroup.nodegroupName !== 'string') return;
    const now = Date.now();
    const readyAt = now + this.timings.nodegroupCreateSeconds * 1000;
    const scaling = request.body.scalingConfig as { desiredSize?: number } | undefined;
    this.nodegroups.set(this.nodegroupKey(request, nodegroup.nodegroupName), {
      createdAt: now,
      readyAt,
      desiredSize: scaling?.desiredSize,
      nodesSince: scaling?.desiredSize === 0 ? undefined : readyAt,
      warmPoolConfig: request.body.warmPoolConfig as Json | undefined,
    });
    this.hold('nodegroup', request.region, nodegroup.nodegroupName, now, readyAt);
    this.showNodegroup(nodegroup, request, nodegroup.nodegroupName);
  }

  private showNodegroup(nodegroup: Json | undefined, request: ServedRequest, name?: string): void {
    if (!nodegroup) return;
    const tracked = this.nodegroups.get(this.nodegroupKey(request, name));
    if (!tracked) return;
    const now = Date.now();
    nodegroup.createdAt = epochSeconds(tracked.createdAt);
    if (tracked.warmPoolConfig) nodegroup.warmPoolConfig = tracked.warmPoolConfig;
    if (tracked.scaling && now >= tracked.scaling.until) tracked.scaling = undefined;
    if (nodegroup.status !== 'ACTIVE') return;
    if (now < tracked.readyAt) nodegroup.status = 'CREATING';
    else if (tracked.scaling) nodegroup.status = 'UPDATING';
  }

  private nodegroupDeleted(nodegroup: Json | undefined, request: ServedRequest): void {
    if (!nodegroup || typeof nodegroup.nodegroupName !== 'string') return;
    const key = this.nodegroupKey(request, nodegroup.nodegroupName);
    const now = Date.now();
    const until = now + this.timings.nodegroupDeleteSeconds * 1000;
    const tracked = this.nodegroups.get(key);
    if (tracked) nodegroup.createdAt = epochSeconds(tracked.createdAt);
    nodegroup.status = 'DELETING';
    this.nodegroups.set(key, {
      createdAt: tracked?.createdAt ?? now,
      readyAt: tracked?.readyAt ?? now,
      deleting: { body: structuredClone(nodegroup), until },
    });
    this.hold('nodegroup deletion', request.region, nodegroup.nodegroupName, now, until);
  }

  private describeDeletingNodegroup(request: ServedRequest) {
    const deleting = this.deletingNodegroup(this.nodegroupKey(request));
    return deleting && { body: { nodegroup: deleting.body } };
  }

  private deletingNodegroup(key: string) {
    const deleting = this.nodegroups.get(key)?.deleting;
    if (!deleting) return undefined;
    if (Date.now() < deleting.until) return deleting;
    this.nodegroups.delete(key);
    return undefined;
  }

  private deletingNodegroups(region: string, cluster: string, listed: string[]): string[] {
    const prefix = `${region}/${cluster}/`;
    return [...this.nodegroups.keys()]
      .filter((key) => key.startsWith(prefix) && !listed.includes(key.slice(prefix.length)))
      .filter((key) => this.deletingNodegroup(key))
      .map((key) => key.slice(prefix.length));
  }

  private refuseNodegroupCreation(request: ServedRequest): undefined {
    const [, cluster = ''] = request.segments;
    const name = String(request.body.nodegroupName ?? '');
    if (this.deletingNodegroup(`${request.region}/${cluster}/${name}`)) {
      throw inUse(`NodeGroup already exists with name ${name} and cluster name ${cluster}`);
    }
    const tracked = this.clusters.get(`${request.region}/${cluster}`);
    if (tracked && (tracked.deleting || Date.now() < tracked.readyAt)) {
      throw fault('InvalidRequestException', 400, `Cluster '${cluster}' is not in ACTIVE status`);
    }
    return undefined;
  }

  /** A scaling while the nodegroup is CREATING, UPDATING or DELETING: EKS refuses it. */
  private refuseScaling(request: ServedRequest): undefined {
    const tracked = this.nodegroups.get(this.nodegroupKey(request));
    const desired = (request.body.scalingConfig as { desiredSize?: number } | undefined)?.desiredSize;
    if (!tracked || desired === undefined || desired === tracked.desiredSize) return undefined;
    const now = Date.now();
    const busy = tracked.deleting
      ? 'DELETING'
      : now < tracked.readyAt
        ? 'CREATING'
        : tracked.scaling && now < tracked.scaling.until
          ? 'UPDATING'
          : undefined;
    if (busy) throw inUse(`Nodegroup ${request.segments[3]} is ${busy}; an update cannot start until it is ACTIVE`);
    return undefined;
  }

  /** UpdateNodegroupConfig done in moto: a change of desired size keeps the nodegroup UPDATING, the update InProgress. */
  private scaled(update: Json | undefined, request: ServedRequest): void {
    if (!update || typeof update.id !== 'string') return;
    const key = this.nodegroupKey(request);
    const now = Date.now();
    // A nodegroup created before this layer was installed: ACTIVE since then, with nodes.
    const tracked = this.nodegroups.get(key) ?? { createdAt: now, readyAt: now, nodesSince: now };
    this.nodegroups.set(key, tracked);
    if (request.body.warmPoolConfig) tracked.warmPoolConfig = request.body.warmPoolConfig as Json;
    const desired = (request.body.scalingConfig as { desiredSize?: number } | undefined)?.desiredSize;
    if (desired === undefined || desired === tracked.desiredSize) return;
    const scalingOut = desired > (tracked.desiredSize ?? 0);
    const warmPool = (tracked.warmPoolConfig as { enabled?: boolean } | undefined)?.enabled === true;
    const seconds = !scalingOut
      ? this.timings.nodegroupScaleInSeconds
      : warmPool
        ? this.timings.nodegroupScaleOutFromWarmPoolSeconds
        : this.timings.nodegroupScaleOutSeconds;
    const until = now + seconds * 1000;
    tracked.desiredSize = desired;
    tracked.scaling = { until, scalingOut };
    if (scalingOut && tracked.nodesSince === undefined) tracked.nodesSince = until;
    if (desired === 0) tracked.nodesSince = undefined;
    update.createdAt = epochSeconds(now);
    if (until > now) update.status = 'InProgress';
    const [, cluster = '', , nodegroup = ''] = request.segments;
    this.updates.set(update.id, { region: request.region, cluster, nodegroup, body: structuredClone(update), until });
    this.hold(scalingOut ? 'nodes' : 'nodes to zero', request.region, nodegroup, now, until);
  }

  /** DescribeUpdate of a scaling this layer holds (moto has no DescribeUpdate); others pass. */
  private describeUpdate(request: ServedRequest) {
    const [, cluster = '', , id = ''] = request.segments;
    const update = this.updates.get(id);
    const nodegroup = request.query.get('nodegroupName') ?? '';
    if (!update || update.region !== request.region || update.cluster !== cluster || update.nodegroup !== nodegroup) {
      return undefined;
    }
    const status = Date.now() < update.until ? 'InProgress' : 'Successful';
    return { body: { update: { ...update.body, status } } };
  }

  // ---------- load balancers and DNS ----------

  /** DescribeLoadBalancers (awsQuery XML): each held load balancer's State is `provisioning`. */
  private showLoadBalancers(xml: string, region: string): string {
    const now = Date.now();
    return xml.replace(
      /(<DNSName>([^<]+)<\/DNSName>(?:(?!<DNSName>)[\s\S])*?<State>\s*<Code>)([a-z_]+)(<\/Code>)/g,
      (all, head: string, dnsName: string, code: string, tail: string) => {
        const until = this.loadBalancers.get(`${region}/${dnsName.toLowerCase()}`);
        return until !== undefined && now < until && code === 'active' ? `${head}provisioning${tail}` : all;
      },
    );
  }

  /** ChangeResourceRecordSets (restXml): the change is PENDING until its time. */
  private changeSubmitted(xml: string, requestXml: string): string {
    const id = /<Id>([^<]+)<\/Id>/.exec(xml)?.[1];
    if (!id) return xml;
    const now = Date.now();
    const change = { submittedAt: now, until: now + this.timings.dnsChangeSeconds * 1000 };
    this.changes.set(bareChangeId(id), change);
    const regions = new Set([...requestXml.matchAll(/<SetIdentifier>([^<]+)<\/SetIdentifier>/g)].map((m) => m[1]!));
    for (const region of regions) this.hold('DNS change', region, bareChangeId(id), now, change.until);
    return this.showChangeInfo(xml, change);
  }

  private showChange(xml: string, id: string): string {
    const change = this.changes.get(bareChangeId(id));
    return change ? this.showChangeInfo(xml, change) : xml;
  }

  /** PENDING until its time; submitted at the simulated time (moto stamps the real one, which the poll times from). */
  private showChangeInfo(xml: string, change: { submittedAt: number; until: number }): string {
    const stamped = xml.replace(
      /<SubmittedAt>[^<]*<\/SubmittedAt>/,
      `<SubmittedAt>${new Date(change.submittedAt).toISOString()}</SubmittedAt>`,
    );
    return Date.now() < change.until ? stamped.replace('<Status>INSYNC</Status>', '<Status>PENDING</Status>') : stamped;
  }

  private hold(kind: HoldKind, region: string, resource: string, from: number, to: number): void {
    this.log.push({ kind, region, resource, from, to });
  }
}

/** Installs the lead times of `timings` on `proxy` (before the EKS version updates); see EmulatedLeadTimes. */
export function installLeadTimes(
  proxy: Pick<AwsFaultProxy, 'serve' | 'rewriteJson' | 'rewriteResponses'>,
  timings: AwsTimings,
): EmulatedLeadTimes {
  const layer = new EmulatedLeadTimes(timings);
  layer.install(proxy);
  return layer;
}
