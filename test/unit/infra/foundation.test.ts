import { describe, expect, it } from '@jest/globals';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildTestApp } from '../../support/app-factory';
import { exampleConfig } from '../../support/config-fixtures';

describe('stacks built from the configuration', () => {
  const { app, config, control, foundations } = buildTestApp();

  it('names the stacks <prefix>-control and <prefix>-region-<region>, one per approved region and none for others', () => {
    const names = app.node.children.map((c) => c.node.id).sort();
    const expected = [
      'edgescale-control',
      ...[...config.regions.alwaysOn, ...config.regions.elastic].map((r) => `edgescale-region-${r}`),
    ].sort();
    expect(names).toEqual(expected);
    expect(foundations.map((s) => s.region).sort()).toEqual(
      [...config.regions.alwaysOn, ...config.regions.elastic].sort(),
    );
    expect(control.region).toBe('us-east-1');
  });

  it('follows the configuration when the lists change', () => {
    const small = buildTestApp(
      exampleConfig((raw) => {
        raw.regions.elastic = ['ap-southeast-2'];
        raw.scaling.regionOverrides = {};
      }),
    );
    expect(small.foundations.map((s) => s.region)).toEqual(['us-east-1', 'eu-west-1', 'ap-southeast-2']);
  });
});

describe('regional foundation stack', () => {
  const { foundations } = buildTestApp();
  const stack = foundations.find((s) => s.region === 'ap-southeast-1')!;
  const template = Template.fromStack(stack);

  it('has a VPC with public subnets in two availability zones and no NAT gateway', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet'));
    const azs = subnets.map((s) => JSON.stringify(s.Properties.AvailabilityZone));
    expect(new Set(azs).size).toBe(2);
    for (const subnet of subnets) {
      expect(subnet.Properties.MapPublicIpOnLaunch).toBe(true);
      expect(subnet.Properties.Tags).toEqual(expect.arrayContaining([{ Key: 'kubernetes.io/role/elb', Value: '1' }]));
    }
  });

  it('has the EKS cluster role and node role with fixed names', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'edgescale-ap-southeast-1-eks-cluster',
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'eks.amazonaws.com' } })],
      }),
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'edgescale-ap-southeast-1-eks-node',
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })],
      }),
    });
  });

  it('records the foundation in the SSM parameter the workflows read', () => {
    const params = Object.values(template.findResources('AWS::SSM::Parameter'));
    expect(params).toHaveLength(1);
    expect(params[0]!.Properties.Name).toBe('/edgescale/foundation/ap-southeast-1');
    const value = JSON.stringify(stack.resolve(params[0]!.Properties.Value));
    for (const key of ['vpcId', 'subnetIds', 'securityGroupIds', 'clusterRoleArn', 'nodeRoleArn'])
      expect(value).toContain(key);
  });

  it('tags its resources as owned by the autoscaler', () => {
    template.hasResourceProperties('AWS::EC2::VPC', {
      Tags: Match.arrayWith([{ Key: 'edge-autoscaler:owner', Value: 'edgescale' }]),
    });
  });
});

describe('control-plane stack', () => {
  const { control } = buildTestApp();
  const template = Template.fromStack(control);

  it('has the region state table with point-in-time recovery, on demand', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'edgescale-region-state',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
  });

  it('has an encrypted notification topic that refuses plain HTTP', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'edgescale-notifications',
      KmsMasterKeyId: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      }),
    });
  });

  it('gives every log group a retention', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    for (const group of groups) expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
  });
});
