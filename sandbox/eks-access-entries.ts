/**
 * EKS access entries, which moto lacks, emulated for the sandbox and the tests: an in-memory
 * store of each cluster's entries and their associated access policies, behaving as EKS does for
 * the calls the autoscaler makes (errors by their EKS code and status), and `serveAccessEntries`,
 * which answers the access-entry API through the AWS proxy for clusters that exist in moto.
 *
 * A cluster's entries belong to that cluster: one created again under the same name (moto gives
 * it a new createdAt) starts without any, as on AWS.
 */
import { randomUUID } from 'node:crypto';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { AwsServiceFault, type AwsFaultProxy, type RemoveRule, type ServedRequest } from './aws-proxy';

/** The cluster an operation is on: its name and ARN, and when it was created (one cluster of that name). */
export interface EmulatedCluster {
  name: string;
  arn: string;
  createdAt: Date;
}

export interface EmulatedAccessPolicy {
  policyArn: string;
  accessScope: { type: string; namespaces?: string[] };
  associatedAt: Date;
  modifiedAt: Date;
}

export interface EmulatedAccessEntry {
  clusterName: string;
  principalArn: string;
  accessEntryArn: string;
  kubernetesGroups: string[];
  username: string;
  type: string;
  tags: Record<string, string>;
  createdAt: Date;
  modifiedAt: Date;
}

interface StoredEntry {
  entry: EmulatedAccessEntry;
  policies: Map<string, EmulatedAccessPolicy>;
}

const PRINCIPAL = /^arn:(aws[\w-]*):iam::(\d{12}):(role|user)\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/;
const ACCESS_POLICY = /^arn:aws[\w-]*:eks::aws:cluster-access-policy\/[\w-]+$/;

const fault = (code: string, status: number, message: string) => new AwsServiceFault({ code, status, message });
const notFound = (principalArn: string, cluster: string) =>
  fault(
    'ResourceNotFoundException',
    404,
    `The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'. (${principalArn} on ${cluster})`,
  );

export class EmulatedAccessEntries {
  private readonly clusters = new Map<string, Map<string, StoredEntry>>();

  /** The entries of one cluster (created with it, gone with it). */
  private entriesOf(cluster: EmulatedCluster): Map<string, StoredEntry> {
    const key = `${cluster.arn} ${cluster.createdAt.toISOString()}`;
    let entries = this.clusters.get(key);
    if (!entries) {
      entries = new Map();
      this.clusters.set(key, entries);
    }
    return entries;
  }

  private stored(cluster: EmulatedCluster, principalArn: string): StoredEntry {
    const stored = this.entriesOf(cluster).get(principalArn);
    if (!stored) throw notFound(principalArn, cluster.name);
    return stored;
  }

  create(
    cluster: EmulatedCluster,
    request: { principalArn?: string; type?: string; tags?: Record<string, string>; kubernetesGroups?: string[] },
    now = new Date(),
  ): EmulatedAccessEntry {
    const principalArn = request.principalArn ?? '';
    const principal = PRINCIPAL.exec(principalArn);
    if (!principal) throw fault('InvalidParameterException', 400, 'The principalArn parameter format is not valid');
    const entries = this.entriesOf(cluster);
    if (entries.has(principalArn)) {
      throw fault(
        'ResourceInUseException',
        409,
        `The specified access entry resource is already in use on this cluster. (${principalArn})`,
      );
    }
    const [, partition, account, kind, name] = principal;
    const region = cluster.arn.split(':')[3];
    const entry: EmulatedAccessEntry = {
      clusterName: cluster.name,
      principalArn,
      accessEntryArn: `arn:${partition}:eks:${region}:${account}:access-entry/${cluster.name}/${kind}/${account}/${name}/${randomUUID()}`,
      kubernetesGroups: request.kubernetesGroups ?? [],
      username:
        kind === 'role' ? `arn:${partition}:sts::${account}:assumed-role/${name}/{{SessionName}}` : principalArn,
      type: request.type ?? 'STANDARD',
      tags: { ...request.tags },
      createdAt: now,
      modifiedAt: now,
    };
    entries.set(principalArn, { entry, policies: new Map() });
    return entry;
  }

  list(cluster: EmulatedCluster): string[] {
    return [...this.entriesOf(cluster).keys()];
  }

  describe(cluster: EmulatedCluster, principalArn: string): EmulatedAccessEntry {
    return this.stored(cluster, principalArn).entry;
  }

  delete(cluster: EmulatedCluster, principalArn: string): void {
    this.stored(cluster, principalArn);
    this.entriesOf(cluster).delete(principalArn);
  }

