/**
 * The emulated cloud's lead times (sandbox/emulated-lead-times.ts) on the rules it installs on the
 * AWS proxy, driven here as the proxy drives them: the responders first (in order; undefined lets
 * the request pass), then the rewrites of the emulator's answer, with moto's bodies (ACTIVE at
 * once) and a simulated Date the test moves. The same layer against moto itself, through the real
 * proxy and the SDK: test/integration/sandbox/lead-times.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AwsServiceFault, type CallMatch, type Responder, type ServedRequest } from '../../../sandbox/aws-proxy';
import { TIMING_PROFILES, type AwsTimings } from '../../../sandbox/aws-timings';
import { EmulatedLeadTimes } from '../../../sandbox/emulated-lead-times';
import { scaleUpLeadTime } from '../../../sandbox/lead-times';
import { installSimulatedDate } from '../../../sandbox/simulated-clock';

const START = Date.parse('2026-11-20T10:00:00Z');
const REGION = 'sa-east-1';
const CLUSTER = 'edgescale-edge-sa-east-1';
const NODEGROUP = 'edgescale-edge-nodes';
const REALISTIC = TIMING_PROFILES.realistic;

/** The proxy's rules, as installed, and a call through them. */
function fakeProxy() {
  const served: { match: CallMatch; responder: Responder }[] = [];
  const rewrites: { match: CallMatch; rewrite: (body: string, request: ServedRequest) => string }[] = [];
  const matches = (m: CallMatch, service: string, operation: string) =>
    m.service === service && m.operation === operation;
  const proxy = {
    serve(match: CallMatch, responder: Responder) {
      served.push({ match, responder });
      return () => undefined;
    },
    rewriteResponses(match: CallMatch, rewrite: (body: string, request: ServedRequest) => string) {
      rewrites.push({ match, rewrite });
      return () => undefined;
    },
    rewriteJson<T extends object>(match: CallMatch, mutate: (body: T, request: ServedRequest) => T | void) {
      return proxy.rewriteResponses(match, (text, request) => {
        const body = JSON.parse(text) as T;
        return JSON.stringify(mutate(body, request) ?? body);
      });
    },
  };
  /**
   * A request through the rules: what a responder answers (or its fault), else `upstream` (the
   * emulator's answer: a body, or a fault as moto would send it) rewritten.
   */
  async function call(
    service: string,
    operation: string,
    path: string,
    options: { body?: Record<string, unknown>; text?: string; query?: string; upstream?: unknown } = {},
  ): Promise<{ body?: unknown; text?: string; fault?: string }> {
    const text = options.text ?? (options.body ? JSON.stringify(options.body) : '');
    const request: ServedRequest = {
      region: REGION,
      operation,
      segments: path.split('/').filter(Boolean),
      query: new URLSearchParams(options.query ?? ''),
      body: options.body ?? {},
      text,
    };
    try {
      for (const rule of served.filter((r) => matches(r.match, service, operation))) {
        const answer = await rule.responder(request);
        if (answer) return { body: answer.body };
      }
    } catch (error) {
      if (error instanceof AwsServiceFault) return { fault: error.fault.code };
      throw error;
    }
    if (options.upstream instanceof Error) return { fault: options.upstream.name };
    let answer = typeof options.upstream === 'string' ? options.upstream : JSON.stringify(options.upstream ?? {});
    for (const rule of rewrites.filter((r) => matches(r.match, service, operation)))
      answer = rule.rewrite(answer, request);
    return typeof options.upstream === 'string' ? { text: answer } : { body: JSON.parse(answer) };
  }
  return { proxy, call };
}

/** moto's answers: every resource ACTIVE, stamped with the real clock. */
const MOTO_CREATED_AT = Date.parse('2026-11-21T09:00:00Z') / 1000;
const motoCluster = () => ({
  cluster: {
    name: CLUSTER,
    arn: `arn:aws:eks:${REGION}:123456789012:cluster/${CLUSTER}`,
    status: 'ACTIVE',
    createdAt: MOTO_CREATED_AT,
    endpoint: 'https://example.eks.amazonaws.com/',
    certificateAuthority: { data: 'Q0E=' },
  },
});
const motoNodegroup = (desiredSize = 2) => ({
  nodegroup: {
    nodegroupName: NODEGROUP,
    clusterName: CLUSTER,
    status: 'ACTIVE',
    createdAt: MOTO_CREATED_AT,
    scalingConfig: { minSize: 0, maxSize: 4, desiredSize },
  },
});
const motoUpdate = (id: string) => ({ update: { id, status: 'Successful', type: 'ConfigUpdate', params: [] } });
const notFound = Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });

const CLUSTER_PATH = `/clusters/${CLUSTER}`;
const NODEGROUP_PATH = `${CLUSTER_PATH}/node-groups/${NODEGROUP}`;

