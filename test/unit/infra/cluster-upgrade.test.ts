import { describe, expect, it } from '@jest/globals';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readFileSync } from 'node:fs';
import { configProblems } from '../../../functions/domain/config';
import { LONGEST_PATH_SECONDS } from '../../../functions/domain/phase-deadlines';
import { maintenanceInputSchema } from '../../../functions/domain/region-maintenance';
import { WORKFLOWS } from '../../../workflows/definitions';
import { buildTestApp } from '../../support/app-factory';
import { exampleConfig, exampleRawConfig } from '../../support/config-fixtures';

const WEEKLY = 'cron(0 4 ? * SUN *)';

const logicalIdOf = (template: Template, type: string, name: string, nameProperty: string) =>
  Object.entries(template.findResources(type)).find(([, r]) => r.Properties[nameProperty] === name)![0];

describe('the cluster upgrade workflow in the control stack', () => {
  const { control } = buildTestApp();
  const template = Template.fromStack(control);

  it('deploys workflows/cluster-upgrade.asl.json as it is, with a timeout above its longest path', () => {
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).find(
      (m) => m.Properties.StateMachineName === 'edgescale-cluster-upgrade',
    );
    expect(machine?.Properties.DefinitionString).toBe(readFileSync(WORKFLOWS.clusterUpgrade, 'utf8'));
    const definition = JSON.parse(machine!.Properties.DefinitionString) as { TimeoutSeconds: number };
    expect(definition.TimeoutSeconds).toBeGreaterThan(LONGEST_PATH_SECONDS.clusterUpgrade);
    // Step Functions refuses a standard workflow timeout above one year.
    expect(definition.TimeoutSeconds).toBeLessThanOrEqual(365 * 86_400);
  });

  it('is started by the reconciler (it knows its ARN) when a region runs a version below the configured one', () => {
    const machineId = logicalIdOf(
      template,
      'AWS::StepFunctions::StateMachine',
      'edgescale-cluster-upgrade',
      'StateMachineName',
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'edgescale-reconcile-handler',
      Environment: { Variables: Match.objectLike({ CLUSTER_UPGRADE_STATE_MACHINE_ARN: { Ref: machineId } }) },
    });
  });

  it('has no node patch schedule unless cluster.nodePatchSchedule is set', () => {
    const unscheduled = buildTestApp(exampleConfig((raw) => void delete raw.cluster.nodePatchSchedule));
    const template = Template.fromStack(unscheduled.control);
    template.resourceCountIs('AWS::Scheduler::Schedule', 1); // the demand collection's only
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Name: 'edgescale-collect-demand' });
  });
});

describe('the node patch schedule (cluster.nodePatchSchedule)', () => {
  const { app, control } = buildTestApp(exampleConfig((raw) => void (raw.cluster.nodePatchSchedule = WEEKLY)));
  const template = Template.fromStack(control);
  const machineId = logicalIdOf(
    template,
    'AWS::StepFunctions::StateMachine',
    'edgescale-cluster-upgrade',
    'StateMachineName',
  );
  const schedule = () =>
    Object.values(template.findResources('AWS::Scheduler::Schedule')).find(
      (s) => s.Properties.Name === 'edgescale-patch-nodes',
    )!;

  it('starts the cluster upgrade workflow on the expression, in UTC, with a dead-letter queue', () => {
    expect(schedule().Properties).toMatchObject({
      ScheduleExpression: WEEKLY,
      ScheduleExpressionTimezone: 'Etc/UTC',
      State: 'ENABLED',
      Target: {
        Arn: { Ref: machineId },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: expect.anything() },
      },
    });
  });

  it('sends the documented maintenance input with patchNodes, requested by the schedule', () => {
    const input = JSON.parse(schedule().Properties.Target.Input as string) as Record<string, unknown>;
    expect(input).toEqual({
      reason: `node patch schedule (cluster.nodePatchSchedule ${WEEKLY})`,
      requestedBy: 'reconciler',
      requestedAt: '<aws.scheduler.scheduled-time>',
      patchNodes: true,
    });
    // What the workflow receives once the scheduler has put in the time.
    const delivered = { ...input, requestedAt: '2026-12-06T04:00:00Z' };
    expect(maintenanceInputSchema.parse(delivered)).toMatchObject({ patchNodes: true, requestedBy: 'reconciler' });
  });

  it('lets the schedule start that workflow only, and send a start it could not deliver to the dead-letter queue', () => {
    const roleId = schedule().Properties.Target.RoleArn['Fn::GetAtt'][0] as string;
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string; Resource: unknown }[]);
    expect(statements).toEqual([
      expect.objectContaining({ Action: 'states:StartExecution', Resource: { Ref: machineId } }),
      expect.objectContaining({
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ScalingAutomationDeadLetterQueue/), 'Arn'] },
      }),
    ]);
  });

  it('leaves no cdk-nag finding', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(
      report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`),
    ).toEqual([]);
  });
});

describe('cluster.nodePatchSchedule validation', () => {
  const problems = (expression: string) => {
    const raw = exampleRawConfig();
    raw.cluster.nodePatchSchedule = expression;
    return configProblems(raw);
  };

  it('accepts cron and daily or longer rate expressions', () => {
    for (const ok of [WEEKLY, 'cron(30 2 1 * ? *)', 'rate(7 days)', 'rate(1 day)', 'rate(24 hours)']) {
      expect([ok, problems(ok)]).toEqual([ok, []]);
    }
  });

  it('refuses what is not an EventBridge Scheduler expression, naming the field and the fix', () => {
    for (const bad of ['weekly', 'cron(0 4 * * SUN)', 'at(2026-12-06T04:00:00)', 'rate(7 weeks)']) {
      expect(problems(bad)).toEqual([
        expect.stringMatching(
          /^autoscaler\.cluster\.nodePatchSchedule = ".*": is not an EventBridge Scheduler expression; fix: use cron\(/,
        ),
      ]);
    }
  });

  it('refuses patching more often than once a day (every patch replaces every node)', () => {
    expect(problems('rate(6 hours)')).toEqual([
      expect.stringContaining('patches more often than once a day, and each patch replaces every node; fix:'),
    ]);
    expect(problems('rate(90 minutes)')).toHaveLength(1);
  });
});
