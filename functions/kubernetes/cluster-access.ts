/**
 * A Kubernetes client for an edge cluster: its endpoint and CA from DescribeCluster, and a
 * bearer token for the Lambda's own IAM role (the cluster's creator, made admin at creation).
 */
import type { EdgeCluster } from '../adapters/eks-cluster';
import { TransientError } from '../domain/errors';
import { eksBearerToken } from './eks-token';
import { KubernetesClient } from './kubernetes-client';

/**
 * Test and local-sandbox hook, never set in a deployment: an API server URL (e.g. a local HTTP
 * server that plays the Kubernetes calls) used instead of the cluster's endpoint, with a fixed
 * token and no CA. The emulator's EKS (moto) creates clusters without any API server, so the
 * integration tests and the sandbox point the edge step here. `{cluster}` in the URL is replaced
 * by the cluster's name, so that one local server can play several clusters.
 */
export const KUBERNETES_API_OVERRIDE_ENV = 'EDGE_KUBERNETES_API_URL';

export async function kubernetesClientFor(
  cluster: EdgeCluster,
  region: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<KubernetesClient> {
  const override = env[KUBERNETES_API_OVERRIDE_ENV];
  if (override)
    return new KubernetesClient({ baseUrl: override.replace('{cluster}', cluster.name), bearerToken: 'local-sandbox' });
  if (!cluster.endpoint || !cluster.certificateAuthority) {
    // EKS publishes both once the cluster is ACTIVE.
    throw new TransientError(`Cluster ${cluster.name} has no API endpoint yet (status ${cluster.status})`);
  }
  return new KubernetesClient({
    baseUrl: cluster.endpoint,
    caData: cluster.certificateAuthority,
    bearerToken: await eksBearerToken(cluster.name, region),
  });
}
