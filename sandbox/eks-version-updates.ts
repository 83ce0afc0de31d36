/**
 * EKS version updates for the emulated cloud: moto 5.2.1 has no UpdateClusterVersion,
 * UpdateNodegroupVersion, ListUpdates or DescribeUpdate, and keeps a cluster's version as
 * created. Installed on the AWS proxy (aws-proxy.ts), this plays them as EKS does:
 *   - it keeps each cluster's and nodegroup's Kubernetes version and AMI release version, learnt
 *     from moto (a nodegroup created without a version gets its cluster's, as in EKS; moto would
 *     say 1.19), and shows them in DescribeCluster / DescribeNodegroup;
 *   - an update is InProgress (the resource UPDATING) for a configurable duration measured on
 *     this process's Date (which the tests and the sandbox drive virtually), then Successful, the
 *     resource ACTIVE at its new version;
 *   - it refuses what EKS refuses: a control plane moved by anything but one minor up, or while
 *     its nodes run an older version (InvalidParameterException / InvalidRequestException); nodes
 *     moved above their control plane or down (InvalidParameterException); a second update while
 *     one runs (ResourceInUseException); a missing cluster, nodegroup or update (ResourceNotFoundException).
 * The update calls are served (moto never sees them); the describes are forwarded to moto and
 * rewritten. `proxy.reset()` drops rewrites: install again after it.
 */
import { DescribeClusterCommand, DescribeNodegroupCommand, EKSClient } from '@aws-sdk/client-eks';
import { compareKubernetesVersions, nextMinorVersion } from '../functions/domain/kubernetes-versions';
import { AwsServiceFault, type AwsFaultProxy, type RemoveRule, type ServedRequest } from './aws-proxy';
import { UpstreamEksClients } from './upstream-eks';

/** moto's version for a nodegroup created without one (moto/eks/models.py DEFAULT_KUBERNETES_VERSION). */
const MOTO_DEFAULT_VERSION = '1.19';
const MOTO_DEFAULT_RELEASE = '1.19.8-20210414';

export interface EksVersionUpdateOptions {
  /** Simulated seconds a control-plane update runs (EKS: 8-15 min). */
  clusterUpdateSeconds?: number;
  /** Simulated seconds a nodegroup update runs (EKS: 10-30 min and more). */
  nodegroupUpdateSeconds?: number;
  /** The newest AMI release of a Kubernetes version at a date (a node patch moves to it). */
  latestReleaseVersion?: (version: string, now: Date) => string;
}

/** One update as the emulator ran it, for a test's or the sandbox's account of what happened. */
export interface EmulatedUpdate {
  id: string;
  region: string;
  cluster: string;
  /** Set for a nodegroup update. */
  nodegroup?: string;
  fromVersion: string;
  toVersion: string;
  releaseVersion?: string;
  /** A node patch: UpdateNodegroupVersion without a version (the nodegroup's own, its latest AMI). */
  patch: boolean;
  startedAt: Date;
  endsAt: Date;
  status: 'InProgress' | 'Successful';
}

interface Versions {
  version: string;
  releaseVersion?: string;
}

const defaultRelease = (version: string, now: Date) =>
  `${version}.0-${now.toISOString().slice(0, 10).replaceAll('-', '')}`;

const fault = (code: string, status: number, message: string) => new AwsServiceFault({ code, status, message });
const notFound = (message: string) => fault('ResourceNotFoundException', 404, message);
const invalidParameter = (message: string) => fault('InvalidParameterException', 400, message);
const inUse = (message: string) => fault('ResourceInUseException', 409, message);

/** restJson1 timestamps are epoch seconds. */
const epochSeconds = (d: Date) => d.getTime() / 1000;

/** The region of an EKS ARN (arn:aws:eks:<region>:<account>:cluster/<name>). */
const regionOfArn = (arn: unknown) => (typeof arn === 'string' ? arn.split(':')[3] : undefined);

export class EmulatedEksVersions {
  private readonly clusterUpdateSeconds: number;
  private readonly nodegroupUpdateSeconds: number;
  private readonly latestRelease: (version: string, now: Date) => string;
  /** Keyed `region/cluster` and `region/cluster/nodegroup`. */
  private readonly clusters = new Map<string, Versions>();
  private readonly nodegroups = new Map<string, Versions>();
  private readonly runs: EmulatedUpdate[] = [];
  /** AMI releases published by publishRelease(), by Kubernetes version. */
  private readonly published = new Map<string, string>();
  private readonly motoClients: UpstreamEksClients;
  private removeRules: RemoveRule = () => undefined;
  private updateCount = 0;