let now = START;
let restoreDate: () => void;
const after = (seconds: number) => void (now += seconds * 1000);

beforeEach(() => {
  now = START;
  restoreDate = installSimulatedDate(() => now);
});
afterEach(() => restoreDate());

function emulated(timings: AwsTimings = REALISTIC) {
  const { proxy, call } = fakeProxy();
  const layer = new EmulatedLeadTimes(timings);
  layer.install(proxy);
  const eks = {
    createCluster: () =>
      call('eks', 'CreateCluster', '/clusters', { body: { name: CLUSTER }, upstream: motoCluster() }),
    describeCluster: (upstream: unknown = motoCluster()) => call('eks', 'DescribeCluster', CLUSTER_PATH, { upstream }),
    deleteCluster: () => call('eks', 'DeleteCluster', CLUSTER_PATH, { upstream: motoCluster() }),
    createNodegroup: (body: Record<string, unknown> = {}) =>
      call('eks', 'CreateNodegroup', `${CLUSTER_PATH}/node-groups`, {
        body: { nodegroupName: NODEGROUP, scalingConfig: { minSize: 0, maxSize: 4, desiredSize: 2 }, ...body },
        upstream: motoNodegroup(),
      }),
    describeNodegroup: (upstream: unknown = motoNodegroup()) =>
      call('eks', 'DescribeNodegroup', NODEGROUP_PATH, { upstream }),
    scale: (desiredSize: number, id: string) =>
      call('eks', 'UpdateNodegroupConfig', `${NODEGROUP_PATH}/update-config`, {
        body: { scalingConfig: { minSize: 0, maxSize: 4, desiredSize } },
        upstream: motoUpdate(id),
      }),
    describeUpdate: (id: string) =>
      call('eks', 'DescribeUpdate', `${CLUSTER_PATH}/updates/${id}`, { query: `nodegroupName=${NODEGROUP}` }),
    deleteNodegroup: () => call('eks', 'DeleteNodegroup', NODEGROUP_PATH, { upstream: motoNodegroup() }),
  };
  return { layer, call, eks };
}

const statusOf = (answer: { body?: unknown }) =>
  (answer.body as { cluster?: { status: string }; nodegroup?: { status: string } }).cluster?.status ??
  (answer.body as { nodegroup?: { status: string } }).nodegroup?.status;

describe('an EKS cluster', () => {
  it('stays CREATING, without an API endpoint, until its simulated creation time has passed, then is ACTIVE', async () => {
    const { eks } = emulated();
    const created = await eks.createCluster();
    expect(created.body).toMatchObject({ cluster: { status: 'CREATING', createdAt: START / 1000 } });
    expect((created.body as { cluster: Record<string, unknown> }).cluster).not.toHaveProperty('endpoint');
    after(REALISTIC.clusterCreateSeconds - 1);
    expect(statusOf(await eks.describeCluster())).toBe('CREATING');
    after(1);
    const described = await eks.describeCluster();
    expect(described.body).toMatchObject({
      cluster: { status: 'ACTIVE', createdAt: START / 1000, endpoint: 'https://example.eks.amazonaws.com/' },
    });
  });

  it('takes no nodegroup until it is ACTIVE, as EKS refuses one', async () => {
    const { eks } = emulated();
    await eks.createCluster();
    expect(await eks.createNodegroup()).toEqual({ fault: 'InvalidRequestException' });
    after(REALISTIC.clusterCreateSeconds);
    expect(statusOf(await eks.createNodegroup())).toBe('CREATING');
  });

  it('is DELETING for its deletion time after moto forgot it, listed, and cannot be created again meanwhile', async () => {
    const { eks, call } = emulated();
    await eks.createCluster();
    after(3600);
    const deleted = await eks.deleteCluster();
    expect(statusOf(deleted)).toBe('DELETING');
    after(REALISTIC.clusterDeleteSeconds - 1);
    expect(await eks.describeCluster(notFound)).toMatchObject({ body: { cluster: { status: 'DELETING' } } });
    expect(await call('eks', 'ListClusters', '/clusters', { upstream: { clusters: [] } })).toEqual({
      body: { clusters: [CLUSTER] },
    });
    expect(await eks.createCluster()).toEqual({ fault: 'ResourceInUseException' });
    after(1);
    expect(await eks.describeCluster(notFound)).toEqual({ fault: 'ResourceNotFoundException' });
    expect(await call('eks', 'ListClusters', '/clusters', { upstream: { clusters: [] } })).toEqual({
      body: { clusters: [] },
    });
  });
});

