/**
 * Policy validation at synth: the AWS Control Tower proactive controls, run offline by
 * cfn-guard (`@cdklabs/cdk-validator-cfnguard`) on every synthesized template. A finding fails
 * `cdk synth` unless it is acknowledged next to its construct, with its reason
 * (`acknowledgeControlTowerRule`); the report (`cdk.out/validation-report.json`) lists the
 * acknowledged findings with their reasons.
 *
 * cfn-guard's own resource suppression (`Metadata.guard.SuppressedRules`) is not honoured by the
 * Control Tower rules, and would hide a finding without a reason: acknowledgements go through
 * `Validations.of(construct).acknowledge`, like cdk-nag's.
 */
import {
  Validations,
  type App,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
} from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { IConstruct } from 'constructs';

/** The plugin's name: the namespace of its rule ids in acknowledgements and in the report. */
export const POLICY_PLUGIN_NAME = 'cdk-validator-cfnguard';

/** Runs the Control Tower proactive controls on every template of the app at synth. */
export function addPolicyValidation(app: App): void {
  Validations.of(app).addPlugins(new ControlTowerValidator());
}

/**
 * The cfn-guard plugin, with every finding an error. The plugin reports findings without a
 * severity, and once anything in the app is acknowledged (cdk-nag's acknowledgements count) CDK
 * recomputes a report's success from the severities of what is left: a finding without one would
 * no longer fail the synth.
 */
class ControlTowerValidator implements IPolicyValidationPlugin {
  private readonly guard = new CfnGuardValidator();
  readonly name = this.guard.name;
  readonly version = this.guard.version;
  readonly ruleIds = this.guard.ruleIds;

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const report = this.guard.validate(context);
    return {
      ...report,
      success: report.violations.length === 0,
      violations: report.violations.map((violation) => ({ ...violation, severity: 'error' })),
    };
  }
}

/**
 * The Control Tower controls this app acknowledges somewhere, by their documented id, and the
 * cfn-guard rule that implements each (the name the plugin reports).
 */
export const CONTROL_TOWER_RULES = {
  'CT.CLOUDWATCH.PR.1': 'cloudwatch_alarm_action_check',
  'CT.CLOUDWATCH.PR.3': 'cloudwatch_log_group_encrypted_check',
  'CT.EC2.PR.10': 'ec2_launch_template_monitoring_enabled_check',
  'CT.EC2.PR.11': 'subnet_auto_assign_public_ip_disabled_check',
  'CT.LAMBDA.PR.3': 'lambda_inside_vpc_check',
} as const;

export type ControlTowerControl = keyof typeof CONTROL_TOWER_RULES;

/** Acknowledges a Control Tower control on a construct and everything under it, with the reason. */
export function acknowledgeControlTowerRule(scope: IConstruct, control: ControlTowerControl, reason: string): void {
  Validations.of(scope).acknowledge({
    id: `${POLICY_PLUGIN_NAME}::${CONTROL_TOWER_RULES[control]}`,
    reason: `${control}: ${reason}`,
  });
}