  constructor(
    /** moto's endpoint: the update calls check there that the resource exists. */
    upstream: string,
    options: EksVersionUpdateOptions = {},
  ) {
    this.motoClients = new UpstreamEksClients(upstream);
    this.clusterUpdateSeconds = options.clusterUpdateSeconds ?? 600;
    this.nodegroupUpdateSeconds = options.nodegroupUpdateSeconds ?? 900;
    const latest = options.latestReleaseVersion ?? defaultRelease;
    this.latestRelease = (version, now) => this.published.get(version) ?? latest(version, now);
  }

  /** EKS publishes a new AMI release of `version`: a node patch (or a version update to it) moves there. */
  publishRelease(version: string, releaseVersion: string): void {
    this.published.set(version, releaseVersion);
  }

  /** Serves the update APIs and rewrites the describes on `proxy` (again after a proxy.reset()). */
  install(proxy: AwsFaultProxy): RemoveRule {
    this.removeRules();
    const eks = (operation: string) => ({ service: 'eks', operation });
    const removers = [
      proxy.serve(eks('UpdateClusterVersion'), (r) => this.updateClusterVersion(r)),
      proxy.serve(eks('UpdateNodegroupVersion'), (r) => this.updateNodegroupVersion(r)),
      proxy.serve(eks('ListUpdates'), (r) => this.listUpdates(r)),
      proxy.serve(eks('DescribeUpdate'), (r) => this.describeUpdate(r)),
      ...(['CreateCluster', 'DescribeCluster'] as const).map((op) =>
        proxy.rewriteJson<{ cluster?: Record<string, unknown> }>(eks(op), (body) => this.showCluster(body.cluster)),
      ),
      ...(['CreateNodegroup', 'DescribeNodegroup'] as const).map((op) =>
        proxy.rewriteJson<{ nodegroup?: Record<string, unknown> }>(eks(op), (body) =>
          this.showNodegroup(body.nodegroup),
        ),
      ),
      proxy.rewriteJson<{ cluster?: Record<string, unknown> }>(eks('DeleteCluster'), (body) =>
        this.forgetCluster(body.cluster),
      ),
      proxy.rewriteJson<{ nodegroup?: Record<string, unknown> }>(eks('DeleteNodegroup'), (body) =>
        this.forgetNodegroup(body.nodegroup),
      ),
    ];
    this.removeRules = () => removers.forEach((remove) => remove());
    return this.removeRules;
  }

  /** Every update started, oldest first (finished ones Successful). */
  updates(region?: string): EmulatedUpdate[] {
    this.settle(new Date());
    return this.runs.filter((u) => region === undefined || u.region === region).map((u) => ({ ...u }));
  }

  // ---------- the served APIs ----------

  private async updateClusterVersion(request: ServedRequest) {
    const now = new Date();
    this.settle(now);
    const [, name = ''] = request.segments;
    const current = await this.clusterVersions(request.region, name);
    const version = String(request.body.version ?? '');
    if (this.running(request.region, name, undefined)) {
      throw inUse(`Cluster ${name} has an update in progress; wait for it to finish`);
    }
    if (version !== nextMinorVersion(current.version)) {
      throw invalidParameter(`Unsupported Kubernetes minor version update from ${current.version} to ${version}`);
    }
    const behind = [...this.nodegroups.entries()].filter(
      ([key, ng]) =>
        key.startsWith(`${request.region}/${name}/`) && compareKubernetesVersions(ng.version, current.version) < 0,
    );
    if (behind.length > 0) {
      throw fault(
        'InvalidRequestException',
        400,
        `Nodegroups ${behind.map(([key]) => key.split('/')[2]).join(', ')} must be updated to ${current.version} before the cluster`,
      );
    }
    const update = this.start(
      { region: request.region, cluster: name, fromVersion: current.version, toVersion: version },
      now,
    );
    return { body: { update: this.wire(update) } };
  }

