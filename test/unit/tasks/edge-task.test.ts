import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeClusterCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { DeadlineExceededError, InvalidRequestError, NotOwnedError } from '../../../functions/domain/errors';
import { PHASE_DEADLINE_SECONDS, type Phase } from '../../../functions/domain/phase-deadlines';
import { SETTLED_WAIT_SECONDS } from '../../../functions/domain/poll-schedule';
import { KUBERNETES_API_OVERRIDE_ENV, kubernetesClientFor } from '../../../functions/kubernetes/cluster-access';
import { exampleConfig } from '../../support/config-fixtures';
import { KubernetesApiDouble } from '../../../sandbox/kubernetes-api-double';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';

const eks = mockClient(EKSClient);
const elb = mockClient(ElasticLoadBalancingV2Client);
const ssm = mockClient(SSMClient);
const api = new KubernetesApiDouble();
const config = exampleConfig();
const region = 'ap-northeast-1';
const servicePath = '/api/v1/namespaces/edge/services/edge';
const lbHostname = 'a0123-456.elb.ap-northeast-1.amazonaws.com';
const certificateArn = 'arn:aws:acm:ap-northeast-1:123456789012:certificate/0a1b2c3d-edge';
/** The region's foundation parameter, as its foundation stack writes it (edge.tls.enabled). */
const foundation = {
  vpcId: 'vpc-1',
  subnetIds: ['subnet-a', 'subnet-b'],
  securityGroupIds: ['sg-1'],
  clusterRoleArn: 'arn:aws:iam::123456789012:role/edgescale-ap-northeast-1-eks-cluster',
  nodeRoleArn: 'arn:aws:iam::123456789012:role/edgescale-ap-northeast-1-eks-node',
  certificateArn,
};
const foundationParameter = (document: object) => ({
  Parameter: { Name: '/edgescale/foundation/ap-northeast-1', Value: JSON.stringify(document) },
});
const ourCluster = {
  cluster: {
    name: 'edgescale-edge-ap-northeast-1',
    status: 'ACTIVE' as const,
    tags: { 'edge-autoscaler:owner': 'edgescale' },
  },
};

type EdgeResult = {
  ready: boolean;
  dnsName?: string;
  hostedZoneId?: string;
  serviceCreatedAt?: string;
  created?: boolean;
  deadline?: string;
  configuration?: string;
  waitSeconds: number;
};
let handler: (input: unknown) => Promise<EdgeResult>;
let runEdgeAction: (typeof import('../../../functions/tasks/edge-task'))['runEdgeAction'];

/** The deadline a call made between `before` and now gave its phase. */
function expectDeadline(deadline: string | undefined, phase: Phase, before: number): void {
  const budget = PHASE_DEADLINE_SECONDS[phase] * 1000;
  expect(Date.parse(deadline ?? '')).toBeGreaterThanOrEqual(before + budget);
  expect(Date.parse(deadline ?? '')).toBeLessThanOrEqual(Date.now() + budget);
}
const past = () => new Date(Date.now() - 1000).toISOString();

beforeAll(async () => {
  process.env[KUBERNETES_API_OVERRIDE_ENV] = await api.start();
  setTaskEnvironment(config, { stateTableName: 'unused' });
  const module = await import('../../../functions/tasks/edge-task');
  handler = (input) => module.handler(input, lambdaContext('edge-task')) as Promise<EdgeResult>;
  ({ runEdgeAction } = module);
});
afterAll(async () => {
  delete process.env[KUBERNETES_API_OVERRIDE_ENV];
  await api.stop();
});
beforeEach(() => {
  eks.reset();
  elb.reset();
  ssm.reset();
  api.reset();
  eks.on(DescribeClusterCommand).resolves(ourCluster);
  ssm.on(GetParameterCommand).resolves(foundationParameter(foundation));
});

