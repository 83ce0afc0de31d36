/**
 * One customer-managed KMS key per stack ($1/month), shared by everything the stack encrypts with
 * it (the control plane: its notification topic and its log groups); each user adds the key policy
 * statement it needs. The key refuses grants that are neither for an AWS resource nor made by an
 * AWS service (Control Tower CT.KMS.PR.3): nothing here hands the key to anyone through a grant.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { IConstruct } from 'constructs';

const KEY_ID = 'EncryptionKey';

/** The stack's key, created on first use. */
export function stackEncryptionKey(scope: IConstruct): kms.Key {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(KEY_ID);
  if (existing instanceof kms.Key) return existing;
  const key = new kms.Key(stack, KEY_ID, {
    description: 'Encrypts the edge autoscaler notification topic and log groups of this stack',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(7),
  });
  key.addToResourcePolicy(grantsOnlyForAwsResources());
  return key;
}

/** The key policy statement that refuses grants neither for an AWS resource nor made by an AWS service (CT.KMS.PR.3). */
export function grantsOnlyForAwsResources(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'GrantsOnlyForAwsResources',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  });
}
