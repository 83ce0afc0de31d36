/**
 * Serving edges for the purge's integration tests: a region marked serving in the state table
 * with its cluster in the emulator's EKS, and edge agents as the edge task ships them
 * (edge-agent.mjs beside its bundle), each over a cache directory holding nginx-format entries.
 */
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunningEdgeAgent, startEdgeAgent } from '../../edge/edge-agent';
import { StateStore } from '../../functions/adapters/state-store';
import { documentClient } from '../../functions/commons/aws-clients';
import type { AutoscalerConfig } from '../../functions/domain/config';
import { clusterName, OWNER_TAG_KEY } from '../../functions/domain/naming';
import type { RegionStatus } from '../../functions/domain/region-state';
import { shippedEdgeAgent } from './deployed-lambdas';
import { motoClientConfig } from './moto';
import { writeCacheEntry } from './nginx-cache-entry';

export interface CachingAgent {
  /** Base URL of its HTTP port (a pod's `portUrl` in the Kubernetes API double). */
  url: string;
  /** The entries' files, in the order of the keys. */
  files: string[];
  agent: RunningEdgeAgent;
}

/** A shipped edge agent whose cache holds an entry per key. */
export async function startShippedAgent(keys: string[]): Promise<CachingAgent> {
  const { startEdgeAgent: start } = (await import(pathToFileURL(shippedEdgeAgent()).href)) as {
    startEdgeAgent: typeof startEdgeAgent;
  };
  const cacheDir = mkdtempSync(join(tmpdir(), 'edge-cache-'));
  const files = keys.map((key) => writeCacheEntry(cacheDir, key));
  const agent = await start({
    periodSeconds: 60,
    maxTrackedClients: 100,
    cacheDir,
    syslogPort: 0,
    httpPort: 0,
    httpHost: '127.0.0.1',
  });
  return { url: `http://127.0.0.1:${agent.httpPort}`, files, agent };
}

/** Writes the region's state and, unless told otherwise, creates its cluster (tagged as ours) in the emulator. */
export async function setRegion(
  config: AutoscalerConfig,
  tableName: string,
  region: string,
  status: RegionStatus,
  options: { cluster?: boolean } = {},
): Promise<void> {
  await new StateStore(documentClient(config.homeRegion), tableName).putRegionState({
    region,
    status,
    since: new Date().toISOString(),
    consecutiveFailures: 0,
  });
  if (options.cluster === false) return;
  await new EKSClient(motoClientConfig(region)).send(
    new CreateClusterCommand({
      name: clusterName(config.prefix, region),
      roleArn: 'arn:aws:iam::123456789012:role/edge-cluster',
      resourcesVpcConfig: { subnetIds: [] },
      tags: { [OWNER_TAG_KEY]: config.prefix },
    }),
  );
}

/** The Kubernetes API double's path prefix of the region's cluster (EDGE_KUBERNETES_API_URL ends in /clusters/{cluster}). */
export const clusterPath = (config: AutoscalerConfig, region: string) =>
  `/clusters/${clusterName(config.prefix, region)}`;
