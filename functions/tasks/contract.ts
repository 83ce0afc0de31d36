/**
 * The contract between the workflow definitions (workflows/*.asl.json) and the task Lambdas:
 * for each task Lambda, the actions it accepts (zod, parsed before any AWS call) and what each
 * returns. The definitions build these inputs with Parameters and store the results with
 * ResultPath; change both sides together.
 *
 * Every result that the workflow must wait on carries `waitSeconds`: the task decides how long
 * the next Wait state lasts (long first waits that match AWS's published timings, then short
 * polls), so that a 10-minute cluster creation costs a handful of state transitions.
 */
import { z } from 'zod';
import {
  MAINTENANCE_KINDS,
  TRANSITION_TARGETS,
  type RegionStatus,
  type TransitionTarget,
} from '../domain/region-state';
import type { TransitionPath } from '../domain/warm-standby';
import { REQUESTERS } from '../domain/workflow-input';

const region = z.string().min(1);
/** The execution that owns the region's lock: `$$.Execution.Id` (its ARN). */
const owner = z.string().min(1);
/** Who asked and why (the workflow passes `$.plan.reason` / `$.plan.requestedBy`): the "why" of a notification. */
const requestContext = { reason: z.string().optional(), requestedBy: z.enum(REQUESTERS).optional() };
/**
 * `$$.Execution.StartTime`, passed by the scale-up's polls: the task then records how long a
 * resource created by this execution took to be ready (step-duration metrics, metric-names.ts).
 * Without it (rollback and scale-down polls) nothing is timed.
 */
const executionStartedAt = z.iso.datetime({ offset: true }).optional();
/**
 * The deadline of the polling phase this poll belongs to (phase-deadlines.ts), as the action that
 * began the phase returned it: a poll that finds the phase unfinished after it fails with
 * DeadlineExceededError.
 */
const deadline = z.iso.datetime({ offset: true }).optional();
/**
 * `$$.Execution.Id`: the execution that creates a resource tags it with its id
 * (CREATED_BY_TAG_KEY), so that whether this execution created it is read from the resource
 * itself, also when a first create call's response was lost and a retry found it existing.
 */
const executionId = z.string().min(1);

const maintenanceKind = z.enum(MAINTENANCE_KINDS);
/** Where a transition ends (warm-standby.ts): `$.plan.target`, as validate* resolved it. */
const transitionTarget = z.enum(TRANSITION_TARGETS);
/** The end a region's nodegroup or edge is sized for: serving (ACTIVE) or WARM (no node, no pod). */
const servingTarget = z.enum(['ACTIVE', 'WARM']);
/** The edge configuration hash or Kubernetes version a maintenance brings a region to. */
const target = z.string().min(1);
export const regionFoundationSchema = z.object({
  vpcId: z.string(),
  subnetIds: z.array(z.string()).min(1),
  securityGroupIds: z.array(z.string()),
  clusterRoleArn: z.string(),
  nodeRoleArn: z.string(),
  /** The region's ACM certificate for dns.recordName (written with edge.tls.enabled): the edge's TLS listener. */
  certificateArn: z.string().min(1).optional(),
  /**
   * The region's KMS key that encrypts the clusters' Kubernetes secrets. Optional only so that a
   * foundation deployed before it existed still parses: creating a cluster without it is refused.
   */
  secretsKeyArn: z.string().min(1).optional(),
  /** The nodegroup's launch template (owner tag on instances, volumes, interfaces; IMDSv2): required to create a nodegroup, like secretsKeyArn. */
  nodeLaunchTemplate: z.object({ id: z.string().min(1), version: z.string().min(1) }).optional(),
});
export type RegionFoundationDoc = z.output<typeof regionFoundationSchema>;

// ---------- region-task: validation, lock, state, notifications (DynamoDB, SNS, EKS reads, SSM) ----------