  private async updateNodegroupVersion(request: ServedRequest) {
    const now = new Date();
    this.settle(now);
    const [, cluster = '', , nodegroup = ''] = request.segments;
    const clusterVersions = await this.clusterVersions(request.region, cluster);
    const current = await this.nodegroupVersions(request.region, cluster, nodegroup);
    if (this.running(request.region, cluster, nodegroup)) {
      throw inUse(`Nodegroup ${nodegroup} has an update in progress; wait for it to finish`);
    }
    const asked = typeof request.body.version === 'string' ? request.body.version : undefined;
    const version = asked ?? current.version;
    if (compareKubernetesVersions(version, clusterVersions.version) > 0) {
      throw invalidParameter(
        `Requested Kubernetes version ${version} is newer than the cluster's version ${clusterVersions.version}`,
      );
    }
    if (compareKubernetesVersions(version, current.version) < 0) {
      throw invalidParameter(`Nodegroup ${nodegroup} runs ${current.version} and cannot be downgraded to ${version}`);
    }
    const release = this.latestRelease(version, now);
    const update = this.start(
      {
        region: request.region,
        cluster,
        nodegroup,
        fromVersion: current.version,
        toVersion: version,
        releaseVersion: release,
        patch: asked === undefined,
      },
      now,
    );
    return { body: { update: this.wire(update) } };
  }

  private listUpdates(request: ServedRequest) {
    this.settle(new Date());
    const [, cluster = ''] = request.segments;
    const nodegroup = request.query.get('nodegroupName') ?? undefined;
    const updateIds = this.runs
      .filter((u) => u.region === request.region && u.cluster === cluster && u.nodegroup === nodegroup)
      .map((u) => u.id);
    return { body: { updateIds } };
  }

  private describeUpdate(request: ServedRequest) {
    this.settle(new Date());
    const [, cluster = '', , id = ''] = request.segments;
    const nodegroup = request.query.get('nodegroupName') ?? undefined;
    const update = this.runs.find(
      (u) => u.id === id && u.region === request.region && u.cluster === cluster && u.nodegroup === nodegroup,
    );
    if (!update) throw notFound(`No update found for ID: ${id}`);
    return { body: { update: this.wire(update) } };
  }

  // ---------- what moto's describes are made to show ----------

  private showCluster(cluster: Record<string, unknown> | undefined): void {
    const region = regionOfArn(cluster?.arn);
    if (!cluster || !region || typeof cluster.name !== 'string') return;
    this.settle(new Date());
    const key = `${region}/${cluster.name}`;
    const known = this.learn(this.clusters, key, { version: String(cluster.version) });
    cluster.version = known.version;
    if (this.running(region, cluster.name, undefined) && cluster.status === 'ACTIVE') cluster.status = 'UPDATING';
  }

  private showNodegroup(nodegroup: Record<string, unknown> | undefined): void {
    const region = regionOfArn(nodegroup?.nodegroupArn);
    const { clusterName, nodegroupName } = nodegroup ?? {};
    if (!nodegroup || !region || typeof clusterName !== 'string' || typeof nodegroupName !== 'string') return;
    const now = new Date();
    this.settle(now);
    const known = this.learn(this.nodegroups, `${region}/${clusterName}/${nodegroupName}`, () =>
      this.fromMoto(String(nodegroup.version), String(nodegroup.releaseVersion), region, clusterName, now),
    );
    nodegroup.version = known.version;
    nodegroup.releaseVersion = known.releaseVersion;
    if (this.running(region, clusterName, nodegroupName) && nodegroup.status === 'ACTIVE')
      nodegroup.status = 'UPDATING';
  }

  private forgetCluster(cluster: Record<string, unknown> | undefined): void {
    const region = regionOfArn(cluster?.arn);
    if (!region || typeof cluster?.name !== 'string') return;
    const prefix = `${region}/${cluster.name}`;
    this.clusters.delete(prefix);
    for (const key of this.nodegroups.keys()) if (key.startsWith(`${prefix}/`)) this.nodegroups.delete(key);
  }

  private forgetNodegroup(nodegroup: Record<string, unknown> | undefined): void {
    const region = regionOfArn(nodegroup?.nodegroupArn);
    if (!region || typeof nodegroup?.clusterName !== 'string') return;
    this.nodegroups.delete(`${region}/${nodegroup.clusterName}/${String(nodegroup.nodegroupName)}`);
  }

  /** A nodegroup moto created without a version runs its cluster's, as in EKS, on that version's latest AMI. */
  private fromMoto(version: string, release: string, region: string, cluster: string, now: Date): Versions {
    const defaulted = version === MOTO_DEFAULT_VERSION;
    const actual = defaulted ? (this.clusters.get(`${region}/${cluster}`)?.version ?? version) : version;
    return {
      version: actual,
      releaseVersion: defaulted || release === MOTO_DEFAULT_RELEASE ? this.latestRelease(actual, now) : release,
    };
  }

