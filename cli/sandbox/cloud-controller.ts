/**
 * Plays the Kubernetes cloud controller for the Kubernetes API double: when the edge workload's
 * LoadBalancer Service is created on a cluster, a network load balancer appears in moto's ELBv2
 * in that cluster's region (in the subnets of the region's foundation), and the Service reports
 * its DNS name; when the Service is deleted, so is the load balancer. The edge task then finds
 * the load balancer through ELBv2 exactly as it does in AWS.
 */
import {
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { regionFoundationSchema } from '../../functions/tasks/contract';
import { foundationParameterName } from '../../functions/domain/naming';
import type { KubernetesApiDouble } from './kubernetes-api-double';

type CloudController = NonNullable<KubernetesApiDouble['cloudController']>;

/** `/clusters/<prefix>-edge-<region>/api/...` -> `<region>` (clusterName() is `<prefix>-edge-<region>`). */
export function regionOfServicePath(prefix: string, servicePath: string): string {
  const match = /^\/clusters\/([^/]+)\//.exec(servicePath);
  const clusterPrefix = `${prefix}-edge-`;
  if (!match || !match[1]!.startsWith(clusterPrefix)) {
    throw new Error(
      `Service ${servicePath} is not on a cluster of "${prefix}" (/clusters/${clusterPrefix}<region>/...)`,
    );
  }
  return match[1]!.slice(clusterPrefix.length);
}

/** The load balancer's name: ELBv2 allows 32 letters, digits and hyphens; one edge Service per region. */
export const loadBalancerName = (prefix: string) => `${prefix}-edge`;

/**
 * `endpoint`: where the controller's own AWS calls go. It is part of the emulated cloud, so it
 * talks to the emulator directly, never through a proxy that stands in front of the Lambdas.
 */
export function loadBalancerController(prefix: string, endpoint?: string): CloudController {
  const elb = (region: string) => new ElasticLoadBalancingV2Client({ region, endpoint, maxAttempts: 2 });
  return {
    async serviceCreated(servicePath) {
      const region = regionOfServicePath(prefix, servicePath);
      // A Service applied again after a failed run finds the load balancer it had.
      const { LoadBalancers: existing = [] } = await elb(region).send(new DescribeLoadBalancersCommand({}));
      const own = existing.find((lb) => lb.LoadBalancerName === loadBalancerName(prefix));
      if (own?.DNSName) return own.DNSName;
      const { Parameter } = await new SSMClient({ region, endpoint, maxAttempts: 2 }).send(
        new GetParameterCommand({ Name: foundationParameterName(prefix, region) }),
      );
      const foundation = regionFoundationSchema.parse(JSON.parse(Parameter?.Value ?? '{}'));
      const { LoadBalancers = [] } = await elb(region).send(
        new CreateLoadBalancerCommand({
          Name: loadBalancerName(prefix),
          Type: 'network',
          Scheme: 'internet-facing',
          Subnets: foundation.subnetIds,
        }),
      );
      return LoadBalancers[0]!.DNSName!;
    },
    async serviceDeleted(servicePath, hostname) {
      const region = regionOfServicePath(prefix, servicePath);
      const { LoadBalancers = [] } = await elb(region).send(new DescribeLoadBalancersCommand({}));
      const match = LoadBalancers.find((lb) => lb.DNSName?.toLowerCase() === hostname.toLowerCase());
      if (match?.LoadBalancerArn) {
        await elb(region).send(new DeleteLoadBalancerCommand({ LoadBalancerArn: match.LoadBalancerArn }));
      }
    },
  };
}