export const regionTaskSchema = z.discriminatedUnion('action', [
  /** Scale-up step 1: input shape and approved region; reads the foundation. Throws InvalidRequestError. */
  z.object({ action: z.literal('validateScaleUp'), request: z.unknown() }),
  /**
   * Scale-down step 1: input shape, approved region, not always-on, not the last serving region,
   * cluster (if any) tagged as ours. Throws InvalidRequestError / RefusedError / NotOwnedError.
   */
  z.object({ action: z.literal('validateScaleDown'), request: z.unknown() }),
  /**
   * Takes the lock (owner = execution) and marks the region PROVISIONING (up) or DRAINING (down),
   * towards `target` (default ACTIVE up, INACTIVE down); for a scale-down that withdraws a record
   * it re-checks the last-serving-region rule under the lock. Result: LockedRegion (the path the
   * workflow takes). Throws RegionLockedError; RefusedError for a warm-up of a region that serves
   * (warm-standby.ts transitionPath), its lock released again.
   */
  z.object({
    action: z.literal('lockRegion'),
    region,
    owner,
    direction: z.enum(['up', 'down']),
    target: transitionTarget.optional(),
  }),
  /** Marks the region at the target its lock recorded (ACTIVE, WARM or INACTIVE), releases the lock, notifies. */
  z.object({
    action: z.literal('finishScaling'),
    region,
    owner,
    direction: z.enum(['up', 'down']),
    recordTarget: z.object({ dnsName: z.string(), hostedZoneId: z.string() }).optional(),
    /** Scale-up: the edge configuration hash applyEdge applied, recorded as what the region runs. */
    edgeConfiguration: z.string().min(1).optional(),
    ...requestContext,
  }),
  /** Marks FAILED with the cause (after a rollback), releases the lock if held by owner, notifies. */
  z.object({
    action: z.literal('failScaling'),
    region,
    owner,
    direction: z.enum(['up', 'down']),
    error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).passthrough(),
    ...requestContext,
  }),
  /** A refused or invalid request: nothing was changed; only notifies why (no lock is held). */
  z.object({
    action: z.literal('notifyRefusal'),
    request: z.unknown(),
    direction: z.enum(['up', 'down']),
    /** The refused execution: a claim a decision made for it (PROVISIONING/DRAINING) is undone. */
    owner: owner.optional(),
    error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).passthrough(),
  }),
  // ---- maintenance (edge rollout, cluster upgrade): one ACTIVE region at a time, under its lock ----
  // The maintenance workflows walk `plan.regions` in a loop (StartRegions / MoreRegions /
  // SelectRegion / AdvanceRegion in workflows/edge-rollout.asl.json), not in a Map: a failed region
  // must stop the regions not yet started, which the local executor's Map does not do.
  /**
   * Validates the maintenance input (region-maintenance.ts) and plans the regions, canary first.
   * `target`: the edge configuration hash (edge rollout, from the edge task) or, left out, the
   * configured Kubernetes version (cluster upgrade). Throws InvalidRequestError. Result: MaintenancePlan.
   */
  z.object({
    action: z.literal('planMaintenance'),
    kind: maintenanceKind,
    request: z.unknown(),
    target: z.string().min(1).optional(),
  }),
  /**
   * Takes the region's lock for `owner` and records the maintenance as RUNNING; the status stays.
   * RegionLockedError when another execution holds the lock (the workflow skips the region: the
   * reconciler retries it later), RefusedError when the region is no longer ACTIVE, is claimed
   * for a scaling execution or is paused (its lock is released again).
   */
  z.object({ action: z.literal('lockForMaintenance'), region, owner, kind: maintenanceKind, target }),
  /** Records the target as what the region runs (SUCCEEDED) and releases the lock. */
  z.object({ action: z.literal('finishMaintenance'), region, owner, kind: maintenanceKind, target }),
  /** Records the failure (FAILED, with its cause), releases the lock if `owner` holds it, notifies. */
  z.object({
    action: z.literal('failMaintenance'),
    region,
    owner,
    kind: maintenanceKind,
    target,
    error: z
      .object({
        Error: z.string().optional(),
        Cause: z.string().optional(),
        /** Edge rollout: what restoreEdge did (it restored the region's previous objects). */
        restored: z.object({ restored: z.array(z.string()), deleted: z.array(z.string()) }).optional(),
        /** Edge rollout: restoreEdge's own failure. */
        restore: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).passthrough().optional(),
      })
      .passthrough(),
  }),
  /**
   * One notification for the whole run, read back from the regions' maintenance records of
   * `owner`: updated, failed, skipped by the plan, and not maintained (skipped at their lock, or
   * not reached after a failure).
   */
  z.object({
    action: z.literal('notifyMaintenance'),
    owner,
    plan: z
      .object({
        kind: maintenanceKind,
        target,
        regions: z.array(region),
        skipped: z.array(z.object({ region, reason: z.string() })),
      })
      .passthrough(),
    /** Set when the run stopped on a failure (the failed region's error). */
    error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).passthrough().optional(),
  }),
]);
export type RegionTaskInput = z.output<typeof regionTaskSchema>;

