import { describe, expect, it } from '@jest/globals';
import { configProblems, type AutoscalerConfigInput } from '../../../functions/domain/config';
import { exampleConfig, exampleRawConfig } from '../../support/config-fixtures';

function problemsWith(cluster: Partial<AutoscalerConfigInput['cluster']>): string[] {
  const raw = exampleRawConfig();
  Object.assign(raw.cluster, cluster);
  return configProblems(raw);
}

describe('cluster.adminRoleArns', () => {
  it('defaults to no admin but the operator role, and keeps roles with a path (as EKS wants them)', () => {
    expect(exampleConfig().cluster.adminRoleArns).toEqual([]);
    const roles = [
      'arn:aws:iam::123456789012:role/platform-admins',
      'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef',
      'arn:aws-cn:iam::210987654321:role/ops',
    ];
    expect(problemsWith({ adminRoleArns: roles })).toEqual([]);
  });

  it.each([
    [
      'an STS session ARN',
      'arn:aws:sts::123456789012:assumed-role/platform-admins/alice@example.com',
      'is the ARN of an STS session (as "aws sts get-caller-identity" prints it), which changes with every session; fix: use the role\'s ARN, "arn:aws:iam::123456789012:role/platform-admins"',
    ],
    [
      'an IAM user',
      'arn:aws:iam::123456789012:user/alice',
      "is an IAM user; fix: give the people an IAM role (e.g. their SSO permission set role) and list that role's ARN",
    ],
    [
      'something else',
      'platform-admins',
      'is not an IAM role ARN; fix: use for example "arn:aws:iam::123456789012:role/platform-admins"',
    ],
  ])('rejects %s, naming the field, the value and the fix', (_what, arn, message) => {
    expect(problemsWith({ adminRoleArns: ['arn:aws:iam::123456789012:role/ops', arn] })).toEqual([
      `autoscaler.cluster.adminRoleArns.1 = ${JSON.stringify(arn)}: ${message}`,
    ]);
  });

  it('rejects a role listed twice', () => {
    const role = 'arn:aws:iam::123456789012:role/ops';
    expect(problemsWith({ adminRoleArns: [role, role] })).toEqual([
      `autoscaler.cluster.adminRoleArns.1 = "${role}": lists ${role} twice; fix: keep one entry`,
    ]);
  });
});

describe('cluster.endpointPublicAccessCidrs', () => {
  it('defaults to any address (the task Lambdas have no fixed egress) and accepts public blocks', () => {
    expect(exampleConfig().cluster.endpointPublicAccessCidrs).toEqual(['0.0.0.0/0']);
    expect(problemsWith({ endpointPublicAccessCidrs: ['203.0.113.0/24', '198.51.100.7/32', '0.0.0.0/0'] })).toEqual([]);
  });

  it.each([
    ['not a CIDR block', '203.0.113.0', 'is not an IPv4 CIDR block; fix: use for example "203.0.113.0/24"'],
    ['an octet above 255', '203.0.256.0/24', 'is not an IPv4 CIDR block'],
    ['a prefix longer than 32', '203.0.113.0/33', 'is not an IPv4 CIDR block'],
    ['an IPv6 block', '2001:db8::/32', 'is not an IPv4 CIDR block'],
    ['host bits set', '203.0.113.77/24', 'has host bits set; fix: use the network address "203.0.113.0/24"'],
    ['a private range', '10.20.0.0/16', 'is inside 10.0.0.0/8, which no client on the internet has'],
    ['a private range', '172.31.255.0/24', 'is inside 172.16.0.0/12'],
    ['a private host', '192.168.1.10/32', 'is inside 192.168.0.0/16'],
  ])('rejects %s (%s), naming the field, the value and the fix', (_what, cidr, message) => {
    const problems = problemsWith({ endpointPublicAccessCidrs: ['198.51.100.0/24', cidr] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(
      `autoscaler.cluster.endpointPublicAccessCidrs.1 = ${JSON.stringify(cidr)}: ${message}`,
    );
  });

  it('rejects an empty list, more blocks than EKS accepts, and a block listed twice', () => {
    expect(problemsWith({ endpointPublicAccessCidrs: [] })).toEqual([
      'autoscaler.cluster.endpointPublicAccessCidrs = []: must list at least one CIDR block; fix: use ["0.0.0.0/0"] (the default), or the fixed egress addresses of the task Lambdas and of the people who run kubectl',
    ]);
    const many = Array.from({ length: 41 }, (_, i) => `198.51.${i}.0/24`);
    expect(problemsWith({ endpointPublicAccessCidrs: many })).toEqual([
      `autoscaler.cluster.endpointPublicAccessCidrs = ${JSON.stringify(many)}: lists more than the 40 CIDR blocks EKS accepts; fix: merge neighbouring blocks`,
    ]);
    expect(problemsWith({ endpointPublicAccessCidrs: ['198.51.100.0/24', '198.51.100.0/24'] })).toEqual([
      'autoscaler.cluster.endpointPublicAccessCidrs.1 = "198.51.100.0/24": lists 198.51.100.0/24 twice; fix: keep one entry',
    ]);
  });
});
