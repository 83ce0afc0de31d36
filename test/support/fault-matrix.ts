/**
 * The fault matrix on what deploys (its two halves: test/integration/workflows/deployed-fault-matrix-*.test.ts):
 * the synthesized definitions executed with the bundled task Lambdas against moto
 * (test/support/deployed-workflows.ts). At every AWS and Kubernetes call of both workflows: (a) a
 * transient fault is retried by the definition and the run succeeds; (b) a permanent fault rolls
 * the scale-up back with nothing left behind (no cluster, nodegroup, Service, record or lock;
 * region FAILED with the cause), or fails the scale-down cleanly; (c) a resource that never
 * settles hits its phase deadline and is rolled back.
 *
 * Each half runs on a moto server of its own: the matrix is the longest suite, and moto serves
 * one request at a time per process, so its halves and the other suites do not queue behind
 * each other.
 */
import { afterAll, afterEach, beforeAll, expect } from '@jest/globals';
import { FAULTS, reportRoute53ChangesPending, SDK_MAX_ATTEMPTS, type CallMatch } from '../../sandbox/aws-proxy';
import { startMotoServer, type MotoServer } from '../../sandbox/moto-server';
import { approvedRegions } from '../../functions/domain/config';
import { initialRegionState } from '../../functions/domain/region-state';
import type { WorkflowName } from '../../workflows/definitions';
import type { LocalRunResult } from '../../workflows/run-locally';
import { exampleConfig } from './config-fixtures';
import { startDeployedWorkflows, type DeployedWorkflows } from './deployed-workflows';

export const ELASTIC = 'ap-southeast-1';
export const ALWAYS_ON = 'us-east-1';

/** `parallel`: how many such calls the step makes at once (each is tried SDK_MAX_ATTEMPTS times). */
export type Call = { name: string; match?: CallMatch; kubernetes?: boolean; parallel?: number };
const aws = (service: string, operation: string, region?: string, parallel?: number): Call => ({
  name: `${service} ${operation}`,
  match: { service, operation, region },
  parallel,
});
const KUBERNETES: Call = { name: 'Kubernetes API', kubernetes: true };

/** Every call a scale-up makes (besides the home region's state table and topic). */
export const SCALE_UP_CALLS: Call[] = [
  aws('eks', 'DescribeCluster', ELASTIC),
  aws('eks', 'CreateCluster', ELASTIC),
  // The cluster's access entries (served by the proxy: moto has none).
  aws('sts', 'GetCallerIdentity', ELASTIC),
  aws('eks', 'ListAccessEntries', ELASTIC),
  aws('eks', 'CreateAccessEntry', ELASTIC),
  aws('eks', 'AssociateAccessPolicy', ELASTIC),
  aws('eks', 'DescribeNodegroup', ELASTIC),
  aws('eks', 'CreateNodegroup', ELASTIC),
  KUBERNETES,
  aws('elasticloadbalancing', 'DescribeLoadBalancers', ELASTIC),
  aws('route53', 'ListResourceRecordSets'),
  aws('route53', 'ChangeResourceRecordSets'),
  aws('route53', 'GetChange'),
];
/** The control plane's own calls: retried like any other, never a reason to roll back. */
export const CONTROL_PLANE_CALLS: Call[] = [
  // The last-serving-region check reads every approved region's state at once.
  aws('dynamodb', 'GetItem', ALWAYS_ON, approvedRegions(exampleConfig()).length),
  aws('dynamodb', 'PutItem', ALWAYS_ON),
  // lockRegion, finishScaling and failScaling write the state item with UpdateItem.
  aws('dynamodb', 'UpdateItem', ALWAYS_ON),
  aws('dynamodb', 'DeleteItem', ALWAYS_ON),
  aws('sns', 'Publish', ALWAYS_ON),
];
export const SCALE_DOWN_CALLS: Call[] = [
  aws('eks', 'DescribeCluster', ELASTIC),
  aws('route53', 'ListResourceRecordSets'),
  aws('route53', 'ChangeResourceRecordSets'),
  aws('route53', 'GetChange'),
  KUBERNETES,
  aws('eks', 'DescribeNodegroup', ELASTIC),
  aws('eks', 'DeleteNodegroup', ELASTIC),
  aws('eks', 'DeleteCluster', ELASTIC),
];

export interface FaultMatrix {
  world(): DeployedWorkflows;
  recordChangesPending(): () => void;
  recordChangesStuck(): () => void;
  inject(call: Call, kind: 'transient' | 'permanent'): () => void;
  runCase(workflow: WorkflowName, ...conditions: (() => () => void)[]): Promise<LocalRunResult>;
  expectNothingLeft(): Promise<void>;
}

/**
 * Registers the matrix's hooks in the calling test file: a moto server of its own, a deployment
 * named `prefix` with the always-on region serving, a clean elastic region after each case.
 */
export function useFaultMatrix(prefix: string): FaultMatrix {
  let world: DeployedWorkflows;
  let moto: MotoServer;
  let matrixSize = 0;
  const sharedEndpoint = process.env.MOTO_ENDPOINT;

  beforeAll(async () => {
    moto = await startMotoServer();
    process.env.MOTO_ENDPOINT = moto.endpoint;
    world = await startDeployedWorkflows(prefix);
    expect((await world.run('scaleUp', ALWAYS_ON)).status).toBe('SUCCEEDED');
  }, 360_000);

  afterEach(async () => {
    await scaleDownEverything();
    // Each case starts in new Lambda environments: SDK retry quotas spent by one case's faults do not carry over.
    await world.reloadTasks();
  }, 180_000);

  afterAll(async () => {
    console.log(
      `fault matrix (${prefix}): ${matrixSize} cases on the bundled task Lambdas and the synthesized definitions`,
    );
    await world?.stop();
    await moto?.stop();
    // Later suites in this worker use the run's shared emulator again.
    process.env.MOTO_ENDPOINT = sharedEndpoint;
    process.env.AWS_ENDPOINT_URL = sharedEndpoint;
  });

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

  return {
    world: () => world,
    recordChangesPending,
    recordChangesStuck,
    inject,
    runCase,
    expectNothingLeft,
  };
}
