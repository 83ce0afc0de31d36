/**
 * Who may manage an edge cluster, and what to change in its access entries to get there.
 *
 * Clusters authenticate with access entries only (authentication mode API): the role that created
 * a cluster has no access of its own. The operator role (the cluster and edge task Lambdas) and
 * each role of `cluster.adminRoleArns` must hold an entry with AmazonEKSClusterAdminPolicy at
 * cluster scope. The entries the autoscaler creates carry the owner tag; only those are ever
 * changed or deleted. Entries of others (the nodes' entries EKS creates, entries made by hand) are
 * left alone, even for a wanted role.
 *
 * EKS binds an entry to the role's unique id, not to its ARN: a role deleted and created again with
 * the same name (a replaced control stack) does not match its old entry. The operator's entry
 * therefore records the role's id (PRINCIPAL_ID_TAG_KEY); an entry of ours made for another id is
 * made again. The ids of people's roles are not known here: such an entry is repaired by deleting it
 * (`aws eks delete-access-entry`) and letting the next run create it.
 */
import { eksOperatorRoleName, OWNER_TAG_KEY, PRINCIPAL_ID_TAG_KEY } from './naming';

export const CLUSTER_ADMIN_POLICY_NAME = 'AmazonEKSClusterAdminPolicy';

export const clusterAdminPolicyArn = (partition: string) =>
  `arn:${partition}:eks::aws:cluster-access-policy/${CLUSTER_ADMIN_POLICY_NAME}`;

const CLUSTER_ARN = /^arn:([\w-]+):eks:[\w-]+:(\d{12}):cluster\/.+$/;

/** The partition and account of an EKS cluster ARN (`arn:<partition>:eks:<region>:<account>:cluster/<name>`). */
export function clusterArnParts(clusterArn: string): { partition: string; account: string } {
  const match = CLUSTER_ARN.exec(clusterArn);
  if (!match) throw new Error(`Not an EKS cluster ARN: ${clusterArn}`);
  return { partition: match[1]!, account: match[2]! };
}

/** The operator role's ARN in the cluster's partition and account. */
export const eksOperatorRoleArn = (prefix: string, clusterArn: string) => {
  const { partition, account } = clusterArnParts(clusterArn);
  return `arn:${partition}:iam::${account}:role/${eksOperatorRoleName(prefix)}`;
};

/** An access entry the cluster has. */
export interface ExistingAccessEntry {
  principalArn: string;
  tags: Record<string, string>;
  /** Whether AmazonEKSClusterAdminPolicy is associated at cluster scope (read for our wanted entries only). */
  clusterAdmin?: boolean;
}

export interface WantedAccess {
  prefix: string;
  operatorRoleArn: string;
  /** The unique id (AROA…) of the operator role as it exists now. */
  operatorRoleId: string;
  adminRoleArns: string[];
}

export type AccessEntryChange =
  /** CreateAccessEntry with `tags`, then AssociateAccessPolicy. */
  | { action: 'create'; principalArn: string; tags: Record<string, string> }
  /** AssociateAccessPolicy on our entry that lacks it. */
  | { action: 'associate'; principalArn: string }
  /** DeleteAccessEntry, CreateAccessEntry with `tags`, AssociateAccessPolicy: our operator entry of an earlier role. */
  | { action: 'recreate'; principalArn: string; tags: Record<string, string> }
  /** DeleteAccessEntry: our entry of a role no longer configured. */
  | { action: 'delete'; principalArn: string };

export interface AccessEntryPlan {
  /** In order: the operator's entry first (the Lambda's own access), then the admins, then removals. */
  changes: AccessEntryChange[];
  unchanged: string[];
  leftAlone: string[];
}

export const isOurAccessEntry = (entry: Pick<ExistingAccessEntry, 'tags'>, prefix: string) =>
  entry.tags[OWNER_TAG_KEY] === prefix;

/** The roles that must be cluster admins: the operator first, each role once. */
export const wantedAdmins = (wanted: WantedAccess) => [...new Set([wanted.operatorRoleArn, ...wanted.adminRoleArns])];

/** What to change so that exactly the wanted roles hold our admin entries. */
export function planAccessEntries(wanted: WantedAccess, existing: ExistingAccessEntry[]): AccessEntryPlan {
  const { prefix, operatorRoleArn, operatorRoleId } = wanted;
  const admins = wantedAdmins(wanted);
  const byPrincipal = new Map(existing.map((entry) => [entry.principalArn, entry]));
  const tagsFor = (principalArn: string): Record<string, string> =>
    principalArn === operatorRoleArn
      ? { [OWNER_TAG_KEY]: prefix, [PRINCIPAL_ID_TAG_KEY]: operatorRoleId }
      : { [OWNER_TAG_KEY]: prefix };
  const plan: AccessEntryPlan = { changes: [], unchanged: [], leftAlone: [] };

  for (const principalArn of admins) {
    const entry = byPrincipal.get(principalArn);
    if (!entry) plan.changes.push({ action: 'create', principalArn, tags: tagsFor(principalArn) });
    else if (!isOurAccessEntry(entry, prefix)) plan.leftAlone.push(principalArn);
    else if (principalArn === operatorRoleArn && entry.tags[PRINCIPAL_ID_TAG_KEY] !== operatorRoleId)
      plan.changes.push({ action: 'recreate', principalArn, tags: tagsFor(principalArn) });
    else if (!entry.clusterAdmin) plan.changes.push({ action: 'associate', principalArn });
    else plan.unchanged.push(principalArn);
  }
  for (const entry of existing) {
    if (admins.includes(entry.principalArn)) continue;
    if (isOurAccessEntry(entry, prefix)) plan.changes.push({ action: 'delete', principalArn: entry.principalArn });
    else plan.leftAlone.push(entry.principalArn);
  }
  return plan;
}
