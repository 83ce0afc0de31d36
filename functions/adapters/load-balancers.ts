/**
 * Finds the load balancer behind a Kubernetes Service's hostname (ELBv2, regional client):
 * the Route53 alias needs its canonical hosted zone id, which only ELBv2 reports.
 */
import {
  DescribeLoadBalancersCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { callAws } from './aws-errors';

export interface EdgeLoadBalancer {
  dnsName: string;
  canonicalHostedZoneId: string;
  /** provisioning | active | active_impaired | failed */
  state: string;
}

/** The load balancer whose DNS name is `dnsName`, or undefined while ELBv2 does not know it yet. */
export async function findLoadBalancerByDnsName(
  elb: ElasticLoadBalancingV2Client,
  dnsName: string,
): Promise<EdgeLoadBalancer | undefined> {
  const wanted = dnsName.toLowerCase();
  let marker: string | undefined;
  do {
    const page = await callAws('DescribeLoadBalancers', () =>
      elb.send(new DescribeLoadBalancersCommand({ Marker: marker })),
    );
    const match = page.LoadBalancers?.find((lb) => lb.DNSName?.toLowerCase() === wanted);
    if (match?.DNSName && match.CanonicalHostedZoneId) {
      return {
        dnsName: match.DNSName,
        canonicalHostedZoneId: match.CanonicalHostedZoneId,
        state: match.State?.Code ?? 'provisioning',
      };
    }
    marker = page.NextMarker;
  } while (marker);
  return undefined;
}
