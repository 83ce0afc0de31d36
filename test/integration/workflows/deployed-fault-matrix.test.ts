/**
 * The fault matrix, on what deploys: the synthesized definitions executed with the bundled task
 * Lambdas against moto (test/support/deployed-workflows.ts). At every AWS and Kubernetes call of
 * both workflows: (a) a transient fault is retried by the definition and the run succeeds;
 * (b) a permanent fault rolls the scale-up back with nothing left behind (no cluster, nodegroup,
 * Service, record or lock; region FAILED with the cause), or fails the scale-down cleanly;
 * (c) a resource that never settles hits its phase deadline and is rolled back.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ERROR_NAMES } from '../../../functions/domain/errors';
import { clusterName, nodegroupName } from '../../../functions/domain/naming';
import { initialRegionState } from '../../../functions/domain/region-state';
import { FAULTS, reportRoute53ChangesPending, SDK_MAX_ATTEMPTS, type CallMatch } from '../../../cli/sandbox/aws-proxy';
import { startDeployedWorkflows, type DeployedWorkflows } from '../../support/deployed-workflows';
import { describeWithMoto } from '../../support/moto';
import { exampleConfig } from '../../support/config-fixtures';
import { approvedRegions } from '../../../functions/domain/config';
import type { WorkflowName } from '../../../workflows/definitions';
import type { LocalRunResult } from '../../../workflows/run-locally';

const ELASTIC = 'ap-southeast-1';
const ALWAYS_ON = 'us-east-1';
let world: DeployedWorkflows;
let matrixSize = 0;

/** `parallel`: how many such calls the step makes at once (each is tried SDK_MAX_ATTEMPTS times). */
type Call = { name: string; match?: CallMatch; kubernetes?: boolean; parallel?: number };
const aws = (service: string, operation: string, region?: string, parallel?: number): Call => ({
  name: `${service} ${operation}`,
  match: { service, operation, region },
  parallel,
});
const KUBERNETES: Call = { name: 'Kubernetes API', kubernetes: true };

/** Every call a scale-up makes (besides the home region's state table and topic). */
const SCALE_UP_CALLS: Call[] = [
  aws('eks', 'DescribeCluster', ELASTIC),
  aws('eks', 'CreateCluster', ELASTIC),
  aws('eks', 'DescribeNodegroup', ELASTIC),
  aws('eks', 'CreateNodegroup', ELASTIC),
  KUBERNETES,
  aws('elasticloadbalancing', 'DescribeLoadBalancers', ELASTIC),
  aws('route53', 'ListResourceRecordSets'),
  aws('route53', 'ChangeResourceRecordSets'),
  aws('route53', 'GetChange'),
];
/** The control plane's own calls: retried like any other, never a reason to roll back. */
const CONTROL_PLANE_CALLS: Call[] = [
  // The last-serving-region check reads every approved region's state at once.
  aws('dynamodb', 'GetItem', ALWAYS_ON, approvedRegions(exampleConfig()).length),
  aws('dynamodb', 'PutItem', ALWAYS_ON),
  // lockRegion, finishScaling and failScaling write the state item with UpdateItem.
  aws('dynamodb', 'UpdateItem', ALWAYS_ON),
  aws('dynamodb', 'DeleteItem', ALWAYS_ON),
  aws('sns', 'Publish', ALWAYS_ON),
];
const SCALE_DOWN_CALLS: Call[] = [
  aws('eks', 'DescribeCluster', ELASTIC),
  aws('route53', 'ListResourceRecordSets'),
  aws('route53', 'ChangeResourceRecordSets'),
  aws('route53', 'GetChange'),
  KUBERNETES,
  aws('eks', 'DescribeNodegroup', ELASTIC),
  aws('eks', 'DeleteNodegroup', ELASTIC),
  aws('eks', 'DeleteCluster', ELASTIC),
];

const recordChangesPending = () => reportRoute53ChangesPending(world.proxy);
const recordChangesStuck = () => reportRoute53ChangesPending(world.proxy, { alsoGetChange: true });

function inject(call: Call, kind: 'transient' | 'permanent'): () => void {
  if (call.kubernetes) {
    world.api.failNext(kind === 'transient' ? 503 : 403);
    return () => world.api.failNext();
  }
  if (kind === 'permanent') return world.proxy.failNextCall(call.match!, FAULTS.accessDenied);
  // Enough throttles to get past the SDK's own attempts of every call of the step.
  return world.proxy.failNext(call.match!, FAULTS.throttling, SDK_MAX_ATTEMPTS * (call.parallel ?? 1));
}

/** One case: runs `workflow` on the elastic region with `conditions` set up (each returns its remover). */
async function runCase(workflow: WorkflowName, ...conditions: (() => () => void)[]): Promise<LocalRunResult> {
  matrixSize += 1;
  const removers = conditions.map((setUp) => setUp());
  try {
    return await world.run(workflow, ELASTIC);
  } finally {
    for (const remove of removers) remove();
  }
}

