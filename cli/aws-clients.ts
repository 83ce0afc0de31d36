/**
 * The SDK clients regionctl uses, in the autoscaler's home region (Route53's API lives in
 * us-east-1; EKS in each region), with the standard credential chain: environment, --profile / AWS_PROFILE, SSO,
 * container and instance roles. AWS_ENDPOINT_URL (read by the SDK) points them at an emulator.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EKSClient } from '@aws-sdk/client-eks';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface AwsClients {
  cloudFormation: CloudFormationClient;
  ssm: SSMClient;
  sfn: SFNClient;
  dynamo: DynamoDBDocumentClient;
  cloudWatch: CloudWatchClient;
  route53: Route53Client;
  lambda: LambdaClient;
  /** EKS in one of the autoscaler's regions (status reads each region's cluster version). */
  eks(region: string): EKSClient;
}

export interface ClientOptions {
  /** The home region; undefined lets the SDK take it from the profile's configuration. */
  region?: string;
  profile?: string;
}

export function createAwsClients({ region, profile }: ClientOptions): AwsClients {
  const config = { region, profile };
  const eksClients = new Map<string, EKSClient>();
  return {
    cloudFormation: new CloudFormationClient(config),
    ssm: new SSMClient(config),
    sfn: new SFNClient(config),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(config), {
      marshallOptions: { removeUndefinedValues: true },
    }),
    cloudWatch: new CloudWatchClient(config),
    route53: new Route53Client({ region: 'us-east-1', profile }),
    lambda: new LambdaClient(config),
    eks: (eksRegion) => {
      let client = eksClients.get(eksRegion);
      if (!client) eksClients.set(eksRegion, (client = new EKSClient({ region: eksRegion, profile })));
      return client;
    },
  };
}
