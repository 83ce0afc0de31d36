/**
 * One AutoscalerFunction synthesized with its real bundling (as `cdk synth` builds every Lambda,
 * esbuild through infra/bundle-lambda-cli.ts): its asset hash and bundle directory, in seconds
 * instead of the minute the whole deployment takes.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { join } from 'node:path';
import type { AutoscalerConfig } from '../../functions/domain/config';
import { AutoscalerFunction, type AutoscalerFunctionProps } from '../../infra/autoscaler-function';
import type { BundledLambda } from '../../infra/synthesized-deployment';
import { newTestApp } from './test-app';

export interface BundledFunction {
  assetHash: string;
  /** The bundle: index.mjs and the files beside it. */
  dir: string;
  /** What loadBundledHandler loads. */
  lambda: BundledLambda;
}

export function bundleAutoscalerFunction(
  outdir: string,
  config: AutoscalerConfig,
  props: Pick<AutoscalerFunctionProps, 'entry' | 'bundledFiles'>,
): BundledFunction {
  const app = newTestApp({ outdir });
  const stack = new Stack(app, 'BundledFunction', { env: { account: '123456789012', region: config.homeRegion } });
  new AutoscalerFunction(stack, 'Function', {
    ...props,
    config,
    stateTableName: 'bundled-function-state',
    description: 'One bundled function',
  });
  app.synth();
  const [resource] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
  const { Code, FunctionName } = resource!.Properties as { Code: { S3Key: string }; FunctionName: string };
  const assetHash = Code.S3Key.replace(/\.zip$/, '');
  const dir = join(outdir, `asset.${assetHash}`);
  return {
    assetHash,
    dir,
    lambda: { functionName: FunctionName, file: join(dir, 'index.mjs'), exportName: 'handler', environmentKeys: [] },
  };
}