/** validateScaleUp / validateScaleDown result, stored at `$.plan`. */
export interface ScalingPlan {
  region: string;
  reason: string;
  requestedBy: 'alarm' | 'reconciler' | 'operator';
  clusterName: string;
  nodegroupName: string;
  foundation: RegionFoundationDoc;
  /** Scale-down only: true when there is nothing to do (region inactive and no cluster). */
  noop: boolean;
  /** Scale-down only: record TTL + configured drain time, for the Drain wait state. */
  drainWaitSeconds: number;
  /** The record's TTL: how long a scale-up rollback waits after withdrawing the record it wrote. */
  recordTtlSeconds: number;
  /** Where the transition ends: the input's target, or the one resolved for it (warm-standby.ts transitionTarget). */
  target: TransitionTarget;
}

/** lockRegion result, stored at `$.lock`: where the transition starts and ends, and the path between (warm-standby.ts). */
export interface LockedRegion {
  region: string;
  from: RegionStatus;
  target: TransitionTarget;
  path: TransitionPath;
}

// ---------- cluster-task: EKS cluster and nodegroup in the target region ----------

const awaiting = z.enum(['ACTIVE', 'DELETED']).optional();
/** A Kubernetes minor version, e.g. "1.35" (its rules: domain/kubernetes-versions.ts). */
const kubernetesVersion = z.string().regex(/^\d+\.\d+$/);
/** An EKS update's id (UpdateClusterVersion / UpdateNodegroupVersion). */
const updateId = z.string().min(1);

