/**
 * An in-memory stand-in for the four task Lambdas, on a virtual clock that the Wait states of a
 * locally executed workflow advance. It follows the task contract (functions/tasks/contract.ts)
 * and the real poll schedule (functions/domain/poll-schedule.ts), so that the workflow tests can
 * exercise every branch of the real definitions quickly (a 10-minute cluster creation takes no
 * real time) and the benchmark can count state transitions. The real handlers are exercised
 * against the moto emulator in test/integration.
 */
import { regionList, type AutoscalerConfig } from '../../functions/domain/config';
import {
  InvalidRequestError,
  NotOwnedError,
  RefusedError,
  RegionLockedError,
  TransientError,
} from '../../functions/domain/errors';
import { nextWaitSeconds, POLL_PLANS } from '../../functions/domain/poll-schedule';
import type { TaskLambda } from '../../workflows/definitions';
import type { TaskHandler } from '../../workflows/run-locally';

/** Seconds each operation takes in the virtual world (defaults: the benchmark's 10/3/2 minutes). */
export interface VirtualTimings {
  clusterCreate: number;
  clusterDelete: number;
  nodegroupCreate: number;
  nodegroupDelete: number;
  loadBalancerCreate: number;
  loadBalancerDelete: number;
  dnsSync: number;
}

export const BENCH_TIMINGS: VirtualTimings = {
  clusterCreate: 600,
  clusterDelete: 300,
  nodegroupCreate: 180,
  nodegroupDelete: 180,
  loadBalancerCreate: 120,
  loadBalancerDelete: 30,
  dnsSync: 60,
};

interface Resource {
  status: string;
  startedAt: number;
  ours: boolean;
}

/** A transient fault is retried by the workflow; a permanent one is not (it fails once, then the action works again). */
type Fault = { kind: 'transient'; times: number } | { kind: 'permanent'; error?: Error };

export class VirtualAwsWorld {
  /** Virtual seconds since the world began. */
  now = 0;
  readonly clusters = new Map<string, Resource>();
  readonly nodegroups = new Map<string, Resource>();
  readonly services = new Map<string, Resource>();
  readonly records = new Map<string, { dnsName: string; hostedZoneId: string }>();
  readonly locks = new Map<string, string>();
  readonly status = new Map<string, string>();
  readonly notifications: string[] = [];
  readonly calls: string[] = [];
  private readonly changes = new Map<string, number>();
  private readonly faults = new Map<string, Fault>();

  constructor(
    private readonly config: AutoscalerConfig,
    private readonly timings: VirtualTimings = BENCH_TIMINGS,
  ) {
    for (const region of config.regions.alwaysOn) this.status.set(region, 'ACTIVE');
  }

  /** Makes the next call(s) of `action` fail: transiently `times` times, or permanently. */
  inject(action: string, fault: Fault): void {
    this.faults.set(action, fault);
  }

  /** Advances the virtual clock (called for each Wait state of the run). */
  advance(seconds: number): void {
    this.now += seconds;
    this.settle();
  }

  /** The four task handlers, bound to this world. */
  handlers(): Record<TaskLambda, TaskHandler> {
    return {
      regionTask: (input) => this.dispatch(input as Action, (a) => this.regionTask(a)),
      clusterTask: (input) => this.dispatch(input as Action, (a) => this.clusterTask(a)),
      edgeTask: (input) => this.dispatch(input as Action, (a) => this.edgeTask(a)),
      dnsTask: (input) => this.dispatch(input as Action, (a) => this.dnsTask(a)),
    };
  }

  private async dispatch(input: Action, run: (a: Action) => unknown): Promise<unknown> {
    this.calls.push(input.action);
    const fault = this.faults.get(input.action);
    if (fault?.kind === 'transient' && fault.times > 0) {
      fault.times -= 1;
      throw new TransientError(`${input.action}: Rate exceeded (injected)`);
    }
    if (fault?.kind === 'permanent') {
      this.faults.delete(input.action);
      throw fault.error ?? new Error(`${input.action}: permanent failure (injected)`);
    }
    return run(input);
  }

