import { describe, expect, it } from '@jest/globals';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import { controlStackName, kubernetesVersionParameterName } from '../../../functions/domain/naming';
import { buildAutoscalerStacks } from '../../../infra/autoscaler-stacks';
import {
  EXTENDED_SUPPORT_WARNING_ID,
  KubernetesVersionRecord,
  NOT_DEPLOYED,
} from '../../../infra/kubernetes-version-record';
import { exampleConfig } from '../../support/config-fixtures';
import { newTestApp } from '../../support/test-app';

const ACCOUNT = '123456789012';
const TODAY = new Date('2026-12-01T12:00:00Z');
/** How CDK names the SSM lookup in the context (cdk.context.json): provider, account, parameter, region. */
const lookupKey = (prefix: string) =>
  `ssm:account=${ACCOUNT}:parameterName=${kubernetesVersionParameterName(prefix)}:region=us-east-1`;

const configAt = (version: string, account: string | null = ACCOUNT) =>
  exampleConfig((raw) => {
    raw.cluster.kubernetesVersion = version;
    if (account) raw.account = account;
  });

/** One KubernetesVersionRecord in a stack of the home region, the lookup answered by `deployed`. */
function recordStack(config: AutoscalerConfig, deployed?: string, now = TODAY) {
  const context: Record<string, unknown> = deployed === undefined ? {} : { [lookupKey(config.prefix)]: deployed };
  const app = newTestApp({ context });
  const stack = new Stack(app, 'Control', { env: { account: config.account, region: config.homeRegion } });
  const record = new KubernetesVersionRecord(stack, 'KubernetesVersion', { config, now });
  return { app, stack, record, annotations: Annotations.fromStack(stack) };
}

describe('KubernetesVersionRecord', () => {
  it('writes the configured version to /<prefix>/kubernetes-version', () => {
    const { stack } = recordStack(configAt('1.35'), NOT_DEPLOYED);
    Template.fromStack(stack).hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/edgescale/kubernetes-version',
      Type: 'String',
      Value: '1.35',
    });
  });

  it('refuses at synth a version lower than the deployed one, naming both, why, and the fix', () => {
    const { annotations, record } = recordStack(configAt('1.34'), '1.35');
    expect(record.deployedVersion).toBe('1.35');
    annotations.hasError(
      '*',
      Match.stringLikeRegexp(
        'cluster.kubernetesVersion "1.34" is lower than "1.35", the version this deployment runs: EKS cannot downgrade.*fix: set cluster.kubernetesVersion to "1.35" or newer.*SSM parameter /edgescale/kubernetes-version',
      ),
    );
  });

  it('accepts the same version, and a jump of several minors (the workflow goes one at a time)', () => {
    for (const [deployed, configured] of [
      ['1.35', '1.35'],
      ['1.33', '1.35'],
    ]) {
      recordStack(configAt(configured!), deployed).annotations.hasNoError('*', Match.anyValue());
    }
  });

  it('accepts a first deploy: the missing parameter looks up as its default', () => {
    const first = recordStack(configAt('1.35'), NOT_DEPLOYED);
    first.annotations.hasNoError('*', Match.anyValue());
    expect(first.record.deployedVersion).toBeUndefined();
  });

  it('asks the CLI for the lookup with that default, so a missing parameter is no error', () => {
    const { app } = recordStack(configAt('1.35'));
    const missing = app.synth().manifest.missing ?? [];
    expect(missing).toEqual([
      expect.objectContaining({
        key: lookupKey('edgescale'),
        provider: 'ssm',
        props: expect.objectContaining({ dummyValue: NOT_DEPLOYED, ignoreErrorOnMissingContext: true }),
      }),
    ]);
  });

  it('looks nothing up in an account-agnostic stack (no concrete account): synth stays offline', () => {
    const { app, annotations } = recordStack(configAt('1.35', null));
    expect(app.synth().manifest.missing ?? []).toEqual([]);
    annotations.hasNoError('*', Match.anyValue());
  });

  it('warns, naming the $0.60/h price, when the version is in extended support on the synth date', () => {
    const extended = recordStack(configAt('1.33'), NOT_DEPLOYED);
    extended.annotations.hasWarning(
      '*',
      Match.stringLikeRegexp(
        `Kubernetes 1.33 is in EKS extended support since 29 July 2026.*\\$0.60/h instead of \\$0.10/h.*\\[ack: ${EXTENDED_SUPPORT_WARNING_ID}\\]`,
      ),
    );
    recordStack(configAt('1.35'), NOT_DEPLOYED).annotations.hasNoWarning('*', Match.anyValue());
    // 1.34 leaves standard support on 2 December 2026.
    recordStack(configAt('1.34'), NOT_DEPLOYED, new Date('2026-12-02T00:00:00Z')).annotations.hasWarning(
      '*',
      Match.stringLikeRegexp('Kubernetes 1.34 is in EKS extended support'),
    );
  });
});

describe('the control stack', () => {
  it('carries the version record, and refuses a lowering read from the deployed parameter', () => {
    const config = configAt('1.34');
    const app = newTestApp({ context: { 'aws:cdk:bundling-stacks': [], [lookupKey(config.prefix)]: '1.35' } });
    const { control } = buildAutoscalerStacks(app, config);
    expect(control.node.id).toBe(controlStackName('edgescale'));
    Template.fromStack(control).hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/edgescale/kubernetes-version',
      Value: '1.34',
    });
    Annotations.fromStack(control).hasError('*', Match.stringLikeRegexp('"1.34" is lower than "1.35"'));
  });
});