export const clusterTaskSchema = z.discriminatedUnion('action', [
  /** Creates the cluster (tagged, STANDARD support, logging on) or adopts ours. NotOwnedError if not ours. */
  z.object({ action: z.literal('ensureCluster'), region, executionId }),
  /** `awaiting` (with `deadline`): the status the phase waits for; DeadlineExceededError past the deadline. */
  z.object({ action: z.literal('describeCluster'), region, executionStartedAt, awaiting, deadline }),
  /**
   * Creates the managed nodegroup from the cluster spec, or adopts ours, sized for `target`
   * (default ACTIVE: cluster.nodes; WARM: zero nodes): an adopted ACTIVE nodegroup of other sizes
   * is resized (UpdateNodegroupConfig, the poll then waits while it is UPDATING). A warm region's
   * nodegroup gets its EC2 warm pool (warm.nodeWarmPool) when created, or when adopted without one.
   */
  z.object({ action: z.literal('ensureNodegroup'), region, executionId, target: servingTarget.optional() }),
  z.object({ action: z.literal('describeNodegroup'), region, executionStartedAt, awaiting, deadline }),
  /** Deletes the nodegroup if it exists and is ours; a missing one is done. */
  z.object({ action: z.literal('deleteNodegroup'), region }),
  /**
   * Sizes our existing nodegroup for `target` (UpdateNodegroupConfig; nothing when it already is),
   * adding a warm region's warm pool if it lacks one; never creates it (ResourceFailedError when
   * it is missing). Begins the nodegroupScale phase: the result's `deadline`, and its `waitSeconds`
   * until its nodes typically serve (ACTIVE: from the warm pool or new instances) or until the
   * update is typically applied (WARM).
   */
  z.object({ action: z.literal('scaleNodegroup'), region, target: servingTarget }),
  /** Deletes the cluster if it exists and is ours; a missing one is done. */
  z.object({ action: z.literal('deleteCluster'), region }),
  /**
   * Makes the operator role and each of `cluster.adminRoleArns` cluster admins through access
   * entries (AmazonEKSClusterAdminPolicy, cluster scope) on our ACTIVE cluster: creates what is
   * missing, repairs our entries, removes our entries of roles no longer configured, and leaves
   * entries it did not create alone. Run before anything talks to the Kubernetes API.
   * Result: ClusterAccessResult. ResourceFailedError when the cluster is gone or cannot hold entries;
   * with `onlyIfServing` (the scale-down, which must reach a cluster that may be gone or failed), a
   * cluster that is missing or does not serve its API is left as it is (`notServing`).
   */
  z.object({ action: z.literal('ensureClusterAccess'), region, onlyIfServing: z.boolean().optional() }),
  // ---- cluster upgrade: control plane, then nodegroup, one minor version at a time (eks-version-updates.ts) ----
  /**
   * Reads the versions of our cluster and nodegroup (owner tag checked) and the next step towards
   * `target` (default: cluster.kubernetesVersion). Result: ClusterVersions. ResourceFailedError
   * when either is missing; RefusedError when the control plane is newer than the target.
   */
  z.object({ action: z.literal('readVersions'), region, target: kubernetesVersion.optional() }),
  /**
   * Starts UpdateClusterVersion to `version`, which must be the next minor of the control
   * plane's (RefusedError otherwise: never a downgrade, never a jump). An update already in
   * progress is returned, not started twice; a control plane at `version` is done (no updateId).
   * Begins the phase: the result carries its deadline. Result: VersionUpdateStatus.
   */
  z.object({ action: z.literal('updateClusterVersion'), region, version: kubernetesVersion }),
  /** Polls the update (DescribeUpdate). ResourceFailedError when it failed, DeadlineExceededError past `deadline`. */
  z.object({ action: z.literal('describeClusterUpdate'), region, updateId, deadline }),
  /**
   * Starts UpdateNodegroupVersion to `version` (the control plane's, RefusedError for any other),
   * or without `version` to the latest AMI release of the nodegroup's own version (a node patch).
   * Idempotent as updateClusterVersion. Result: VersionUpdateStatus.
   */
  z.object({ action: z.literal('updateNodegroupVersion'), region, version: kubernetesVersion.optional() }),
  /** Polls the nodegroup's update, as describeClusterUpdate. */
  z.object({ action: z.literal('describeNodegroupUpdate'), region, updateId, deadline }),
]);
export type ClusterTaskInput = z.output<typeof clusterTaskSchema>;

/** readVersions result, stored at `$.versions` of the upgrade workflow. */
export interface ClusterVersions {
  clusterVersion: string;
  nodegroupVersion: string;
  /** The nodegroup's AMI release version (e.g. "1.35.2-20261115"). */
  releaseVersion?: string;
  /** The version the upgrade brings the region to. */
  target: string;
  /** What comes next: nodes behind their control plane first, then the control plane by one minor. */
  next: 'controlPlane' | 'nodegroup' | 'done';
  /** controlPlane / nodegroup: the version that step moves to. */
  toVersion?: string;
}

/**
 * update* / describe*Update result, stored at `$.update`. `status` is EKS's update status
 * (InProgress, Successful; Failed and Cancelled throw ResourceFailedError). No `updateId` when
 * there was nothing to update. `deadline`: of the update phase, carried by every poll.
 */
export interface VersionUpdateStatus {
  updateId?: string;
  status: 'InProgress' | 'Successful' | string;
  /** The Kubernetes version the update brings the control plane or nodegroup to. */
  version: string;
  /** Nodegroup updates: the AMI release version it moves to, when EKS says. */
  releaseVersion?: string;
  deadline?: string;
  waitSeconds: number;
}

