/**
 * An in-memory AWS (EKS, Route53, ELBv2) and Kubernetes API for the four task Lambdas, on a
 * virtual clock that the Wait states of a locally executed workflow advance, so that the
 * workflow tests exercise every branch of the real definitions quickly (a 10-minute cluster
 * creation, or a 40-minute deadline, takes no real time) and the benchmark counts transitions.
 *
 * It stands in for the AWS services, not for the code: each task input is parsed with the
 * contract's schemas (functions/tasks/contract.ts), and the cluster, edge and DNS tasks are the
 * deployed code itself (runClusterAction, runEdgeAction, runDnsAction of functions/tasks/*-task.ts),
 * given fake EKS (access entries: sandbox/eks-access-entries.ts), SSM, STS, ELBv2, Route53 and Kubernetes clients and the virtual time: waits,
 * deadlines, ownership, `created` and `written` are decided by the code that deploys. Only their
 * Lambda wrappers (real clients, logs, metrics) are left out. The region task's lock and state
 * need DynamoDB: they are kept in memory here, with the real lifecycle rules (and the warm tier's
 * targets and paths, warm-standby.ts). A nodegroup's nodes are ready once it is ACTIVE, or a while
 * after UpdateNodegroupConfig scales it up (sooner from its warm pool), and a Deployment's pods are
 * available once nodes are ready and they had time to start. The handlers themselves run against
 * the moto emulator in test/integration.
 */