  private settle(): void {
    const t = this.timings;
    const done = (r: Resource | undefined, from: string, to: string, after: number) => {
      if (r && r.status === from && this.now - r.startedAt >= after) r.status = to;
    };
    for (const r of this.clusters.values()) {
      done(r, 'CREATING', 'ACTIVE', t.clusterCreate);
      done(r, 'DELETING', 'DELETED', t.clusterDelete);
    }
    for (const r of this.nodegroups.values()) {
      done(r, 'CREATING', 'ACTIVE', t.nodegroupCreate);
      done(r, 'DELETING', 'DELETED', t.nodegroupDelete);
    }
    for (const r of this.services.values()) {
      done(r, 'PENDING', 'READY', t.loadBalancerCreate);
      done(r, 'DELETING', 'DELETED', t.loadBalancerDelete);
    }
    for (const resources of [this.clusters, this.nodegroups, this.services]) {
      for (const [region, r] of resources) if (r.status === 'DELETED') resources.delete(region);
    }
  }

  private wait(plan: keyof typeof POLL_PLANS, startedAt: number | undefined): number {
    return nextWaitSeconds(
      POLL_PLANS[plan],
      startedAt === undefined ? undefined : new Date(startedAt * 1000),
      new Date(this.now * 1000),
    );
  }

  private regionTask(a: Action): unknown {
    switch (a.action) {
      case 'validateScaleUp':
      case 'validateScaleDown': {
        const request = a.request as { region?: unknown; reason?: string; requestedBy?: string };
        const region = request?.region;
        if (typeof region !== 'string' || !regionList(this.config, region)) {
          throw new InvalidRequestError(`input.region = ${JSON.stringify(region)}: not an approved region`);
        }
        let noop = false;
        if (a.action === 'validateScaleDown') {
          if (regionList(this.config, region) === 'always-on') throw new RefusedError(`${region} is always-on`);
          this.refuseLastServing(region);
          const cluster = this.clusters.get(region);
          if (cluster && !cluster.ours) throw new NotOwnedError(`cluster in ${region} is not tagged as ours`);
          noop = !cluster && (this.status.get(region) ?? 'INACTIVE') === 'INACTIVE';
        }
        return {
          region,
          reason: request.reason ?? 'manual request',
          requestedBy: request.requestedBy ?? 'operator',
          clusterName: `edge-${region}`,
          nodegroupName: 'edge-nodes',
          foundation: {
            vpcId: 'vpc-1',
            subnetIds: ['s-1', 's-2'],
            securityGroupIds: [],
            clusterRoleArn: 'r',
            nodeRoleArn: 'n',
          },
          noop,
          drainWaitSeconds: this.config.dns.ttlSeconds + this.config.scaling.drainSeconds,
        };
      }
      case 'lockRegion': {
        const holder = this.locks.get(a.region!);
        if (holder && holder !== a.owner) throw new RegionLockedError(`${a.region} is locked by ${holder}`);
        if (a.direction === 'down') this.refuseLastServing(a.region!);
        this.locks.set(a.region!, a.owner!);
        this.status.set(a.region!, a.direction === 'up' ? 'PROVISIONING' : 'DRAINING');
        return {};
      }
      case 'finishScaling':
        this.status.set(a.region!, a.direction === 'up' ? 'ACTIVE' : 'INACTIVE');
        this.release(a.region!, a.owner!);
        this.notifications.push(`${a.direction}: ${a.region} done`);
        return {};
      case 'failScaling':
        this.status.set(a.region!, 'FAILED');
        this.release(a.region!, a.owner!);
        this.notifications.push(`${a.direction}: ${a.region} failed: ${a.error?.Error}`);
        return {};
      case 'notifyRefusal':
        this.notifications.push(`refused: ${a.error?.Error}`);
        return {};
    }
    throw new Error(`unknown region-task action ${a.action}`);
  }

  private refuseLastServing(region: string): void {
    const serving = [...this.status].filter(([r, s]) => s === 'ACTIVE' && r !== region);
    if (serving.length === 0) throw new RefusedError(`${region} is the last serving region`);
  }

  private release(region: string, owner: string): void {
    if (this.locks.get(region) === owner) this.locks.delete(region);
  }

