/**
 * Plays the Kubernetes cloud controller for the Kubernetes API double: when the edge workload's
 * LoadBalancer Service is created on a cluster, a network load balancer appears in moto's ELBv2
 * in that cluster's region (in the subnets of the region's foundation), and the Service reports
 * its DNS name; when the Service is deleted, so is the load balancer. The edge task then finds
 * the load balancer through ELBv2 exactly as it does in AWS.
 *
 * It reads the Service as EKS's built-in (legacy, in-tree) AWS cloud provider does for
 * `aws-load-balancer-type: nlb` (k8s.io/cloud-provider-aws, pkg/providers/v1; every Service gets
 * a network load balancer here, where the provider would give others a Classic one): the load balancer
 * carries the tags of `aws-load-balancer-additional-resource-tags` (with the provider's own
 * service-name and cluster tags); each Service port gets a target group of instance targets on
 * its node port and a listener: TLS with the `aws-load-balancer-ssl-cert` certificate and the
 * `aws-load-balancer-ssl-negotiation-policy` policy on the ports `aws-load-balancer-ssl-ports`
 * names (every port when it is absent or "*"), TCP on the others. With externalTrafficPolicy
 * Local the targets are health-checked over HTTP on the Service's health-check node port
 * (kube-proxy's /healthz), so only nodes running an edge pod receive traffic.
 */
import { createHash } from 'node:crypto';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  type ProtocolEnum,
  type Tag,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { regionFoundationSchema } from '../functions/tasks/contract';
import { clusterName, foundationParameterName } from '../functions/domain/naming';
import type { KubernetesApiDouble } from './kubernetes-api-double';

type CloudController = NonNullable<KubernetesApiDouble['cloudController']>;

const LB = 'service.beta.kubernetes.io/aws-load-balancer';
/** The Service annotations the legacy provider reads for an NLB, as it names them. */
export const LOAD_BALANCER_ANNOTATIONS = {
  additionalTags: `${LB}-additional-resource-tags`,
  sslCertificate: `${LB}-ssl-cert`,
  sslPorts: `${LB}-ssl-ports`,
  sslPolicy: `${LB}-ssl-negotiation-policy`,
  backendProtocol: `${LB}-backend-protocol`,
} as const;

/** The parts of a Service the controller reads. */
export interface LoadBalancerService {
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: {
    externalTrafficPolicy?: string;
    healthCheckNodePort?: number;
    ports?: { name?: string; port: number; nodePort?: number; protocol?: string }[];
  };
}

/** One Service port as the provider maps it (its nlbPortMapping): a listener and its target group. */
export interface PortMapping {
  frontendPort: number;
  frontendProtocol: ProtocolEnum;
  /** The node port the instance targets receive traffic on. */
  trafficPort: number;
  trafficProtocol: ProtocolEnum;
  certificateArn?: string;
  sslPolicy?: string;
  healthCheck: { protocol: ProtocolEnum; port: string; path?: string; intervalSeconds: number; threshold: number };
}

/**
 * The API server allocates node ports (30000-32767); the double allocates none, so a port
 * without one stands in with the range's start plus its index (and the health-check port with its end).
 */
const NODE_PORT_BASE = 30000;
const HEALTH_CHECK_NODE_PORT = 32767;

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

/** `Key1=Value1,Key2=Value2` (a key alone has an empty value), as the provider parses tag annotations. */
export function parseAdditionalTags(annotation: string | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of (annotation ?? '').trim().split(',')) {
    const [key = '', value = ''] = pair.trim().split('=');
    if (key) tags[key] = value;
  }
  return tags;
}

/** The listener and target group of each port of the Service, by the provider's rules. */
export function portMappings(service: LoadBalancerService): PortMapping[] {
  const annotations = service.metadata.annotations ?? {};
  const certificateArn = annotations[LOAD_BALANCER_ANNOTATIONS.sslCertificate] ?? '';
  const sslPorts = (annotations[LOAD_BALANCER_ANNOTATIONS.sslPorts] ?? '').trim();
  const namedSslPorts =
    sslPorts === '' || sslPorts === '*' ? undefined : new Set(sslPorts.split(',').map((p) => p.trim()));
  const local = service.spec?.externalTrafficPolicy === 'Local';
  const healthCheck: PortMapping['healthCheck'] = local
    ? {
        protocol: 'HTTP',
        port: String(service.spec?.healthCheckNodePort ?? HEALTH_CHECK_NODE_PORT),
        path: '/healthz',
        intervalSeconds: 10,
        threshold: 2,
      }
    : { protocol: 'TCP', port: 'traffic-port', intervalSeconds: 30, threshold: 3 };
  return (service.spec?.ports ?? []).map((port, index) => {
    const protocol = (port.protocol ?? 'TCP') as ProtocolEnum;
    const mapping: PortMapping = {
      frontendPort: port.port,
      frontendProtocol: protocol,
      trafficPort: port.nodePort ?? NODE_PORT_BASE + index,
      trafficProtocol: protocol,
      healthCheck,
    };
    const isSslPort =
      !namedSslPorts ||
      namedSslPorts.has(String(port.port)) ||
      (port.name !== undefined && namedSslPorts.has(port.name));
    if (protocol !== 'UDP' && certificateArn && isSslPort) {
      mapping.frontendProtocol = 'TLS';
      mapping.certificateArn = certificateArn;
      mapping.sslPolicy = annotations[LOAD_BALANCER_ANNOTATIONS.sslPolicy] || undefined;
      if (annotations[LOAD_BALANCER_ANNOTATIONS.backendProtocol] === 'ssl') mapping.trafficProtocol = 'TLS';
    }
    return mapping;
  });
}

