/**
 * The deployed workflow definitions, executed locally (aws-local-stepfunctions) with every Task
 * bound to the real task Lambda handlers, whose AWS calls go to the moto emulator, and whose
 * Kubernetes calls go to a local API server that also plays the load-balancer controller
 * (creating and deleting real network load balancers in moto's ELBv2).
 */
import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DescribeClusterCommand,
  EKSClient,
  ListClustersCommand,
  ListNodegroupsCommand,
} from '@aws-sdk/client-eks';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { loadBalancerController, loadBalancerName } from '../../../cli/sandbox/cloud-controller';
import { StateStore } from '../../../functions/adapters/state-store';
import { documentClient, eksClient, elbClient, route53Client } from '../../../functions/commons/aws-clients';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import { clusterName, nodegroupName } from '../../../functions/domain/naming';
import { KUBERNETES_API_OVERRIDE_ENV } from '../../../functions/kubernetes/cluster-access';
import type { WorkflowName } from '../../../workflows/definitions';
import { runWorkflowLocally, type LocalRunResult, type TaskHandler } from '../../../workflows/run-locally';
import { exampleConfig } from '../../support/config-fixtures';
import { provisionEmulatedDeployment } from '../../../cli/sandbox/emulated-deployment';
import { KubernetesApiDouble } from '../../../cli/sandbox/kubernetes-api-double';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';
import { describeWithMoto, useEmulator } from '../../support/moto';
import { awsError, failNextCalls, rewriteOutputs } from '../../support/sdk-faults';

const ELASTIC = 'ap-southeast-1';
const ALWAYS_ON = 'us-east-1';
const api = new KubernetesApiDouble();
const tasks = {} as Record<'regionTask' | 'clusterTask' | 'edgeTask' | 'dnsTask', TaskHandler>;
let config: AutoscalerConfig;
let store: StateStore;
let runs = 0;

function run(workflow: WorkflowName, region: string): Promise<LocalRunResult> {
  const name = `${workflow === 'scaleUp' ? 'up' : 'down'}-${region}-test-${++runs}`;
  return runWorkflowLocally(
    workflow,
    { region, reason: 'integration test', requestedBy: 'operator' },
    {
      tasks,
      executionName: name,
    },
  );
}

/** What the emulator holds for one region: clusters, their nodegroups, and the zone's latency records. */
async function holdings(region: string) {
  const eks = new EKSClient({ region });
  const listed = await eks.send(new ListClustersCommand({}));
  // Only this suite's clusters: other suites share the emulator.
  const clusters = (listed.clusters ?? []).filter((c) => c.startsWith(`${config.prefix}-`));
  const nodegroups = [];
  for (const cluster of clusters) {
    const groups = await eks.send(new ListNodegroupsCommand({ clusterName: cluster }));
    nodegroups.push(...(groups.nodegroups ?? []));
  }
  return { clusters, nodegroups };
}

async function latencyRecords(): Promise<string[]> {
  const { ResourceRecordSets = [] } = await new Route53Client({ region: 'us-east-1' }).send(
    new ListResourceRecordSetsCommand({ HostedZoneId: config.dns.hostedZoneId }),
  );
  return ResourceRecordSets.filter((r) => r.SetIdentifier && r.Name === `${config.dns.recordName}.`)
    .map((r) => r.SetIdentifier!)
    .sort();
}

async function loadBalancers(region: string): Promise<string[]> {
  const { LoadBalancers = [] } = await new ElasticLoadBalancingV2Client({ region }).send(
    new DescribeLoadBalancersCommand({}),
  );
  // Only this suite's load balancers: other suites share the emulator.
  return LoadBalancers.filter((lb) => lb.LoadBalancerName === loadBalancerName(config.prefix)).map((lb) => lb.DNSName!);
}

async function scaleDownEverything(): Promise<void> {
  for (const region of config.regions.elastic) {
    const state = await store.getRegionState(region);
    const cluster = await eksClient(region)
      .send(new DescribeClusterCommand({ name: clusterName(config.prefix, region) }))
      .catch(() => undefined);
    if (state.status !== 'INACTIVE' || cluster) {
      await store.updateRegionState(region, (s) => ({ ...s, status: 'ACTIVE' }));
      const result = await run('scaleDown', region);
      expect(result.status).toBe('SUCCEEDED');
    }
  }
}