import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteAccessEntryCommand,
  DeleteClusterCommand,
  DeleteNodegroupCommand,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  ListAccessEntriesCommand,
  ListAssociatedAccessPoliciesCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateNodegroupConfigCommand,
  type EKSClient,
} from '@aws-sdk/client-eks';
import {
  DescribeLoadBalancersCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  InvalidChangeBatch,
  ListResourceRecordSetsCommand,
  NoSuchChange,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { GetParameterCommand, ParameterNotFound, type SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { z } from 'zod';
import { AwsServiceFault } from '../../sandbox/aws-proxy';
import { EmulatedAccessEntries, type EmulatedCluster } from '../../sandbox/eks-access-entries';
import { describeEdgeCluster } from '../../functions/adapters/eks-cluster';
import type { AutoscalerConfig } from '../../functions/domain/config';
import {
  InvalidRequestError,
  NotOwnedError,
  RefusedError,
  RegionLockedError,
  TransientError,
} from '../../functions/domain/errors';
import {
  describeFailure,
  drainWaitSeconds,
  isOwned,
  refuseAlwaysOnScaleDown,
  refuseLastServingScaleDown,
  requireApprovedRegion,
  scaleDownIsNoop,
} from '../../functions/domain/lifecycle-rules';
import {
  clusterName,
  CREATED_BY_TAG_KEY,
  foundationParameterName,
  nodegroupName,
  OWNER_TAG_KEY,
} from '../../functions/domain/naming';
import type { RegionState, RegionStatus, TransitionTarget } from '../../functions/domain/region-state';
import { transitionPath, transitionTarget } from '../../functions/domain/warm-standby';
import { describeIssues } from '../../functions/domain/validation';
import { workflowInputSchema } from '../../functions/domain/workflow-input';
import { KubernetesClient, type KubernetesObject } from '../../functions/kubernetes/kubernetes-client';
import { runClusterAction } from '../../functions/tasks/cluster-task';
import {
  clusterTaskSchema,
  dnsTaskSchema,
  edgeTaskSchema,
  regionTaskSchema,
  type LockedRegion,
  type RegionFoundationDoc,
  type RegionTaskInput,
  type ScalingPlan,
} from '../../functions/tasks/contract';
import { runDnsAction } from '../../functions/tasks/dns-task';
import { describeDesiredEdge, runEdgeAction } from '../../functions/tasks/edge-task';
import type { TaskLambda } from '../../workflows/definitions';
import type { TaskHandler } from '../../workflows/run-locally';

/** Seconds each operation takes in the virtual world; Infinity: it never finishes (a stuck resource). */
export interface VirtualTimings {
  clusterCreate: number;
  clusterDelete: number;
  nodegroupCreate: number;
  nodegroupDelete: number;
  /** From the Service's creation until its network load balancer is active. */
  loadBalancerCreate: number;
  /** From the Service's deletion request until the controller has deleted its load balancer. */
  loadBalancerDelete: number;
  /** From a Route53 change until it is INSYNC. */
  dnsSync: number;
  /** UpdateNodegroupConfig: how long the nodegroup is UPDATING. */
  nodegroupUpdate: number;
  /** From a nodegroup scaled up (from zero) until its nodes are ready: from its warm pool's stopped instances. */
  nodesFromWarmPool: number;
  /** The same without a warm pool: new instances launch. */
  nodesLaunch: number;
  /** From a Deployment's replicas asked for, with its nodes ready, until its pods are available. */
  podsStart: number;
}

/** The benchmark's timings: a 10-minute cluster, a 3-minute nodegroup, a 2-minute load balancer. */
export const BENCH_TIMINGS: VirtualTimings = {
  clusterCreate: 600,
  clusterDelete: 300,
  nodegroupCreate: 180,
  nodegroupDelete: 180,
  loadBalancerCreate: 120,
  loadBalancerDelete: 30,
  dnsSync: 60,
  nodegroupUpdate: 20,
  nodesFromWarmPool: 60,
  nodesLaunch: 120,
  podsStart: 15,
};

/** The status each EKS operation ends in once its time has passed (by default, it succeeds). */
export interface VirtualOutcomes {
  clusterCreate: 'ACTIVE' | 'FAILED';
  clusterDelete: 'DELETED' | 'FAILED';
  nodegroupCreate: 'ACTIVE' | 'CREATE_FAILED' | 'DEGRADED';
  nodegroupDelete: 'DELETED' | 'DELETE_FAILED';
  /** Where an UpdateNodegroupConfig ends. */
  nodegroupUpdate: 'ACTIVE' | 'DEGRADED';
}

const SUCCESS: VirtualOutcomes = {
  clusterCreate: 'ACTIVE',
  clusterDelete: 'DELETED',
  nodegroupCreate: 'ACTIVE',
  nodegroupDelete: 'DELETED',
  nodegroupUpdate: 'ACTIVE',
};

/** A fault of a task Lambda: transient ones are retried by the workflow; a permanent one fails once, then the action works again. */
export type TaskFault = { kind: 'transient'; times: number } | { kind: 'permanent'; error?: Error };

/** An EKS cluster or nodegroup. Times are virtual seconds. */
export interface VirtualEksResource {
  name: string;
  status: string;
  createdAt: number;
  /** When the current status began (the operation in progress started). */
  statusSince: number;
  tags: Record<string, string>;
  /** A nodegroup's scaling configuration. */
  sizes?: { minSize?: number; desiredSize?: number; maxSize?: number };
  /** A nodegroup's EC2 warm pool is attached. */
  warmPool?: boolean;
  /** A nodegroup's nodes (desiredSize of them) are ready from then on; undefined: it has none. */
  nodesReadyAt?: number;
}

interface VirtualLoadBalancer {
  dnsName: string;
  state: 'provisioning' | 'active';
  createdAt: number;
}

interface StoredObject {
  object: KubernetesObject;
  deletingSince?: number;
  /** A Deployment: when its spec last changed (its pods start from then on, once nodes are ready). */
  specSince?: number;
}

/** What the region's workflow failed with: the failScaling input's `error` (with `rollback` when the rollback failed too). */
export interface RecordedFailure {
  region: string;
  direction: 'up' | 'down';
  error: { Error?: string; Cause?: string; rollback?: { Error?: string; Cause?: string } };
}

/** The virtual clock starts here (the SDK and the adapters see real dates). */
const EPOCH_MS = Date.UTC(2026, 10, 20);
/** The canonical hosted zone of network load balancers in the fake ELBv2. */
export const LOAD_BALANCER_ZONE_ID = 'Z31USIVHYNEOWT';
/** The execution id a seeded resource says it was created by: an execution other than the test's. */
export const EARLIER_EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:earlier:run-0';

/** A region's foundation, as its foundation stack writes it (the edge's certificate is regional). */
const foundationOf = (region: string): RegionFoundationDoc => ({
  vpcId: 'vpc-1',
  subnetIds: ['subnet-1', 'subnet-2'],
  securityGroupIds: ['sg-1'],
  clusterRoleArn: 'arn:aws:iam::000000000000:role/eks-cluster',
  nodeRoleArn: 'arn:aws:iam::000000000000:role/eks-node',
  certificateArn: `arn:aws:acm:${region}:000000000000:certificate/edge`,
  secretsKeyArn: `arn:aws:kms:${region}:000000000000:key/eks-secrets`,
  nodeLaunchTemplate: { id: 'lt-0123456789abcdef0', version: '1' },
});

/** The identity the virtual task Lambdas run as (the operator role, by its unique id). */
export const VIRTUAL_OPERATOR_ROLE_ID = 'AROAVIRTUALOPERATOR';

const meta = { $metadata: {} };

const VIRTUAL_AGENT_SCRIPT = '// the demand counter (never run in the virtual world)\n';

export class VirtualAwsWorld {
  /** Virtual seconds since the world began. */
  now = 0;
  readonly timings: VirtualTimings;
  readonly outcomes: VirtualOutcomes;
  /** By region. */
  readonly clusters = new Map<string, VirtualEksResource>();
  readonly nodegroups = new Map<string, VirtualEksResource>();
  /** The Kubernetes objects of each region's cluster, by API path (they go with the cluster). */
  readonly kubernetesObjects = new Map<string, Map<string, StoredObject>>();
  /** Load balancers by region: created for a LoadBalancer Service, deleted with it (or orphaned by a cluster deleted under it). */
  readonly loadBalancers = new Map<string, VirtualLoadBalancer>();
  /** The latency record set of each region, as Route53 holds it. */
  readonly records = new Map<string, ResourceRecordSet>();
  readonly locks = new Map<string, string>();
  readonly status = new Map<string, RegionStatus>();
  /** Where each region's running (or last) transition started and ends, as its lock recorded it. */
  readonly transitions = new Map<string, { from: RegionStatus; target: TransitionTarget }>();
  /** The failure cause a region was marked FAILED with (describeFailure of the workflow's error). */
  readonly causes = new Map<string, string>();
  readonly failures: RecordedFailure[] = [];
  readonly notifications: string[] = [];
  /** Task actions invoked, in order (one per Lambda invocation, retries included). */
  readonly calls: string[] = [];
  /** AWS operations the adapters sent, in order (e.g. CreateCluster). */
  readonly sdkCalls: string[] = [];
  /** The clusters' access entries (created with a cluster, gone with it). */
  readonly accessEntries = new EmulatedAccessEntries();
  private readonly changes = new Map<string, number>();
  private readonly faults = new Map<string, TaskFault>();
  private readonly lostResponses = new Set<string>();
  private loadBalancerCount = 0;

  constructor(
    private readonly config: AutoscalerConfig,
    timings: Partial<VirtualTimings> = {},
    outcomes: Partial<VirtualOutcomes> = {},
  ) {
    this.timings = { ...BENCH_TIMINGS, ...timings };
    this.outcomes = { ...SUCCESS, ...outcomes };
    for (const region of config.regions.alwaysOn) this.status.set(region, 'ACTIVE');
  }

  /** The virtual clock as a date. */
  date(): Date {
    return new Date(EPOCH_MS + this.now * 1000);
  }

  /** A time of the virtual clock (virtual seconds, e.g. a resource's createdAt) as a date. */
  dateAt(seconds: number): Date {
    return new Date(EPOCH_MS + seconds * 1000);
  }

  /** Makes the next call(s) of a task action fail: transiently `times` times, or permanently once. */
  inject(action: string, fault: TaskFault): void {
    this.faults.set(action, fault);
  }

  /**
   * The next `operation` (an AWS API name, e.g. CreateCluster) takes effect, but its response is
   * lost: the adapter sees a connection reset (a transient fault), as when a Lambda's network drops.
   */
  loseResponse(operation: string): void {
    this.lostResponses.add(operation);
  }

  /** A cluster that exists before the run: by default ours, created by an earlier execution, ACTIVE. */
  addCluster(region: string, options: { status?: string; tags?: Record<string, string> } = {}): void {
    this.clusters.set(region, {
      name: clusterName(this.config.prefix, region),
      status: options.status ?? 'ACTIVE',
      createdAt: this.now,
      statusSince: this.now,
      tags: options.tags ?? this.tagsOf(EARLIER_EXECUTION),
    });
  }

  /** The tags a cluster or nodegroup created by `executionId` carries. */
  tagsOf(executionId: string): Record<string, string> {
    return { [OWNER_TAG_KEY]: this.config.prefix, [CREATED_BY_TAG_KEY]: executionId };
  }

  /** The alias target of the region's record, if it has one. */
  recordTarget(region: string): { dnsName: string; hostedZoneId: string } | undefined {
    const alias = this.records.get(region)?.AliasTarget;
    return alias && { dnsName: alias.DNSName!, hostedZoneId: alias.HostedZoneId! };
  }

  /** Everything the autoscaler could have left in the region (an empty list: nothing). */
  leftovers(region: string): string[] {
    const left: string[] = [];
    const cluster = this.clusters.get(region);
    if (cluster) left.push(`cluster ${cluster.status}`);
    const nodegroup = this.nodegroups.get(region);
    if (nodegroup) left.push(`nodegroup ${nodegroup.status}`);
    for (const path of this.kubernetesObjects.get(region)?.keys() ?? []) left.push(`Kubernetes ${path}`);
    const loadBalancer = this.loadBalancers.get(region);
    if (loadBalancer) left.push(`load balancer ${loadBalancer.dnsName}`);
    if (this.records.has(region)) left.push('latency record');
    const lock = this.locks.get(region);
    if (lock) left.push(`lock held by ${lock}`);
    return left;
  }

  /** Advances the virtual clock (called for each Wait state of the run). */
  advance(seconds: number): void {
    this.now += seconds;
    this.settle();
  }

  /** The four task handlers, bound to this world. */
  handlers(): Record<TaskLambda, TaskHandler> {
    const { config } = this;
    return {
      regionTask: this.task(regionTaskSchema, (input) => this.regionTask(input)),
      clusterTask: this.task(clusterTaskSchema, (input, now) =>
        runClusterAction(input, {
          config,
          eks: this.eksClient(input.region),
          ssm: this.ssmClient(input.region),
          sts: this.stsClient(),
          now,
        }),
      ),
      edgeTask: this.task(edgeTaskSchema, async (input, now) =>
        input.action === 'describeDesiredEdge'
          ? describeDesiredEdge(config, { agentScript: VIRTUAL_AGENT_SCRIPT })
          : runEdgeAction(input, {
              config,
              eks: this.eksClient(input.region),
              elb: this.elbClient(input.region),
              ssm: this.ssmClient(input.region),
              kubernetes: async () => new InMemoryKubernetesClient(this.kubernetesApi(input.region)),
              // ConfigMap text only: the virtual world runs no pods.
              agentScript: VIRTUAL_AGENT_SCRIPT,
              now,
            }),
      ),
      dnsTask: this.task(dnsTaskSchema, (input, now) =>
        runDnsAction(input, { config, route53: this.route53Client(), now }),
      ),
    };
  }

  /** A task Lambda: its input parsed as lambdaHandler does, then the injected fault if any, then the action. */
  private task<S extends z.ZodType>(schema: S, run: (input: z.output<S>, now: Date) => Promise<unknown>): TaskHandler {
    return async (raw) => {
      const action = String((raw as { action?: unknown } | undefined)?.action);
      this.calls.push(action);
      const parsed = schema.safeParse(raw);
      if (!parsed.success) throw new InvalidRequestError(describeIssues(parsed.error, 'input', raw).join('; '));
      const fault = this.faults.get(action);
      if (fault?.kind === 'transient' && fault.times > 0) {
        fault.times -= 1;
        throw new TransientError(`${action}: Rate exceeded (injected)`);
      }
      if (fault?.kind === 'permanent') {
        this.faults.delete(action);
        throw fault.error ?? new Error(`${action}: permanent failure (injected)`);
      }
      return run(parsed.data, this.date());
    };
  }

  // ---------- the passage of time ----------

  private settle(): void {
    const t = this.timings;
    const o = this.outcomes;
    const elapsed = (since: number) => this.now - since;
    const move = (r: VirtualEksResource, status: string) => Object.assign(r, { status, statusSince: this.now });
    for (const [region, nodegroup] of this.nodegroups) {
      if (nodegroup.status === 'CREATING' && elapsed(nodegroup.statusSince) >= t.nodegroupCreate) {
        move(nodegroup, o.nodegroupCreate);
        // A managed nodegroup is ACTIVE once its nodes have joined.
        if ((nodegroup.sizes?.desiredSize ?? 0) > 0) nodegroup.nodesReadyAt = this.now;
      }
      if (nodegroup.status === 'UPDATING' && elapsed(nodegroup.statusSince) >= t.nodegroupUpdate)
        move(nodegroup, o.nodegroupUpdate);
      if (nodegroup.status === 'DELETING' && elapsed(nodegroup.statusSince) >= t.nodegroupDelete)
        move(nodegroup, o.nodegroupDelete);
      if (nodegroup.status === 'DELETED') this.nodegroups.delete(region);
    }
    for (const [region, objects] of this.kubernetesObjects) {
      for (const [path, stored] of objects) {
        if (stored.deletingSince !== undefined && elapsed(stored.deletingSince) >= t.loadBalancerDelete) {
          objects.delete(path);
          this.loadBalancers.delete(region);
        }
      }
    }
    for (const loadBalancer of this.loadBalancers.values()) {
      if (loadBalancer.state === 'provisioning' && elapsed(loadBalancer.createdAt) >= t.loadBalancerCreate)
        loadBalancer.state = 'active';
    }
    for (const [region, cluster] of this.clusters) {
      if (cluster.status === 'CREATING' && elapsed(cluster.statusSince) >= t.clusterCreate)
        move(cluster, o.clusterCreate);
      if (cluster.status === 'DELETING' && elapsed(cluster.statusSince) >= t.clusterDelete)
        move(cluster, o.clusterDelete);
      if (cluster.status === 'DELETED') {
        // The cluster's objects go with it; a load balancer of a Service still there stays behind, orphaned.
        this.clusters.delete(region);
        this.kubernetesObjects.delete(region);
      }
    }
  }

  // ---------- region-task: lock, state and notifications, in memory ----------

  private async regionTask(input: RegionTaskInput): Promise<unknown> {
    const { config } = this;
    switch (input.action) {
      case 'validateScaleUp': {
        const request = this.parseRequest(input.request);
        const { region } = request;
        requireApprovedRegion(config, region);
        const from = this.transitionStart(region);
        const target = transitionTarget(
          config,
          { region, direction: 'up', requested: request.target },
          from,
          [],
          this.date(),
        );
        transitionPath(region, 'up', from, target);
        return this.plan(input.request, target, false);
      }
      case 'validateScaleDown': {
        const request = this.parseRequest(input.request);
        const { region } = request;
        requireApprovedRegion(config, region);
        refuseAlwaysOnScaleDown(config, region);
        const from = this.transitionStart(region);
        const down = { region, direction: 'down' as const, requested: request.target };
        const target = transitionTarget(config, down, from, this.regionStates(), this.date());
        if (transitionPath(region, 'down', from, target) !== 'warmTeardown')
          refuseLastServingScaleDown(config, region, this.regionStates());
        const cluster = await describeEdgeCluster(this.eksClient(region), clusterName(config.prefix, region));
        if (cluster && !isOwned(cluster.tags, config.prefix)) {
          throw new NotOwnedError(`Scale-down of ${region} refused: cluster ${cluster.name} is not tagged as ours`);
        }
        if (target === 'WARM' && !cluster)
          throw new RefusedError(`Scale-down of ${region} to WARM: no cluster to keep`);
        const state = { status: this.status.get(region) ?? 'INACTIVE' };
        return this.plan(input.request, target, scaleDownIsNoop(state, cluster !== undefined, target));
      }
      case 'lockRegion': {
        const { region, owner, direction } = input;
        const target = input.target ?? (direction === 'up' ? 'ACTIVE' : 'INACTIVE');
        const holder = this.locks.get(region);
        if (holder && holder !== owner) throw new RegionLockedError(`${region} is locked by ${holder}`);
        const from = this.transitionStart(region);
        const path = transitionPath(region, direction, from, target);
        if (direction === 'down' && path !== 'warmTeardown')
          refuseLastServingScaleDown(config, region, this.regionStates());
        this.locks.set(region, owner);
        this.status.set(region, direction === 'up' ? 'PROVISIONING' : 'DRAINING');
        this.transitions.set(region, { from, target });
        return { region, from, target, path } satisfies LockedRegion;
      }
      case 'finishScaling': {
        const { region, owner, direction } = input;
        const holder = this.locks.get(region);
        if (holder && holder !== owner) throw new RegionLockedError(`${region} is locked by ${holder}`);
        const target = this.transitions.get(region)?.target ?? (direction === 'up' ? 'ACTIVE' : 'INACTIVE');
        this.status.set(region, target);
        this.locks.delete(region);
        this.notifications.push(`${direction}: ${region} done, ${target}`);
        return {};
      }
      case 'failScaling': {
        const { region, owner, direction, error } = input;
        this.failures.push({ region, direction, error: error as RecordedFailure['error'] });
        const holder = this.locks.get(region);
        // A failure of an execution that never got the lock leaves the region to the holder.
        if (!holder || holder === owner) {
          this.status.set(region, 'FAILED');
          this.causes.set(region, describeFailure(error));
          this.locks.delete(region);
        }
        this.notifications.push(`${direction}: ${region} failed: ${error.Error}`);
        return {};
      }
      case 'notifyRefusal':
        this.notifications.push(`refused: ${input.error.Error}`);
        return {};
    }
  }

  /** The status a transition of the region starts from: what a PROVISIONING or DRAINING region's last lock took it from. */
  private transitionStart(region: string): RegionStatus {
    const status = this.status.get(region) ?? 'INACTIVE';
    const claimed = status === 'PROVISIONING' || status === 'DRAINING';
    return claimed ? (this.transitions.get(region)?.from ?? status) : status;
  }

  private parseRequest(raw: unknown) {
    const parsed = workflowInputSchema.safeParse(raw);
    if (!parsed.success) throw new InvalidRequestError(describeIssues(parsed.error, 'input', raw).join('; '));
    return parsed.data;
  }

  private plan(raw: unknown, target: TransitionTarget, noop: boolean): ScalingPlan {
    const request = this.parseRequest(raw);
    requireApprovedRegion(this.config, request.region);
    return {
      region: request.region,
      reason: request.reason,
      requestedBy: request.requestedBy,
      clusterName: clusterName(this.config.prefix, request.region),
      nodegroupName: nodegroupName(this.config.prefix),
      foundation: foundationOf(request.region),
      noop,
      drainWaitSeconds: drainWaitSeconds(this.config),
      recordTtlSeconds: this.config.dns.ttlSeconds,
      target,
    };
  }

  private regionStates(): RegionState[] {
    const since = this.date().toISOString();
    return [...this.status].map(([region, status]) => ({
      region,
      status,
      since,
      consecutiveFailures: 0,
      transitionTarget: this.transitions.get(region)?.target,
    }));
  }

  /**
   * A Deployment's replicas are available once the region's nodegroup has ready nodes and
   * podsStart has passed since both they and the Deployment's spec were there; with no replica
   * asked for, none.
   */
  private deploymentStatus(region: string, stored: StoredObject): DeploymentStatus {
    const desired = Number((stored.object.spec as { replicas?: number } | undefined)?.replicas ?? 1);
    const nodes = this.nodegroups.get(region);
    const nodesReadyAt =
      nodes && (nodes.status === 'ACTIVE' || nodes.status === 'UPDATING') ? nodes.nodesReadyAt : undefined;
    const podsReadyAt =
      nodesReadyAt === undefined ? Infinity : Math.max(nodesReadyAt, stored.specSince ?? 0) + this.timings.podsStart;
    const available = this.now >= podsReadyAt ? desired : 0;
    return { replicas: desired, updatedReplicas: desired, availableReplicas: available };
  }

  /** Whether the region's edge pods all serve (every Deployment's replicas available, at least one). */
  podsServing(region: string): boolean {
    const deployments = [...(this.kubernetesObjects.get(region)?.values() ?? [])].filter(
      (o) => o.object.kind === 'Deployment',
    );
    return (
      deployments.length > 0 &&
      deployments.every((d) => {
        const status = this.deploymentStatus(region, d);
        return status.replicas > 0 && status.availableReplicas === status.replicas;
      })
    );
  }

  /** The replicas each of the region's Deployments asks for. */
  deploymentReplicas(region: string): number[] {
    return [...(this.kubernetesObjects.get(region)?.values() ?? [])]
      .filter((o) => o.object.kind === 'Deployment')
      .map((o) => Number((o.object.spec as { replicas?: number } | undefined)?.replicas ?? 1));
  }

  // ---------- fake AWS clients ----------

  /** One AWS call: recorded, performed, and its response lost when loseResponse asked for it. */
  private sdk<T>(operation: string, perform: () => T): T {
    this.sdkCalls.push(operation);
    const response = perform();
    if (this.lostResponses.delete(operation)) {
      throw Object.assign(new Error(`${operation}: socket hang up (response lost, injected)`), { code: 'ECONNRESET' });
    }
    return response;
  }

  private eksClient(region: string): EKSClient {
    const notFound = (what: string) => new ResourceNotFoundException({ message: `No ${what} found`, ...meta });
    const findCluster = (name: string | undefined) => {
      const cluster = this.clusters.get(region);
      if (!cluster || cluster.name !== name) throw notFound(`cluster ${name}`);
      return cluster;
    };
    const findNodegroup = (cluster: string | undefined, name: string | undefined) => {
      findCluster(cluster);
      const nodegroup = this.nodegroups.get(region);
      if (!nodegroup || nodegroup.name !== name) throw notFound(`nodegroup ${name}`);
      return nodegroup;
    };
    const at = (seconds: number) => new Date(EPOCH_MS + seconds * 1000);
    const clusterArn = (name: string) => `arn:aws:eks:${region}:000000000000:cluster/${name}`;
    const clusterShape = (c: VirtualEksResource) => ({
      name: c.name,
      arn: clusterArn(c.name),
      status: c.status as never,
      createdAt: at(c.createdAt),
      tags: c.tags,
    });
    const nodegroupShape = (n: VirtualEksResource) => ({
      nodegroupName: n.name,
      status: n.status as never,
      createdAt: at(n.createdAt),
      tags: n.tags,
      scalingConfig: n.sizes,
      amiType: 'AL2023_x86_64_STANDARD' as const,
      ...(n.warmPool && { warmPoolConfig: { enabled: true } }),
    });
    const created = (name: string, tags: Record<string, string> | undefined): VirtualEksResource => ({
      name,
      status: 'CREATING',
      createdAt: this.now,
      statusSince: this.now,
      tags: { ...tags },
    });
    /** An access-entry call on the region's cluster, its EKS errors thrown as the SDK would. */
    const onEntries = <T>(name: string | undefined, call: (cluster: EmulatedCluster) => T): T => {
      const found = findCluster(name);
      try {
        return call({ name: found.name, arn: clusterArn(found.name), createdAt: at(found.createdAt) });
      } catch (error) {
        if (!(error instanceof AwsServiceFault)) throw error;
        const { code, status } = error.fault;
        throw Object.assign(new Error(error.message), { name: code, $metadata: { httpStatusCode: status } });
      }
    };
    const send = async (command: unknown): Promise<unknown> => {
      if (command instanceof ListAccessEntriesCommand)
        return this.sdk('ListAccessEntries', () =>
          onEntries(command.input.clusterName, (c) => ({ accessEntries: this.accessEntries.list(c) })),
        );
      if (command instanceof DescribeAccessEntryCommand)
        return this.sdk('DescribeAccessEntry', () =>
          onEntries(command.input.clusterName, (c) => ({
            accessEntry: this.accessEntries.describe(c, command.input.principalArn!),
          })),
        );
      if (command instanceof CreateAccessEntryCommand)
        return this.sdk('CreateAccessEntry', () =>
          onEntries(command.input.clusterName, (c) => ({
            accessEntry: this.accessEntries.create(c, command.input, this.date()),
          })),
        );
      if (command instanceof DeleteAccessEntryCommand)
        return this.sdk('DeleteAccessEntry', () =>
          onEntries(command.input.clusterName, (c) => this.accessEntries.delete(c, command.input.principalArn!)),
        );
      if (command instanceof AssociateAccessPolicyCommand)
        return this.sdk('AssociateAccessPolicy', () =>
          onEntries(command.input.clusterName, (c) => ({
            associatedAccessPolicy: this.accessEntries.associate(
              c,
              command.input.principalArn!,
              command.input,
              this.date(),
            ),
          })),
        );
      if (command instanceof ListAssociatedAccessPoliciesCommand)
        return this.sdk('ListAssociatedAccessPolicies', () =>
          onEntries(command.input.clusterName, (c) => ({
            associatedAccessPolicies: this.accessEntries.associatedPolicies(c, command.input.principalArn!),
          })),
        );
      if (command instanceof DescribeClusterCommand)
        return this.sdk('DescribeCluster', () => ({ cluster: clusterShape(findCluster(command.input.name)) }));
      if (command instanceof CreateClusterCommand)
        return this.sdk('CreateCluster', () => {
          const { name, tags } = command.input;
          if (this.clusters.has(region))
            throw new ResourceInUseException({ message: `Cluster already exists with name: ${name}`, ...meta });
          const cluster = created(name!, tags);
          this.clusters.set(region, cluster);
          return { cluster: clusterShape(cluster) };
        });
      if (command instanceof DeleteClusterCommand)
        return this.sdk('DeleteCluster', () => {
          const cluster = findCluster(command.input.name);
          if (this.nodegroups.has(region))
            throw new ResourceInUseException({ message: `Cluster has nodegroups attached`, ...meta });
          Object.assign(cluster, { status: 'DELETING', statusSince: this.now });
          return { cluster: clusterShape(cluster) };
        });
      if (command instanceof DescribeNodegroupCommand)
        return this.sdk('DescribeNodegroup', () => ({
          nodegroup: nodegroupShape(findNodegroup(command.input.clusterName, command.input.nodegroupName)),
        }));
      if (command instanceof CreateNodegroupCommand)
        return this.sdk('CreateNodegroup', () => {
          const { clusterName: cluster, nodegroupName: name, tags, scalingConfig, warmPoolConfig } = command.input;
          findCluster(cluster);
          if (this.nodegroups.has(region))
            throw new ResourceInUseException({ message: `NodeGroup already exists with name ${name}`, ...meta });
          const nodegroup = { ...created(name!, tags), sizes: { ...scalingConfig }, warmPool: warmPoolConfig?.enabled };
          this.nodegroups.set(region, nodegroup);
          return { nodegroup: nodegroupShape(nodegroup) };
        });
      if (command instanceof UpdateNodegroupConfigCommand)
        return this.sdk('UpdateNodegroupConfig', () => {
          const { clusterName: cluster, nodegroupName: name, scalingConfig, warmPoolConfig } = command.input;
          const nodegroup = findNodegroup(cluster, name);
          if (nodegroup.status !== 'ACTIVE')
            throw new ResourceInUseException({ message: `Nodegroup ${name} is ${nodegroup.status}`, ...meta });
          const before = nodegroup.sizes?.desiredSize ?? 0;
          const after = scalingConfig?.desiredSize ?? before;
          // Nodes started now come from the warm pool the nodegroup had, else launch.
          const start = nodegroup.warmPool ? this.timings.nodesFromWarmPool : this.timings.nodesLaunch;
          if (after === 0) nodegroup.nodesReadyAt = undefined;
          else if (after > before) nodegroup.nodesReadyAt = this.now + start;
          Object.assign(nodegroup, {
            sizes: { ...nodegroup.sizes, ...scalingConfig },
            warmPool: nodegroup.warmPool || warmPoolConfig?.enabled === true,
            status: 'UPDATING',
            statusSince: this.now,
          });
          return { update: { id: `U${this.sdkCalls.length}`, status: 'InProgress', type: 'ConfigUpdate' } };
        });
      if (command instanceof DeleteNodegroupCommand)
        return this.sdk('DeleteNodegroup', () => {
          const nodegroup = findNodegroup(command.input.clusterName, command.input.nodegroupName);
          Object.assign(nodegroup, { status: 'DELETING', statusSince: this.now });
          return { nodegroup: nodegroupShape(nodegroup) };
        });
      throw new Error(`The virtual EKS does not implement ${(command as object).constructor.name}`);
    };
    return { send } as unknown as EKSClient;
  }

  /** STS: the task Lambdas run as the operator role. */
  private stsClient(): STSClient {
    const send = async (command: unknown): Promise<unknown> => {
      if (command instanceof GetCallerIdentityCommand)
        return this.sdk('GetCallerIdentity', () => ({
          UserId: `${VIRTUAL_OPERATOR_ROLE_ID}:cluster-task`,
          Account: '000000000000',
          Arn: `arn:aws:sts::000000000000:assumed-role/${this.config.prefix}-eks-operator/cluster-task`,
        }));
      throw new Error(`The virtual STS does not implement ${(command as object).constructor.name}`);
    };
    return { send } as unknown as STSClient;
  }

  /** The region's foundation parameter, as its foundation stack writes it. */
  private ssmClient(region: string): SSMClient {
    const send = async (command: unknown): Promise<unknown> => {
      if (command instanceof GetParameterCommand)
        return this.sdk('GetParameter', () => {
          const name = foundationParameterName(this.config.prefix, region);
          if (command.input.Name !== name)
            throw new ParameterNotFound({ message: `No parameter ${command.input.Name}`, ...meta });
          return { Parameter: { Name: name, Value: JSON.stringify(foundationOf(region)) } };
        });
      throw new Error(`The virtual SSM does not implement ${(command as object).constructor.name}`);
    };
    return { send } as unknown as SSMClient;
  }

  private route53Client(): Route53Client {
    const { hostedZoneId, recordName } = this.config.dns;
    const send = async (command: unknown): Promise<unknown> => {
      if (command instanceof ListResourceRecordSetsCommand)
        return this.sdk('ListResourceRecordSets', () => ({
          ResourceRecordSets: [...this.records.values()].sort((a, b) =>
            (a.SetIdentifier ?? '').localeCompare(b.SetIdentifier ?? ''),
          ),
          IsTruncated: false,
        }));
      if (command instanceof ChangeResourceRecordSetsCommand)
        return this.sdk('ChangeResourceRecordSets', () => {
          if (command.input.HostedZoneId !== hostedZoneId)
            throw new Error(`No hosted zone ${command.input.HostedZoneId}`);
          for (const { Action, ResourceRecordSet: set } of command.input.ChangeBatch?.Changes ?? []) {
            const region = set?.SetIdentifier ?? '';
            if (set?.Name !== recordName && set?.Name !== `${recordName}.`)
              throw new InvalidChangeBatch({ message: `Unexpected record ${set?.Name}`, ...meta });
            if (Action === 'DELETE' && !this.records.has(region))
              throw new InvalidChangeBatch({
                message: `Tried to delete resource record set ${region}, but it was not found`,
                ...meta,
              });
            if (Action === 'DELETE') this.records.delete(region);
            else this.records.set(region, { ...set, Name: `${recordName}.` });
          }
          const id = `C${this.changes.size + 1}`;
          this.changes.set(id, this.now);
          return { ChangeInfo: { Id: `/change/${id}`, Status: 'PENDING', SubmittedAt: this.date() } };
        });
      if (command instanceof GetChangeCommand)
        return this.sdk('GetChange', () => {
          const id = command.input.Id ?? '';
          const submitted = this.changes.get(id);
          if (submitted === undefined) throw new NoSuchChange({ message: `No change ${id}`, ...meta });
          const status = this.now - submitted >= this.timings.dnsSync ? 'INSYNC' : 'PENDING';
          return {
            ChangeInfo: { Id: `/change/${id}`, Status: status, SubmittedAt: new Date(EPOCH_MS + submitted * 1000) },
          };
        });
      throw new Error(`The virtual Route53 does not implement ${(command as object).constructor.name}`);
    };
    return { send } as unknown as Route53Client;
  }

  private elbClient(region: string): ElasticLoadBalancingV2Client {
    const send = async (command: unknown): Promise<unknown> => {
      if (command instanceof DescribeLoadBalancersCommand)
        return this.sdk('DescribeLoadBalancers', () => {
          const loadBalancer = this.loadBalancers.get(region);
          const described = loadBalancer && {
            DNSName: loadBalancer.dnsName,
            CanonicalHostedZoneId: LOAD_BALANCER_ZONE_ID,
            State: { Code: loadBalancer.state },
          };
          return { LoadBalancers: described ? [described] : [] };
        });
      throw new Error(`The virtual ELBv2 does not implement ${(command as object).constructor.name}`);
    };
    return { send } as unknown as ElasticLoadBalancingV2Client;
  }

  /** The region's Kubernetes API, with the cloud controller: a LoadBalancer Service gets a load balancer. */
  private kubernetesApi(region: string): KubernetesCalls {
    const objects = () => {
      const existing = this.kubernetesObjects.get(region);
      if (existing) return existing;
      const created = new Map<string, StoredObject>();
      this.kubernetesObjects.set(region, created);
      return created;
    };
    const view = (stored: StoredObject): KubernetesObject => {
      const { object, deletingSince } = stored;
      const hostname = object.kind === 'Service' ? this.loadBalancers.get(region)?.dnsName : undefined;
      return {
        ...object,
        metadata: {
          ...object.metadata,
          ...(deletingSince !== undefined && {
            deletionTimestamp: new Date(EPOCH_MS + deletingSince * 1000).toISOString(),
          }),
        },
        ...(hostname && { status: { loadBalancer: { ingress: [{ hostname }] } } }),
        ...(object.kind === 'Deployment' && { status: this.deploymentStatus(region, stored) }),
      } as KubernetesObject;
    };
    return {
      apply: async (path, manifest) => {
        const existing = objects().get(path);
        const object = manifest as KubernetesObject;
        const creationTimestamp = existing?.object.metadata?.creationTimestamp ?? this.date().toISOString();
        const changed = !existing || JSON.stringify(existing.object.spec) !== JSON.stringify(object.spec);
        const stored: StoredObject = {
          ...existing,
          object: { ...object, metadata: { ...object.metadata, creationTimestamp } },
          ...(object.kind === 'Deployment' && changed && { specSince: this.now }),
        };
        objects().set(path, stored);
        if (!existing && object.kind === 'Service') {
          this.loadBalancerCount += 1;
          this.loadBalancers.set(region, {
            dnsName: `${this.config.prefix}-edge-${this.loadBalancerCount}.elb.${region}.amazonaws.com`,
            state: 'provisioning',
            createdAt: this.now,
          });
        }
        return view(stored);
      },
      get: async (path) => {
        const stored = objects().get(path);
        return stored && view(stored);
      },
      delete: async (path) => {
        const stored = objects().get(path);
        if (!stored) return false;
        // The controller holds a Service (finalizer) until its load balancer is deleted.
        if (stored.object.kind === 'Service') stored.deletingSince ??= this.now;
        else objects().delete(path);
        // A namespace takes the objects in it along.
        if (stored.object.kind === 'Namespace') {
          const inside = `/namespaces/${stored.object.metadata?.name}/`;
          for (const other of objects().keys()) if (other.includes(inside)) objects().delete(other);
        }
        return true;
      },
    };
  }
}

type KubernetesCalls = Pick<KubernetesClient, 'apply' | 'get' | 'delete'>;

/** What a Deployment's status says of its replicas (deployment-rollout.ts reads it as kubectl does). */
interface DeploymentStatus {
  replicas: number;
  updatedReplicas: number;
  availableReplicas: number;
}

/** A KubernetesClient whose calls go to the virtual world instead of an API server. */
class InMemoryKubernetesClient extends KubernetesClient {
  constructor(private readonly api: KubernetesCalls) {
    super({ baseUrl: 'http://kubernetes.invalid', bearerToken: 'virtual' });
  }

  override apply(path: string, manifest: object): Promise<KubernetesObject> {
    return this.api.apply(path, manifest);
  }

  override get(path: string): Promise<KubernetesObject | undefined> {
    return this.api.get(path);
  }

  override delete(path: string): Promise<boolean> {
    return this.api.delete(path);
  }
}
