/**
 * What one edge cluster costs per hour, for the simulator's cost figures.
 *
 * Prices: US East (N. Virginia) us-east-1, on-demand, Linux, USD per hour, as published in 2025 on
 * https://aws.amazon.com/eks/pricing/ (control plane: $0.10 in standard support, $0.60 in extended
 * support, which depends on the configured Kubernetes version's date, kubernetes-versions.ts) and
 * https://aws.amazon.com/ec2/pricing/on-demand/ (instances). Other regions usually cost 0-30 %
 * more; re-check the pages before relying on absolute numbers. Not counted: load balancer, data
 * transfer, EBS volumes, Route53 queries, CloudWatch, Step Functions (small next to the nodes).
 *
 * A WARM region (warmPrice) runs no node, so what it keeps is what it costs: the control plane,
 * the edge's network load balancer with no traffic ($0.0225 per NLB-hour, no LCU used; 2025,
 * https://aws.amazon.com/elasticloadbalancing/pricing/), and with warm.nodeWarmPool the root
 * volumes of the stopped warm-pool instances (a stopped instance is not billed, its EBS volume
 * is: gp3 $0.08 per GiB-month, https://aws.amazon.com/ebs/pricing/; 20 GiB is the default disk
 * of an EKS managed nodegroup, https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html;
 * 730 hours a month). Not counted either: the NLB's public IPv4 addresses ($0.005/h each).
 */
import type { AutoscalerConfig } from './config';
import { CONTROL_PLANE_USD_PER_HOUR, supportStatus } from './kubernetes-versions';

/** When the prices below were published. */
export const PRICES_AS_OF = '2025';

/** EKS control plane of a version in standard support. */
export const EKS_CONTROL_PLANE_USD_PER_HOUR = CONTROL_PLANE_USD_PER_HOUR.standard;
/** EKS control plane of a version in extended support (14 months after its EKS release). */
export const EKS_EXTENDED_SUPPORT_USD_PER_HOUR = CONTROL_PLANE_USD_PER_HOUR.extended;

/** A network load balancer-hour with no traffic (us-east-1). */
export const NLB_USD_PER_HOUR = 0.0225;
/** gp3 storage, per GiB-month (us-east-1). */
export const GP3_USD_PER_GIB_MONTH = 0.08;
/** Default root volume of an EKS managed nodegroup's node. */
export const NODE_DISK_GIB = 20;
/** Hours in a billing month, as AWS prices monthly rates. */
export const HOURS_PER_MONTH = 730;

/** On-demand price of common node instance types, USD per hour. */
export const INSTANCE_USD_PER_HOUR: Readonly<Record<string, number>> = {
  't3.medium': 0.0416,
  't3.large': 0.0832,
  't3.xlarge': 0.1664,
  't3a.medium': 0.0376,
  't3a.large': 0.0752,
  't4g.medium': 0.0336,
  't4g.large': 0.0672,
  'm5.large': 0.096,
  'm5.xlarge': 0.192,
  'm6i.large': 0.096,
  'm6i.xlarge': 0.192,
  'm6g.large': 0.077,
  'm7i.large': 0.1008,
  'm7g.large': 0.0816,
  'm7g.xlarge': 0.1632,
  'c5.large': 0.085,
  'c6i.large': 0.085,
  'c6g.large': 0.068,
  'c7g.large': 0.0725,
  'r6i.large': 0.126,
};

export interface ClusterPrice {
  usdPerHour: number;
  /** How the hourly price is made up, for reports. */
  breakdown: string;
}

/**
 * Hourly cost of one cluster of the configuration at `at`: control plane plus `nodes.desired`
 * nodes of the first instance type (a managed node group launches on-demand capacity in the
 * listed order). The control plane costs the extended-support price once the configured
 * Kubernetes version has left standard support. `nodeUsdPerHour` replaces the table's price,
 * e.g. for a type it does not list.
 */
export function clusterPrice(config: AutoscalerConfig, nodeUsdPerHour?: number, at: Date = new Date()): ClusterPrice {
  const type = config.cluster.instanceTypes[0]!;
  const node = nodeUsdPerHour ?? INSTANCE_USD_PER_HOUR[type];
  if (node === undefined) {
    throw new Error(
      `No price for instance type ${type} (autoscaler.cluster.instanceTypes[0]); fix: pass its on-demand USD per hour (regionctl simulate --node-price-usd 0.1) or use one of ${Object.keys(INSTANCE_USD_PER_HOUR).join(', ')}`,
    );
  }
  const nodes = config.cluster.nodes.desired;
  const version = config.cluster.kubernetesVersion;
  const status = supportStatus(version, at);
  const controlPlane = CONTROL_PLANE_USD_PER_HOUR[status];
  const why = status === 'standard' ? '' : ` (Kubernetes ${version} in extended support)`;
  return {
    usdPerHour: controlPlane + nodes * node,
    breakdown: `EKS control plane $${controlPlane.toFixed(2)}/h${why} + ${nodes} x ${type} $${node}/h (us-east-1 on-demand prices of ${PRICES_AS_OF})`,
  };
}

/**
 * Hourly cost of one WARM region at `at`: its control plane (extended-support price once the
 * version has left standard support, as clusterPrice), its load balancer, and with
 * warm.nodeWarmPool the EBS volumes of nodes.desired stopped instances. `nodeUsdPerHour` is
 * accepted for symmetry with clusterPrice and ignored: a stopped instance is not billed.
 */
export function warmPrice(config: AutoscalerConfig, _nodeUsdPerHour?: number, at: Date = new Date()): ClusterPrice {
  const version = config.cluster.kubernetesVersion;
  const status = supportStatus(version, at);
  const controlPlane = CONTROL_PLANE_USD_PER_HOUR[status];
  const why = status === 'standard' ? '' : ` (Kubernetes ${version} in extended support)`;
  const nodes = config.cluster.nodes.desired;
  const volumes = config.warm.nodeWarmPool ? (nodes * NODE_DISK_GIB * GP3_USD_PER_GIB_MONTH) / HOURS_PER_MONTH : 0;
  const pool = config.warm.nodeWarmPool
    ? ` + warm pool: ${nodes} x ${NODE_DISK_GIB} GiB gp3 $${volumes.toFixed(4)}/h (instances stopped)`
    : '';
  return {
    usdPerHour: controlPlane + NLB_USD_PER_HOUR + volumes,
    breakdown: `EKS control plane $${controlPlane.toFixed(2)}/h${why} + NLB $${NLB_USD_PER_HOUR}/h${pool} (us-east-1 prices of ${PRICES_AS_OF}, no node running)`,
  };
}