/** ensureClusterAccess result, stored at `$.clusterAccess`: principal ARNs by what was done. */
export interface ClusterAccessResult {
  /** Entries created (with the admin policy). */
  created: string[];
  /** Our entries that lacked the admin policy, or (the operator's) were made for an earlier role of the same name. */
  repaired: string[];
  /** Our entries of roles no longer in cluster.adminRoleArns, deleted. */
  removed: string[];
  /** Wanted entries found as they should be. */
  unchanged: string[];
  /** Entries the autoscaler did not create (nodes' entries, entries made by hand): never changed. */
  leftAlone: string[];
  /** onlyIfServing: the cluster is missing or does not serve its API, so nothing was looked at. */
  notServing?: boolean;
}

/**
 * Result of every cluster-task action, stored at `$.cluster` or `$.nodegroup`.
 * `status` is EKS's status, or `DELETED` when the resource does not exist.
 * `created` (ensure*) is true when this execution created the resource (its CREATED_BY tag);
 * the workflow keeps it to roll back only what this execution created.
 * `deadline` (ensure*, delete*): when the phase that this call began must be done.
 */
export interface ResourceStatus {
  status:
    | 'CREATING'
    | 'ACTIVE'
    | 'DELETING'
    | 'FAILED'
    | 'CREATE_FAILED'
    | 'DELETE_FAILED'
    | 'UPDATING'
    | 'DEGRADED'
    | 'DELETED'
    | string;
  created?: boolean;
  /** describeCluster / describeNodegroup: when EKS created the resource (ISO-8601). */
  createdAt?: string;
  deadline?: string;
  waitSeconds: number;
}

// ---------- edge-task: the edge workload through the Kubernetes API ----------

const edgeSnapshotSchema = z.object({
  /** The objects the region ran, each `{ path, object }` (re-appliable): JSON, gzipped, base64. */
  objects: z.string(),
  /** API paths of the manifest set's objects that did not exist (a restore deletes them). */
  absent: z.array(z.string()),
});

export const edgeTaskSchema = z.discriminatedUnion('action', [
  /**
   * Applies the edge manifests (namespace, config, deployment, LoadBalancer Service); idempotent.
   * `target` WARM (a warm-up): the Deployments at zero replicas, so the Service and its load
   * balancer exist while no pod runs.
   */
  z.object({ action: z.literal('applyEdge'), region, target: servingTarget.optional() }),
  /**
   * Scales the edge's existing Deployments to zero replicas (the Service and its load balancer
   * stay): a scale-down to WARM, and the rollback of a failed warm path. Creates nothing.
   */
  z.object({ action: z.literal('parkEdge'), region }),
  /**
   * Ready once the Service's load balancer is active (its canonical hosted zone id resolved with
   * ELBv2) and the rollout of every Deployment of the manifest set is complete, every replica
   * available: the pods serve, so the nodes they run on do too.
   */
  z.object({ action: z.literal('readEdgeEndpoint'), region, executionStartedAt, deadline }),
  /**
   * Deletes the edge Service (so the LB is deleted, not orphaned) and the namespace; missing
   * cluster = done. Without `deadline` it begins the deletion phase (and returns its deadline);
   * with it, it is that phase's poll.
   */
  z.object({ action: z.literal('deleteEdge'), region, deadline }),
  // ---- edge rollout (workflows/edge-rollout.asl.json): one serving region, under its lock ----
  /** The edge configuration hash this deployment renders: what every region should run. Result: DesiredEdge. */
  z.object({ action: z.literal('describeDesiredEdge') }),
  /** Reads the objects of the edge manifest set as the region runs them (what a failure restores). Result: EdgeSnapshot. */
  z.object({ action: z.literal('snapshotEdge'), region }),
  /** Applies the desired edge manifests (server-side apply) and begins the rollout phase. Result: EdgeRolloutStart. */
  z.object({ action: z.literal('rolloutEdge'), region }),
  /**
   * Whether the Deployments' rollout is complete (as `kubectl rollout status` decides). Result:
   * EdgeRolloutStatus. ResourceFailedError when Kubernetes reports it stalled
   * (ProgressDeadlineExceeded), DeadlineExceededError when it is not complete by `deadline`.
   */
  z.object({ action: z.literal('readEdgeRollout'), region, deadline }),
  /** GET /health through the region's load balancer, a few attempts. Result: EdgeHealth. EdgeUnhealthyError. */
  z.object({ action: z.literal('checkEdgeHealth'), region }),
  /**
   * Re-applies the snapshot's objects and deletes the objects of the manifest set that did not
   * exist when it was taken (never a protected namespace). Result: EdgeRestoreResult.
   */
  z.object({ action: z.literal('restoreEdge'), region, snapshot: edgeSnapshotSchema }),
]);
export type EdgeTaskInput = z.output<typeof edgeTaskSchema>;