  /** Associates the policy (a second association of the same policy replaces its scope). */
  associate(
    cluster: EmulatedCluster,
    principalArn: string,
    request: { policyArn?: string; accessScope?: { type?: string; namespaces?: string[] } },
    now = new Date(),
  ): EmulatedAccessPolicy {
    const stored = this.stored(cluster, principalArn);
    const { policyArn = '', accessScope } = request;
    if (!ACCESS_POLICY.test(policyArn)) throw fault('InvalidParameterException', 400, `Invalid policyArn ${policyArn}`);
    if (stored.entry.type !== 'STANDARD') {
      throw fault(
        'InvalidRequestException',
        400,
        `Access policies can only be associated with STANDARD access entries`,
      );
    }
    if (accessScope?.type !== 'cluster' && accessScope?.type !== 'namespace') {
      throw fault('InvalidParameterException', 400, 'accessScope.type must be cluster or namespace');
    }
    const policy: EmulatedAccessPolicy = {
      policyArn,
      accessScope: {
        type: accessScope.type,
        ...(accessScope.type === 'namespace' && { namespaces: accessScope.namespaces ?? [] }),
      },
      associatedAt: stored.policies.get(policyArn)?.associatedAt ?? now,
      modifiedAt: now,
    };
    stored.policies.set(policyArn, policy);
    return policy;
  }

  associatedPolicies(cluster: EmulatedCluster, principalArn: string): EmulatedAccessPolicy[] {
    return [...this.stored(cluster, principalArn).policies.values()];
  }
}

/** restJson1 timestamps are epoch seconds. */
const wireTimes = <T extends object>(value: T) =>
  Object.fromEntries(
    Object.entries(value).map(([key, field]) => [key, field instanceof Date ? field.getTime() / 1000 : field]),
  );

/** One page of `items`: the SDK sends `maxResults` and the previous page's `nextToken` in the query. */
function page<T>(items: T[], query: URLSearchParams): { items: T[]; nextToken?: string } {
  const start = Number(query.get('nextToken') ?? 0);
  const size = Number(query.get('maxResults') ?? 100);
  const next = start + size;
  return { items: items.slice(start, next), ...(next < items.length && { nextToken: String(next) }) };
}

/**
 * Answers EKS's access-entry API through the proxy, for clusters that exist in moto at `upstream`
 * (ResourceNotFoundException otherwise). Returns what removes it; the store is `entries`.
 */
export function serveAccessEntries(
  proxy: AwsFaultProxy,
  upstream: string,
  entries = new EmulatedAccessEntries(),
): { entries: EmulatedAccessEntries; remove: RemoveRule } {
  const clusterOf = async (request: ServedRequest): Promise<EmulatedCluster> => {
    const name = request.segments[1] ?? '';
    const eks = new EKSClient({
      region: request.region,
      endpoint: upstream,
      credentials: { accessKeyId: 'emulated', secretAccessKey: 'emulated' },
      maxAttempts: 1,
    });
    try {
      const { cluster } = await eks.send(new DescribeClusterCommand({ name }));
      return { name, arn: cluster!.arn!, createdAt: cluster!.createdAt! };
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException')
        throw fault('ResourceNotFoundException', 404, `No cluster found for name: ${name}.`);
      throw error;
    } finally {
      eks.destroy();
    }
  };
  // /clusters/{name}/access-entries/{principalArn}[/access-policies]
  const principalOf = (request: ServedRequest) => request.segments[3] ?? '';
  const responders: Record<string, (request: ServedRequest, cluster: EmulatedCluster) => unknown> = {
    CreateAccessEntry: (request, cluster) => ({ accessEntry: wireTimes(entries.create(cluster, request.body)) }),
    ListAccessEntries: (request, cluster) => {
      const { items, nextToken } = page(entries.list(cluster), request.query);
      return { accessEntries: items, ...(nextToken && { nextToken }) };
    },
    DescribeAccessEntry: (request, cluster) => ({
      accessEntry: wireTimes(entries.describe(cluster, principalOf(request))),
    }),
    DeleteAccessEntry: (request, cluster) => {
      entries.delete(cluster, principalOf(request));
      return {};
    },
    AssociateAccessPolicy: (request, cluster) => ({
      clusterName: cluster.name,
      principalArn: principalOf(request),
      associatedAccessPolicy: wireTimes(entries.associate(cluster, principalOf(request), request.body)),
    }),
    ListAssociatedAccessPolicies: (request, cluster) => {
      const policies = entries.associatedPolicies(cluster, principalOf(request)).map((p) => wireTimes(p));
      const { items, nextToken } = page(policies, request.query);
      return {
        clusterName: cluster.name,
        principalArn: principalOf(request),
        associatedAccessPolicies: items,
        ...(nextToken && { nextToken }),
      };
    },
  };
  const removers = Object.entries(responders).map(([operation, respond]) =>
    proxy.serve({ service: 'eks', operation }, async (request) => ({
      body: respond(request, await clusterOf(request)),
    })),
  );
  return { entries, remove: () => removers.forEach((remove) => remove()) };
}
