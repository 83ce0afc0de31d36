import { beforeAll, describe, expect, it } from '@jest/globals';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { approvedRegions } from '../../../functions/domain/config';
import { AutoscalerLogGroup } from '../../../infra/autoscaler-log-group';
import { POLICY_PLUGIN_NAME, acknowledgeControlTowerRule, addPolicyValidation } from '../../../infra/policy-validation';
import { WORKFLOWS } from '../../../workflows/definitions';
import { buildTestApp } from '../../support/app-factory';
import { newTestApp } from '../../support/test-app';

/** The parts of cdk.out/validation-report.json these tests read. */
interface ReportedViolation {
  ruleName: string;
  description: string;
  violatingConstructs: { constructPath: string }[];
  reason?: string;
  acknowledgedAt?: string;
}
interface PluginReport {
  pluginName: string;
  conclusion: string;
  violations: ReportedViolation[];
  suppressedViolations?: ReportedViolation[];
}

const SYNTH_TIMEOUT_MS = 120_000;

/** Synthesizes the app with the cfn-guard plugin; returns the plugin's report and the error synth threw, if any. */
function synthWithPolicyValidation(app: App): { report: PluginReport; error?: Error } {
  let error: Error | undefined;
  try {
    app.synth();
  } catch (thrown) {
    error = thrown as Error;
  }
  const file = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: PluginReport[];
  };
  const report = file.pluginReports.find((r) => r.pluginName === POLICY_PLUGIN_NAME);
  if (!report) throw new Error(`no ${POLICY_PLUGIN_NAME} report in ${app.outdir}`, { cause: error });
  return { report, error };
}

/** `CT.X.PR.N` from a finding's description ("[CT.X.PR.N]: Require ..."). */
const controlOf = (v: ReportedViolation) => /^\[(CT\.[A-Z0-9-]+\.PR\.\d+)\]/.exec(v.description)?.[1] ?? v.ruleName;

/** One line per resource: "<control> <construct path>". */
const findings = (violations: ReportedViolation[] = []) =>
  violations.flatMap((v) => v.violatingConstructs.map((c) => `${controlOf(v)} ${c.constructPath}`)).sort();