describe('applyEdge and readEdgeEndpoint', () => {
  it('applies the default manifests, then reports the load balancer once ELBv2 has it active', async () => {
    const before = Date.now();
    const applied = await handler({ action: 'applyEdge', region });
    // The hash of what it applied, which the scale-up records: the deployment's desired configuration.
    const { configuration } = (await handler({ action: 'describeDesiredEdge' })) as unknown as {
      configuration: string;
    };
    expect(applied).toEqual({
      ready: false,
      created: true,
      deadline: applied.deadline,
      configuration,
      waitSeconds: 120,
    });
    expect(configuration).toMatch(/^[0-9a-f]{64}$/);
    expectDeadline(applied.deadline, 'loadBalancerCreate', before);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      // Whether the Service existed before: a rollback deletes it only if this call created it.
      `GET ${servicePath}`,
      'PATCH /api/v1/namespaces/edge',
      'PATCH /api/v1/namespaces/edge/configmaps/edge-cache-config',
      'PATCH /api/v1/namespaces/edge/configmaps/edge-agent',
      'PATCH /apis/apps/v1/namespaces/edge/deployments/edge-cache',
      'PATCH /apis/policy/v1/namespaces/edge/poddisruptionbudgets/edge-cache',
      `PATCH ${servicePath}`,
    ]);
    // The agent the pods run is the built script, shipped in its ConfigMap.
    const agentMap = api.requests.find((r) => r.path.endsWith('/configmaps/edge-agent'))!;
    expect((agentMap.body as { data: Record<string, string> }).data['edge-agent.mjs']).toContain('startEdgeAgent');

    api.provisionLoadBalancer(servicePath, lbHostname);
    elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [] });
    expect((await handler({ action: 'readEdgeEndpoint', region })).ready).toBe(false);

    elb.on(DescribeLoadBalancersCommand).resolves({
      LoadBalancers: [
        { DNSName: 'other.elb.amazonaws.com', CanonicalHostedZoneId: 'ZOTHER', State: { Code: 'active' } },
        { DNSName: lbHostname, CanonicalHostedZoneId: 'Z31USIVHYNEOWT', State: { Code: 'provisioning' } },
      ],
    });
    expect((await handler({ action: 'readEdgeEndpoint', region })).ready).toBe(false);

    elb.on(DescribeLoadBalancersCommand).resolves({
      LoadBalancers: [{ DNSName: lbHostname, CanonicalHostedZoneId: 'Z31USIVHYNEOWT', State: { Code: 'active' } }],
    });
    expect(await handler({ action: 'readEdgeEndpoint', region })).toEqual({
      ready: true,
      dnsName: lbHostname,
      hostedZoneId: 'Z31USIVHYNEOWT',
      serviceCreatedAt: api.objects.get(servicePath)?.metadata?.creationTimestamp,
      waitSeconds: SETTLED_WAIT_SECONDS,
    });
  });

  it('reports a Service that existed before as not created by this call', async () => {
    await handler({ action: 'applyEdge', region });
    expect(await handler({ action: 'applyEdge', region })).toMatchObject({ created: false });
  });

  it('fails with DeadlineExceededError when the load balancer is still not active after its deadline', async () => {
    await handler({ action: 'applyEdge', region });
    api.provisionLoadBalancer(servicePath, lbHostname);
    elb.on(DescribeLoadBalancersCommand).resolves({
      LoadBalancers: [
        { DNSName: lbHostname, CanonicalHostedZoneId: 'Z31USIVHYNEOWT', State: { Code: 'provisioning' } },
      ],
    });
    await expect(handler({ action: 'readEdgeEndpoint', region, deadline: past() })).rejects.toThrow(
      DeadlineExceededError,
    );
    elb.on(DescribeLoadBalancersCommand).resolves({
      LoadBalancers: [{ DNSName: lbHostname, CanonicalHostedZoneId: 'Z31USIVHYNEOWT', State: { Code: 'active' } }],
    });
    expect(await handler({ action: 'readEdgeEndpoint', region, deadline: past() })).toMatchObject({ ready: true });
  });

  it('never deploys onto a cluster that is not ours', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { ...ourCluster.cluster, tags: {} } });
    await expect(handler({ action: 'applyEdge', region })).rejects.toThrow(NotOwnedError);
    expect(api.requests).toHaveLength(0);
  });

  it('fails clearly when the cluster is gone', async () => {
    eks.on(DescribeClusterCommand).rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
    await expect(handler({ action: 'applyEdge', region })).rejects.toThrow(/does not exist/);
  });
});

