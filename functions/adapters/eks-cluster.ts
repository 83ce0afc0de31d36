/**
 * The edge cluster and its managed nodegroup in one region (EKS API, regional client).
 * Every call is idempotent: ensure* adopts what already exists when it carries our owner tag,
 * delete* treats a missing resource as done, and nothing without our tag is ever changed.
 * Whether an execution created a resource is read from the resource (its CREATED_BY tag), never
 * from which call succeeded: a create whose response was lost, retried, finds the resource
 * existing and still knows it as its own.
 * Results carry `waitSeconds` from the poll schedule, so the workflow waits long once and then
 * polls briefly instead of polling a 10-minute creation every 30 seconds.
 */
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteClusterCommand,
  DeleteNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  UpdateNodegroupConfigCommand,
  WarmPoolState,
  type EKSClient,
  type WarmPoolConfig,
} from '@aws-sdk/client-eks';
import { CLUSTER_SERVICE_CIDR } from '../domain/cluster-network';
import type { AutoscalerConfig } from '../domain/config';
import { NotOwnedError, ResourceFailedError } from '../domain/errors';
import { isOwned } from '../domain/lifecycle-rules';
import { CREATED_BY_TAG_KEY, OWNER_TAG_KEY } from '../domain/naming';
import { assertBeforeDeadline, phaseDeadline } from '../domain/phase-deadlines';
import { nextWaitSeconds, POLL_PLANS, SETTLED_WAIT_SECONDS, type PollPlan } from '../domain/poll-schedule';
import { nodegroupSizes, wantsNodeWarmPool } from '../domain/warm-standby';
import type { ResourceStatus } from '../tasks/contract';
import { callAws, isAwsError } from './aws-errors';
import type { ClusterFoundation } from './foundation';

/** EKS answers these while a resource settles (another operation in progress, already being created). */
const EKS_SETTLING = ['ResourceInUseException'];

const eksCall = <T>(operation: string, call: () => Promise<T>) => callAws(operation, call, EKS_SETTLING);

/** Control-plane logs that matter for an audit of who did what to the cluster. */
const CONTROL_PLANE_LOG_TYPES = ['api', 'audit', 'authenticator'] as const;

/**
 * The AWS Control Tower proactive controls that the CreateCluster and CreateNodegroup inputs below
 * do not meet, on purpose, with the reason (a test runs the controls on these inputs).
 */
export const ACKNOWLEDGED_CLUSTER_CONTROLS = {
  'CT.EKS.PR.1':
    'The public endpoint stays on: the cluster and edge task Lambdas run outside any VPC and reach the Kubernetes API over it. It admits only cluster.endpointPublicAccessCidrs and, with authentication mode API, only IAM roles that hold an access entry; the private endpoint is on for the nodes.',
} as const;

/** The cluster's API answers in these states; in any other the workload cannot be reached (or is gone). */
export const API_SERVING_STATUSES: ReadonlySet<string> = new Set(['ACTIVE', 'UPDATING']);

export interface EdgeCluster {
  name: string;
  status: string;
  createdAt?: Date;
  /** API server URL, once the cluster is ACTIVE. */
  endpoint?: string;
  /** Base64 PEM of the cluster's certificate authority. */
  certificateAuthority?: string;
  arn?: string;
  /** API, API_AND_CONFIG_MAP or CONFIG_MAP (clusters created before access entries existed). */
  authenticationMode?: string;
  tags: Record<string, string>;
}

interface WaitPlans {
  creating: PollPlan;
  deleting: PollPlan;
}
const CLUSTER_PLANS: WaitPlans = { creating: POLL_PLANS.clusterCreate, deleting: POLL_PLANS.clusterDelete };
const NODEGROUP_PLANS: WaitPlans = { creating: POLL_PLANS.nodegroupCreate, deleting: POLL_PLANS.nodegroupDelete };

/**
 * How long to wait before looking again at a resource in `status`. A creation is timed from
 * the resource's createdAt; AWS does not say when a deletion began, so a deletion seen by a
 * describe is polled at the short interval (the long first wait comes from delete*).
 */
function waitFor(status: string, createdAt: Date | undefined, plans: WaitPlans, now: Date): number {
  switch (status) {
    case 'CREATING':
    case 'PENDING':
      return nextWaitSeconds(plans.creating, createdAt, now);
    case 'DELETING':
    case 'UPDATING':
      return nextWaitSeconds(plans.deleting, undefined, now);
    default:
      return SETTLED_WAIT_SECONDS;
  }
}

/** What a poll waits for (`awaiting`) and until when (`deadline`); see phase-deadlines.ts. */
export interface PhaseWatch {
  awaiting?: 'ACTIVE' | 'DELETED';
  deadline?: string;
}

