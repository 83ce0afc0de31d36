/**
 * Every Lambda of the autoscaler, built the same way: Node 22, ESM bundle from functions/,
 * a log group kept a year and encrypted with the stack's key, the configuration in its bundle,
 * no X-Ray tracing of their own (Powertools logs and metrics are their observability; the state
 * machines trace their executions), and a name after its handler file.
 */
import { AssetHashType, DockerImage, Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { AutoscalerConfig } from '../functions/domain/config';
import { ENV } from '../functions/commons/runtime';
import { AutoscalerLogGroup } from './autoscaler-log-group';
import type { BundledFiles } from './lambda-bundling';
import { acknowledgeControlTowerRule } from './policy-validation';

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
  /** Files the handler reads from its bundle, besides the configuration (which every function has). */
  bundledFiles?: Omit<BundledFiles, 'config'>;
}

export class AutoscalerFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: AutoscalerFunctionProps) {
    super(scope, id);
    const functionName = `${props.config.prefix}-${props.entry.split('/').pop()}`;
    const logGroup = new AutoscalerLogGroup(this, 'Logs', { logGroupName: `/aws/lambda/${functionName}` });
    // An explicit role with write access to this function's log group only (instead of the
    // AWS-managed AWSLambdaBasicExecutionRole, which may write to every log group).
    this.role =
      props.role ??
      new iam.Role(this, 'Role', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Role of the ${functionName} Lambda`,
      });
    logGroup.grantWrite(this.role);
    this.function = new lambda.Function(this, 'Function', {
      role: this.role,
      functionName,
      description: props.description,
      code: bundledCode(props.entry, { ...props.bundledFiles, config: props.config }),
      handler: 'index.handler',
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(60),
      logGroup,
      environment: {
        [ENV.stateTable]: props.stateTableName,
        POWERTOOLS_SERVICE_NAME: 'edge-autoscaler',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The project targets the nodejs22.x runtime on purpose (LTS, the version its dependencies and tests are pinned to).',
    });
    acknowledgeControlTowerRule(
      this.function,
      'CT.LAMBDA.PR.3',
      "No inbound traffic. It calls AWS APIs in every approved region (EKS, SSM and ELBv2 have no cross-region VPC endpoints) and the clusters' public Kubernetes endpoints, which from a VPC takes a NAT gateway (about $33/month per AZ) in a control plane that is otherwise pay-per-use.",
    );
  }
}

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * The handler bundled by infra/lambda-bundling.ts (the same bundle the benchmark measures), built
 * locally by esbuild: no Docker. Skipped, like any CDK bundling, for stacks excluded with the
 * `aws:cdk:bundling-stacks` context (the unit tests).
 */
function bundledCode(entry: string, files: BundledFiles): lambda.Code {
  const filesJson = JSON.stringify(files);
  const filesHash = createHash('sha256').update(filesJson).digest('hex');
  const entryFile = fileURLToPath(new URL(`../functions/${entry}.ts`, import.meta.url));
  return lambda.Code.fromAsset(fileURLToPath(new URL('../functions', import.meta.url)), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs22.x'),
      // Part of CDK's bundling cache key (and, where bundling is skipped, of the asset hash), which
      // ignores `local`: the entry, or every function would share the first one's bundle; the
      // hash of the bundled files, or a changed configuration would reuse the bundle of the old one.
      command: ['bundle-lambda', entry, `files-sha256:${filesHash}`],
      local: {
        tryBundle(outputDir: string): boolean {
          const result = spawnSync(
            `${projectRoot}node_modules/.bin/tsx`,
            [`${projectRoot}infra/bundle-lambda-cli.ts`, entryFile, outputDir, '-'],
            { input: filesJson, stdio: ['pipe', 'inherit', 'inherit'] },
          );
          if (result.status !== 0) throw new Error(`Bundling ${entry} failed (exit ${result.status})`);
          return true;
        },
      },
    },
  });
}