describe('deleteEdge', () => {
  it('deletes the Service, waits while its load balancer goes, then deletes the namespace', async () => {
    await handler({ action: 'applyEdge', region });
    api.provisionLoadBalancer(servicePath, lbHostname);
    api.requests.length = 0;

    const before = Date.now();
    const first = await handler({ action: 'deleteEdge', region });
    expect(first.ready).toBe(false);
    expect(first.waitSeconds).toBeGreaterThanOrEqual(15);
    expectDeadline(first.deadline, 'loadBalancerDelete', before);
    // The poll of that phase passes its deadline, and begins none.
    const second = await handler({ action: 'deleteEdge', region, deadline: first.deadline });
    expect(second).toEqual({ ready: true, waitSeconds: SETTLED_WAIT_SECONDS });
    expect(api.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([
      servicePath,
      servicePath,
      '/api/v1/namespaces/edge',
    ]);
    expect(api.objects.size).toBe(0);
  });

  it('is done at once when the cluster is missing or not serving its API', async () => {
    const done = { ready: true, deadline: expect.any(String), waitSeconds: SETTLED_WAIT_SECONDS };
    eks.on(DescribeClusterCommand).rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
    expect(await handler({ action: 'deleteEdge', region })).toEqual(done);
    eks.on(DescribeClusterCommand).resolves({ cluster: { ...ourCluster.cluster, status: 'CREATING' as const } });
    expect(await handler({ action: 'deleteEdge', region })).toEqual(done);
    expect(api.requests).toHaveLength(0);
  });

  it('fails with DeadlineExceededError when the Service is still there after the deletion deadline', async () => {
    await handler({ action: 'applyEdge', region });
    api.provisionLoadBalancer(servicePath, lbHostname);
    api.serviceDeletionReads = 100;
    await expect(handler({ action: 'deleteEdge', region, deadline: past() })).rejects.toThrow(
      /the edge Service in ap-northeast-1 to be deleted: its deadline .* has passed/,
    );
  });
});

describe("the region's certificate (edge.tls.enabled)", () => {
  const appliedService = () =>
    api.requests.find((r) => r.method === 'PATCH' && r.path === servicePath)?.body as
      { metadata: { annotations: Record<string, string> } } | undefined;
  const sslCert = 'service.beta.kubernetes.io/aws-load-balancer-ssl-cert';
  const kubernetesAndEksCalls = () => api.requests.length + eks.calls().length;

  it("applies a Service that names the certificate of the region's foundation, read with that region's SSM client", async () => {
    await handler({ action: 'applyEdge', region });
    const [read] = ssm.commandCalls(GetParameterCommand);
    expect(read?.args[0].input).toEqual({ Name: '/edgescale/foundation/ap-northeast-1' });
    expect(await (read?.thisValue as SSMClient).config.region()).toBe('ap-northeast-1');
    expect(appliedService()?.metadata.annotations[sslCert]).toBe(certificateArn);
  });

  it('refuses a foundation without a certificate (InvalidRequestError naming the stack to deploy), before any Kubernetes or EKS call', async () => {
    const { certificateArn: _none, ...withoutCertificate } = foundation;
    ssm.on(GetParameterCommand).resolves(foundationParameter(withoutCertificate));
    const applied = handler({ action: 'applyEdge', region });
    await expect(applied).rejects.toThrow(InvalidRequestError);
    await expect(applied).rejects.toThrow(
      /no edge certificate: the SSM parameter \/edgescale\/foundation\/ap-northeast-1 in ap-northeast-1 has no certificateArn.*fix: deploy the stack edgescale-region-ap-northeast-1 \(npx cdk deploy edgescale-region-ap-northeast-1\)/,
    );
    expect(kubernetesAndEksCalls()).toBe(0);
  });

  it('refuses a region whose foundation is missing, before any Kubernetes or EKS call', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    await expect(handler({ action: 'applyEdge', region })).rejects.toThrow(
      /no SSM parameter \/edgescale\/foundation\/ap-northeast-1 in ap-northeast-1; fix: deploy the stack edgescale-region-ap-northeast-1/,
    );
    expect(kubernetesAndEksCalls()).toBe(0);
  });

  it('reads the endpoint and deletes the edge without the certificate, so a scale-down works whatever the foundation holds', async () => {
    await handler({ action: 'applyEdge', region });
    api.provisionLoadBalancer(servicePath, lbHostname);
    ssm.reset();
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    elb.on(DescribeLoadBalancersCommand).resolves({
      LoadBalancers: [{ DNSName: lbHostname, CanonicalHostedZoneId: 'Z31USIVHYNEOWT', State: { Code: 'active' } }],
    });
    expect(await handler({ action: 'readEdgeEndpoint', region })).toMatchObject({ ready: true, dnsName: lbHostname });
    api.serviceDeletionReads = 0;
    expect(await handler({ action: 'deleteEdge', region })).toMatchObject({ ready: true });
    expect(api.objects.size).toBe(0);
    expect(ssm.calls()).toHaveLength(0);
  });

  it('without edge.tls.enabled reads no foundation and names no certificate', async () => {
    setTaskEnvironment(
      exampleConfig((raw) => void (raw.edge.tls = { enabled: false })),
      { stateTableName: 'unused' },
    );
    try {
      await handler({ action: 'applyEdge', region });
    } finally {
      setTaskEnvironment(config, { stateTableName: 'unused' });
    }
    expect(ssm.calls()).toHaveLength(0);
    expect(appliedService()?.metadata.annotations[sslCert]).toBeUndefined();
  });
});

