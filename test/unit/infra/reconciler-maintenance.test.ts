import { describe, expect, it } from '@jest/globals';
import { Template } from 'aws-cdk-lib/assertions';
import { buildTestApp } from '../../support/app-factory';

const { control } = buildTestApp();
const template = Template.fromStack(control);

const rolloutLogicalId = Object.entries(
  template.findResources('AWS::StepFunctions::StateMachine', {
    Properties: { StateMachineName: 'edgescale-edge-rollout' },
  }),
).map(([id]) => id)[0]!;

function functionNamed(functionName: string) {
  const [fn] = Object.values(
    template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: functionName } }),
  );
  return fn!.Properties as {
    Role: { 'Fn::GetAtt': [string, string] };
    Environment: { Variables: Record<string, unknown> };
  };
}

/** The resources of each action in the policies of one function's role, as JSON. */
function grantsOf(functionName: string): Map<string, string[]> {
  const role = functionNamed(functionName).Role['Fn::GetAtt'][0];
  const grants = new Map<string, string[]>();
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    if (!(policy.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === role)) continue;
    for (const s of policy.Properties.PolicyDocument.Statement as Array<{
      Action: string | string[];
      Resource: unknown;
    }>) {
      for (const action of [s.Action].flat()) {
        grants.set(action, [...(grants.get(action) ?? []), ...[s.Resource].flat().map((r) => JSON.stringify(r))]);
      }
    }
  }
  return grants;
}

describe('the reconciler and the edge rollout workflow', () => {
  it("names the rollout state machine in the reconciler's environment only", () => {
    expect(functionNamed('edgescale-reconcile-handler').Environment.Variables.EDGE_ROLLOUT_STATE_MACHINE_ARN).toEqual({
      Ref: rolloutLogicalId,
    });
    expect(functionNamed('edgescale-decision-handler').Environment.Variables).not.toHaveProperty(
      'EDGE_ROLLOUT_STATE_MACHINE_ARN',
    );
  });

  it('lets the reconciler start the rollout, list its executions and describe them (a lock owner), and nothing more', () => {
    const grants = grantsOf('edgescale-reconcile-handler');
    const machine = JSON.stringify({ Ref: rolloutLogicalId });
    expect(grants.get('states:StartExecution')).toContain(machine);
    expect(grants.get('states:ListExecutions')).toContain(machine);
    expect(grants.get('states:DescribeExecution')!.some((r) => r.includes(':execution:edgescale-edge-rollout:*'))).toBe(
      true,
    );
    const decision = grantsOf('edgescale-decision-handler');
    for (const action of ['states:StartExecution', 'states:ListExecutions', 'states:DescribeExecution']) {
      expect(decision.get(action)!.join(' ')).not.toMatch(/edge-rollout|EdgeRollout/);
    }
  });
});
