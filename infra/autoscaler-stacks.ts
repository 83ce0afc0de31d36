/**
 * Builds every stack of the autoscaler from one configuration: the control plane in the home
 * region and one foundation stack per approved region (one loop over configuration).
 * Naming rule: `<prefix>-control` and `<prefix>-region-<region>`.
 */
import type { App } from 'aws-cdk-lib';
import { approvedRegions, type AutoscalerConfig } from '../functions/domain/config';
import { controlStackName, regionStackName } from '../functions/domain/naming';
import { ControlPlaneStack } from './control-plane-stack';
import { RegionFoundationStack } from './region-foundation-stack';

export interface AutoscalerStacks {
  control: ControlPlaneStack;
  foundations: RegionFoundationStack[];
}

export function buildAutoscalerStacks(app: App, config: AutoscalerConfig): AutoscalerStacks {
  // No account in env unless configured: the stacks stay account-agnostic so that synth needs no
  // credentials and availability zones resolve at deploy time (Fn::GetAZs), not by lookup.
  const envFor = (region: string) => ({ account: config.account, region });
  const foundations = approvedRegions(config).map(
    (region) =>
      new RegionFoundationStack(app, regionStackName(config.prefix, region), {
        env: envFor(region),
        config,
        region,
        description: `Edge autoscaler foundation for ${region} (VPC, EKS roles, secrets key, node launch template); about $1 a month (the KMS key) while no cluster runs`,
      }),
  );
  const control = new ControlPlaneStack(app, controlStackName(config.prefix), {
    env: envFor(config.homeRegion),
    config,
    description: 'Edge autoscaler control plane: state, workflows, decision Lambda, alarms',
  });
  return { control, foundations };
}