/** The provider's target group name: `k8s-<namespace:8>-<name:8>-<hash:10>`. */
function targetGroupName(cluster: string, service: LoadBalancerService, mapping: PortMapping): string {
  const { name, namespace = 'default' } = service.metadata;
  const { frontendPort, trafficPort, trafficProtocol, healthCheck } = mapping;
  const hashed = [cluster, namespace, name, frontendPort, trafficPort, trafficProtocol, 'instance'];
  hashed.push(healthCheck.protocol, healthCheck.intervalSeconds);
  const hash = createHash('sha1').update(hashed.join('')).digest('hex');
  const clean = (s: string) => s.replace(/[^A-Za-z0-9]/g, '').slice(0, 8);
  return `k8s-${clean(namespace)}-${clean(name)}-${hash.slice(0, 10)}`;
}

/** What the emulated cloud is told of the load balancers the controller creates (their lead time: emulated-lead-times.ts). */
export interface LoadBalancerEvents {
  created?(region: string, dnsName: string): void;
}

/**
 * `endpoint`: where the controller's own AWS calls go. It is part of the emulated cloud, so it
 * talks to the emulator directly, never through a proxy that stands in front of the Lambdas.
 */
export function loadBalancerController(
  prefix: string,
  endpoint?: string,
  events: LoadBalancerEvents = {},
): CloudController {
  const elb = (region: string) => new ElasticLoadBalancingV2Client({ region, endpoint, maxAttempts: 2 });
  return {
    async serviceCreated(servicePath, stored) {
      const region = regionOfServicePath(prefix, servicePath);
      const service = stored as unknown as LoadBalancerService;
      const client = elb(region);
      // A Service applied again after a failed run finds the load balancer it had.
      const { LoadBalancers: existing = [] } = await client.send(new DescribeLoadBalancersCommand({}));
      const own = existing.find((lb) => lb.LoadBalancerName === loadBalancerName(prefix));
      if (own?.DNSName) return own.DNSName;
      const { Parameter } = await new SSMClient({ region, endpoint, maxAttempts: 2 }).send(
        new GetParameterCommand({ Name: foundationParameterName(prefix, region) }),
      );
      const foundation = regionFoundationSchema.parse(JSON.parse(Parameter?.Value ?? '{}'));
      const cluster = clusterName(prefix, region);
      const tags: Tag[] = Object.entries({
        ...parseAdditionalTags(service.metadata.annotations?.[LOAD_BALANCER_ANNOTATIONS.additionalTags]),
        'kubernetes.io/service-name': `${service.metadata.namespace ?? 'default'}/${service.metadata.name}`,
        [`kubernetes.io/cluster/${cluster}`]: 'owned',
      }).map(([Key, Value]) => ({ Key, Value }));
      const { LoadBalancers = [] } = await client.send(
        new CreateLoadBalancerCommand({
          Name: loadBalancerName(prefix),
          Type: 'network',
          Scheme: 'internet-facing',
          Subnets: foundation.subnetIds,
          Tags: tags,
        }),
      );
      const loadBalancer = LoadBalancers[0]!;
      events.created?.(region, loadBalancer.DNSName!);
      for (const mapping of portMappings(service)) {
        const { healthCheck } = mapping;
        const { TargetGroups = [] } = await client.send(
          new CreateTargetGroupCommand({
            Name: targetGroupName(cluster, service, mapping),
            VpcId: foundation.vpcId,
            Port: mapping.trafficPort,
            Protocol: mapping.trafficProtocol,
            TargetType: 'instance',
            HealthCheckProtocol: healthCheck.protocol,
            HealthCheckPort: healthCheck.port,
            HealthCheckPath: healthCheck.path,
            HealthCheckIntervalSeconds: healthCheck.intervalSeconds,
            HealthyThresholdCount: healthCheck.threshold,
            UnhealthyThresholdCount: healthCheck.threshold,
            Tags: tags,
          }),
        );
        await client.send(
          new CreateListenerCommand({
            LoadBalancerArn: loadBalancer.LoadBalancerArn,
            Port: mapping.frontendPort,
            Protocol: mapping.frontendProtocol,
            DefaultActions: [{ Type: 'forward', TargetGroupArn: TargetGroups[0]!.TargetGroupArn }],
            ...(mapping.frontendProtocol === 'TLS' && {
              Certificates: [{ CertificateArn: mapping.certificateArn }],
              SslPolicy: mapping.sslPolicy,
            }),
            Tags: tags,
          }),
        );
      }
      return loadBalancer.DNSName!;
    },
    async serviceDeleted(servicePath, hostname) {
      const region = regionOfServicePath(prefix, servicePath);
      const client = elb(region);
      const { LoadBalancers = [] } = await client.send(new DescribeLoadBalancersCommand({}));
      const match = LoadBalancers.find((lb) => lb.DNSName?.toLowerCase() === hostname.toLowerCase());
      if (!match?.LoadBalancerArn) return;
      // Its target groups go with it (the listeners go with the load balancer).
      const targetGroups = await client
        .send(new DescribeTargetGroupsCommand({ LoadBalancerArn: match.LoadBalancerArn }))
        .then(({ TargetGroups = [] }) => TargetGroups)
        .catch((error: Error) => {
          if (error.name === 'TargetGroupNotFoundException') return [];
          throw error;
        });
      await client.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: match.LoadBalancerArn }));
      for (const { TargetGroupArn } of targetGroups) {
        await client.send(new DeleteTargetGroupCommand({ TargetGroupArn }));
      }
    },
  };
}