  private clusterTask(a: Action): unknown {
    const region = a.region!;
    const cluster = this.clusters.get(region);
    const nodegroup = this.nodegroups.get(region);
    switch (a.action) {
      case 'ensureCluster':
        if (cluster && !cluster.ours) throw new NotOwnedError(`cluster in ${region} is not ours`);
        if (cluster)
          return { status: cluster.status, created: false, waitSeconds: this.wait('clusterCreate', cluster.startedAt) };
        this.clusters.set(region, { status: 'CREATING', startedAt: this.now, ours: true });
        return { status: 'CREATING', created: true, waitSeconds: this.wait('clusterCreate', this.now) };
      case 'describeCluster':
        if (!cluster) return { status: 'DELETED', waitSeconds: 0 };
        return {
          status: cluster.status,
          waitSeconds:
            cluster.status === 'DELETING'
              ? this.wait('clusterDelete', undefined)
              : this.wait('clusterCreate', cluster.startedAt),
        };
      case 'ensureNodegroup':
        if (nodegroup)
          return {
            status: nodegroup.status,
            created: false,
            waitSeconds: this.wait('nodegroupCreate', nodegroup.startedAt),
          };
        this.nodegroups.set(region, { status: 'CREATING', startedAt: this.now, ours: true });
        return { status: 'CREATING', created: true, waitSeconds: this.wait('nodegroupCreate', this.now) };
      case 'describeNodegroup':
        if (!nodegroup) return { status: 'DELETED', waitSeconds: 0 };
        return {
          status: nodegroup.status,
          waitSeconds:
            nodegroup.status === 'DELETING'
              ? this.wait('nodegroupDelete', nodegroup.startedAt)
              : this.wait('nodegroupCreate', nodegroup.startedAt),
        };
      case 'deleteNodegroup':
        if (!nodegroup) return { status: 'DELETED', waitSeconds: 0 };
        if (nodegroup.status !== 'DELETING') Object.assign(nodegroup, { status: 'DELETING', startedAt: this.now });
        return { status: 'DELETING', waitSeconds: this.wait('nodegroupDelete', nodegroup.startedAt) };
      case 'deleteCluster':
        if (!cluster) return { status: 'DELETED', waitSeconds: 0 };
        if (!cluster.ours) throw new NotOwnedError(`cluster in ${region} is not ours`);
        if (nodegroup) throw new TransientError('ResourceInUseException: cluster has nodegroups');
        if (cluster.status !== 'DELETING') Object.assign(cluster, { status: 'DELETING', startedAt: this.now });
        return { status: 'DELETING', waitSeconds: this.wait('clusterDelete', cluster.startedAt) };
    }
    throw new Error(`unknown cluster-task action ${a.action}`);
  }

  private edgeTask(a: Action): unknown {
    const region = a.region!;
    const service = this.services.get(region);
    switch (a.action) {
      case 'applyEdge':
        if (this.clusters.get(region)?.status !== 'ACTIVE') throw new Error('cluster not active');
        if (!service) this.services.set(region, { status: 'PENDING', startedAt: this.now, ours: true });
        return { ready: false, waitSeconds: this.wait('loadBalancerCreate', this.services.get(region)!.startedAt) };
      case 'readEdgeEndpoint':
        if (service?.status === 'READY')
          return { ready: true, dnsName: `edge-${region}.elb.amazonaws.com`, hostedZoneId: 'ZLB', waitSeconds: 0 };
        return { ready: false, waitSeconds: this.wait('loadBalancerCreate', service?.startedAt) };
      case 'deleteEdge':
        if (!service) return { ready: true, waitSeconds: 0 };
        if (service.status !== 'DELETING') Object.assign(service, { status: 'DELETING', startedAt: this.now });
        return { ready: false, waitSeconds: this.wait('loadBalancerDelete', service.startedAt) };
    }
    throw new Error(`unknown edge-task action ${a.action}`);
  }

  private dnsTask(a: Action): unknown {
    const change = () => {
      const id = `C${this.changes.size + 1}`;
      this.changes.set(id, this.now);
      return { changeId: id, status: 'PENDING', waitSeconds: this.wait('dnsChange', this.now) };
    };
    switch (a.action) {
      case 'upsertRecord':
        this.records.set(a.region!, a.target!);
        return change();
      case 'deleteRecord':
        if (!this.records.has(a.region!)) return { status: 'INSYNC', waitSeconds: 0 };
        this.records.delete(a.region!);
        return change();
      case 'getChange': {
        const at = this.changes.get(a.changeId!) ?? 0;
        const insync = this.now - at >= this.timings.dnsSync;
        return { changeId: a.changeId, status: insync ? 'INSYNC' : 'PENDING', waitSeconds: this.wait('dnsChange', at) };
      }
    }
    throw new Error(`unknown dns-task action ${a.action}`);
  }
}

interface Action {
  action: string;
  region?: string;
  owner?: string;
  direction?: 'up' | 'down';
  request?: unknown;
  changeId?: string;
  target?: { dnsName: string; hostedZoneId: string };
  error?: { Error?: string; Cause?: string };
}
