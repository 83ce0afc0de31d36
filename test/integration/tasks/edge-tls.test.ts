/**
 * HTTPS at the edge, as far as moto goes: each region's foundation holds an ACM certificate for
 * the record name (as the foundation stack issues it); the edge task applies the default edge
 * with that certificate; the emulated cloud controller, reading the Service as EKS's built-in
 * cloud provider does, gives the region a network load balancer with a TLS:443 listener (the
 * region's certificate, the configured security policy), a TCP:80 listener (nginx redirects it
 * to HTTPS) and the owner tag. moto cannot check the rest: no TLS handshake, no traffic through
 * the listeners, the certificate is issued by moto's timer rather than by DNS validation.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  type Listener,
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { loadBalancerController, loadBalancerName } from '../../../sandbox/cloud-controller';
import { provisionEmulatedDeployment } from '../../../sandbox/emulated-deployment';
import { KubernetesApiDouble } from '../../../sandbox/kubernetes-api-double';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import { EDGE_AGENT_SCRIPT_ENV } from '../../../functions/domain/edge-manifests';
import { clusterName, foundationParameterName } from '../../../functions/domain/naming';
import { KUBERNETES_API_OVERRIDE_ENV } from '../../../functions/kubernetes/cluster-access';
import { exampleConfig } from '../../support/config-fixtures';
import { shippedEdgeAgent } from '../../support/deployed-lambdas';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';
import { describeWithMoto, motoClientConfig, motoEndpoint, useEmulator } from '../../support/moto';

type Handler = (input: unknown) => Promise<Record<string, unknown>>;
const EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:edgetls-scale-up:up-test';

/** A deployment of `prefix` in moto with the task handlers (from source) and the cloud controller. */
async function deployEdge(prefix: string, tlsEnabled: boolean) {
  await useEmulator();
  const provisioned = await provisionEmulatedDeployment(
    exampleConfig((raw) => {
      raw.prefix = prefix;
      raw.regions = { alwaysOn: ['us-east-1'], elastic: ['sa-east-1', 'ap-northeast-1'] };
      raw.edge.tls = { enabled: tlsEnabled };
    }),
  );
  const api = new KubernetesApiDouble();
  process.env[KUBERNETES_API_OVERRIDE_ENV] = `${await api.start()}/clusters/{cluster}`;
  api.cloudController = loadBalancerController(prefix, motoEndpoint());
  // The edge task runs from its source here, with no bundle beside it: the agent the bundle ships.
  process.env[EDGE_AGENT_SCRIPT_ENV] = shippedEdgeAgent();
  setTaskEnvironment(provisioned.config, provisioned.controlPlane);
  const load = async (name: 'cluster' | 'edge'): Promise<Handler> => {
    const module = (await import(`../../../functions/tasks/${name}-task`)) as {
      handler: (event: unknown, context: unknown) => Promise<Record<string, unknown>>;
    };
    return (input) => module.handler(input, lambdaContext(`${name}-task`));
  };
  return { config: provisioned.config, api, cluster: await load('cluster'), edge: await load('edge') };
}

function stopEdge(api: KubernetesApiDouble): Promise<void> {
  delete process.env[KUBERNETES_API_OVERRIDE_ENV];
  delete process.env[EDGE_AGENT_SCRIPT_ENV];
  return api.stop();
}