async function expectNothingLeft(): Promise<void> {
  expect(await world.holdings(ELASTIC)).toEqual({ clusters: [], nodegroups: [] });
  expect(await world.latencyRecords()).toEqual([ALWAYS_ON]);
  expect(await world.loadBalancers(ELASTIC)).toEqual([]);
  expect(await world.store.getLock(ELASTIC)).toBeUndefined();
  const state = await world.store.getRegionState(ELASTIC);
  expect(state.status).toBe('FAILED');
  expect(state.lastFailureCause).toBeTruthy();
}

/**
 * Back to a clean elastic region between cases: through the workflow itself when anything is
 * left in AWS; a case that left nothing (a rollback, a refusal) only gets its region state reset.
 */
async function scaleDownEverything(): Promise<void> {
  world.proxy.reset();
  const state = await world.store.getRegionState(ELASTIC);
  const { clusters } = await world.holdings(ELASTIC);
  const leftovers = clusters.length > 0 || (await world.latencyRecords()).includes(ELASTIC);
  if (!leftovers) {
    // A fresh state: no failure cause of this case may pass for the next one's.
    if (state.status !== 'INACTIVE') await world.store.putRegionState(initialRegionState(ELASTIC, new Date()));
    return;
  }
  await world.store.updateRegionState(ELASTIC, (s) => ({ ...s, status: 'ACTIVE' }));
  const down = await world.run('scaleDown', ELASTIC);
  expect(down.status).toBe('SUCCEEDED');
}

