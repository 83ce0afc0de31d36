import { describe, expect, it } from '@jest/globals';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { LONGEST_PATH_SECONDS } from '../../../functions/domain/phase-deadlines';
import { WORKFLOWS } from '../../../workflows/definitions';
import { buildTestApp } from '../../support/app-factory';

type Statement = {
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Effect: string;
};

describe('workflows in the control-plane stack', () => {
  const { control, config } = buildTestApp();
  const template = Template.fromStack(control);
  // A role's policy longer than IAM's inline limit continues in managed "overflow" policies.
  const policies = () => [
    ...Object.values(template.findResources('AWS::IAM::Policy')),
    ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')),
  ];
  const statements: Statement[] = policies().flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  const allowing = (action: string) =>
    statements.filter(
      (s) =>
        s.Effect === 'Allow' &&
        ([] as string[])
          .concat(s.Action)
          .some((a) => a === action || (a.endsWith('*') && action.startsWith(a.slice(0, -1)))),
    );
  const resourcesOf = (s: Statement) => ([] as unknown[]).concat(s.Resource).map((r) => JSON.stringify(r));

  it('deploys each definition file as it is, with the task Lambdas substituted', () => {
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(machines).toHaveLength(Object.keys(WORKFLOWS).length);
    for (const file of Object.values(WORKFLOWS)) {
      const deployed = machines.find((m) => m.Properties.DefinitionString === readFileSync(file, 'utf8'));
      expect(deployed).toBeDefined();
      expect(Object.keys(deployed!.Properties.DefinitionSubstitutions).sort()).toEqual([
        'ClusterTaskFunctionArn',
        'DnsTaskFunctionArn',
        'EdgeTaskFunctionArn',
        'RegionTaskFunctionArn',
      ]);
    }
  });

  it('deploys a timeout above the phase deadlines of its longest path in each state machine', () => {
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    for (const [workflow, suffix] of [
      ['scaleUp', 'scale-up'],
      ['scaleDown', 'scale-down'],
    ] as const) {
      const deployed = machines.find((m) => m.Properties.StateMachineName === `${config.prefix}-${suffix}`);
      const definition = JSON.parse(deployed!.Properties.DefinitionString) as { TimeoutSeconds?: number };
      expect(definition.TimeoutSeconds).toBeGreaterThan(LONGEST_PATH_SECONDS[workflow]);
    }
  });

  /** The Allow statements of the role a function (named `<prefix>-<handler>`) runs as. */
  function statementsOfFunction(handler: string): Statement[] {
    const [, fn] = Object.entries(template.findResources('AWS::Lambda::Function')).find(
      ([, f]) => f.Properties.FunctionName === `${config.prefix}-${handler}`,
    )!;
    const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    return policies()
      .filter((p) => ((p.Properties.Roles ?? []) as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
      .filter((st) => st.Effect === 'Allow');
  }
  const allows = (st: Statement, action: string) =>
    ([] as string[])
      .concat(st.Action)
      .some((a) => a === action || (a.endsWith('*') && action.startsWith(a.slice(0, -1))));

  // Every AWS call each task Lambda makes (moto ignores IAM: a missing grant would show only in AWS).
  it.each([
    [
      'region-task',
      [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
        'sns:Publish',
        'ssm:GetParameter',
        'eks:DescribeCluster',
      ],
    ],
    [
      'cluster-task',
      [
        'eks:CreateCluster',
        'eks:DescribeCluster',
        'eks:DeleteCluster',
        'eks:CreateNodegroup',
        'eks:DescribeNodegroup',
        'eks:UpdateNodegroupConfig',
        'eks:DeleteNodegroup',
        'eks:TagResource',
        'eks:UpdateClusterVersion',
        'eks:UpdateNodegroupVersion',
        'eks:DescribeUpdate',
        'eks:ListUpdates',
        'eks:ListAccessEntries',
        'eks:DescribeAccessEntry',
        'eks:CreateAccessEntry',
        'eks:DeleteAccessEntry',
        'eks:AssociateAccessPolicy',
        'eks:ListAssociatedAccessPolicies',
        'kms:DescribeKey',
        'kms:CreateGrant',
        'ec2:DescribeLaunchTemplateVersions',
        'ssm:GetParameter',
        'iam:PassRole',
      ],
    ],
    // ssm:GetParameter: the region's foundation holds the edge's certificate.
    ['edge-task', ['eks:DescribeCluster', 'elasticloadbalancing:DescribeLoadBalancers', 'ssm:GetParameter']],
    ['dns-task', ['route53:ListResourceRecordSets', 'route53:ChangeResourceRecordSets', 'route53:GetChange']],
  ])('lets %s make every AWS call it makes', (handler, actions) => {
    const granted = statementsOfFunction(handler);
    for (const action of actions)
      expect({ action, granted: granted.some((st) => allows(st, action)) }).toEqual({ action, granted: true });
  });

  it('gives each Task state longer than its Lambda may run: the Lambda times out first, with its own error', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    for (const machine of Object.values(template.findResources('AWS::StepFunctions::StateMachine'))) {
      const substitutions = machine.Properties.DefinitionSubstitutions as Record<string, { 'Fn::GetAtt': [string] }>;
      const timeoutOf = (placeholder: string) =>
        functions[substitutions[placeholder]!['Fn::GetAtt'][0]]!.Properties.Timeout as number;
      const states = (
        JSON.parse(machine.Properties.DefinitionString) as {
          States: Record<string, { Type: string; Resource?: string; TimeoutSeconds?: number }>;
        }
      ).States;
      for (const [name, state] of Object.entries(states)) {
        if (state.Type !== 'Task') continue;
        const placeholder = state.Resource!.replace(/^\$\{(.+)\}$/, '$1');
        expect({ name, longer: (state.TimeoutSeconds ?? 0) > timeoutOf(placeholder) }).toEqual({ name, longer: true });
      }
    }
  });

  it('logs every execution and traces it', () => {
    template.allResourcesProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true, Destinations: [Match.anyValue()] },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('runs every Lambda on nodejs22.x', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThanOrEqual(4);
    for (const f of functions) expect(f.Properties.Runtime).toBe('nodejs22.x');
  });

  it('allows route53:ChangeResourceRecordSets only on the configured zone, for our record name and type', () => {
    const changes = allowing('route53:ChangeResourceRecordSets');
    expect(changes).toHaveLength(1);
    expect(resourcesOf(changes[0]!)).toEqual([
      JSON.stringify({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:route53:::hostedzone/${config.dns.hostedZoneId}`]],
      }),
    ]);
    expect(changes[0]!.Condition).toEqual({
      'ForAllValues:StringEquals': {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': [config.dns.recordName],
        'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
      },
    });
  });

  it('allows iam:PassRole only for the EKS cluster and node roles, only to eks.amazonaws.com', () => {
    const passRole = allowing('iam:PassRole');
    expect(passRole).toHaveLength(1);
    expect(passRole[0]!.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'eks.amazonaws.com' } });
    const resources = resourcesOf(passRole[0]!);
    const regions = [...config.regions.alwaysOn, ...config.regions.elastic];
    expect(resources).toHaveLength(regions.length * 2);
    for (const r of resources) expect(r).toMatch(/:role\/edgescale-[a-z0-9-]+-eks-(cluster|node)"/);
  });

  it('allows EKS mutations only on clusters named with the project prefix, in approved regions', () => {
    for (const action of [
      'eks:CreateCluster',
      'eks:DeleteCluster',
      'eks:CreateNodegroup',
      'eks:UpdateNodegroupConfig',
      'eks:DeleteNodegroup',
      'eks:TagResource',
      'eks:UpdateClusterVersion',
      'eks:UpdateNodegroupVersion',
      'eks:CreateAccessEntry',
      'eks:DeleteAccessEntry',
      'eks:AssociateAccessPolicy',
    ]) {
      const granted = allowing(action);
      expect(granted.length).toBeGreaterThan(0);
      for (const s of granted) {
        for (const r of resourcesOf(s))
          expect(r).toMatch(/:eks:[a-z0-9-]+:.*:(cluster|nodegroup|access-entry)\/edgescale-edge-[a-z0-9-]+/);
      }
    }
    expect(
      allowing('eks:CreateCluster')
        .flatMap(resourcesOf)
        .some((r) => r.includes('eu-north-1')),
    ).toBe(false);
  });

  it('exposes what regionctl needs as stack outputs', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining([
        'StateTableName',
        'NotificationTopicArn',
        'ScaleUpStateMachineArn',
        'ScaleDownStateMachineArn',
        'ConfigParameterName',
      ]),
    );
  });
});
