import { describe, expect, it } from '@jest/globals';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { approvedRegions } from '../../../functions/domain/config';
import { clusterName, CONTROL_OUTPUTS, purgeFunctionName } from '../../../functions/domain/naming';
import { buildTestApp } from '../../support/app-factory';
import { exampleConfig } from '../../support/config-fixtures';

const { control, config } = buildTestApp();
const template = Template.fromStack(control);
const purgeId = control.getLogicalId(control.cachePurge.purgeFunction.node.defaultChild as CfnElement);
const operatorRoleId = control.getLogicalId(control.workflows.eksOperatorRole.node.defaultChild as CfnElement);

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown };
// The operator role's policy continues in managed "overflow" policies past IAM's inline size limit.
const operatorStatements = (): Statement[] =>
  [
    ...Object.values(template.findResources('AWS::IAM::Policy')),
    ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')),
  ]
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: operatorRoleId }]))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

describe('the cache purge Lambda', () => {
  it('runs as the EKS operator role, the identity the clusters admit to their Kubernetes API', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: purgeFunctionName(config.prefix),
      Role: { 'Fn::GetAtt': [operatorRoleId, 'Arn'] },
      Timeout: 90,
    });
  });

  it('is named in the control stack outputs, where regionctl finds it', () => {
    template.hasOutput(CONTROL_OUTPUTS.purgeFunctionName, { Value: { Ref: purgeId } });
  });

  it('may describe the clusters of the approved regions, and no other cluster', () => {
    const describe = operatorStatements().find((s) => s.Sid === 'DescribeTheEdgeClustersToPurge');
    expect(describe?.Action).toBe('eks:DescribeCluster');
    const resources = (describe?.Resource as unknown[]).map((r) => JSON.stringify(r));
    expect(resources).toHaveLength(approvedRegions(config).length);
    approvedRegions(config).forEach((region, i) => {
      expect(resources[i]).toContain(`:eks:${region}:`);
      expect(resources[i]).toContain(`:cluster/${clusterName(config.prefix, region)}"`);
    });
  });

  it('has no endpoint of its own: no function URL, and no service or account is given the right to invoke it', () => {
    template.resourceCountIs('AWS::Lambda::Url', 0);
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission'));
    expect(permissions.filter((p) => JSON.stringify(p.Properties.FunctionName).includes(purgeId))).toEqual([]);
  });

  it('is deployed, and passes cdk-nag, also when the user publishes the demand (no collector)', () => {
    const external = buildTestApp(exampleConfig((raw) => void (raw.demand = { source: 'external' })));
    Template.fromStack(external.control).hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: purgeFunctionName(config.prefix),
    });
    const report = new AwsSolutionsChecks().validateScope(external.app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath)}`)).toEqual(
      [],
    );
  });
});
