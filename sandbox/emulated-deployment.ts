/**
 * Creates in the emulator what the deployed stacks would: the region state table and the
 * notification topic in the home region, the hosted zone, and for each approved region a VPC
 * with two subnets, the EKS roles, the nodegroup's launch template, with edge.tls.enabled an ACM
 * certificate for the record name, and the foundation parameter the workflows read.
 * Used by integration tests and by the local sandbox. Clients honour AWS_ENDPOINT_URL.
 */
import { ACMClient, RequestCertificateCommand } from '@aws-sdk/client-acm';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAvailabilityZonesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateHostedZoneCommand, DeleteHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { approvedRegions, type AutoscalerConfig } from '../functions/domain/config';
import {
  clusterRoleName,
  foundationParameterName,
  nodeLaunchTemplateName,
  nodeRoleName,
  OWNER_TAG_KEY,
  stateTableName,
} from '../functions/domain/naming';
import type { RegionFoundationDoc } from '../functions/tasks/contract';

export interface EmulatedControlPlane {
  stateTableName: string;
  notificationTopicArn: string;
  /** The hosted zone id the emulator gave (moto makes its own ids). */
  hostedZoneId: string;
}

const clientConfig = (region: string) => ({ region, maxAttempts: 1 });

export async function createStateTable(region: string, tableName: string): Promise<void> {
  const dynamo = new DynamoDBClient(clientConfig(region));
  await dynamo.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
}

/**
 * Provisions the control plane and every foundation. Returns the configuration with the
 * emulator's hosted zone id in place of the configured one, and the control plane's names.
 */
export async function provisionEmulatedDeployment(
  config: AutoscalerConfig,
): Promise<{ config: AutoscalerConfig; controlPlane: EmulatedControlPlane }> {
  const home = config.homeRegion;
  const tableName = stateTableName(config.prefix);
  await createStateTable(home, tableName);
  const { TopicArn } = await new SNSClient(clientConfig(home)).send(
    new CreateTopicCommand({ Name: `${config.prefix}-notifications` }),
  );
  const hostedZoneId = await createHostedZone(zoneNameOf(config.dns.recordName), config.prefix);

  const iam = new IAMClient(clientConfig('us-east-1'));
  for (const region of approvedRegions(config)) {
    const trust = (service: string) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
      });
    const clusterRole = await iam.send(
      new CreateRoleCommand({
        RoleName: clusterRoleName(config.prefix, region),
        AssumeRolePolicyDocument: trust('eks.amazonaws.com'),
      }),
    );
    const nodeRole = await iam.send(
      new CreateRoleCommand({
        RoleName: nodeRoleName(config.prefix, region),
        AssumeRolePolicyDocument: trust('ec2.amazonaws.com'),
      }),
    );
    const ec2 = new EC2Client(clientConfig(region));
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.80.0.0/16' }));
    const subnetIds: string[] = [];
    // The region's first two availability zones, as the foundation stack's VPC takes them (not
    // every region has a "b": ap-northeast-1 has a, c and d).
    const { AvailabilityZones = [] } = await ec2.send(new DescribeAvailabilityZonesCommand({}));
    for (const [i, az] of AvailabilityZones.slice(0, 2).entries()) {
      const { Subnet } = await ec2.send(
        new CreateSubnetCommand({
          VpcId: Vpc!.VpcId!,
          CidrBlock: `10.80.${i * 16}.0/20`,
          AvailabilityZone: az.ZoneName,
        }),
      );
      subnetIds.push(Subnet!.SubnetId!);
    }
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({
        VpcId: Vpc!.VpcId!,
        GroupName: `${config.prefix}-cluster`,
        Description: 'edge control plane',
      }),
    );
    const ownerTag = [{ Key: OWNER_TAG_KEY, Value: config.prefix }];
    const { LaunchTemplate } = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: nodeLaunchTemplateName(config.prefix),
        LaunchTemplateData: {
          MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
          TagSpecifications: (['instance', 'volume', 'network-interface'] as const).map((ResourceType) => ({
            ResourceType,
            Tags: ownerTag,
          })),
        },
        TagSpecifications: [{ ResourceType: 'launch-template', Tags: ownerTag }],
      }),
    );
    const account = clusterRole.Role!.Arn!.split(':')[4];
    const foundation: RegionFoundationDoc = {
      vpcId: Vpc!.VpcId!,
      subnetIds,
      securityGroupIds: [GroupId!],
      clusterRoleArn: clusterRole.Role!.Arn!,
      nodeRoleArn: nodeRole.Role!.Arn!,
      ...(config.edge.tls.enabled && { certificateArn: await requestEdgeCertificate(config, region) }),
      // No KMS client in the project, and moto's EKS does not look at the key: its ARN stands for the stack's key.
      secretsKeyArn: `arn:aws:kms:${region}:${account}:key/${config.prefix}-eks-secrets`,
      nodeLaunchTemplate: {
        id: LaunchTemplate!.LaunchTemplateId!,
        version: String(LaunchTemplate!.LatestVersionNumber),
      },
    };
    await new SSMClient(clientConfig(region)).send(
      new PutParameterCommand({
        Name: foundationParameterName(config.prefix, region),
        Type: 'String',
        Overwrite: true,
        Value: JSON.stringify(foundation),
      }),
    );
  }
  return {
    config: { ...config, dns: { ...config.dns, hostedZoneId } },
    controlPlane: { stateTableName: tableName, notificationTopicArn: TopicArn!, hostedZoneId },
  };
}

/**
 * The region's certificate for the record name, requested as the foundation stack's is (DNS
 * validation, owner tag); returns its ARN. moto issues it after a delay of its own, without
 * looking at DNS.
 */
export async function requestEdgeCertificate(config: AutoscalerConfig, region: string): Promise<string> {
  const domainName = config.dns.recordName.replace(/\.$/, '');
  const { CertificateArn } = await new ACMClient(clientConfig(region)).send(
    new RequestCertificateCommand({
      DomainName: domainName,
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: domainName, ValidationDomain: zoneNameOf(domainName) }],
      Tags: [{ Key: OWNER_TAG_KEY, Value: config.prefix }],
    }),
  );
  if (!CertificateArn) throw new Error(`ACM RequestCertificate in ${region} returned no certificate ARN`);
  return CertificateArn;
}

/**
 * Creates the hosted zone and returns its id. Route53 ids start with "Z" (the configuration
 * schema checks it); moto draws random ids, so draw again until one has that shape.
 */
export async function createHostedZone(name: string, prefix: string): Promise<string> {
  const route53 = new Route53Client(clientConfig('us-east-1'));
  for (let attempt = 0; attempt < 1000; attempt++) {
    const { HostedZone } = await route53.send(
      new CreateHostedZoneCommand({ Name: name, CallerReference: `${prefix}-${Date.now()}-${attempt}` }),
    );
    const id = HostedZone!.Id!.replace('/hostedzone/', '');
    if (/^Z[A-Z0-9]{4,31}$/.test(id)) return id;
    await route53.send(new DeleteHostedZoneCommand({ Id: id }));
  }
  throw new Error('the emulator gave no hosted zone id of the Route53 shape in 1000 attempts');
}

/** The zone that holds a record name: `edge.cdn.example.com` -> `cdn.example.com`. */
export function zoneNameOf(recordName: string): string {
  return recordName.split('.').slice(1).join('.');
}
