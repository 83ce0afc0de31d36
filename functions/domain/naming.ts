import { isAwsRegion } from './aws-regions';

/**
 * Every name the autoscaler gives to something in AWS, derived from the prefix in one place,
 * so that the CDK app, the workflows, the CLI and the tests can never disagree.
 */

/** Tag that marks a resource as created (and so deletable) by this autoscaler. */
export const OWNER_TAG_KEY = 'edge-autoscaler:owner';
/** Tag on each cluster and nodegroup: the id (ARN) of the execution that created it. */
export const CREATED_BY_TAG_KEY = 'edge-autoscaler:created-by';

export const controlStackName = (prefix: string) => `${prefix}-control`;
export const regionStackName = (prefix: string, region: string) => `${prefix}-region-${region}`;

export const clusterName = (prefix: string, region: string) => `${prefix}-edge-${region}`;
export const nodegroupName = (prefix: string) => `${prefix}-edge-nodes`;

export const clusterRoleName = (prefix: string, region: string) => `${prefix}-${region}-eks-cluster`;
export const nodeRoleName = (prefix: string, region: string) => `${prefix}-${region}-eks-node`;

/**
 * The role of the cluster and edge task Lambdas, which every cluster grants admin through an access
 * entry. Fixed, so that a replaced control stack finds its clusters manageable: IAM role names are
 * global in an account (at most 64 characters: this is at most 33), so, as with the per-region roles
 * above, one prefix serves one deployment per account.
 */
export const eksOperatorRoleName = (prefix: string) => `${prefix}-eks-operator`;

/** Tag on the access entries the autoscaler creates: the IAM unique id (AROA…) of the role it was made for. */
export const PRINCIPAL_ID_TAG_KEY = 'edge-autoscaler:principal-id';

/** The launch template of each region's nodegroup (EC2 names are regional). */
export const nodeLaunchTemplateName = (prefix: string) => `${prefix}-edge-nodes`;

/** SSM parameter (in the region itself) holding that region's foundation: subnets, roles, security group. */
export const foundationParameterName = (prefix: string, region: string) => `/${prefix}/foundation/${region}`;

export const stateTableName = (prefix: string) => `${prefix}-region-state`;
export const scaleUpStateMachineName = (prefix: string) => `${prefix}-scale-up`;
export const scaleDownStateMachineName = (prefix: string) => `${prefix}-scale-down`;
/** The workflow that brings a changed edge configuration to every ACTIVE region, one at a time. */
export const edgeRolloutStateMachineName = (prefix: string) => `${prefix}-edge-rollout`;
/** The workflow that upgrades ACTIVE regions' clusters one minor version at a time, and patches node AMIs. */
export const clusterUpgradeStateMachineName = (prefix: string) => `${prefix}-cluster-upgrade`;

/**
 * Step Functions execution name (max 80 characters of [A-Za-z0-9-_]). Deterministic for one
 * trigger, so that a duplicate delivery of the same event starts no second execution:
 * StartExecution with the same name and input returns the running execution.
 * `trigger` is e.g. a hash of the alarm event, `reconcile-<time bucket>` or `manual-<time>`.
 */
export function executionName(direction: 'up' | 'down', region: string, trigger: string): string {
  const safe = trigger.replace(/[^A-Za-z0-9_-]/g, '-');
  return `${direction}-${region}-${safe}`.slice(0, 80);
}

/**
 * Execution name of a maintenance workflow, deterministic for one target and trigger as
 * executionName() is: `rollout-<configuration hash, 12 hex>-<trigger>` or
 * `upgrade-<version, e.g. 1-36>-<trigger>`, without the target when the starter does not know it
 * (regionctl: the Lambdas render the configuration); `trigger` is `reconcile-<slot>` or `manual-<time>`.
 */
export function maintenanceExecutionName(
  kind: 'edgeRollout' | 'clusterUpgrade',
  target: string | undefined,
  trigger: string,
): string {
  const what = kind === 'edgeRollout' ? 'rollout' : 'upgrade';
  const shown = target === undefined ? '' : `-${kind === 'edgeRollout' ? target.slice(0, 12) : target}`;
  return `${what}${shown}-${trigger}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
}

/** SSM parameter (home region) holding the deployed configuration as JSON, for regionctl. */
export const configParameterName = (prefix: string) => `/${prefix}/config`;

/**
 * SSM parameter (home region) holding the Kubernetes version of the last deploy: the synth reads
 * it back to refuse lowering cluster.kubernetesVersion (EKS cannot downgrade a cluster).
 */
export const kubernetesVersionParameterName = (prefix: string) => `/${prefix}/kubernetes-version`;

/** Outputs of the control-plane stack: how regionctl finds a deployed autoscaler (no ARNs to copy). */
export const CONTROL_OUTPUTS = {
  stateTableName: 'StateTableName',
  notificationTopicArn: 'NotificationTopicArn',
  scaleUpStateMachineArn: 'ScaleUpStateMachineArn',
  scaleDownStateMachineArn: 'ScaleDownStateMachineArn',
  edgeRolloutStateMachineArn: 'EdgeRolloutStateMachineArn',
  clusterUpgradeStateMachineArn: 'ClusterUpgradeStateMachineArn',
  configParameterName: 'ConfigParameterName',
  dashboardName: 'DashboardName',
  purgeFunctionName: 'PurgeFunctionName',
} as const;

/** The Lambda that `regionctl purge` invokes to refresh the edges' caches (named, as every Lambda, after its handler file). */
export const purgeFunctionName = (prefix: string) => `${prefix}-purge-handler`;

/** The CloudWatch dashboard of the autoscaler, in the home region. */
export const dashboardName = (prefix: string) => `${prefix}-autoscaler`;
/** The alarm on failed scaling executions; deliberately outside scalingAlarmNamePrefix (no decision acts on it). */
export const workflowFailureAlarmName = (prefix: string) => `${prefix}-workflow-failures`;

/** The alarm on a region's edge cache hit rate (notifies; outside scalingAlarmNamePrefix: no decision acts on it). */
export const cacheHitRateAlarmName = (prefix: string, region: string) => `${prefix}-cache-hit-rate-${region}`;

/** Every scaling alarm's name starts with this (the EventBridge rule matches on it). */
export const scalingAlarmNamePrefix = (prefix: string) => `${prefix}-scale-`;
/** The alarm that fires when an elastic region's demand is above its scale-up threshold. */
export const scaleUpAlarmName = (prefix: string, region: string) => `${scalingAlarmNamePrefix(prefix)}up-${region}`;
/** The alarm that fires when an elastic region's demand is below its scale-down threshold. */
export const scaleDownAlarmName = (prefix: string, region: string) => `${scalingAlarmNamePrefix(prefix)}down-${region}`;

/** The (region, direction) of a scaling alarm of this prefix, or undefined for any other name. */
export function parseScalingAlarmName(
  prefix: string,
  alarmName: string,
): { region: string; direction: 'up' | 'down' } | undefined {
  const start = scalingAlarmNamePrefix(prefix);
  if (!alarmName.startsWith(start)) return undefined;
  const match = /^(up|down)-(.+)$/.exec(alarmName.slice(start.length));
  if (!match || !isAwsRegion(match[2]!)) return undefined;
  return { direction: match[1] as 'up' | 'down', region: match[2]! };
}
