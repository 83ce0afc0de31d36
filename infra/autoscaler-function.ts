/**
 * Every Lambda of the autoscaler, built the same way: Node 22, ESM bundle from functions/,
 * a log group with the autoscaler's retention, the configuration in its environment, X-Ray off
 * (Powertools logs and metrics are the observability), and a name after its handler file.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
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
  /** A role shared with other functions (e.g. the EKS operator role); by default the function gets its own. */
  role?: iam.Role;
}

export class AutoscalerFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: AutoscalerFunctionProps) {
    super(scope, id);
    const functionName = `${props.config.prefix}-${props.entry.split('/').pop()}`;
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An explicit role with write access to this function's log group only (instead of the
    // AWS-managed AWSLambdaBasicExecutionRole, which may write to every log group).
    this.role =
      props.role ??
      new iam.Role(this, 'Role', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Role of the ${functionName} Lambda`,
      });
    logGroup.grantWrite(this.role);
    this.function = new NodejsFunction(this, 'Function', {
      role: this.role,
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
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The project targets the nodejs22.x runtime on purpose (LTS, the version its dependencies and tests are pinned to).',
    });
  }
}
