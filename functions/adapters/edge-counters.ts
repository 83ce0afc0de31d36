/**
 * Reads the demand counters of one region's edge through its cluster's Kubernetes API: lists the
 * edge pods, then asks each pod's counter for a period through the API server's pod proxy
 * (`/api/v1/namespaces/<ns>/pods/<pod>:<port>/proxy/...`). No Service or load balancer exposes
 * the counters; the API server is the only way in, with the operator role's token.
 */
import { AGENT_HTTP_PORT } from '../domain/edge-agent-contract';
import { EDGE_POD_SELECTOR } from '../domain/edge-manifests';
import type { KubernetesClient } from '../kubernetes/kubernetes-client';

export interface EdgePod {
  name: string;
}

interface PodList {
  items?: Array<{
    metadata?: { name?: string; deletionTimestamp?: string };
    status?: { phase?: string; conditions?: Array<{ type?: string; status?: string }> };
  }>;
}

/** The edge pods that serve traffic: running, ready (the load balancer sends them requests) and not terminating. */
export async function listServingEdgePods(kube: KubernetesClient, namespace: string): Promise<EdgePod[]> {
  const path = `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(EDGE_POD_SELECTOR)}`;
  const { statusCode, body } = await kube.read(path);
  if (statusCode !== 200) throw new Error(`listing the edge pods answered HTTP ${statusCode}`);
  const items = (body as PodList).items;
  if (!Array.isArray(items)) throw new Error('listing the edge pods answered something that is not a pod list');
  return items
    .filter(
      (pod) =>
        pod.status?.phase === 'Running' &&
        !pod.metadata?.deletionTimestamp &&
        pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    )
    .map((pod) => ({ name: String(pod.metadata?.name) }));
}

export interface CounterAnswer {
  statusCode: number;
  body: unknown;
}

/** A pod's counter's answer for the period starting at `periodStart` (200 with a report, or 404 with a reason). */
export async function readCounterPeriod(
  kube: KubernetesClient,
  namespace: string,
  pod: EdgePod,
  periodStart: Date,
): Promise<CounterAnswer> {
  const epochSeconds = Math.floor(periodStart.getTime() / 1000);
  return kube.read(`/api/v1/namespaces/${namespace}/pods/${pod.name}:${AGENT_HTTP_PORT}/proxy/periods/${epochSeconds}`);
}