describeWithMoto('fault matrix on the deployed workflows and bundled Lambdas', () => {
  beforeAll(async () => {
    world = await startDeployedWorkflows('wfmatrix');
    expect((await world.run('scaleUp', ALWAYS_ON)).status).toBe('SUCCEEDED');
  }, 120_000);

  afterEach(async () => {
    await scaleDownEverything();
    // Each case starts in new Lambda environments: SDK retry quotas spent by one case's faults do not carry over.
    await world.reloadTasks();
  }, 60_000);

  afterAll(async () => {
    console.log(`fault matrix: ${matrixSize} cases on the bundled task Lambdas and the synthesized definitions`);
    await world?.stop();
  });

  it.each<[WorkflowName, string, CallMatch]>([
    ['scaleUp', 'ssm GetParameter', { service: 'ssm', operation: 'GetParameter', region: ELASTIC }],
    ['scaleDown', 'eks DescribeCluster', { service: 'eks', operation: 'DescribeCluster', region: ELASTIC }],
  ])(
    '(b) %s refuses before the lock, changing nothing, after a permanent %s fault',
    async (workflow, _name, match) => {
      const before = await world.store.getRegionState(ELASTIC);
      const run = await runCase(workflow, () => world.proxy.failNextCall(match, FAULTS.accessDenied));
      expect(run).toMatchObject({ status: 'FAILED', error: 'AccessDeniedException' });
      expect(run.statesEntered).toEqual(['ValidateRequest', 'NotifyRefusal', 'Refused']);
      expect(await world.store.getRegionState(ELASTIC)).toMatchObject({ status: before.status });
      expect(await world.store.getLock(ELASTIC)).toBeUndefined();
    },
    60_000,
  );

  describe('scale-up', () => {
    it.each([...SCALE_UP_CALLS, ...CONTROL_PLANE_CALLS].map((c) => [c.name, c] as const))(
      '(a) retries a transient %s fault and serves',
      async (_name, call) => {
        const up = await runCase('scaleUp', recordChangesPending, () => inject(call, 'transient'));
        expect(up.status).toBe('SUCCEEDED');
        expect(up.events.some((e) => e.type === 'StateRetried')).toBe(true);
        expect(await world.latencyRecords()).toEqual([ELASTIC, ALWAYS_ON].sort());
        expect((await world.store.getRegionState(ELASTIC)).status).toBe('ACTIVE');
      },
      60_000,
    );

    it.each(SCALE_UP_CALLS.map((c) => [c.name, c] as const))(
      '(b) after a permanent %s fault rolls back everything and frees the lock',
      async (_name, call) => {
        const up = await runCase('scaleUp', recordChangesPending, () => inject(call, 'permanent'));
        expect(up.status).toBe('FAILED');
        expect(up.statesEntered).toContain('FailScaling');
        await expectNothingLeft();
      },
      60_000,
    );

    const stuck: [string, () => () => void][] = [
      [
        'a cluster that stays CREATING',
        () =>
          world.proxy.rewriteJson<{ cluster?: { status?: string } }>(
            { service: 'eks', operation: 'DescribeCluster', region: ELASTIC },
            (body) => void (body.cluster && (body.cluster.status = 'CREATING')),
          ),
      ],
      [
        'a nodegroup that stays CREATING',
        () =>
          world.proxy.rewriteJson<{ nodegroup?: { status?: string } }>(
            { service: 'eks', operation: 'DescribeNodegroup', region: ELASTIC },
            (body) => void (body.nodegroup && (body.nodegroup.status = 'CREATING')),
          ),
      ],
      [
        'a load balancer that never comes',
        () => {
          const controller = world.api.cloudController;
          world.api.cloudController = undefined;
          return () => void (world.api.cloudController = controller);
        },
      ],
      ['a record change that stays PENDING', recordChangesStuck],
    ];
    it.each(stuck)(
      '(c) gives up on %s at its phase deadline and rolls back',
      async (_what, makeStuck) => {
        const up = await runCase('scaleUp', makeStuck);
        expect(up).toMatchObject({ status: 'FAILED', error: ERROR_NAMES.deadlineExceeded });
        expect(up.cause).toMatch(/deadline/);
        await expectNothingLeft();
        expect((await world.store.getRegionState(ELASTIC)).lastFailureCause).toMatch(/deadline/);
      },
      60_000,
    );

    it('owns a cluster whose CreateCluster response was lost, and rolls it back after a later failure', async () => {
      const up = await runCase(
        'scaleUp',
        () =>
          world.proxy.loseNextResponse(
            { service: 'eks', operation: 'CreateCluster', region: ELASTIC },
            FAULTS.internalFailure,
          ),
        () =>
          world.proxy.failNextCall(
            { service: 'eks', operation: 'CreateNodegroup', region: ELASTIC },
            FAULTS.accessDenied,
          ),
      );
      expect(up.status).toBe('FAILED');
      await expectNothingLeft();
    }, 60_000);

    it('after adopting a cluster, rolls back the record and the Service it wrote, and keeps the cluster', async () => {
      expect((await world.run('scaleUp', ELASTIC)).status).toBe('SUCCEEDED');
      // An earlier run left the cluster and nodegroup but neither the edge Service nor the record.
      await world.tasks.dnsTask({ action: 'deleteRecord', region: ELASTIC });
      for (let i = 0; i < 5; i++) {
        const deleted = (await world.tasks.edgeTask({ action: 'deleteEdge', region: ELASTIC })) as { ready: boolean };
        if (deleted.ready) break;
      }
      expect(await world.loadBalancers(ELASTIC)).toEqual([]);

      const up = await runCase('scaleUp', recordChangesPending, () =>
        world.proxy.failNextCall({ service: 'route53', operation: 'GetChange' }, FAULTS.accessDenied),
      );
      expect(up.status).toBe('FAILED');
      expect(up.statesEntered).toEqual(expect.arrayContaining(['RollBackRecord', 'RollBackEdge']));
      expect(up.statesEntered).not.toContain('RollBackCluster');
      expect(await world.holdings(ELASTIC)).toEqual({
        clusters: [clusterName(world.config.prefix, ELASTIC)],
        nodegroups: [nodegroupName(world.config.prefix)],
      });
      expect(await world.latencyRecords()).toEqual([ALWAYS_ON]);
      expect(await world.loadBalancers(ELASTIC)).toEqual([]);
      expect(await world.store.getLock(ELASTIC)).toBeUndefined();
    }, 60_000);
  });

  describe('scale-down', () => {
    beforeEach(async () => {
      expect((await world.run('scaleUp', ELASTIC)).status).toBe('SUCCEEDED');
    }, 60_000);

    it.each([...SCALE_DOWN_CALLS, ...CONTROL_PLANE_CALLS].map((c) => [c.name, c] as const))(
      '(a) retries a transient %s fault and withdraws the region',
      async (_name, call) => {
        const down = await runCase('scaleDown', recordChangesPending, () => inject(call, 'transient'));
        expect(down.status).toBe('SUCCEEDED');
        expect(down.events.some((e) => e.type === 'StateRetried')).toBe(true);
        expect(await world.holdings(ELASTIC)).toEqual({ clusters: [], nodegroups: [] });
        expect(await world.latencyRecords()).toEqual([ALWAYS_ON]);
        expect((await world.store.getRegionState(ELASTIC)).status).toBe('INACTIVE');
      },
      60_000,
    );

    it.each(SCALE_DOWN_CALLS.filter((c) => c.name !== 'eks DescribeCluster').map((c) => [c.name, c] as const))(
      '(b) after a permanent %s fault fails cleanly: FAILED with the cause, lock free',
      async (_name, call) => {
        const down = await runCase('scaleDown', recordChangesPending, () => inject(call, 'permanent'));
        expect(down.status).toBe('FAILED');
        expect(down.statesEntered).toContain('FailScaling');
        expect(await world.store.getLock(ELASTIC)).toBeUndefined();
        const state = await world.store.getRegionState(ELASTIC);
        expect(state.status).toBe('FAILED');
        expect(state.lastFailureCause).toBeTruthy();
      },
      60_000,
    );

    it('(c) gives up on a record withdrawal that stays PENDING at its deadline', async () => {
      const down = await runCase('scaleDown', recordChangesStuck);
      expect(down).toMatchObject({ status: 'FAILED', error: ERROR_NAMES.deadlineExceeded });
      expect(await world.store.getLock(ELASTIC)).toBeUndefined();
      expect((await world.store.getRegionState(ELASTIC)).status).toBe('FAILED');
    }, 60_000);
  });
});
