/**
 * The edge's TLS certificate in each foundation stack (edge.tls.enabled): one ACM certificate
 * per approved region for the latency record's name, DNS-validated in the configured zone,
 * tagged as ours, its ARN in the foundation parameter the edge task reads.
 */
import { describe, expect, it } from '@jest/globals';
import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { approvedRegions } from '../../../functions/domain/config';
import { regionFoundationSchema } from '../../../functions/tasks/contract';
import { buildTestApp } from '../../support/app-factory';
import { exampleConfig } from '../../support/config-fixtures';

type Intrinsic = { Ref: string } | { 'Fn::GetAtt': [string, string] };

/**
 * The foundation document as the stack writes it, each deploy-time value shown as `Ref:<id>` or
 * `GetAtt:<id>.<attribute>` (the parameter's value is a Fn::Join of JSON text and intrinsics).
 */
function foundationDocument(stack: Stack): Record<string, unknown> {
  const [parameter] = Object.values(Template.fromStack(stack).findResources('AWS::SSM::Parameter'));
  const value = stack.resolve(parameter!.Properties.Value) as string | { 'Fn::Join': [string, (string | Intrinsic)[]] };
  if (typeof value === 'string') return JSON.parse(value) as Record<string, unknown>;
  const text = value['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      if ('Ref' in part) return `Ref:${part.Ref}`;
      return `GetAtt:${part['Fn::GetAtt'].join('.')}`;
    })
    .join('');
  return JSON.parse(text) as Record<string, unknown>;
}

const certificatesOf = (stack: Stack) =>
  Template.fromStack(stack).findResources('AWS::CertificateManager::Certificate');

describe('the edge certificate of each foundation stack (edge.tls.enabled, the default)', () => {
  const { config, foundations } = buildTestApp();

  it('is one certificate per approved region, for the record name, validated by DNS in the configured zone', () => {
    expect(foundations.map((s) => s.region).sort()).toEqual(approvedRegions(config).sort());
    for (const stack of foundations) {
      const certificates = Object.values(certificatesOf(stack));
      expect({ region: stack.region, count: certificates.length }).toEqual({ region: stack.region, count: 1 });
      expect(certificates[0]!.Properties).toMatchObject({
        DomainName: 'edge.cdn.example.com',
        ValidationMethod: 'DNS',
        DomainValidationOptions: [{ DomainName: 'edge.cdn.example.com', HostedZoneId: 'Z0123456789ABCDEFGHIJ' }],
      });
      // No wildcard and no other name: the certificate covers the latency record only.
      expect(certificates[0]!.Properties.SubjectAlternativeNames).toBeUndefined();
    }
  });

  it('carries the owner tag', () => {
    for (const stack of foundations) {
      Template.fromStack(stack).hasResourceProperties('AWS::CertificateManager::Certificate', {
        Tags: Match.arrayWith([{ Key: 'edge-autoscaler:owner', Value: 'edgescale' }]),
      });
    }
  });

  it("writes the region's own certificate ARN into its foundation parameter, which the edge task's schema reads", () => {
    for (const stack of foundations) {
      const [certificateId] = Object.keys(certificatesOf(stack));
      const document = foundationDocument(stack);
      expect(document.certificateArn).toBe(`Ref:${certificateId}`);
      expect(regionFoundationSchema.parse(document).certificateArn).toBe(`Ref:${certificateId}`);
    }
  });

  it('names the record without its final dot when the configuration writes one', () => {
    const dotted = buildTestApp(exampleConfig((raw) => void (raw.dns.recordName = 'edge.cdn.example.com.')));
    const [certificate] = Object.values(certificatesOf(dotted.foundations[0]!));
    expect(certificate!.Properties.DomainName).toBe('edge.cdn.example.com');
    expect(certificate!.Properties.DomainValidationOptions).toEqual([
      { DomainName: 'edge.cdn.example.com', HostedZoneId: 'Z0123456789ABCDEFGHIJ' },
    ]);
  });
});

describe("the edge task's access to the certificate", () => {
  const { config, control } = buildTestApp();
  const template = Template.fromStack(control);

  it('may read the foundation parameter of each approved region, and no other parameter', () => {
    const [, edgeTask] = Object.entries(template.findResources('AWS::Lambda::Function')).find(
      ([, f]) => f.Properties.FunctionName === `${config.prefix}-edge-task`,
    )!;
    const roleId = (edgeTask.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
    const reads = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
      .filter((st) => st.Effect === 'Allow' && ([] as string[]).concat(st.Action).includes('ssm:GetParameter'));
    const resources = reads.flatMap((st) => ([] as unknown[]).concat(st.Resource).map((r) => JSON.stringify(r)));
    // Each ARN is a Fn::Join of partition and account around `:ssm:<region>:` and the parameter path.
    const described = resources
      .map((r) => /:ssm:([a-z0-9-]+):.*:parameter\/([^"]+)"/.exec(r)?.slice(1).join(' '))
      .sort();
    expect(described).toEqual(
      approvedRegions(config)
        .map((r) => `${r} ${config.prefix}/foundation/${r}`)
        .sort(),
    );
  });
});

describe('without edge.tls.enabled', () => {
  const { foundations } = buildTestApp(exampleConfig((raw) => void (raw.edge.tls = { enabled: false })));

  it('creates no certificate and writes no certificate ARN', () => {
    for (const stack of foundations) {
      expect(Object.keys(certificatesOf(stack))).toEqual([]);
      const document = foundationDocument(stack);
      expect(Object.keys(document).sort()).toEqual([
        'clusterRoleArn',
        'nodeLaunchTemplate',
        'nodeRoleArn',
        'secretsKeyArn',
        'securityGroupIds',
        'subnetIds',
        'vpcId',
      ]);
    }
  });
});
