/**
 * Kubernetes version updates of the edge cluster and its nodegroup in one region (EKS API,
 * regional client): read the versions, start UpdateClusterVersion / UpdateNodegroupVersion, poll
 * the update with DescribeUpdate.
 *
 * Safety and idempotence:
 *   - nothing without our owner tag is ever updated (NotOwnedError);
 *   - the control plane moves to the next minor version only, never down (RefusedError), as EKS
 *     itself requires; nodes move to their control plane's version only;
 *   - an update already in progress is returned, not started twice: a retried call whose first
 *     response was lost finds its own update (the resource is UPDATING), and a call that finds the
 *     resource already at the version starts nothing.
 * Results carry `waitSeconds` from the poll schedule (a long first wait, then short polls) and the
 * phase's deadline (phase-deadlines.ts).
 */
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  DescribeUpdateCommand,
  ListUpdatesCommand,
  UpdateClusterVersionCommand,
  UpdateNodegroupVersionCommand,
  type EKSClient,
  type Update,
} from '@aws-sdk/client-eks';
import { NotOwnedError, RefusedError, ResourceFailedError, TransientError } from '../domain/errors';
import { compareKubernetesVersions, nextMinorVersion, nextUpgradeStep } from '../domain/kubernetes-versions';
import { isOwned } from '../domain/lifecycle-rules';
import { clusterName, OWNER_TAG_KEY } from '../domain/naming';
import { assertBeforeDeadline, phaseDeadline, type Phase } from '../domain/phase-deadlines';
import { nextWaitSeconds, POLL_PLANS, SETTLED_WAIT_SECONDS, type PollPlan } from '../domain/poll-schedule';
import type { ClusterVersions, VersionUpdateStatus } from '../tasks/contract';
import { callAws, isAwsError } from './aws-errors';

/** EKS answers this while another update of the resource runs: retried by the workflow. */
const eksCall = <T>(operation: string, call: () => Promise<T>) => callAws(operation, call, ['ResourceInUseException']);

/** Our cluster and nodegroup in the region. */
export interface EdgeClusterNames {
  cluster: string;
  nodegroup: string;
  prefix: string;
}

interface Versioned {
  status: string;
  version: string;
  releaseVersion?: string;
  tags: Record<string, string>;
}

interface UpdateKind {
  what: string;
  phase: Phase;
  plan: PollPlan;
}
const CONTROL_PLANE: UpdateKind = {
  what: 'control plane',
  phase: 'clusterVersionUpdate',
  plan: POLL_PLANS.clusterVersionUpdate,
};
const NODEGROUP: UpdateKind = {
  what: 'nodegroup',
  phase: 'nodegroupVersionUpdate',
  plan: POLL_PLANS.nodegroupVersionUpdate,
};

async function describeCluster(eks: EKSClient, names: EdgeClusterNames): Promise<Versioned> {
  try {
    const { cluster } = await eksCall('DescribeCluster', () =>
      eks.send(new DescribeClusterCommand({ name: names.cluster })),
    );
    const found = { status: cluster?.status ?? 'UNKNOWN', version: cluster?.version ?? '', tags: cluster?.tags ?? {} };
    requireOwned('cluster', names.cluster, found.tags, names.prefix);
    return found;
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) throw missing('cluster', names.cluster, error);
    throw error;
  }
}

async function describeNodegroup(eks: EKSClient, names: EdgeClusterNames): Promise<Versioned> {
  try {
    const { nodegroup } = await eksCall('DescribeNodegroup', () =>
      eks.send(new DescribeNodegroupCommand({ clusterName: names.cluster, nodegroupName: names.nodegroup })),
    );
    const found = {
      status: nodegroup?.status ?? 'UNKNOWN',
      version: nodegroup?.version ?? '',
      releaseVersion: nodegroup?.releaseVersion,
      tags: nodegroup?.tags ?? {},
    };
    requireOwned('nodegroup', names.nodegroup, found.tags, names.prefix);
    return found;
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) throw missing('nodegroup', names.nodegroup, error);
    throw error;
  }
}

