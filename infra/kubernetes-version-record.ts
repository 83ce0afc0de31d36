/**
 * The Kubernetes version of the deployment, kept where the next synth can read it: the SSM
 * parameter /<prefix>/kubernetes-version (home region) holds cluster.kubernetesVersion as it was
 * last deployed. At synth this construct
 *   - refuses a lower version than the one deployed (an error annotation fails `cdk synth` and
 *     `cdk deploy`): EKS cannot downgrade a control plane, and the upgrade workflow never tries;
 *   - warns when the configured version is in EKS extended support on the synth's date (its
 *     control plane costs $0.60/h instead of $0.10/h).
 * A jump of several minor versions is accepted: the upgrade workflow takes each region through
 * them one at a time.
 *
 * The deployed value is read with a context lookup (ssm.StringParameter.valueFromLookup), only
 * when the stack has a concrete account and region (config.account): an account-agnostic stack
 * cannot look anything up, and the check is skipped. Before the first deploy the parameter does
 * not exist and the lookup returns NOT_DEPLOYED (a default value makes a missing parameter no
 * error). The CDK CLI caches every lookup in cdk.context.json: after a deploy that raised the
 * version, the cached value is the older one until `cdk context --reset <key>` (or deleting the
 * file) makes the next synth look again; a stale cache only lets through a lowering that the
 * cluster task still refuses (it never downgrades).
 */
import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { AutoscalerConfig } from '../functions/domain/config';
import {
  extendedSupportWarning,
  isKnownKubernetesVersion,
  versionLoweringProblem,
} from '../functions/domain/kubernetes-versions';
import { kubernetesVersionParameterName } from '../functions/domain/naming';

/** What the lookup returns when the parameter does not exist (first deploy) or was not looked up yet. */
export const NOT_DEPLOYED = 'not-deployed';

/** The id of the extended-support warning (to acknowledge it: `Annotations.of(stack).acknowledgeWarning(id)`). */
export const EXTENDED_SUPPORT_WARNING_ID = '@edge-autoscaler/kubernetes-extended-support';

export interface KubernetesVersionRecordProps {
  config: AutoscalerConfig;
  /** The date the support status is judged at: the synth's. */
  now?: Date;
}

export class KubernetesVersionRecord extends Construct {
  readonly parameter: ssm.StringParameter;
  /** The version the deployment ran before this synth, when it could be read. */
  readonly deployedVersion?: string;

  constructor(scope: Construct, id: string, props: KubernetesVersionRecordProps) {
    super(scope, id);
    const { config, now = new Date() } = props;
    const { prefix } = config;
    const configured = config.cluster.kubernetesVersion;
    const parameterName = kubernetesVersionParameterName(prefix);
    const stack = Stack.of(this);

    if (!Token.isUnresolved(stack.account) && !Token.isUnresolved(stack.region)) {
      const deployed = ssm.StringParameter.valueFromLookup(this, parameterName, NOT_DEPLOYED);
      // Anything else (a value written by hand) is no version to compare with.
      if (isKnownKubernetesVersion(deployed)) {
        this.deployedVersion = deployed;
        const problem = versionLoweringProblem(deployed, configured);
        if (problem) {
          Annotations.of(this).addError(
            `${problem} (read from the SSM parameter ${parameterName} in ${stack.region}; a stale value comes from cdk.context.json: \`cdk context --reset\` clears it)`,
          );
        }
      }
    }

    const warning = extendedSupportWarning(configured, now);
    if (warning) Annotations.of(this).addWarningV2(EXTENDED_SUPPORT_WARNING_ID, warning);

    this.parameter = new ssm.StringParameter(this, 'Parameter', {
      parameterName,
      description: 'Kubernetes version of the edge clusters as last deployed (the synth refuses to lower it)',
      stringValue: configured,
    });
  }
}
