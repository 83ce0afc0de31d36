/**
 * Every log group of the control plane: kept one year (Control Tower CT.CLOUDWATCH.PR.2) and
 * encrypted with the stack's key (CT.CLOUDWATCH.PR.3), whose policy lets CloudWatch Logs use the
 * key for this log group only. Removed with the stack.
 */
import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { stackEncryptionKey } from './stack-encryption-key';

/** Log retention of every log group the autoscaler creates. */
export const LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

export interface AutoscalerLogGroupProps {
  logGroupName: string;
}

export class AutoscalerLogGroup extends logs.LogGroup {
  constructor(scope: Construct, id: string, props: AutoscalerLogGroupProps) {
    super(scope, id, {
      logGroupName: props.logGroupName,
      retention: LOG_RETENTION,
      encryptionKey: stackEncryptionKey(scope),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stack = Stack.of(this);
    // The ARN is built from the name, not read from this log group: the key must not depend on it.
    const logGroupArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: props.logGroupName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    stackEncryptionKey(this).addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn } },
      }),
    );
  }
}