/** The versions of the region's cluster and nodegroup, and the next step towards `target`. */
export async function readVersions(eks: EKSClient, names: EdgeClusterNames, target: string): Promise<ClusterVersions> {
  const cluster = await describeCluster(eks, names);
  const nodegroup = await describeNodegroup(eks, names);
  const step = nextUpgradeStep({ cluster: cluster.version, nodegroup: nodegroup.version }, target);
  return {
    clusterVersion: cluster.version,
    nodegroupVersion: nodegroup.version,
    releaseVersion: nodegroup.releaseVersion,
    target,
    next: step.step,
    toVersion: step.step === 'done' ? undefined : step.toVersion,
  };
}

/**
 * Starts the control plane's update to `version`, the next minor of its own. Returns the update
 * in progress when there is one, and starts nothing when the control plane runs `version` already.
 */
export async function startClusterVersionUpdate(
  eks: EKSClient,
  names: EdgeClusterNames,
  version: string,
  now = new Date(),
): Promise<VersionUpdateStatus> {
  const deadline = phaseDeadline(CONTROL_PLANE.phase, now);
  const cluster = await describeCluster(eks, names);
  if (cluster.status === 'UPDATING') {
    return { ...(await runningVersionUpdate(eks, names, undefined, version, CONTROL_PLANE, now)), deadline };
  }
  if (cluster.version === version)
    return { status: 'Successful', version, deadline, waitSeconds: SETTLED_WAIT_SECONDS };
  const next = nextMinorVersion(cluster.version);
  if (version !== next) {
    throw new RefusedError(
      `Refused to update the control plane of ${names.cluster} from Kubernetes ${cluster.version} to ${version}: ` +
        `EKS moves a control plane one minor version up at a time and never down; fix: update it to ${next} ` +
        `(the upgrade workflow goes one minor at a time)`,
    );
  }
  requireActive('cluster', names.cluster, cluster.status);
  const nodegroup = await describeNodegroup(eks, names);
  if (compareKubernetesVersions(nodegroup.version, cluster.version) < 0) {
    throw new RefusedError(
      `Refused to update the control plane of ${names.cluster} to ${version}: its nodegroup ${names.nodegroup} still ` +
        `runs ${nodegroup.version}, and EKS updates a control plane only when its nodes run its own version ` +
        `(${cluster.version}); fix: update the nodegroup to ${cluster.version} first`,
    );
  }
  const { update } = await eksCall('UpdateClusterVersion', () =>
    eks.send(new UpdateClusterVersionCommand({ name: names.cluster, version })),
  );
  return updateResult(update, version, CONTROL_PLANE, deadline, now);
}

/**
 * Starts the nodegroup's update to `version` (its control plane's), or without `version` to the
 * latest AMI release of the nodegroup's own version (a node patch). Returns the update in
 * progress when there is one, and starts nothing when the nodegroup runs `version` already.
 */
export async function startNodegroupVersionUpdate(
  eks: EKSClient,
  names: EdgeClusterNames,
  version: string | undefined,
  now = new Date(),
): Promise<VersionUpdateStatus> {
  const deadline = phaseDeadline(NODEGROUP.phase, now);
  const cluster = await describeCluster(eks, names);
  const nodegroup = await describeNodegroup(eks, names);
  const target = version ?? nodegroup.version;
  if (nodegroup.status === 'UPDATING') {
    return { ...(await runningVersionUpdate(eks, names, names.nodegroup, target, NODEGROUP, now)), deadline };
  }
  if (version !== undefined) {
    if (version !== cluster.version) {
      throw new RefusedError(
        `Refused to update nodegroup ${names.nodegroup} to Kubernetes ${version}: nodes move to their control ` +
          `plane's version, which is ${cluster.version}; fix: update the control plane first, or the nodegroup to ${cluster.version}`,
      );
    }
    if (nodegroup.version === version) {
      return {
        status: 'Successful',
        version,
        releaseVersion: nodegroup.releaseVersion,
        deadline,
        waitSeconds: SETTLED_WAIT_SECONDS,
      };
    }
    if (compareKubernetesVersions(nodegroup.version, version) > 0) {
      throw new RefusedError(
        `Refused to move nodegroup ${names.nodegroup} down from Kubernetes ${nodegroup.version} to ${version}: EKS never downgrades nodes`,
      );
    }
  }
  requireActive('nodegroup', names.nodegroup, nodegroup.status);
  const { update } = await eksCall('UpdateNodegroupVersion', () =>
    eks.send(
      new UpdateNodegroupVersionCommand({
        clusterName: names.cluster,
        nodegroupName: names.nodegroup,
        // Without a version EKS keeps the nodegroup's and moves it to that version's latest AMI release.
        version,
      }),
    ),
  );
  return updateResult(update, target, NODEGROUP, deadline, now);
}