describe('custom manifests (edge.manifestsPath)', () => {
  it('refuses a configuration naming manifests its bundle lacks, before any AWS or Kubernetes call', async () => {
    // Run from source, the handler has no bundle: no edge-manifests.json beside it.
    setTaskEnvironment(
      exampleConfig((raw) => void (raw.edge.manifestsPath = 'edge.json')),
      { stateTableName: 'unused' },
    );
    try {
      const applied = handler({ action: 'applyEdge', region });
      await expect(applied).rejects.toThrow(InvalidRequestError);
      await expect(applied).rejects.toThrow(/edge\.manifestsPath.*edge-manifests\.json.*fix: deploy with the CDK app/);
    } finally {
      setTaskEnvironment(config, { stateTableName: 'unused' });
    }
    expect(eks.calls()).toHaveLength(0);
    expect(ssm.calls()).toHaveLength(0);
    expect(api.requests).toHaveLength(0);
  });

  it('applies the manifests shipped with it instead of the default edge', async () => {
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'edge' }, spec: { type: 'LoadBalancer' } };
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'varnish' }, spec: {} };
    await runEdgeAction(
      { action: 'applyEdge', region },
      {
        config: exampleConfig((raw) => void (raw.edge.manifestsPath = 'edge.json')),
        eks: new EKSClient({ region }),
        elb: new ElasticLoadBalancingV2Client({ region }),
        ssm: new SSMClient({ region }),
        kubernetes: (cluster) => kubernetesClientFor(cluster, region),
        agentScript: 'unused: the custom set has no agent',
        customManifests: [deployment, service],
        now: new Date(),
      },
    );
    expect(api.requests.map((r) => r.path)).toEqual([
      servicePath,
      '/apis/apps/v1/namespaces/edge/deployments/varnish',
      servicePath,
    ]);
    // The operator's Service carries its own TLS settings: no foundation is read for it.
    expect(ssm.calls()).toHaveLength(0);
  });
});
