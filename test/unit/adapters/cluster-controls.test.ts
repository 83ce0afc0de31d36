/**
 * The AWS Control Tower proactive controls (cfn-guard, as the synth runs them on the stacks) on
 * what the workflow creates outside CloudFormation: the CreateCluster and CreateNodegroup inputs
 * the adapter sends, captured and written as the AWS::EKS::Cluster and AWS::EKS::Nodegroup
 * resources they would be. Every finding is either fixed or acknowledged, with its reason, in
 * ACKNOWLEDGED_CLUSTER_CONTROLS.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ResourceNotFoundException,
  type CreateClusterCommandInput,
  type CreateNodegroupCommandInput,
} from '@aws-sdk/client-eks';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App } from 'aws-cdk-lib';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACKNOWLEDGED_CLUSTER_CONTROLS, ensureCluster, ensureNodegroup } from '../../../functions/adapters/eks-cluster';
import type { ClusterFoundation } from '../../../functions/adapters/foundation';
import { exampleConfig } from '../../support/config-fixtures';

const eks = mockClient(EKSClient);
const config = exampleConfig();
const foundation: ClusterFoundation = {
  vpcId: 'vpc-1',
  subnetIds: ['subnet-a', 'subnet-b'],
  securityGroupIds: ['sg-1'],
  clusterRoleArn: 'arn:aws:iam::123456789012:role/edgescale-ap-southeast-1-eks-cluster',
  nodeRoleArn: 'arn:aws:iam::123456789012:role/edgescale-ap-southeast-1-eks-node',
  secretsKeyArn: 'arn:aws:kms:ap-southeast-1:123456789012:key/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9',
  nodeLaunchTemplate: { id: 'lt-0abc1234def567890', version: '3' },
};
const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:edgescale-scale-up:up-ap-southeast-1-1';
const notFound = () => new ResourceNotFoundException({ message: 'not found', $metadata: {} });

/**
 * Each field of the input as the CloudFormation property it is: `[property name, value]` by input
 * field. An input field left out here fails the test, so nothing the adapter sends goes unchecked.
 */
function mapped<T extends object>(
  input: T,
  properties: Partial<Record<keyof T & string, [string, unknown]>>,
): Record<string, unknown> {
  expect(Object.keys(properties).sort()).toEqual(Object.keys(input).sort());
  const entries = Object.values(properties) as [string, unknown][];
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined));
}

function clusterResource(input: CreateClusterCommandInput) {
  const vpc = input.resourcesVpcConfig!;
  return {
    Type: 'AWS::EKS::Cluster',
    Properties: mapped(input, {
      name: ['Name', input.name],
      version: ['Version', input.version],
      roleArn: ['RoleArn', input.roleArn],
      resourcesVpcConfig: [
        'ResourcesVpcConfig',
        mapped(vpc, {
          subnetIds: ['SubnetIds', vpc.subnetIds],
          securityGroupIds: ['SecurityGroupIds', vpc.securityGroupIds],
          endpointPublicAccess: ['EndpointPublicAccess', vpc.endpointPublicAccess],
          publicAccessCidrs: ['PublicAccessCidrs', vpc.publicAccessCidrs],
          endpointPrivateAccess: ['EndpointPrivateAccess', vpc.endpointPrivateAccess],
        }),
      ],
      kubernetesNetworkConfig: [
        'KubernetesNetworkConfig',
        {
          ServiceIpv4Cidr: input.kubernetesNetworkConfig?.serviceIpv4Cidr,
          IpFamily: input.kubernetesNetworkConfig?.ipFamily,
        },
      ],
      logging: [
        'Logging',
        {
          ClusterLogging: {
            EnabledTypes: (input.logging?.clusterLogging ?? [])
              .filter((l) => l.enabled)
              .flatMap((l) => l.types ?? [])
              .map((Type) => ({ Type })),
          },
        },
      ],
      encryptionConfig: [
        'EncryptionConfig',
        input.encryptionConfig?.map((c) => ({ Resources: c.resources, Provider: { KeyArn: c.provider?.keyArn } })),
      ],
      upgradePolicy: ['UpgradePolicy', { SupportType: input.upgradePolicy?.supportType }],
      accessConfig: [
        'AccessConfig',
        {
          AuthenticationMode: input.accessConfig?.authenticationMode,
          BootstrapClusterCreatorAdminPermissions: input.accessConfig?.bootstrapClusterCreatorAdminPermissions,
        },
      ],
      tags: ['Tags', Object.entries(input.tags ?? {}).map(([Key, Value]) => ({ Key, Value }))],
    }),
  };
}