/** The control plane's update: done, still running (DeadlineExceededError past `deadline`), or failed (ResourceFailedError). */
export function clusterUpdateStatus(
  eks: EKSClient,
  names: EdgeClusterNames,
  updateId: string,
  deadline: string | undefined,
  now = new Date(),
): Promise<VersionUpdateStatus> {
  return updateStatus(eks, names, undefined, updateId, deadline, CONTROL_PLANE, now);
}

/** The nodegroup's update, as clusterUpdateStatus. */
export function nodegroupUpdateStatus(
  eks: EKSClient,
  names: EdgeClusterNames,
  updateId: string,
  deadline: string | undefined,
  now = new Date(),
): Promise<VersionUpdateStatus> {
  return updateStatus(eks, names, names.nodegroup, updateId, deadline, NODEGROUP, now);
}

async function updateStatus(
  eks: EKSClient,
  names: EdgeClusterNames,
  nodegroupName: string | undefined,
  updateId: string,
  deadline: string | undefined,
  kind: UpdateKind,
  now: Date,
): Promise<VersionUpdateStatus> {
  const update = await describeUpdate(eks, names.cluster, nodegroupName, updateId);
  const subject = `the ${kind.what} update ${updateId} of ${nodegroupName ?? names.cluster}`;
  if (update.status === 'Failed' || update.status === 'Cancelled') {
    const errors = (update.errors ?? []).map((e) => `${e.errorCode ?? 'error'}: ${e.errorMessage ?? ''}`.trim());
    throw new ResourceFailedError(
      `EKS reports ${subject} ${update.status}${errors.length ? ` (${errors.join('; ')})` : ''}; fix: look at the ` +
        `update in the EKS console (Update history) for the cause, repair it, then run the upgrade again`,
    );
  }
  if (update.status !== 'Successful') assertBeforeDeadline(`${subject} to finish`, deadline, now);
  // A node patch's update names its AMI release only: the version is the nodegroup's own.
  const version =
    versionOf(update) ??
    (nodegroupName ? await describeNodegroup(eks, names) : await describeCluster(eks, names)).version;
  return { ...updateResult(update, version, kind, deadline, now), updateId };
}

