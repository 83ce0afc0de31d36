/**
 * One purge, as the purge Lambda runs it: read the regions' states, and in every region to purge
 * (every serving one, or the serving ones among those asked for) describe its cluster, list its
 * edge pods and ask each pod's agent to purge. Regions and pods are purged side by side; a region
 * or pod that fails is reported with its reason and never stops the others.
 */
import type { EKSClient } from '@aws-sdk/client-eks';
import { listCachingEdgePods, purgeEdgePod } from '../adapters/edge-purge';
import { describeEdgeCluster, type EdgeCluster } from '../adapters/eks-cluster';
import {
  purgeReport,
  purgeTargets,
  regionFailure,
  regionPurgeResult,
  type PurgeReport,
  type RegionPurgeResult,
} from '../domain/cache-purge';
import { approvedRegions, type AutoscalerConfig } from '../domain/config';
import type { PurgeRequest } from '../domain/edge-agent-contract';
import { clusterName } from '../domain/naming';
import type { RegionState } from '../domain/region-state';
import type { KubernetesClient } from '../kubernetes/kubernetes-client';
import type { PurgeInput } from './purge-input';

export interface PurgeLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface PurgeDeps {
  config: AutoscalerConfig;
  regionStates: (regions: string[]) => Promise<RegionState[]>;
  eks: (region: string) => EKSClient;
  kubernetes: (cluster: EdgeCluster, region: string) => Promise<KubernetesClient>;
  log: PurgeLog;
}

export async function purgeEdgeCaches(input: PurgeInput, deps: PurgeDeps): Promise<PurgeReport> {
  const request: PurgeRequest = { path: input.path, prefix: input.prefix };
  const states = await deps.regionStates(approvedRegions(deps.config));
  const targets = purgeTargets(states, input.regions);
  const purged = await Promise.all(targets.purge.map((state) => purgeRegion(state, request, deps)));
  const report = purgeReport(request, [...purged, ...targets.notServing]);
  for (const region of report.regions) {
    const incomplete = region.outcome === 'partial' || region.outcome === 'failed';
    deps.log[incomplete ? 'warn' : 'info'](`Purge of ${request.path} in ${region.region}: ${region.outcome}`, {
      prefix: request.prefix,
      ...region,
    });
  }
  return report;
}

async function purgeRegion(state: RegionState, request: PurgeRequest, deps: PurgeDeps): Promise<RegionPurgeResult> {
  const { region } = state;
  const namespace = deps.config.edge.namespace;
  let cluster: EdgeCluster | undefined;
  try {
    cluster = await describeEdgeCluster(deps.eks(region), clusterName(deps.config.prefix, region));
  } catch (error) {
    return regionFailure(state, `describing its cluster failed: ${(error as Error).message}`);
  }
  if (!cluster) return regionFailure(state, 'its cluster does not exist');
  if (cluster.status !== 'ACTIVE' && cluster.status !== 'UPDATING') {
    return regionFailure(state, `its cluster is ${cluster.status}`);
  }
  let kube: KubernetesClient;
  let pods: string[];
  try {
    kube = await deps.kubernetes(cluster, region);
    pods = await listCachingEdgePods(kube, namespace);
  } catch (error) {
    return regionFailure(state, `its cluster's API did not answer: ${(error as Error).message}`);
  }
  return regionPurgeResult(state, await Promise.all(pods.map((pod) => purgeEdgePod(kube, namespace, pod, request))));
}
