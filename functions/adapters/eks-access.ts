/**
 * The access entries of an edge cluster (EKS API, regional client): makes the operator role and
 * the configured admin roles cluster admins, as planned by domain/access-entries.ts. Idempotent:
 * a run interrupted between creating an entry and associating its policy is finished by the next
 * one, which finds the entry ours and without the policy.
 */
import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  DeleteAccessEntryCommand,
  DescribeAccessEntryCommand,
  ListAccessEntriesCommand,
  ListAssociatedAccessPoliciesCommand,
  type EKSClient,
} from '@aws-sdk/client-eks';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import {
  clusterAdminPolicyArn,
  clusterArnParts,
  eksOperatorRoleArn,
  isOurAccessEntry,
  planAccessEntries,
  wantedAdmins,
  type AccessEntryChange,
  type ExistingAccessEntry,
} from '../domain/access-entries';
import { ResourceFailedError } from '../domain/errors';
import { isOwned } from '../domain/lifecycle-rules';
import type { ClusterAccessResult } from '../tasks/contract';
import { callAws, isAwsError } from './aws-errors';
import { API_SERVING_STATUSES, describeEdgeCluster, notOwned } from './eks-cluster';

/** EKS answers these while the cluster or the entry is busy with another change. */
const EKS_SETTLING = ['ResourceInUseException'];

const eksCall = <T>(operation: string, call: () => Promise<T>) => callAws(operation, call, EKS_SETTLING);

export interface ClusterAccessSpec {
  clusterName: string;
  prefix: string;
  adminRoleArns: string[];
  /** Leave a cluster that is missing or does not serve its API alone, instead of failing. */
  onlyIfServing?: boolean;
}

/**
 * The IAM unique id of the role the caller runs as (`AROA…` of `AROA…:<session>`): the task
 * Lambdas run as the operator role, so this is the id its entry must have been made for.
 */
export async function callerRoleId(sts: STSClient): Promise<string> {
  const { UserId } = await callAws('GetCallerIdentity', () => sts.send(new GetCallerIdentityCommand({})));
  const id = UserId?.split(':')[0];
  if (!id) throw new Error('STS GetCallerIdentity returned no UserId');
  return id;
}

/** Ensures the access entries of our cluster `spec.clusterName`; see ClusterAccessResult. */
export async function ensureClusterAccess(
  eks: EKSClient,
  sts: STSClient,
  spec: ClusterAccessSpec,
): Promise<ClusterAccessResult> {
  const { clusterName, prefix } = spec;
  const cluster = await describeEdgeCluster(eks, clusterName);
  if (spec.onlyIfServing && !(cluster && API_SERVING_STATUSES.has(cluster.status))) {
    return { created: [], repaired: [], removed: [], unchanged: [], leftAlone: [], notServing: true };
  }
  if (!cluster) {
    throw new ResourceFailedError(
      `Cannot grant access to cluster ${clusterName}: it does not exist; fix: run the scale-up from the start`,
    );
  }
  if (!isOwned(cluster.tags, prefix)) throw notOwned('cluster', clusterName, cluster.tags, prefix);
  if (cluster.authenticationMode === 'CONFIG_MAP') {
    throw new ResourceFailedError(
      `Cluster ${clusterName} authenticates with the aws-auth ConfigMap only (authentication mode CONFIG_MAP) and cannot hold access entries; ` +
        `fix: aws eks update-cluster-config --name ${clusterName} --access-config authenticationMode=API_AND_CONFIG_MAP, then run the workflow again`,
    );
  }
  if (!cluster.arn) throw new Error(`DescribeCluster returned no ARN for ${clusterName}`);
  const policyArn = clusterAdminPolicyArn(clusterArnParts(cluster.arn).partition);

  const wanted = {
    prefix,
    operatorRoleArn: eksOperatorRoleArn(prefix, cluster.arn),
    operatorRoleId: await callerRoleId(sts),
    adminRoleArns: spec.adminRoleArns,
  };
  const admins = wantedAdmins(wanted);
  const existing: ExistingAccessEntry[] = [];
  for (const principalArn of await listAccessEntries(eks, clusterName)) {
    const entry = await describeAccessEntry(eks, clusterName, principalArn);
    if (!entry) continue;
    if (isOurAccessEntry(entry, prefix) && admins.includes(principalArn))
      entry.clusterAdmin = await hasPolicy(eks, clusterName, principalArn, policyArn);
    existing.push(entry);
  }

  const plan = planAccessEntries(wanted, existing);
  const result: ClusterAccessResult = {
    created: [],
    repaired: [],
    removed: [],
    unchanged: plan.unchanged,
    leftAlone: plan.leftAlone,
  };
  const outcome = {
    create: result.created,
    associate: result.repaired,
    recreate: result.repaired,
    delete: result.removed,
  };
  for (const change of plan.changes) {
    await apply(eks, clusterName, policyArn, change);
    outcome[change.action].push(change.principalArn);
  }
  return result;
}

async function apply(eks: EKSClient, clusterName: string, policyArn: string, change: AccessEntryChange): Promise<void> {
  const { principalArn } = change;
  if (change.action === 'delete' || change.action === 'recreate') {
    await eksCall('DeleteAccessEntry', () => eks.send(new DeleteAccessEntryCommand({ clusterName, principalArn })));
  }
  if (change.action === 'create' || change.action === 'recreate') {
    await eksCall('CreateAccessEntry', () =>
      eks.send(new CreateAccessEntryCommand({ clusterName, principalArn, type: 'STANDARD', tags: change.tags })),
    );
  }
  if (change.action !== 'delete') {
    await eksCall('AssociateAccessPolicy', () =>
      eks.send(
        new AssociateAccessPolicyCommand({ clusterName, principalArn, policyArn, accessScope: { type: 'cluster' } }),
      ),
    );
  }
}

async function listAccessEntries(eks: EKSClient, clusterName: string): Promise<string[]> {
  const principals: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await eksCall('ListAccessEntries', () =>
      eks.send(new ListAccessEntriesCommand({ clusterName, nextToken })),
    );
    principals.push(...(page.accessEntries ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return principals;
}

/** The entry, or undefined when it was deleted since it was listed. */
async function describeAccessEntry(
  eks: EKSClient,
  clusterName: string,
  principalArn: string,
): Promise<ExistingAccessEntry | undefined> {
  try {
    const { accessEntry } = await eksCall('DescribeAccessEntry', () =>
      eks.send(new DescribeAccessEntryCommand({ clusterName, principalArn })),
    );
    return { principalArn, tags: accessEntry?.tags ?? {} };
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  }
}

/** Whether `policyArn` is associated with the entry at cluster scope. */
async function hasPolicy(
  eks: EKSClient,
  clusterName: string,
  principalArn: string,
  policyArn: string,
): Promise<boolean> {
  let nextToken: string | undefined;
  do {
    const page = await eksCall('ListAssociatedAccessPolicies', () =>
      eks.send(new ListAssociatedAccessPoliciesCommand({ clusterName, principalArn, nextToken })),
    );
    const found = (page.associatedAccessPolicies ?? []).some(
      (p) => p.policyArn === policyArn && p.accessScope?.type === 'cluster',
    );
    if (found) return true;
    nextToken = page.nextToken;
  } while (nextToken);
  return false;
}