function assertPhaseOnTime(kind: string, name: string, status: string, watch: PhaseWatch, now: Date): void {
  if (!watch.awaiting || status === watch.awaiting) return;
  assertBeforeDeadline(`the EKS ${kind} ${name} to be ${watch.awaiting} (it is ${status})`, watch.deadline, now);
}

const createdBy = (tags: Record<string, string>, executionId: string) => tags[CREATED_BY_TAG_KEY] === executionId;

// ---------- cluster ----------

export async function describeEdgeCluster(eks: EKSClient, name: string): Promise<EdgeCluster | undefined> {
  try {
    const { cluster } = await eksCall('DescribeCluster', () => eks.send(new DescribeClusterCommand({ name })));
    return {
      name,
      status: cluster?.status ?? 'UNKNOWN',
      createdAt: cluster?.createdAt,
      endpoint: cluster?.endpoint,
      certificateAuthority: cluster?.certificateAuthority?.data,
      arn: cluster?.arn,
      authenticationMode: cluster?.accessConfig?.authenticationMode,
      tags: cluster?.tags ?? {},
    };
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  }
}

export interface ClusterSpec {
  name: string;
  prefix: string;
  /** The execution asking: tagged on a cluster it creates. */
  executionId: string;
  config: AutoscalerConfig;
  /** Read only when the cluster has to be created. */
  foundation: () => Promise<ClusterFoundation>;
}

/**
 * Creates the cluster, or adopts it when it exists and carries our tag (`created` then says
 * whether this execution created it). Begins the cluster phase: the result carries its deadline.
 */
export async function ensureCluster(eks: EKSClient, spec: ClusterSpec, now = new Date()): Promise<ResourceStatus> {
  const deadline = phaseDeadline('clusterCreate', now);
  const existing = await describeEdgeCluster(eks, spec.name);
  if (existing) return { ...adoptCluster(existing, spec, now), deadline };
  const foundation = await spec.foundation();
  const { cluster } = await eksCall('CreateCluster', () =>
    eks.send(
      new CreateClusterCommand({
        name: spec.name,
        version: spec.config.cluster.kubernetesVersion,
        roleArn: foundation.clusterRoleArn,
        resourcesVpcConfig: {
          subnetIds: foundation.subnetIds,
          securityGroupIds: foundation.securityGroupIds,
          // The task Lambdas run outside the VPC and reach the API server over its public endpoint.
          endpointPublicAccess: true,
          publicAccessCidrs: spec.config.cluster.endpointPublicAccessCidrs,
          endpointPrivateAccess: true,
        },
        // A fixed Service range gives cluster DNS a known address, nginx's resolver (cluster-network.ts).
        kubernetesNetworkConfig: { serviceIpv4Cidr: CLUSTER_SERVICE_CIDR, ipFamily: 'ipv4' },
        logging: { clusterLogging: [{ types: [...CONTROL_PLANE_LOG_TYPES], enabled: true }] },
        encryptionConfig: [{ resources: ['secrets'], provider: { keyArn: foundation.secretsKeyArn } }],
        // Clusters created through the API default to extended support, six times the price.
        upgradePolicy: { supportType: 'STANDARD' },
        // Access entries only, and none for the creating role: every admin, the task Lambdas' role
        // included, holds an entry that ensureClusterAccess (eks-access.ts) creates and repairs.
        accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: false },
        tags: { [OWNER_TAG_KEY]: spec.prefix, [CREATED_BY_TAG_KEY]: spec.executionId },
      }),
    ),
  );
  const status = cluster?.status ?? 'CREATING';
  return {
    status,
    created: true,
    deadline,
    waitSeconds: waitFor(status, cluster?.createdAt ?? now, CLUSTER_PLANS, now),
  };
}

function adoptCluster(cluster: EdgeCluster, spec: ClusterSpec, now: Date): ResourceStatus {
  if (!isOwned(cluster.tags, spec.prefix)) throw notOwned('cluster', cluster.name, cluster.tags, spec.prefix);
  if (cluster.status === 'DELETING') {
    throw new ResourceFailedError(
      `Cluster ${cluster.name} is being deleted (status DELETING) and cannot be adopted; fix: run the scale-up again once it is gone`,
    );
  }
  return {
    status: cluster.status,
    created: createdBy(cluster.tags, spec.executionId),
    waitSeconds: waitFor(cluster.status, cluster.createdAt, CLUSTER_PLANS, now),
  };
}

