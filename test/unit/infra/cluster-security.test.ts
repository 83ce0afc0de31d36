/**
 * What the stacks give the clusters the workflows create: the foundation's secrets key and node
 * launch template (and what reaches the nodes), and the operator role the clusters' access
 * entries name, with only the access-entry and key permissions it needs.
 */
import { describe, expect, it } from '@jest/globals';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildTestApp } from '../../support/app-factory';
import { exampleConfig } from '../../support/config-fixtures';

const OWNER_TAG = [{ Key: 'edge-autoscaler:owner', Value: 'edgescale' }];

/** A resolved CloudFormation value as text: `{Ref: X}` -> `<Ref X>`, `{Fn::GetAtt: [X, Y]}` -> `<X.Y>`. */
function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if ('Ref' in v) return `<Ref ${String(v.Ref)}>`;
  if ('Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if ('Fn::Join' in v) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(asText).join(separator);
  }
  throw new Error(`Unexpected value ${JSON.stringify(value)}`);
}

describe('the region foundation for encrypted, tagged clusters', () => {
  const { foundations } = buildTestApp();
  const stack = foundations.find((s) => s.region === 'ap-southeast-1')!;
  const template = Template.fromStack(stack);
  const only = (type: string) => {
    const resources = Object.entries(template.findResources(type));
    expect(resources).toHaveLength(1);
    return { id: resources[0]![0], properties: resources[0]![1].Properties as Record<string, unknown> };
  };
  const foundationDocument = () => {
    const parameter = only('AWS::SSM::Parameter').properties;
    return JSON.parse(asText(stack.resolve(parameter.Value))) as Record<string, unknown>;
  };

  it("has a KMS key for the clusters' secrets: rotated, tagged, refusing grants not made for AWS resources", () => {
    const key = only('AWS::KMS::Key');
    expect(key.properties).toMatchObject({ EnableKeyRotation: true, Tags: OWNER_TAG, PendingWindowInDays: 30 });
    const statements = (key.properties.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'kms:CreateGrant',
        Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
      }),
    );
    // No principal but the account (its IAM policies decide): the operator role's allows only use through EKS.
    for (const s of statements.filter((st) => st.Effect === 'Allow'))
      expect(asText(stack.resolve((s.Principal as { AWS: unknown }).AWS))).toBe(
        'arn:<Ref AWS::Partition>:iam::<Ref AWS::AccountId>:root',
      );
  });

  it('has a node launch template: the owner tag on instances, volumes and network interfaces, IMDSv2, encrypted root volume', () => {
    const { properties } = only('AWS::EC2::LaunchTemplate');
    const data = properties.LaunchTemplateData as Record<string, unknown>;
    expect(properties.LaunchTemplateName).toBe('edgescale-edge-nodes');
    expect(properties.TagSpecifications).toEqual([{ ResourceType: 'launch-template', Tags: OWNER_TAG }]);
    expect(data.TagSpecifications).toEqual(
      ['instance', 'volume', 'network-interface'].map((ResourceType) => ({ ResourceType, Tags: OWNER_TAG })),
    );
    expect(data.MetadataOptions).toEqual({
      HttpTokens: 'required',
      HttpPutResponseHopLimit: 1,
      HttpEndpoint: 'enabled',
    });
    expect(data.BlockDeviceMappings).toEqual([
      {
        DeviceName: '/dev/xvda',
        Ebs: { VolumeSize: 20, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
      },
    ]);
    // The nodegroup chooses the instance types, EKS the AMI and its user data.
    for (const field of ['InstanceType', 'ImageId', 'UserData', 'IamInstanceProfile'])
      expect(data).not.toHaveProperty(field);
  });

  it('reaches the nodes only through the cluster security group: no key pair, no group or interface of its own, no inbound rule here', () => {
    const data = only('AWS::EC2::LaunchTemplate').properties.LaunchTemplateData as Record<string, unknown>;
    for (const field of ['KeyName', 'SecurityGroupIds', 'SecurityGroups', 'NetworkInterfaces'])
      expect(data).not.toHaveProperty(field);
    const group = only('AWS::EC2::SecurityGroup').properties;
    expect(group).not.toHaveProperty('SecurityGroupIngress');
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('names the key and the launch template version in the foundation document', () => {
    const key = only('AWS::KMS::Key').id;
    const launchTemplate = only('AWS::EC2::LaunchTemplate').id;
    expect(foundationDocument()).toMatchObject({
      secretsKeyArn: `<${key}.Arn>`,
      nodeLaunchTemplate: { id: `<Ref ${launchTemplate}>`, version: `<${launchTemplate}.LatestVersionNumber>` },
    });
  });
});

describe('the EKS operator role', () => {
  const admins = ['arn:aws:iam::123456789012:role/platform-admins', 'arn:aws:iam::123456789012:role/sre/oncall'];
  const { control, config } = buildTestApp(exampleConfig((raw) => void (raw.cluster.adminRoleArns = admins)));
  const template = Template.fromStack(control);
  const roles = template.findResources('AWS::IAM::Role', { Properties: { RoleName: 'edgescale-eks-operator' } });
  const [roleId] = Object.keys(roles);
  type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
  // The role's policy continues in managed "overflow" policies past IAM's inline size limit.
  const statements = [
    ...Object.values(template.findResources('AWS::IAM::Policy')),
    ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')),
  ]
    .filter((p) => ((p.Properties.Roles ?? []) as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  const statementFor = (action: string) => {
    const found = statements.filter((s) => ([] as string[]).concat(s.Action).includes(action));
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  const text = (value: unknown) => ([] as unknown[]).concat(value).map((v) => asText(Stack.of(control).resolve(v)));
  const regions = [...config.regions.alwaysOn, ...config.regions.elastic];

  it('has a fixed name, and the cluster and edge tasks run as it', () => {
    expect(roleId).toBeDefined();
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) =>
      ['edgescale-cluster-task', 'edgescale-edge-task'].includes(f.Properties.FunctionName as string),
    );
    expect(functions.map((f) => f.Properties.Role)).toEqual([
      { 'Fn::GetAtt': [roleId, 'Arn'] },
      { 'Fn::GetAtt': [roleId, 'Arn'] },
    ]);
  });

  it('creates access entries only on our clusters, only for itself and the configured admins', () => {
    const create = statementFor('eks:CreateAccessEntry');
    expect(text(create.Resource)).toEqual(
      regions.map((r) => `arn:<Ref AWS::Partition>:eks:${r}:<Ref AWS::AccountId>:cluster/edgescale-edge-${r}`),
    );
    const { ArnEquals } = create.Condition as { ArnEquals: Record<string, unknown> };
    expect(text(ArnEquals['eks:principalArn'])).toEqual([
      'arn:<Ref AWS::Partition>:iam::<Ref AWS::AccountId>:role/edgescale-eks-operator',
      ...admins,
    ]);
  });

  it('associates only the cluster admin policy, at cluster scope, and changes only the entries of our clusters', () => {
    const associate = statementFor('eks:AssociateAccessPolicy');
    expect(associate.Condition).toEqual({
      ArnEquals: { 'eks:policyArn': expect.anything() },
      StringEquals: { 'eks:accessScope': 'cluster' },
    });
    expect(text((associate.Condition as { ArnEquals: Record<string, unknown> }).ArnEquals['eks:policyArn'])).toEqual([
      'arn:<Ref AWS::Partition>:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
    ]);
    const ourEntries = regions.map(
      (r) => `arn:<Ref AWS::Partition>:eks:${r}:<Ref AWS::AccountId>:access-entry/edgescale-edge-${r}/*`,
    );
    for (const action of ['eks:AssociateAccessPolicy', 'eks:DeleteAccessEntry', 'eks:DescribeAccessEntry'])
      expect(text(statementFor(action).Resource)).toEqual(ourEntries);
  });

  it('uses the secrets keys only through EKS in approved regions, and only keys carrying our owner tag', () => {
    const grant = statementFor('kms:CreateGrant');
    expect(grant.Condition).toEqual({
      StringEquals: {
        'aws:ResourceTag/edge-autoscaler:owner': 'edgescale',
        'kms:ViaService': regions.map((r) => `eks.${r}.amazonaws.com`),
      },
    });
    expect(statementFor('kms:DescribeKey').Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/edge-autoscaler:owner': 'edgescale' },
    });
    for (const action of ['kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy'])
      expect(statements.filter((s) => ([] as string[]).concat(s.Action).includes(action)).length).toBe(
        action === 'kms:Decrypt' ? 1 : 0,
      );
  });
});
