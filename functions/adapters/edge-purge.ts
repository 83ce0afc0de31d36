/**
 * Purges one region's edge caches through its cluster's Kubernetes API: lists the edge pods, then
 * POSTs the purge to each pod's edge agent through the API server's pod proxy
 * (`/api/v1/namespaces/<ns>/pods/<pod>:<port>/proxy/purge`). No Service or load balancer exposes
 * the agent; the API server is the only way in, with the operator role's token.
 */
import { z } from 'zod';
import { POD_PURGE_TIMEOUT_MS, type PodPurgeResult } from '../domain/cache-purge';
import { AGENT_HTTP_PORT, PURGE_PATH, PURGE_RESULT_SCHEMA, type PurgeRequest } from '../domain/edge-agent-contract';
import { EDGE_POD_SELECTOR } from '../domain/edge-manifests';
import type { KubernetesClient } from '../kubernetes/kubernetes-client';

interface PodList {
  items?: Array<{ metadata?: { name?: string; deletionTimestamp?: string }; status?: { phase?: string } }>;
}

/**
 * The edge pods that hold a cache: every running pod that is not terminating, ready or not (a pod
 * that fails its readiness probe for a while keeps its cache and serves it again once ready). A
 * pending pod has not started nginx yet: its cache is empty.
 */
export async function listCachingEdgePods(kube: KubernetesClient, namespace: string): Promise<string[]> {
  const path = `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(EDGE_POD_SELECTOR)}`;
  const { statusCode, body } = await kube.read(path);
  if (statusCode !== 200) throw new Error(`listing the edge pods answered HTTP ${statusCode}${detail(body)}`);
  const items = (body as PodList).items;
  if (!Array.isArray(items)) throw new Error('listing the edge pods answered something that is not a pod list');
  return items
    .filter((pod) => pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp)
    .map((pod) => String(pod.metadata?.name));
}

const purgeResultSchema = z.object({
  schema: z.literal(PURGE_RESULT_SCHEMA),
  purgedEntries: z.number().int().nonnegative(),
  scannedEntries: z.number().int().nonnegative(),
});

/** Asks one pod's agent to purge; any failure is that pod's result, with the reason, never a throw. */
export async function purgeEdgePod(
  kube: KubernetesClient,
  namespace: string,
  pod: string,
  request: PurgeRequest,
): Promise<PodPurgeResult> {
  let answer: { statusCode: number; body: unknown };
  try {
    answer = await kube.post(
      `/api/v1/namespaces/${namespace}/pods/${pod}:${AGENT_HTTP_PORT}/proxy${PURGE_PATH}`,
      { path: request.path, prefix: request.prefix },
      { timeoutMs: POD_PURGE_TIMEOUT_MS },
    );
  } catch (error) {
    return { pod, purged: false, reason: `its agent did not answer: ${(error as Error).message}` };
  }
  if (answer.statusCode !== 200) {
    return { pod, purged: false, reason: `its agent answered HTTP ${answer.statusCode}${detail(answer.body)}` };
  }
  const result = purgeResultSchema.safeParse(answer.body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    return {
      pod,
      purged: false,
      reason: `its agent answered something that is not a purge result (${issue.path.join('.') || 'body'}: ${issue.message}): is the pod running another version of the agent?`,
    };
  }
  return { pod, purged: true, purgedEntries: result.data.purgedEntries, scannedEntries: result.data.scannedEntries };
}

/** The agent's `error`, a Kubernetes Status `message` (the pod proxy's own failures), or the start of a text body. */
function detail(body: unknown): string {
  if (body && typeof body === 'object') {
    const { error, message } = body as { error?: unknown; message?: unknown };
    const text = typeof error === 'string' ? error : typeof message === 'string' ? message : undefined;
    if (text) return `: ${text.slice(0, 300)}`;
  }
  return typeof body === 'string' && body.trim() !== '' ? `: ${body.trim().slice(0, 300)}` : '';
}