/** The cluster's status; with a watch, DeadlineExceededError once it is not `awaiting` by the deadline. */
export async function clusterStatus(
  eks: EKSClient,
  name: string,
  watch: PhaseWatch = {},
  now = new Date(),
): Promise<ResourceStatus> {
  const cluster = await describeEdgeCluster(eks, name);
  const status = cluster?.status ?? 'DELETED';
  assertPhaseOnTime('cluster', name, status, watch, now);
  if (!cluster) return { status, waitSeconds: SETTLED_WAIT_SECONDS };
  return {
    status: cluster.status,
    createdAt: cluster.createdAt?.toISOString(),
    waitSeconds: waitFor(cluster.status, cluster.createdAt, CLUSTER_PLANS, now),
  };
}

/**
 * Deletes the cluster if it exists and is ours. EKS refuses while a nodegroup still exists
 * (ResourceInUseException -> TransientError, retried by the workflow).
 */
export async function deleteCluster(
  eks: EKSClient,
  name: string,
  prefix: string,
  now = new Date(),
): Promise<ResourceStatus> {
  const deadline = phaseDeadline('clusterDelete', now);
  const cluster = await describeEdgeCluster(eks, name);
  if (!cluster) return { status: 'DELETED', deadline, waitSeconds: SETTLED_WAIT_SECONDS };
  if (!isOwned(cluster.tags, prefix)) throw notOwned('cluster', name, cluster.tags, prefix);
  if (cluster.status === 'DELETING')
    return { status: 'DELETING', deadline, waitSeconds: waitFor('DELETING', undefined, CLUSTER_PLANS, now) };
  try {
    await eksCall('DeleteCluster', () => eks.send(new DeleteClusterCommand({ name })));
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException'))
      return { status: 'DELETED', deadline, waitSeconds: SETTLED_WAIT_SECONDS };
    throw error;
  }
  return { status: 'DELETING', deadline, waitSeconds: nextWaitSeconds(POLL_PLANS.clusterDelete, now, now) };
}

// ---------- nodegroup ----------

export interface NodegroupSpec {
  clusterName: string;
  nodegroupName: string;
  /** The region the nodegroup is in (whether it is a warm region). */
  region: string;
  prefix: string;
  /** The execution asking: tagged on a nodegroup it creates. */
  executionId: string;
  config: AutoscalerConfig;
  foundation: () => Promise<ClusterFoundation>;
  /** The end the nodegroup is sized for: cluster.nodes (ACTIVE, the default) or zero nodes (WARM). */
  target?: 'ACTIVE' | 'WARM';
}

type NodegroupSizes = ReturnType<typeof nodegroupSizes>;

interface EdgeNodegroup {
  status: string;
  createdAt?: Date;
  tags: Record<string, string>;
  sizes: Partial<NodegroupSizes>;
  /** Whether an EC2 warm pool is attached (EKS warmPoolConfig enabled). */
  warmPool: boolean;
  /** CUSTOM when its launch template names an AMI of its own: EKS attaches no warm pool then. */
  amiType?: string;
}

async function describeNodegroup(
  eks: EKSClient,
  clusterName: string,
  nodegroupName: string,
): Promise<EdgeNodegroup | undefined> {
  try {
    const { nodegroup } = await eksCall('DescribeNodegroup', () =>
      eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName })),
    );
    return {
      status: nodegroup?.status ?? 'UNKNOWN',
      createdAt: nodegroup?.createdAt,
      tags: nodegroup?.tags ?? {},
      sizes: { ...nodegroup?.scalingConfig },
      warmPool: nodegroup?.warmPoolConfig?.enabled === true,
      amiType: nodegroup?.amiType,
    };
  } catch (error) {
    // Also when the cluster itself is gone: then its nodegroups are too.
    if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  }
}

/**
 * The EC2 warm pool of a warm region's nodegroup: nodes.desired instances kept stopped (only their
 * volumes are billed), taken back on scale-in, so that the nodes of a WARM region that serves
 * again start from stopped instances instead of launching and booting new ones.
 */
function nodeWarmPool(config: AutoscalerConfig): WarmPoolConfig {
  return {
    enabled: true,
    minSize: config.cluster.nodes.desired,
    poolState: WarmPoolState.STOPPED,
    reuseOnScaleIn: true,
  };
}

/**
 * What UpdateNodegroupConfig must change for `nodegroup` to be sized for `target` (and to have its
 * warm pool, when the region wants one and its AMI is EKS's); undefined when nothing.
 */