/** What ELBv2 of the region holds for this deployment's edge load balancer. */
async function edgeLoadBalancer(config: AutoscalerConfig, region: string) {
  const elb = new ElasticLoadBalancingV2Client(motoClientConfig(region));
  const { LoadBalancers = [] } = await elb.send(new DescribeLoadBalancersCommand({}));
  const loadBalancer: LoadBalancer | undefined = LoadBalancers.find(
    (lb) => lb.LoadBalancerName === loadBalancerName(config.prefix),
  );
  if (!loadBalancer) return undefined;
  const arn = loadBalancer.LoadBalancerArn!;
  const { Listeners = [] } = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: arn }));
  const { TagDescriptions = [] } = await elb.send(new DescribeTagsCommand({ ResourceArns: [arn] }));
  const { TargetGroups = [] } = await elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: arn }));
  const tags = Object.fromEntries((TagDescriptions[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
  const targetGroupOf = (listener: Listener) =>
    TargetGroups.find((tg) => tg.TargetGroupArn === listener.DefaultActions?.[0]?.TargetGroupArn);
  const listeners = Listeners.map((l) => ({
    listener: `${l.Protocol}:${l.Port}`,
    certificates: (l.Certificates ?? []).map((c) => c.CertificateArn),
    // moto reports its default policy on every listener; AWS has one on TLS listeners only.
    sslPolicy: l.Protocol === 'TLS' ? l.SslPolicy : undefined,
    targets: `${targetGroupOf(l)?.Protocol} ${targetGroupOf(l)?.TargetType}`,
  })).sort((a, b) => a.listener.localeCompare(b.listener));
  return { loadBalancer, listeners, tags, targetGroups: TargetGroups };
}

describeWithMoto('HTTPS at the edge: the certificate, the listeners and the tags in the emulator', () => {
  const region = 'sa-east-1';
  let deployment: Awaited<ReturnType<typeof deployEdge>>;
  let certificateArn: string;

  beforeAll(async () => {
    deployment = await deployEdge('edgetls', true);
    const { Parameter } = await new SSMClient(motoClientConfig(region)).send(
      new GetParameterCommand({ Name: foundationParameterName('edgetls', region) }),
    );
    certificateArn = (JSON.parse(Parameter!.Value!) as { certificateArn: string }).certificateArn;
    const created = await deployment.cluster({ action: 'ensureCluster', region, executionId: EXECUTION });
    expect(created).toMatchObject({ created: true });
  }, 180_000);
  afterAll(() => stopEdge(deployment.api));

  it("creates the cluster with the Service range whose DNS address nginx's resolver names", async () => {
    const { cluster } = await new EKSClient(motoClientConfig(region)).send(
      new DescribeClusterCommand({ name: clusterName('edgetls', region) }),
    );
    expect(cluster?.kubernetesNetworkConfig).toMatchObject({ serviceIpv4Cidr: '172.20.0.0/16', ipFamily: 'ipv4' });
  });

  it('gets a load balancer with TLS:443 (the certificate, the policy) and TCP:80, tagged as ours, once the edge task applies the edge', async () => {
    expect(await deployment.edge({ action: 'applyEdge', region })).toMatchObject({ created: true });
    const held = await edgeLoadBalancer(deployment.config, region);
    expect(held?.listeners).toEqual([
      // Plain HTTP reaches nginx's redirect to HTTPS.
      { listener: 'TCP:80', certificates: [], sslPolicy: undefined, targets: 'TCP instance' },
      // TLS ends at the load balancer: nginx receives plain TCP.
      {
        listener: 'TLS:443',
        certificates: [certificateArn],
        sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        targets: 'TCP instance',
      },
    ]);
    expect(held?.tags).toMatchObject({
      'edge-autoscaler:owner': 'edgetls',
      'kubernetes.io/service-name': 'edge/edge',
      'kubernetes.io/cluster/edgetls-edge-sa-east-1': 'owned',
    });
    // externalTrafficPolicy Local: only nodes running an edge pod pass kube-proxy's health check.
    for (const targetGroup of held?.targetGroups ?? []) {
      expect(targetGroup).toMatchObject({ HealthCheckProtocol: 'HTTP', HealthCheckPath: '/healthz' });
    }
  });

  it('reports that load balancer as the endpoint, then deletes it with its target groups when the edge is deleted', async () => {
    const held = await edgeLoadBalancer(deployment.config, region);
    expect(await deployment.edge({ action: 'readEdgeEndpoint', region })).toMatchObject({
      ready: true,
      dnsName: held?.loadBalancer.DNSName,
    });
    deployment.api.serviceDeletionReads = 0;
    expect(await deployment.edge({ action: 'deleteEdge', region })).toMatchObject({ ready: true });
    expect(await edgeLoadBalancer(deployment.config, region)).toBeUndefined();
    const { TargetGroups = [] } = await new ElasticLoadBalancingV2Client(motoClientConfig(region)).send(
      new DescribeTargetGroupsCommand({}),
    );
    expect(TargetGroups.filter((tg) => held?.targetGroups.some((t) => t.TargetGroupArn === tg.TargetGroupArn))).toEqual(
      [],
    );
  });
});

describeWithMoto('without edge.tls.enabled', () => {
  const region = 'ap-northeast-1';
  let deployment: Awaited<ReturnType<typeof deployEdge>>;

  beforeAll(async () => {
    deployment = await deployEdge('edgeplain', false);
    await deployment.cluster({ action: 'ensureCluster', region, executionId: EXECUTION });
  }, 180_000);
  afterAll(() => stopEdge(deployment.api));

  it('writes no certificate into the foundation and gets one TCP:80 listener, tagged as ours', async () => {
    const { Parameter } = await new SSMClient(motoClientConfig(region)).send(
      new GetParameterCommand({ Name: foundationParameterName('edgeplain', region) }),
    );
    expect(JSON.parse(Parameter!.Value!)).not.toHaveProperty('certificateArn');
    await deployment.edge({ action: 'applyEdge', region });
    const held = await edgeLoadBalancer(deployment.config, region);
    expect(held?.listeners).toEqual([
      { listener: 'TCP:80', certificates: [], sslPolicy: undefined, targets: 'TCP instance' },
    ]);
    expect(held?.tags).toMatchObject({ 'edge-autoscaler:owner': 'edgeplain' });
  });
});