async function describeUpdate(
  eks: EKSClient,
  name: string,
  nodegroupName: string | undefined,
  updateId: string,
): Promise<Update> {
  try {
    const { update } = await eksCall('DescribeUpdate', () =>
      eks.send(new DescribeUpdateCommand({ name, nodegroupName, updateId })),
    );
    if (!update) throw new ResourceFailedError(`EKS returned no update ${updateId} for ${nodegroupName ?? name}`);
    return update;
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) {
      throw new ResourceFailedError(
        `The EKS update ${updateId} of ${nodegroupName ?? name} does not exist (or its cluster is gone); fix: run the upgrade again`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * The update that makes the resource UPDATING. When it is the version update asked for, it is
 * returned (the call that started it may have lost its response). Another update (a config
 * change, another version) is waited out: TransientError, retried by the workflow.
 */
async function runningVersionUpdate(
  eks: EKSClient,
  names: EdgeClusterNames,
  nodegroupName: string | undefined,
  version: string,
  kind: UpdateKind,
  now: Date,
): Promise<VersionUpdateStatus> {
  let nextToken: string | undefined;
  do {
    const page = await eksCall('ListUpdates', () =>
      eks.send(new ListUpdatesCommand({ name: names.cluster, nodegroupName, nextToken })),
    );
    for (const updateId of page.updateIds ?? []) {
      const update = await describeUpdate(eks, names.cluster, nodegroupName, updateId);
      if (update.status !== 'InProgress') continue;
      // UpdateClusterVersion and UpdateNodegroupVersion (also a node patch) both make a VersionUpdate.
      if (update.type === 'VersionUpdate' && (versionOf(update) ?? version) === version) {
        return { ...updateResult(update, version, kind, undefined, now), updateId };
      }
      throw new TransientError(
        `The ${kind.what} ${nodegroupName ?? names.cluster} is busy with another update (${update.type} ${updateId}); ` +
          `the version update starts once it is done`,
      );
    }
    nextToken = page.nextToken;
  } while (nextToken);
  // UPDATING with no update in progress listed: EKS is finishing one; look again shortly.
  throw new TransientError(`The ${kind.what} ${nodegroupName ?? names.cluster} is UPDATING; waiting for it to settle`);
}

function updateResult(
  update: Update | undefined,
  version: string,
  kind: UpdateKind,
  deadline: string | undefined,
  now: Date,
): VersionUpdateStatus {
  const status = update?.status ?? 'InProgress';
  return {
    updateId: update?.id,
    status,
    version: versionOf(update) ?? version,
    releaseVersion: paramOf(update, 'ReleaseVersion'),
    deadline,
    waitSeconds:
      status === 'InProgress' ? nextWaitSeconds(kind.plan, update?.createdAt ?? now, now) : SETTLED_WAIT_SECONDS,
  };
}

const paramOf = (update: Update | undefined, type: string) => update?.params?.find((p) => p.type === type)?.value;
const versionOf = (update: Update | undefined) => paramOf(update, 'Version');

function requireOwned(kind: string, name: string, tags: Record<string, string>, prefix: string): void {
  if (isOwned(tags, prefix)) return;
  const found = tags[OWNER_TAG_KEY] === undefined ? 'has no such tag' : `has ${OWNER_TAG_KEY}=${tags[OWNER_TAG_KEY]}`;
  throw new NotOwnedError(
    `The EKS ${kind} ${name} is not owned by this autoscaler (expected tag ${OWNER_TAG_KEY}=${prefix}; it ${found}): ` +
      `its Kubernetes version is never changed; fix: upgrade it by hand, or tag it ${OWNER_TAG_KEY}=${prefix} if it really is ours`,
  );
}

function requireActive(kind: string, name: string, status: string): void {
  if (status === 'ACTIVE') return;
  throw new ResourceFailedError(
    `The EKS ${kind} ${name} is ${status}, not ACTIVE: its version cannot be updated now; fix: repair or wait for it, then run the upgrade again`,
  );
}

function missing(kind: string, name: string, cause: unknown): ResourceFailedError {
  return new ResourceFailedError(
    `The EKS ${kind} ${name} does not exist, so it cannot be upgraded; fix: bring the region up again (its scale-up creates it at the configured version)`,
    { cause },
  );
}

/** Each region's cluster version (regions without our cluster are absent), read in parallel: for regionctl status. */
export async function clusterVersionsByRegion(
  eksIn: (region: string) => EKSClient,
  prefix: string,
  regions: string[],
): Promise<Map<string, string>> {
  const read = async (region: string): Promise<[string, string] | undefined> => {
    try {
      const { cluster } = await eksIn(region).send(new DescribeClusterCommand({ name: clusterName(prefix, region) }));
      return cluster?.version ? [region, cluster.version] : undefined;
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
      throw error;
    }
  };
  const found = await Promise.all(regions.map(read));
  return new Map(found.filter((entry): entry is [string, string] => entry !== undefined));
}