describeWithMoto('region lifecycle workflows: real definitions, real handlers, emulated AWS', () => {
  beforeAll(async () => {
    await useEmulator();
    const provisioned = await provisionEmulatedDeployment(exampleConfig((raw) => void (raw.prefix = 'wflife')));
    config = provisioned.config;
    process.env[KUBERNETES_API_OVERRIDE_ENV] = `${await api.start()}/clusters/{cluster}`;
    // The clusters' load-balancer controller: a Service of type LoadBalancer gets a real NLB in moto.
    api.cloudController = loadBalancerController(config.prefix);
    setTaskEnvironment(config, provisioned.controlPlane);
    store = new StateStore(documentClient(config.homeRegion), provisioned.controlPlane.stateTableName);
    for (const [task, file] of [
      ['regionTask', 'region-task'],
      ['clusterTask', 'cluster-task'],
      ['edgeTask', 'edge-task'],
      ['dnsTask', 'dns-task'],
    ] as const) {
      const module = (await import(`../../../functions/tasks/${file}`)) as {
        handler: (event: unknown, context: unknown) => Promise<unknown>;
      };
      tasks[task] = (input) => module.handler(input, lambdaContext(file));
    }
    // The always-on region comes up through the same workflow (as the reconciler does it).
    expect((await run('scaleUp', ALWAYS_ON)).status).toBe('SUCCEEDED');
  }, 60_000);

  afterEach(async () => {
    await scaleDownEverything();
    expect(await store.getLock(ELASTIC)).toBeUndefined();
  }, 60_000);

  afterAll(async () => {
    delete process.env[KUBERNETES_API_OVERRIDE_ENV];
    await api.stop();
  });

  it('scales an elastic region up, then down, leaving exactly the expected resources each time', async () => {
    const alwaysOnBefore = await holdings(ALWAYS_ON);
    expect(alwaysOnBefore.clusters).toEqual([clusterName(config.prefix, ALWAYS_ON)]);

    const up = await run('scaleUp', ELASTIC);
    expect(up.status).toBe('SUCCEEDED');
    expect(await holdings(ELASTIC)).toEqual({
      clusters: [clusterName(config.prefix, ELASTIC)],
      nodegroups: [nodegroupName(config.prefix)],
    });
    expect(await latencyRecords()).toEqual([ELASTIC, ALWAYS_ON].sort());
    expect(await loadBalancers(ELASTIC)).toHaveLength(1);
    expect((await store.getRegionState(ELASTIC)).status).toBe('ACTIVE');
    expect(api.applied('Service').map((s) => s.metadata.name)).toContain('edge');

    const down = await run('scaleDown', ELASTIC);
    expect(down.status).toBe('SUCCEEDED');
    expect(await holdings(ELASTIC)).toEqual({ clusters: [], nodegroups: [] });
    expect(await latencyRecords()).toEqual([ALWAYS_ON]);
    expect(await loadBalancers(ELASTIC)).toEqual([]);
    expect((await store.getRegionState(ELASTIC)).status).toBe('INACTIVE');

    // The always-on region's cluster and record were untouched throughout.
    expect(await holdings(ALWAYS_ON)).toEqual(alwaysOnBefore);
    expect((await store.getRegionState(ALWAYS_ON)).status).toBe('ACTIVE');
  }, 60_000);

  it('is idempotent: scale-up twice leaves one of everything; scale-down twice succeeds', async () => {
    expect((await run('scaleUp', ELASTIC)).status).toBe('SUCCEEDED');
    expect((await run('scaleUp', ELASTIC)).status).toBe('SUCCEEDED');
    expect(await holdings(ELASTIC)).toEqual({
      clusters: [clusterName(config.prefix, ELASTIC)],
      nodegroups: [nodegroupName(config.prefix)],
    });
    expect(await latencyRecords()).toEqual([ELASTIC, ALWAYS_ON].sort());
    expect(await loadBalancers(ELASTIC)).toHaveLength(1);

    expect((await run('scaleDown', ELASTIC)).status).toBe('SUCCEEDED');
    const again = await run('scaleDown', ELASTIC);
    expect(again.status).toBe('SUCCEEDED');
    expect(again.statesEntered).toEqual(['ValidateRequest', 'IsThereWorkToDo', 'AlreadyInactive']);
  }, 60_000);

  it('waits for a cluster that takes several polls to become ACTIVE', async () => {
    // moto's clusters are ACTIVE at once: report CREATING for the first three reads.
    let reads = 0;
    const restore = rewriteOutputs<{ cluster?: { status?: string } }>(
      eksClient(ELASTIC) as never,
      'DescribeClusterCommand',
      (output) => {
        if (output.cluster && reads++ < 3) output.cluster.status = 'CREATING';
      },
    );
    try {
      const up = await run('scaleUp', ELASTIC);
      expect(up.status).toBe('SUCCEEDED');
      expect(up.statesEntered.filter((s) => s === 'PollCluster').length).toBeGreaterThanOrEqual(2);
    } finally {
      restore();
    }
  }, 60_000);

  it('refuses to scale down an always-on region, changing nothing', async () => {
    const result = await run('scaleDown', ALWAYS_ON);
    expect(result).toMatchObject({ status: 'FAILED', error: 'RefusedError' });
    expect(await holdings(ALWAYS_ON)).toEqual({
      clusters: [clusterName(config.prefix, ALWAYS_ON)],
      nodegroups: [nodegroupName(config.prefix)],
    });
    expect(await latencyRecords()).toContain(ALWAYS_ON);
  }, 60_000);

  it('refuses to scale down the last serving region', async () => {
    expect((await run('scaleUp', ELASTIC)).status).toBe('SUCCEEDED');
    await store.updateRegionState(ALWAYS_ON, (s) => ({ ...s, status: 'INACTIVE' }));
    try {
      const result = await run('scaleDown', ELASTIC);
      expect(result).toMatchObject({ status: 'FAILED', error: 'RefusedError' });
      expect(result.cause).toMatch(/last/);
      expect(await latencyRecords()).toContain(ELASTIC);
      expect(await store.getLock(ELASTIC)).toBeUndefined();
    } finally {
      await store.updateRegionState(ALWAYS_ON, (s) => ({ ...s, status: 'ACTIVE' }));
    }
  }, 60_000);

  it('gives back a region that a decision claimed for a scale-down the workflow then refused', async () => {
    expect((await run('scaleUp', ELASTIC)).status).toBe('SUCCEEDED');
    await store.updateRegionState(ALWAYS_ON, (s) => ({ ...s, status: 'INACTIVE' }));
    // What the decision Lambda does before StartExecution: claim the region for the execution.
    const executionId = 'arn:aws:states:us-east-1:000000000000:execution:wflife-scale-down:down-claimed';
    await store.updateRegionState(ELASTIC, (s) => ({ ...s, status: 'DRAINING', executionArn: executionId }));
    try {
      const result = await runWorkflowLocally(
        'scaleDown',
        { region: ELASTIC, reason: 'test' },
        {
          tasks,
          executionName: 'down-claimed',
          executionId,
        },
      );
      expect(result).toMatchObject({ status: 'FAILED', error: 'RefusedError' });
      const state = await store.getRegionState(ELASTIC);
      expect(state.status).toBe('ACTIVE');
      expect(state.executionArn).toBeUndefined();
    } finally {
      await store.updateRegionState(ALWAYS_ON, (s) => ({ ...s, status: 'ACTIVE' }));
    }
  }, 60_000);

  it('refuses to scale down a cluster that is not tagged as ours', async () => {
    const region = 'ap-south-1';
    const name = clusterName(config.prefix, region);
    await new EKSClient({ region }).send(
      new CreateClusterCommand({
        name,
        roleArn: 'arn:aws:iam::123456789012:role/someone-else',
        resourcesVpcConfig: { subnetIds: [] },
      }),
    );
    await store.updateRegionState(region, (s) => ({ ...s, status: 'ACTIVE' }));
    try {
      const result = await run('scaleDown', region);
      expect(result).toMatchObject({ status: 'FAILED', error: 'NotOwnedError' });
      expect((await holdings(region)).clusters).toEqual([name]);
    } finally {
      // Remove the foreign cluster by hand: the autoscaler itself never will.
      await new EKSClient({ region }).send(new DeleteClusterCommand({ name }));
      await store.updateRegionState(region, (s) => ({ ...s, status: 'INACTIVE' }));
    }
  }, 60_000);

  it('refuses to scale up a region outside the lists, before any AWS change', async () => {
    const result = await run('scaleUp', 'eu-north-1');
    expect(result).toMatchObject({ status: 'FAILED', error: 'InvalidRequestError' });
    expect((await holdings('eu-north-1')).clusters).toEqual([]);
  }, 60_000);

  it('runs one of a concurrent scale-up and scale-down; the other fails cleanly; the lock ends free', async () => {
    expect((await run('scaleUp', ELASTIC)).status).toBe('SUCCEEDED');
    const [down, up] = await Promise.all([run('scaleDown', ELASTIC), run('scaleUp', ELASTIC)]);
    const loser = [down, up].find((r) => r.status === 'FAILED');
    expect([down.status, up.status].sort()).toEqual(['FAILED', 'SUCCEEDED']);
    expect(loser?.error).toBe('RegionLockedError');
    expect(await store.getLock(ELASTIC)).toBeUndefined();
  }, 60_000);

  const throttled = () => awsError('ThrottlingException', 400, 'Rate exceeded');
  const denied = () => awsError('AccessDeniedException', 403, 'not authorized (injected)');
  const steps: [string, () => { send: unknown }, string][] = [
    ['CreateCluster', () => eksClient(ELASTIC), 'CreateClusterCommand'],
    ['DescribeCluster', () => eksClient(ELASTIC), 'DescribeClusterCommand'],
    ['CreateNodegroup', () => eksClient(ELASTIC), 'CreateNodegroupCommand'],
    ['DescribeNodegroup', () => eksClient(ELASTIC), 'DescribeNodegroupCommand'],
    ['DescribeLoadBalancers', () => elbClient(ELASTIC), 'DescribeLoadBalancersCommand'],
    ['ChangeResourceRecordSets', () => route53Client(), 'ChangeResourceRecordSetsCommand'],
    ['GetChange', () => route53Client(), 'GetChangeCommand'],
  ];

  /** moto's Route53 changes are INSYNC at once: report them PENDING so that the workflow polls GetChange. */
  function reportRecordChangesAsPending(): () => void {
    return rewriteOutputs<{ ChangeInfo?: { Status?: string } }>(
      route53Client() as never,
      'ChangeResourceRecordSetsCommand',
      (output) => {
        if (output.ChangeInfo) output.ChangeInfo.Status = 'PENDING';
      },
    );
  }

  it.each(steps)(
    'retries a transient %s error and completes the scale-up',
    async (_step, client, command) => {
      const remove = failNextCalls(client() as never, command, throttled(), 1);
      const restore = reportRecordChangesAsPending();
      try {
        const up = await run('scaleUp', ELASTIC);
        expect(up.status).toBe('SUCCEEDED');
        expect(up.events.some((e) => e.type === 'StateRetried')).toBe(true);
        expect(await latencyRecords()).toContain(ELASTIC);
      } finally {
        remove();
        restore();
      }
    },
    60_000,
  );

  it.each(steps)(
    'after a non-retryable %s error leaves nothing it created behind and frees the lock',
    async (_step, client, command) => {
      const remove = failNextCalls(client() as never, command, denied(), 1);
      const restore = reportRecordChangesAsPending();
      try {
        const up = await run('scaleUp', ELASTIC);
        expect(up.status).toBe('FAILED');
        expect(up.statesEntered).toContain('FailScaling');
      } finally {
        remove();
        restore();
      }
      expect(await holdings(ELASTIC)).toEqual({ clusters: [], nodegroups: [] });
      expect(await latencyRecords()).toEqual([ALWAYS_ON]);
      expect(await loadBalancers(ELASTIC)).toEqual([]);
      expect(await store.getLock(ELASTIC)).toBeUndefined();
      expect((await store.getRegionState(ELASTIC)).status).toBe('FAILED');
    },
    60_000,
  );

  it('retries a transient Kubernetes API error and rolls back after a permanent one', async () => {
    api.failNext(503);
    expect((await run('scaleUp', ELASTIC)).status).toBe('SUCCEEDED');
    await scaleDownEverything();

    api.failNext(403);
    const failed = await run('scaleUp', ELASTIC);
    expect(failed.status).toBe('FAILED');
    expect(await holdings(ELASTIC)).toEqual({ clusters: [], nodegroups: [] });
    expect(await loadBalancers(ELASTIC)).toEqual([]);
    expect(await store.getLock(ELASTIC)).toBeUndefined();
  }, 60_000);
});
