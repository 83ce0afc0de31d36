/**
 * What the deployment wants every ACTIVE region to run, as the reconciler's latest pass saw it:
 * the edge configuration hash its bundles render and cluster.kubernetesVersion. The hash is known
 * only where the bundles are (the Lambdas), so the reconciler writes it to the state table at
 * every pass (item `pk = deployment, sk = targets`) and `regionctl status` reads it back to tell
 * a region on the desired configuration from one waiting for a rollout.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface DeploymentTargets {
  edgeConfiguration: string;
  kubernetesVersion: string;
  /** When the reconciler pass that wrote it ran (ISO-8601). */
  observedAt: string;
}

const KEY = { pk: 'deployment', sk: 'targets' } as const;

export async function recordDeploymentTargets(
  client: DynamoDBDocumentClient,
  tableName: string,
  targets: DeploymentTargets,
): Promise<void> {
  await client.send(new PutCommand({ TableName: tableName, Item: { ...KEY, ...targets } }));
}

/** Undefined before the reconciler's first pass with this version. */
export async function readDeploymentTargets(
  client: DynamoDBDocumentClient,
  tableName: string,
): Promise<DeploymentTargets | undefined> {
  const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: KEY }));
  if (!Item) return undefined;
  return {
    edgeConfiguration: String(Item.edgeConfiguration),
    kubernetesVersion: String(Item.kubernetesVersion),
    observedAt: String(Item.observedAt),
  };
}