describe('a nodegroup', () => {
  async function activeNodegroup(body: Record<string, unknown> = {}, timings: AwsTimings = REALISTIC) {
    const emulation = emulated(timings);
    await emulation.eks.createCluster();
    after(timings.clusterCreateSeconds);
    await emulation.eks.createNodegroup(body);
    return emulation;
  }

  it('is CREATING, then ACTIVE with its nodes ready for pods', async () => {
    const { eks, layer } = await activeNodegroup();
    const createdAt = now;
    expect(statusOf(await eks.describeNodegroup())).toBe('CREATING');
    expect(layer.nodesReadyAt(REGION, CLUSTER)).toBeUndefined();
    after(REALISTIC.nodegroupCreateSeconds);
    expect(await eks.describeNodegroup()).toMatchObject({
      body: { nodegroup: { status: 'ACTIVE', createdAt: createdAt / 1000 } },
    });
    expect(layer.nodesReadyAt(REGION, CLUSTER)).toBe(now);
  });

  it.each([
    [
      'with a warm pool',
      { warmPoolConfig: { enabled: true, poolState: 'Stopped' } },
      REALISTIC.nodegroupScaleOutFromWarmPoolSeconds,
    ],
    ['without one', {}, REALISTIC.nodegroupScaleOutSeconds],
  ])('scaled from zero %s: UPDATING, its update InProgress, for that many seconds', async (_, body, seconds) => {
    const { eks, layer } = await activeNodegroup({
      ...body,
      scalingConfig: { minSize: 0, maxSize: 4, desiredSize: 0 },
    });
    after(REALISTIC.nodegroupCreateSeconds);
    expect(layer.nodesReadyAt(REGION, CLUSTER)).toBeUndefined();
    expect(await eks.scale(2, 'u-1')).toMatchObject({ body: { update: { id: 'u-1', status: 'InProgress' } } });
    after(seconds - 1);
    expect(statusOf(await eks.describeNodegroup())).toBe('UPDATING');
    expect(await eks.describeUpdate('u-1')).toMatchObject({ body: { update: { status: 'InProgress' } } });
    expect(await eks.scale(3, 'u-2')).toEqual({ fault: 'ResourceInUseException' });
    after(1);
    expect(statusOf(await eks.describeNodegroup())).toBe('ACTIVE');
    expect(await eks.describeUpdate('u-1')).toMatchObject({ body: { update: { status: 'Successful' } } });
    expect(layer.nodesReadyAt(REGION, CLUSTER)).toBe(now);
  });

  it('shows the warm pool it was given, which moto does not keep', async () => {
    const warmPoolConfig = { enabled: true, minSize: 2, poolState: 'Stopped', reuseOnScaleIn: true };
    const { eks } = await activeNodegroup({ warmPoolConfig });
    expect(await eks.describeNodegroup()).toMatchObject({ body: { nodegroup: { warmPoolConfig } } });
  });

  it('scaled to zero: UPDATING for the scale-in time, and no node for pods from the start', async () => {
    const { eks, layer } = await activeNodegroup();
    after(REALISTIC.nodegroupCreateSeconds);
    await eks.scale(0, 'u-3');
    expect(layer.nodesReadyAt(REGION, CLUSTER)).toBeUndefined();
    after(REALISTIC.nodegroupScaleInSeconds - 1);
    expect(statusOf(await eks.describeNodegroup(motoNodegroup(0)))).toBe('UPDATING');
    after(1);
    expect(statusOf(await eks.describeNodegroup(motoNodegroup(0)))).toBe('ACTIVE');
  });

  it("leaves another responder's update to it", async () => {
    const { eks } = await activeNodegroup();
    expect(await eks.describeUpdate('emulated-update-0001')).toEqual({ body: {} });
  });

  it('is DELETING for its deletion time, and holds its cluster meanwhile', async () => {
    const { eks, call } = await activeNodegroup();
    after(REALISTIC.nodegroupCreateSeconds);
    expect(statusOf(await eks.deleteNodegroup())).toBe('DELETING');
    after(REALISTIC.nodegroupDeleteSeconds - 1);
    expect(statusOf(await eks.describeNodegroup(notFound))).toBe('DELETING');
    expect(
      await call('eks', 'ListNodegroups', `${CLUSTER_PATH}/node-groups`, { upstream: { nodegroups: [] } }),
    ).toEqual({ body: { nodegroups: [NODEGROUP] } });
    expect(await eks.deleteCluster()).toEqual({ fault: 'ResourceInUseException' });
    after(1);
    expect(await eks.describeNodegroup(notFound)).toEqual({ fault: 'ResourceNotFoundException' });
    expect(statusOf(await eks.deleteCluster())).toBe('DELETING');
  });
});