/** describeDesiredEdge result, stored at `$.desired`. */
export interface DesiredEdge {
  /** The edge configuration hash (edge-configuration.ts). */
  configuration: string;
}

/** snapshotEdge result, stored at `$.snapshot` and given back to restoreEdge unchanged. */
export type EdgeSnapshot = z.output<typeof edgeSnapshotSchema>;

/** rolloutEdge result, stored at `$.applied`. */
export interface EdgeRolloutStart {
  /** The hash of the manifests applied. */
  configuration: string;
  /** When the rollout phase must be done. */
  deadline: string;
  waitSeconds: number;
}

/** readEdgeRollout result, stored at `$.rollout`. */
export interface EdgeRolloutStatus {
  ready: boolean;
  /** Not ready: what the rollout still waits for (kubectl's words). */
  waitingFor?: string;
  waitSeconds: number;
}

/** checkEdgeHealth result, stored at `$.health` (an edge that does not answer 200 throws EdgeUnhealthyError). */
export interface EdgeHealth {
  healthy: true;
  /** The attempt that answered 200 (1 = the first). */
  attempts: number;
}

/** restoreEdge result: what it did, by API path. */
export interface EdgeRestoreResult {
  /** Objects re-applied as the snapshot holds them. */
  restored: string[];
  /** Objects the rollout had added, deleted. */
  deleted: string[];
}

/** applyEdge / readEdgeEndpoint / deleteEdge result, stored at `$.edge`. */
export interface EdgeStatus {
  /**
   * readEdgeEndpoint: true when the Service's load balancer is active and every Deployment's
   * replicas are available. deleteEdge: true when the Service is gone. parkEdge: always true.
   */
  ready: boolean;
  dnsName?: string;
  hostedZoneId?: string;
  /** When ready: when the edge Service was created (its creationTimestamp, ISO-8601), if known. */
  serviceCreatedAt?: string;
  /** applyEdge: true when the edge Service did not exist before this call (rollback deletes it). */
  created?: boolean;
  /** applyEdge, deleteEdge without a deadline: the deadline of the phase that call began. */
  deadline?: string;
  /** applyEdge: the hash of the manifests applied (finishScaling records it). */
  configuration?: string;
  waitSeconds: number;
}

// ---------- dns-task: the region's own latency record in Route53 ----------

export const dnsTaskSchema = z.discriminatedUnion('action', [
  /** UPSERT of the record with SetIdentifier = region, Region = region, alias to the target. */
  z.object({
    action: z.literal('upsertRecord'),
    region,
    target: z.object({ dnsName: z.string().min(1), hostedZoneId: z.string().min(1) }),
  }),
  /** DELETE of the region's record only; a missing record is done (`changeId` absent). */
  z.object({ action: z.literal('deleteRecord'), region }),
  /** `region` (optional) is the region whose record changed: the Region of the DnsInSyncSeconds metric. */
  z.object({ action: z.literal('getChange'), changeId: z.string().min(1), region: region.optional(), deadline }),
]);
export type DnsTaskInput = z.output<typeof dnsTaskSchema>;

/** Result stored at `$.dns`: `status` is PENDING or INSYNC (INSYNC at once when nothing changed). */
export interface DnsChangeStatus {
  changeId?: string;
  status: 'PENDING' | 'INSYNC';
  /** When Route53 accepted the change (ISO-8601). */
  submittedAt?: string;
  /** upsertRecord: true when the record was missing or different, so this call wrote it (rollback withdraws it). */
  written?: boolean;
  /** upsertRecord / deleteRecord: the deadline of the record change reaching INSYNC. */
  deadline?: string;
  waitSeconds: number;
}
