/**
 * The collector Lambda (the edges' demand and traffic), run by an EventBridge Scheduler schedule
 * once per counter period (or once a minute for shorter periods). The schedule's own time, not
 * the moment the Lambda runs, names the periods it collects, so a late or repeated run publishes
 * for the right periods. The geolocation databases are files in the Lambda's bundle (geo/, see
 * infra/lambda-bundling.ts), shipped and opened only when the edges count the demand.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { EdgeCluster } from '../adapters/eks-cluster';
import { openGeoDatabases, type GeoDatabase } from '../adapters/geo-database';
import { StateStore } from '../adapters/state-store';
import { cloudWatchClient, documentClient, eksClient } from '../commons/aws-clients';
import { lambdaHandler, logger } from '../commons/observability';
import { runtime } from '../commons/runtime';
import { kubernetesClientFor } from '../kubernetes/cluster-access';
import { collectDemand } from './demand-collector';

export const scheduledCollectionSchema = z.object({
  scheduledTime: z.iso.datetime({
    offset: true,
    error:
      'must be the schedule\'s ISO-8601 time; fix: give the schedule the input {"scheduledTime": "<aws.scheduler.scheduled-time>"}',
  }),
});

/** The geolocation files the bundle ships, in lookup order (written at synth by infra/lambda-bundling.ts). */
export const GEO_INDEX_FILE = 'geo/index.json';

let geo: GeoDatabase | undefined;
/** Kept while the Lambda is warm (see CollectorDeps.clusterCache). */
const clusterCache = new Map<string, EdgeCluster>();

function geoDatabase(): GeoDatabase {
  if (!geo) {
    const index = JSON.parse(readFileSync(new URL(`./${GEO_INDEX_FILE}`, import.meta.url), 'utf8')) as string[];
    geo = openGeoDatabases(index.map((file) => fileURLToPath(new URL(`./geo/${file}`, import.meta.url))));
    logger.info('Geolocation databases loaded', { databases: geo.describe() });
  }
  return geo;
}

export const handler = lambdaHandler(scheduledCollectionSchema, async (event) => {
  const rt = runtime();
  const store = new StateStore(documentClient(rt.homeRegion), rt.stateTableName);
  const periods = await collectDemand(new Date(event.scheduledTime), {
    config: rt.config,
    regionStates: (regions) => store.getRegionStates(regions),
    eks: eksClient,
    kubernetes: (cluster, region) => kubernetesClientFor(cluster, region),
    locate: (prefix) => geoDatabase().locate(prefix),
    cloudWatch: cloudWatchClient(rt.homeRegion),
    clusterCache,
    now: () => new Date(),
    sleep: (ms) => sleep(ms),
    log: {
      info: (message, fields = {}) => logger.info(message, fields),
      warn: (message, fields = {}) => logger.warn(message, fields),
    },
  });
  return { periods };
});