describe('AWS Control Tower proactive controls (cfn-guard) on the app of the default configuration', () => {
  const { app, config, control } = buildTestApp();
  addPolicyValidation(app);
  let report: PluginReport;

  beforeAll(() => {
    const result = synthWithPolicyValidation(app);
    // A finding makes synth throw with the whole report: show it.
    if (result.error) throw result.error;
    report = result.report;
  }, SYNTH_TIMEOUT_MS);

  it('finds no unacknowledged violation', () => {
    expect(findings(report.violations)).toEqual([]);
    expect(report.conclusion).toBe('success');
  });

  it('lists exactly the deliberate exceptions, each acknowledged on its own construct with its reason', () => {
    const regions = approvedRegions(config);
    const functions = ['Workflows/RegionTask', 'Workflows/ClusterTask', 'Workflows/EdgeTask', 'Workflows/DnsTask'];
    functions.push('ScalingAutomation/DecisionFunction', 'ScalingAutomation/ReconcilerFunction');
    functions.push('DemandCollection/Collector', 'CachePurge/Purge');
    const expected = [
      ...config.regions.elastic.flatMap((r) =>
        ['ScaleUp', 'ScaleDown'].map(
          (a) => `CT.CLOUDWATCH.PR.1 edgescale-control/ScalingAutomation/${a}-${r}/Resource`,
        ),
      ),
      ...functions.map((f) => `CT.LAMBDA.PR.3 edgescale-control/${f}/Function/Resource`),
      ...regions.map((r) => `CT.CLOUDWATCH.PR.3 edgescale-region-${r}/VpcFlowLogs/Resource`),
      ...regions.map((r) => `CT.EC2.PR.10 edgescale-region-${r}/NodeLaunchTemplate`),
      ...regions.flatMap((r) =>
        [1, 2].map((n) => `CT.EC2.PR.11 edgescale-region-${r}/EdgeVpc/edge-publicSubnet${n}/Subnet`),
      ),
    ].sort();
    expect(findings(report.suppressedViolations)).toEqual(expected);

    for (const finding of report.suppressedViolations ?? []) {
      // The reason names the control it excuses (the acknowledgement targets the right cfn-guard rule).
      expect(finding.reason).toMatch(new RegExp(`^${controlOf(finding).replace(/\./g, '\\.')}: .{40,}`));
      for (const { constructPath } of finding.violatingConstructs) {
        // Next to its construct: on the construct itself, never on a stack or a whole subtree.
        expect(`${constructPath}/`.startsWith(`${finding.acknowledgedAt}/`)).toBe(true);
        expect(constructPath.split('/').length - finding.acknowledgedAt!.split('/').length).toBeLessThanOrEqual(1);
      }
    }
  });

  it('the README lists every acknowledged control', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
    const section = /Acknowledged\s+policy\s+findings[\s\S]*?\n\n(\|[\s\S]*?)\n\n/.exec(readme)?.[1] ?? '';
    const rows = section.split('\n').slice(2);
    const acknowledged = new Set((report.suppressedViolations ?? []).map(controlOf));
    expect(rows.map((row) => /CT\.[A-Z0-9-]+\.PR\.\d+/.exec(row)?.[0]).sort()).toEqual([...acknowledged].sort());
  });

  it('lets CloudWatch Logs use the stack key for each control-plane log group, and only for that log group', () => {
    const template = Template.fromStack(control);
    const keys = template.findResources('AWS::KMS::Key');
    expect(Object.keys(keys)).toHaveLength(1);
    const [keyId, key] = Object.entries(keys)[0]!;
    const statements = key.Properties.KeyPolicy.Statement as {
      Principal?: { Service?: unknown };
      Condition?: { ArnEquals?: Record<string, unknown> };
    }[];
    // The log group each statement allows, read from the end of its ARN condition.
    const logGroupsAllowed = statements
      .filter((s) => s.Principal?.Service === 'logs.us-east-1.amazonaws.com')
      .map(
        (s) =>
          /:log-group:([^"]+)"\]*\}?$/.exec(
            JSON.stringify(s.Condition?.ArnEquals?.['kms:EncryptionContext:aws:logs:arn']),
          )?.[1],
      );
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    // Eight Lambdas and one per state machine (each workflow file).
    expect(groups).toHaveLength(8 + Object.keys(WORKFLOWS).length);
    for (const group of groups) {
      expect(group.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
      expect(group.Properties.RetentionInDays).toBe(365);
    }
    expect(logGroupsAllowed.sort()).toEqual(groups.map((g) => g.Properties.LogGroupName as string).sort());
  });

  it('encrypts the state table with KMS and keeps point-in-time recovery (the DynamoDB controls skip GlobalTable)', () => {
    Template.fromStack(control).hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
  });
});

describe('the cfn-guard plugin at synth', () => {
  it(
    'fails synth on a log group without a year of retention or a KMS key, and on a key that allows any grant',
    () => {
      const app = newTestApp();
      addPolicyValidation(app);
      const stack = new Stack(app, 'PolicyProbe', { env: { account: '123456789012', region: 'us-east-1' } });
      new AutoscalerLogGroup(stack, 'Compliant', { logGroupName: '/probe/compliant' });
      new logs.LogGroup(stack, 'ShortLived', { retention: logs.RetentionDays.ONE_WEEK });
      const acknowledged = new logs.LogGroup(stack, 'Acknowledged', { retention: logs.RetentionDays.ONE_YEAR });
      acknowledgeControlTowerRule(
        acknowledged,
        'CT.CLOUDWATCH.PR.3',
        'A probe of an acknowledged finding in this test.',
      );
      new kms.Key(stack, 'AnyGrantKey', { enableKeyRotation: true });

      const { report, error } = synthWithPolicyValidation(app);

      expect(error?.message).toContain('[CT.CLOUDWATCH.PR.2]');
      expect(findings(report.violations)).toEqual([
        'CT.CLOUDWATCH.PR.2 PolicyProbe/ShortLived/Resource',
        'CT.CLOUDWATCH.PR.3 PolicyProbe/ShortLived/Resource',
        'CT.KMS.PR.3 PolicyProbe/AnyGrantKey/Resource',
      ]);
      expect(findings(report.suppressedViolations)).toEqual(['CT.CLOUDWATCH.PR.3 PolicyProbe/Acknowledged/Resource']);
    },
    SYNTH_TIMEOUT_MS,
  );
});