  private learn(map: Map<string, Versions>, key: string, seen: Versions | (() => Versions)): Versions {
    let known = map.get(key);
    if (!known) {
      known = typeof seen === 'function' ? seen() : seen;
      map.set(key, known);
    }
    return known;
  }

  /** The cluster's versions, learnt from moto when not known yet; ResourceNotFoundException when moto has no such cluster. */
  private async clusterVersions(region: string, name: string): Promise<Versions> {
    const { cluster } = await this.moto(region)
      .send(new DescribeClusterCommand({ name }))
      .catch((error: Error) => {
        throw error.name === 'ResourceNotFoundException' ? notFound(`No cluster found for name: ${name}.`) : error;
      });
    return this.learn(this.clusters, `${region}/${name}`, { version: cluster?.version ?? '' });
  }

  private async nodegroupVersions(region: string, cluster: string, nodegroupName: string): Promise<Versions> {
    const { nodegroup } = await this.moto(region)
      .send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName }))
      .catch((error: Error) => {
        throw error.name === 'ResourceNotFoundException'
          ? notFound(`No node group found for name: ${nodegroupName}.`)
          : error;
      });
    return this.learn(this.nodegroups, `${region}/${cluster}/${nodegroupName}`, () =>
      this.fromMoto(nodegroup?.version ?? '', nodegroup?.releaseVersion ?? '', region, cluster, new Date()),
    );
  }

  private moto(region: string): EKSClient {
    return this.motoClients.in(region);
  }

  // ---------- updates ----------

  private start(
    what: Pick<EmulatedUpdate, 'region' | 'cluster' | 'nodegroup' | 'fromVersion' | 'toVersion' | 'releaseVersion'> & {
      patch?: boolean;
    },
    now: Date,
  ): EmulatedUpdate {
    const seconds = what.nodegroup ? this.nodegroupUpdateSeconds : this.clusterUpdateSeconds;
    const update: EmulatedUpdate = {
      ...what,
      id: `emulated-update-${(++this.updateCount).toString().padStart(4, '0')}`,
      patch: what.patch ?? false,
      startedAt: now,
      endsAt: new Date(now.getTime() + seconds * 1000),
      status: 'InProgress',
    };
    this.runs.push(update);
    return update;
  }

  private running(region: string, cluster: string, nodegroup: string | undefined): boolean {
    return this.runs.some(
      (u) => u.region === region && u.cluster === cluster && u.nodegroup === nodegroup && u.status === 'InProgress',
    );
  }

  /** Finishes every update whose time has come: the resource then runs its new version. */
  private settle(now: Date): void {
    for (const update of this.runs) {
      if (update.status !== 'InProgress' || update.endsAt.getTime() > now.getTime()) continue;
      update.status = 'Successful';
      const { region, cluster, nodegroup } = update;
      if (nodegroup) {
        this.nodegroups.set(`${region}/${cluster}/${nodegroup}`, {
          version: update.toVersion,
          releaseVersion: update.releaseVersion,
        });
      } else {
        const known = this.clusters.get(`${region}/${cluster}`);
        this.clusters.set(`${region}/${cluster}`, { ...known, version: update.toVersion });
      }
    }
  }

  private wire(update: EmulatedUpdate) {
    const params = [
      ...(update.patch ? [] : [{ type: 'Version', value: update.toVersion }]),
      ...(update.releaseVersion ? [{ type: 'ReleaseVersion', value: update.releaseVersion }] : []),
      ...(update.nodegroup ? [] : [{ type: 'PlatformVersion', value: 'eks.1' }]),
    ];
    return {
      id: update.id,
      status: update.status,
      type: 'VersionUpdate',
      params,
      createdAt: epochSeconds(update.startedAt),
      errors: [],
    };
  }
}

/** Installs the emulation on the proxy in front of moto (`upstream`); see EmulatedEksVersions. */
export function installEksVersionUpdates(
  proxy: AwsFaultProxy,
  upstream: string,
  options: EksVersionUpdateOptions = {},
): EmulatedEksVersions {
  const emulation = new EmulatedEksVersions(upstream, options);
  emulation.install(proxy);
  return emulation;
}
