/**
 * The purge Lambda, invoked synchronously by `regionctl purge`: refreshes a path, or every path
 * under a prefix, in the cache of every serving region's edge (or of the regions asked for), and
 * returns what each region and each of its pods purged (functions/domain/cache-purge.ts,
 * PurgeReport). It runs as the EKS operator role, the clusters' creator, and reaches the edge
 * agents only through each cluster's Kubernetes API.
 */
import { StateStore } from '../adapters/state-store';
import { documentClient, eksClient } from '../commons/aws-clients';
import { lambdaHandler, logger } from '../commons/observability';
import { runtime } from '../commons/runtime';
import { approvedRegions } from '../domain/config';
import { kubernetesClientFor } from '../kubernetes/cluster-access';
import { purgeEdgeCaches } from './edge-cache-purge';
import { purgeInputSchema } from './purge-input';

export const handler = lambdaHandler(
  purgeInputSchema(() => approvedRegions(runtime().config)),
  async (input) => {
    const rt = runtime();
    const store = new StateStore(documentClient(rt.homeRegion), rt.stateTableName);
    return purgeEdgeCaches(input, {
      config: rt.config,
      regionStates: (regions) => store.getRegionStates(regions),
      eks: eksClient,
      kubernetes: (cluster, region) => kubernetesClientFor(cluster, region),
      log: {
        info: (message, fields = {}) => logger.info(message, fields),
        warn: (message, fields = {}) => logger.warn(message, fields),
      },
    });
  },
);