describe('the load balancer and the DNS change', () => {
  const LB = 'edgescale-edge-1.sa-east-1.elb.amazonaws.com';
  const describeXml = (dnsName: string) =>
    `<DescribeLoadBalancersResponse><DescribeLoadBalancersResult><LoadBalancers><member><LoadBalancerArn>arn</LoadBalancerArn>` +
    `<DNSName>${dnsName}</DNSName><CreatedTime>2026-11-21T09:00:00Z</CreatedTime><State><Code>active</Code></State>` +
    `<AvailabilityZones><member><ZoneName>sa-east-1a</ZoneName></member></AvailabilityZones></member></LoadBalancers>` +
    `</DescribeLoadBalancersResult></DescribeLoadBalancersResponse>`;

  it('keeps the edge load balancer provisioning from its creation by the controller for its time; others as moto says', async () => {
    const { layer, call } = emulated();
    layer.loadBalancerCreated(REGION, LB);
    const describe = () =>
      call('elasticloadbalancing', 'DescribeLoadBalancers', '/', {
        upstream: describeXml(LB) + describeXml('other.elb.amazonaws.com'),
      });
    after(REALISTIC.loadBalancerCreateSeconds - 1);
    const pending = (await describe()).text!;
    expect(pending.match(/<Code>(\w+)<\/Code>/g)).toEqual(['<Code>provisioning</Code>', '<Code>active</Code>']);
    after(1);
    expect((await describe()).text!.match(/<Code>(\w+)<\/Code>/g)).toEqual([
      '<Code>active</Code>',
      '<Code>active</Code>',
    ]);
  });

  it('keeps a Route53 change PENDING, submitted at the simulated time, until its time, then INSYNC', async () => {
    const { call } = emulated();
    const changeInfo = `<ChangeInfo><Id>/change/C123</Id><Status>INSYNC</Status><SubmittedAt>2026-11-21T09:00:00Z</SubmittedAt></ChangeInfo>`;
    const batch = `<ChangeBatch><Changes><Change><Action>UPSERT</Action><ResourceRecordSet><SetIdentifier>${REGION}</SetIdentifier></ResourceRecordSet></Change></Changes></ChangeBatch>`;
    const submitted = await call('route53', 'ChangeResourceRecordSets', '/2013-04-01/hostedzone/Z1/rrset', {
      text: batch,
      upstream: changeInfo,
    });
    expect(submitted.text).toContain('<Status>PENDING</Status>');
    expect(submitted.text).toContain(`<SubmittedAt>${new Date(START).toISOString()}</SubmittedAt>`);
    const getChange = () => call('route53', 'GetChange', '/2013-04-01/change/C123', { upstream: changeInfo });
    after(REALISTIC.dnsChangeSeconds - 1);
    expect((await getChange()).text).toContain('<Status>PENDING</Status>');
    after(1);
    expect((await getChange()).text).toContain('<Status>INSYNC</Status>');
  });
});

describe('what the layer held', () => {
  it("adds up a cold scale-up's AWS time per resource, and tells it from a warm one", async () => {
    const { eks, layer } = emulated();
    const startedAt = now;
    await eks.createCluster();
    after(REALISTIC.clusterCreateSeconds + 5);
    await eks.createNodegroup({ warmPoolConfig: { enabled: true } });
    after(REALISTIC.nodegroupCreateSeconds);
    layer.loadBalancerCreated(REGION, 'lb');
    after(REALISTIC.loadBalancerCreateSeconds + 10);
    const cold = scaleUpLeadTime(
      {
        executionArn: 'arn',
        executionName: 'up-sa-east-1-x',
        region: REGION,
        regions: [REGION],
        direction: 'up',
        status: 'SUCCEEDED',
        startedAt,
        finishedAt: now,
      },
      layer,
    )!;
    expect(cold).toMatchObject({
      tier: 'cold',
      leadSeconds: 660 + 5 + 150 + 120 + 10,
      awsSeconds: 660 + 150 + 120,
      aws: { cluster: 660, nodegroup: 150, 'load balancer': 120 },
      overheadSeconds: 15,
    });

    after(3600);
    await eks.scale(0, 'down');
    after(3600);
    const warmStart = now;
    await eks.scale(2, 'up');
    after(REALISTIC.nodegroupScaleOutFromWarmPoolSeconds + 3);
    const warm = layer.heldWithin(REGION, warmStart, now);
    expect(warm).toEqual({ seconds: 60, byKind: { nodes: 60 }, began: new Set(['nodes']) });
  });

  it('holds nothing with fast timings: moto answers as it is', async () => {
    const { eks, layer } = emulated(TIMING_PROFILES.fast);
    expect(statusOf(await eks.createCluster())).toBe('ACTIVE');
    expect(statusOf(await eks.createNodegroup())).toBe('ACTIVE');
    expect(layer.heldWithin(REGION, START, now)).toMatchObject({
      seconds: 0,
      began: new Set(['cluster', 'nodegroup']),
    });
  });
});