function nodegroupResource(input: CreateNodegroupCommandInput) {
  return {
    Type: 'AWS::EKS::Nodegroup',
    Properties: mapped(input, {
      clusterName: ['ClusterName', input.clusterName],
      nodegroupName: ['NodegroupName', input.nodegroupName],
      nodeRole: ['NodeRole', input.nodeRole],
      subnets: ['Subnets', input.subnets],
      launchTemplate: ['LaunchTemplate', { Id: input.launchTemplate?.id, Version: input.launchTemplate?.version }],
      instanceTypes: ['InstanceTypes', input.instanceTypes],
      capacityType: ['CapacityType', input.capacityType],
      scalingConfig: [
        'ScalingConfig',
        {
          MinSize: input.scalingConfig?.minSize,
          DesiredSize: input.scalingConfig?.desiredSize,
          MaxSize: input.scalingConfig?.maxSize,
        },
      ],
      tags: ['Tags', input.tags],
    }),
  };
}

/** What the workflow sends to create a cluster and its nodegroup. */
async function capturedInputs(): Promise<{
  cluster: CreateClusterCommandInput;
  nodegroup: CreateNodegroupCommandInput;
}> {
  eks.on(DescribeClusterCommand).rejects(notFound());
  eks.on(DescribeNodegroupCommand).rejects(notFound());
  eks.on(CreateClusterCommand).resolves({ cluster: { status: 'CREATING' } });
  eks.on(CreateNodegroupCommand).resolves({ nodegroup: { status: 'CREATING' } });
  const client = new EKSClient({ region: 'ap-southeast-1' });
  const load = async () => foundation;
  const common = { prefix: config.prefix, executionId: EXECUTION, config, foundation: load };
  await ensureCluster(client, { ...common, name: 'edgescale-edge-ap-southeast-1' });
  await ensureNodegroup(client, {
    ...common,
    clusterName: 'edgescale-edge-ap-southeast-1',
    nodegroupName: 'edgescale-edge-nodes',
    region: 'ap-southeast-1',
  });
  return {
    cluster: eks.commandCalls(CreateClusterCommand)[0]!.args[0].input,
    nodegroup: eks.commandCalls(CreateNodegroupCommand)[0]!.args[0].input,
  };
}

let dir: string;
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'cluster-controls-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => void eks.reset());

/** The Control Tower controls (CT.X.PR.N) the template breaks, with the resources that break each. */
function controlTowerFindings(resources: Record<string, object>): string[] {
  const file = join(dir, `template-${Object.keys(resources).join('-')}.json`);
  writeFileSync(file, JSON.stringify({ AWSTemplateFormatVersion: '2010-09-09', Resources: resources }));
  const report = new CfnGuardValidator().validate({ templatePaths: [file], appConstruct: new App() });
  return report.violations
    .flatMap((v) =>
      v.violatingResources.map(
        (r) => `${/^\[(CT\.[A-Z0-9-]+\.PR\.\d+)\]/.exec(v.description)?.[1]} ${r.resourceLogicalId}`,
      ),
    )
    .sort();
}

describe('Control Tower proactive controls on the cluster and nodegroup the workflow creates', () => {
  it('finds only the acknowledged controls, each with its reason', async () => {
    const { cluster, nodegroup } = await capturedInputs();
    const findings = controlTowerFindings({
      EdgeCluster: clusterResource(cluster),
      EdgeNodegroup: nodegroupResource(nodegroup),
    });
    expect(findings).toEqual(Object.keys(ACKNOWLEDGED_CLUSTER_CONTROLS).map((control) => `${control} EdgeCluster`));
    for (const reason of Object.values(ACKNOWLEDGED_CLUSTER_CONTROLS)) expect(reason.length).toBeGreaterThan(80);
  }, 180_000);

  it('evaluates these resources: a cluster without secrets encryption and with only a public endpoint is caught', async () => {
    const { cluster } = await capturedInputs();
    const weaker = {
      ...cluster,
      encryptionConfig: undefined,
      resourcesVpcConfig: { ...cluster.resourcesVpcConfig, endpointPrivateAccess: false },
    };
    expect(controlTowerFindings({ WeakerCluster: clusterResource(weaker) })).toEqual([
      'CT.EKS.PR.1 WeakerCluster',
      'CT.EKS.PR.2 WeakerCluster',
    ]);
  }, 180_000);
});
