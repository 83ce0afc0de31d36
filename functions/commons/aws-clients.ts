/**
 * SDK clients as module-level singletons, one per service and region, so that a warm Lambda
 * reuses connections. Every task acts on one region: it asks for that region's client.
 * `AWS_ENDPOINT_URL` (honoured by SDK v3 itself) points every client at an emulator in tests
 * and in the local sandbox.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EKSClient } from '@aws-sdk/client-eks';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

type ClientClass<C> = new (config: { region: string; maxAttempts?: number }) => C;

/**
 * How many times the Lambdas' SDK clients try one call (the first attempt included) before the
 * error reaches the workflow. Fault injection in tests reads it to know how many consecutive
 * failures it takes to get past the SDK's own retries.
 */
export const SDK_MAX_ATTEMPTS = 3;

const cache = new Map<string, unknown>();

function regional<C>(Client: ClientClass<C>, region: string): C {
  const key = `${Client.name}:${region}`;
  let client = cache.get(key) as C | undefined;
  if (!client) {
    // Retries with backoff belong to the workflow definitions (visible, bounded); the SDK tries
    // a throttled call a few times only to smooth short bursts.
    client = new Client({ region, maxAttempts: SDK_MAX_ATTEMPTS });
    cache.set(key, client);
  }
  return client;
}

export const eksClient = (region: string) => regional(EKSClient, region);
export const ssmClient = (region: string) => regional(SSMClient, region);
export const elbClient = (region: string) => regional(ElasticLoadBalancingV2Client, region);
/** Route53 is a global service; its API lives in us-east-1. */
export const route53Client = () => regional(Route53Client, 'us-east-1');
export const sfnClient = (region: string) => regional(SFNClient, region);
export const snsClient = (region: string) => regional(SNSClient, region);
export const cloudWatchClient = (region: string) => regional(CloudWatchClient, region);
export const stsClient = (region: string) => regional(STSClient, region);

export function documentClient(region: string): DynamoDBDocumentClient {
  const key = `DynamoDBDocumentClient:${region}`;
  let client = cache.get(key) as DynamoDBDocumentClient | undefined;
  if (!client) {
    client = DynamoDBDocumentClient.from(regional(DynamoDBClient, region), {
      marshallOptions: { removeUndefinedValues: true },
    });
    cache.set(key, client);
  }
  return client;
}

/** Forget every client (tests that switch endpoints between suites). */
export function resetClients(): void {
  cache.clear();
}
