/**
 * The CDK App of the tests that synthesize in-process. aws-cdk-lib runs its built-in CloudFormation
 * validation on every synth: a WASM engine started in each test file (about 3 s) and seconds more
 * per synth of the whole app, on every core of CI. No test reads its findings, and without
 * `@aws-cdk/core:validateAgainstDefaultRules` (cdk.json leaves it unset) they are warnings that
 * never fail a synth, so these apps skip it. The cfn-guard rules that do fail the synth
 * (infra/policy-validation.ts) are a plugin, unaffected; the real `cdk synth` of the CLI tests
 * (test/support/cdk-synth-cli.ts) still runs the built-in validation as a user's synth does.
 */
import { App, type AppProps } from 'aws-cdk-lib';

export function newTestApp(props: AppProps = {}): App {
  return new App({ ...props, builtinCloudFormationValidation: false });
}
