/**
 * Every Lambda of the autoscaler, built the same way: Node 22, ESM bundle from functions/,
 * a log group with the autoscaler's retention, the configuration in its environment, X-Ray off
 * (Powertools logs and metrics are the observability), and a name after its handler file.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import type { AutoscalerConfig } from '../functions/domain/config';
import { ENV } from '../functions/commons/runtime';

export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_22_X;

export interface AutoscalerFunctionProps {
  config: AutoscalerConfig;
  /** Handler file under functions/, without extension, e.g. `tasks/cluster-task`. */
  entry: string;
  stateTableName: string;
  timeout?: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
  description: string;
}

export class AutoscalerFunction extends Construct {
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: AutoscalerFunctionProps) {
    super(scope, id);
    const functionName = `${props.config.prefix}-${props.entry.split('/').pop()}`;
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = new NodejsFunction(this, 'Function', {
      functionName,
      description: props.description,
      entry: fileURLToPath(new URL(`../functions/${props.entry}.ts`, import.meta.url)),
      handler: 'handler',
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(60),
      logGroup,
      environment: {
        [ENV.config]: JSON.stringify(props.config),
        [ENV.stateTable]: props.stateTableName,
        POWERTOOLS_SERVICE_NAME: 'edge-autoscaler',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // ESM bundles of CommonJS dependencies need require().
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
    });
  }
}
