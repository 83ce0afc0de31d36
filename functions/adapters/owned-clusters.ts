/** Is the region's edge cluster there, and is it ours? (EKS DescribeCluster, read-only.) */
import { DescribeClusterCommand, type EKSClient } from '@aws-sdk/client-eks';
import { OWNER_TAG_KEY } from '../domain/naming';
import { isAwsError } from './aws-errors';

export interface ClusterPresence {
  name: string;
  status?: string;
  /** The Kubernetes minor version of its control plane, e.g. "1.35". */
  version?: string;
  /** True when the cluster carries `edge-autoscaler:owner = <prefix>`. */
  owned: boolean;
}

/** The cluster `name` in the client's region, or undefined when there is none. */
export async function findCluster(eks: EKSClient, name: string, prefix: string): Promise<ClusterPresence | undefined> {
  try {
    const { cluster } = await eks.send(new DescribeClusterCommand({ name }));
    if (!cluster) return undefined;
    return { name, status: cluster.status, version: cluster.version, owned: cluster.tags?.[OWNER_TAG_KEY] === prefix };
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  }
}