function neededUpdate(
  nodegroup: EdgeNodegroup,
  config: AutoscalerConfig,
  region: string,
  target: 'ACTIVE' | 'WARM',
): { scalingConfig?: NodegroupSizes; warmPoolConfig?: WarmPoolConfig } | undefined {
  const wanted = nodegroupSizes(config, target);
  // Sizes EKS did not report are not second-guessed.
  const resize =
    nodegroup.sizes.desiredSize !== undefined &&
    (Object.keys(wanted) as (keyof NodegroupSizes)[]).some((k) => nodegroup.sizes[k] !== wanted[k]);
  const addPool = wantsNodeWarmPool(config, region) && !nodegroup.warmPool && nodegroup.amiType !== 'CUSTOM';
  if (!resize && !addPool) return undefined;
  return { ...(resize && { scalingConfig: wanted }), ...(addPool && { warmPoolConfig: nodeWarmPool(config) }) };
}

async function updateNodegroupConfig(
  eks: EKSClient,
  clusterName: string,
  nodegroupName: string,
  update: NonNullable<ReturnType<typeof neededUpdate>>,
): Promise<void> {
  try {
    await eksCall('UpdateNodegroupConfig', () =>
      eks.send(new UpdateNodegroupConfigCommand({ clusterName, nodegroupName, ...update })),
    );
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) {
      throw new ResourceFailedError(
        `Cannot resize nodegroup ${nodegroupName}: it or cluster ${clusterName} no longer exists; fix: run the scale-up again (it creates them)`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Creates the managed nodegroup from `config.cluster`, sized for the spec's target, or adopts ours
 * (`created` says whether this execution created it); an adopted ACTIVE nodegroup of other sizes,
 * or of a warm region without its warm pool, is updated (it is then UPDATING, which the poll waits
 * out). Begins the nodegroup phase: the result carries its deadline.
 */
export async function ensureNodegroup(eks: EKSClient, spec: NodegroupSpec, now = new Date()): Promise<ResourceStatus> {
  const { clusterName, nodegroupName, prefix, executionId, config, region } = spec;
  const target = spec.target ?? 'ACTIVE';
  const deadline = phaseDeadline('nodegroupCreate', now);
  const existing = await describeNodegroup(eks, clusterName, nodegroupName);
  if (existing) {
    if (!isOwned(existing.tags, prefix)) throw notOwned('nodegroup', nodegroupName, existing.tags, prefix);
    const created = createdBy(existing.tags, executionId);
    // Only a settled nodegroup takes an update: one still being created gets the sizes it was created with.
    const update = existing.status === 'ACTIVE' ? neededUpdate(existing, config, region, target) : undefined;
    if (update) {
      await updateNodegroupConfig(eks, clusterName, nodegroupName, update);
      return {
        status: 'UPDATING',
        created,
        deadline,
        waitSeconds: nextWaitSeconds(POLL_PLANS.nodegroupScale, now, now),
      };
    }
    return {
      status: existing.status,
      created,
      deadline,
      waitSeconds: waitFor(existing.status, existing.createdAt, NODEGROUP_PLANS, now),
    };
  }
  const foundation = await spec.foundation();
  const { instanceTypes } = config.cluster;
  try {
    const { nodegroup } = await eksCall('CreateNodegroup', () =>
      eks.send(
        new CreateNodegroupCommand({
          clusterName,
          nodegroupName,
          nodeRole: foundation.nodeRoleArn,
          subnets: foundation.subnetIds,
          // Tags instances, volumes and network interfaces with the owner tag, requires IMDSv2, no
          // key pair; no security groups, so EKS gives the nodes the cluster security group. It
          // names no AMI (EKS's own), so a warm pool can be attached.
          launchTemplate: foundation.nodeLaunchTemplate,
          instanceTypes,
          capacityType: 'ON_DEMAND',
          scalingConfig: nodegroupSizes(config, target),
          ...(wantsNodeWarmPool(config, region) && { warmPoolConfig: nodeWarmPool(config) }),
          tags: { [OWNER_TAG_KEY]: prefix, [CREATED_BY_TAG_KEY]: executionId },
        }),
      ),
    );
    const status = nodegroup?.status ?? 'CREATING';
    return {
      status,
      created: true,
      deadline,
      waitSeconds: waitFor(status, nodegroup?.createdAt ?? now, NODEGROUP_PLANS, now),
    };
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) {
      throw new ResourceFailedError(
        `Cannot create nodegroup ${nodegroupName}: cluster ${clusterName} does not exist; fix: run the scale-up from the start`,
        { cause: error },
      );
    }
    throw error;
  }
}

export type ScaledNodegroupSpec = Omit<NodegroupSpec, 'executionId' | 'foundation' | 'target'>;

/**
 * Sizes our existing nodegroup for `target` (the warm tier: back to cluster.nodes from WARM, or to
 * zero nodes), adding a warm region's warm pool if it lacks one; never creates one
 * (ResourceFailedError when it is missing). Begins the nodegroupScale phase. `waitSeconds`: for
 * ACTIVE, until nodes started by this call typically serve (from the warm pool it already had, or
 * launched); for WARM, until the update is typically applied.
 */
export async function scaleNodegroup(
  eks: EKSClient,
  spec: ScaledNodegroupSpec,
  target: 'ACTIVE' | 'WARM',
  now = new Date(),
): Promise<ResourceStatus> {
  const { clusterName, nodegroupName, prefix, config, region } = spec;
  const deadline = phaseDeadline('nodegroupScale', now);
  const nodegroup = await describeNodegroup(eks, clusterName, nodegroupName);
  if (!nodegroup) {
    throw new ResourceFailedError(
      `Nodegroup ${nodegroupName} of cluster ${clusterName} does not exist, so it cannot be sized for ${target}; fix: run a scale-up, which creates it`,
    );
  }
  if (!isOwned(nodegroup.tags, prefix)) throw notOwned('nodegroup', nodegroupName, nodegroup.tags, prefix);
  const update = neededUpdate(nodegroup, config, region, target);
  const plan =
    target === 'WARM'
      ? POLL_PLANS.nodegroupScale
      : nodegroup.warmPool
        ? POLL_PLANS.nodesFromWarmPool
        : POLL_PLANS.nodesLaunch;
  // Already sized so (a retried call, or a region already there): look again soon, nothing changed.
  if (!update) return { status: nodegroup.status, deadline, waitSeconds: plan.pollSeconds };
  await updateNodegroupConfig(eks, clusterName, nodegroupName, update);
  return { status: 'UPDATING', deadline, waitSeconds: nextWaitSeconds(plan, now, now) };
}

/** The nodegroup's status; with a watch, DeadlineExceededError once it is not `awaiting` by the deadline. */
export async function nodegroupStatus(
  eks: EKSClient,
  clusterName: string,
  nodegroupName: string,
  watch: PhaseWatch = {},
  now = new Date(),
): Promise<ResourceStatus> {
  const nodegroup = await describeNodegroup(eks, clusterName, nodegroupName);
  assertPhaseOnTime('nodegroup', nodegroupName, nodegroup?.status ?? 'DELETED', watch, now);
  if (!nodegroup) return { status: 'DELETED', waitSeconds: SETTLED_WAIT_SECONDS };
  return {
    status: nodegroup.status,
    createdAt: nodegroup.createdAt?.toISOString(),
    waitSeconds: waitFor(nodegroup.status, nodegroup.createdAt, NODEGROUP_PLANS, now),
  };
}

export async function deleteNodegroup(
  eks: EKSClient,
  clusterName: string,
  nodegroupName: string,
  prefix: string,
  now = new Date(),
): Promise<ResourceStatus> {
  const deadline = phaseDeadline('nodegroupDelete', now);
  const nodegroup = await describeNodegroup(eks, clusterName, nodegroupName);
  if (!nodegroup) return { status: 'DELETED', deadline, waitSeconds: SETTLED_WAIT_SECONDS };
  if (!isOwned(nodegroup.tags, prefix)) throw notOwned('nodegroup', nodegroupName, nodegroup.tags, prefix);
  if (nodegroup.status === 'DELETING') {
    return { status: 'DELETING', deadline, waitSeconds: waitFor('DELETING', undefined, NODEGROUP_PLANS, now) };
  }
  try {
    await eksCall('DeleteNodegroup', () => eks.send(new DeleteNodegroupCommand({ clusterName, nodegroupName })));
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException'))
      return { status: 'DELETED', deadline, waitSeconds: SETTLED_WAIT_SECONDS };
    throw error;
  }
  return { status: 'DELETING', deadline, waitSeconds: nextWaitSeconds(POLL_PLANS.nodegroupDelete, now, now) };
}

export function notOwned(kind: string, name: string, tags: Record<string, string>, prefix: string): NotOwnedError {
  const found = tags[OWNER_TAG_KEY] === undefined ? 'has no such tag' : `has ${OWNER_TAG_KEY}=${tags[OWNER_TAG_KEY]}`;
  return new NotOwnedError(
    `The EKS ${kind} ${name} exists but is not owned by this autoscaler (expected tag ${OWNER_TAG_KEY}=${prefix}; it ${found}); ` +
      `it is never adopted or deleted; fix: delete or rename it by hand, or tag it ${OWNER_TAG_KEY}=${prefix} if it really is ours`,
  );
}
