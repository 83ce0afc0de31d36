/**
 * The error names of the workflow contract, as the built bundles report them. The deployed task
 * Lambdas are minified: only an invocation of the bundle that `cdk synth` packaged shows the
 * `errorType` Step Functions will match its Retry and Catch on. Each task bundle is invoked, as
 * the Lambda runtime would, into every error it can raise; AWS calls go to moto through a
 * fault-injecting proxy, Kubernetes calls to a local API server.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { readFileSync } from 'node:fs';
import { provisionEmulatedDeployment } from '../../../sandbox/emulated-deployment';
import { KubernetesApiDouble } from '../../../sandbox/kubernetes-api-double';
import { StateStore } from '../../../functions/adapters/state-store';
import { documentClient } from '../../../functions/commons/aws-clients';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import { EDGE_AGENT_FILE, EDGE_AGENT_SCRIPT_ENV } from '../../../functions/domain/edge-manifests';
import { ERROR_NAMES } from '../../../functions/domain/errors';
import { clusterName } from '../../../functions/domain/naming';
import { KUBERNETES_API_OVERRIDE_ENV } from '../../../functions/kubernetes/cluster-access';
import {
  FAULTS,
  reportRoute53ChangesPending,
  startAwsFaultProxy,
  type AwsFaultProxy,
} from '../../../sandbox/aws-proxy';
import { exampleConfig } from '../../support/config-fixtures';
import {
  invokeAsLambda,
  loadBundledLambda,
  shippedEdgeAgent,
  synthesizedDeployment,
  type BundledHandler,
  type InvocationOutcome,
} from '../../support/deployed-lambdas';
import { lambdaContext, setTaskEnvironment, TASK_ENVIRONMENT_KEYS } from '../../support/lambda-context';
import { describeWithMoto, motoEndpoint, useEmulator } from '../../support/moto';

const PAST = '2020-01-01T00:00:00.000Z';
const FOREIGN_REGION = 'ap-south-1';
const SERVING_REGION = 'ap-northeast-1';
const EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:errnames-scale-up:up-test';

let proxy: AwsFaultProxy;
let config: AutoscalerConfig;
let tableName: string;
const api = new KubernetesApiDouble();
const bundles = {} as Record<'regionTask' | 'clusterTask' | 'edgeTask' | 'dnsTask', BundledHandler>;

type Task = keyof typeof bundles;

/** Runs `body` with a fault set up, then removes it. */
async function withFault(setUp: () => () => void, body: () => Promise<void>): Promise<void> {
  const remove = setUp();
  try {
    await body();
  } finally {
    remove();
  }
}

const invoke = (task: keyof typeof bundles, event: unknown): Promise<InvocationOutcome> =>
  invokeAsLambda(bundles[task], event, lambdaContext(task));

async function expectErrorType(task: keyof typeof bundles, event: unknown, errorType: string): Promise<void> {
  const outcome = await invoke(task, event);
  expect(outcome).toMatchObject({ ok: false, errorType });
}

async function markActive(region: string): Promise<void> {
  await new StateStore(documentClient(config.homeRegion), tableName).putRegionState({
    region,
    status: 'ACTIVE',
    since: new Date().toISOString(),
    consecutiveFailures: 0,
  });
}

describe('the deployed bundles', () => {
  it('get from the template every variable the tests give them', () => {
    const { lambdas } = synthesizedDeployment();
    for (const task of ['regionTask', 'clusterTask', 'edgeTask', 'dnsTask'] as const) {
      expect({ task, keys: lambdas[task].environmentKeys }).toEqual({
        task,
        keys: expect.arrayContaining(TASK_ENVIRONMENT_KEYS),
      });
    }
  });

  it('carry every name of the workflow contract as a literal', () => {
    const { lambdas } = synthesizedDeployment();
    for (const task of ['regionTask', 'clusterTask', 'edgeTask', 'dnsTask'] as const) {
      const code = readFileSync(lambdas[task].file, 'utf8');
      for (const name of Object.values(ERROR_NAMES))
        expect({ task, name, found: code.includes(`"${name}"`) }).toEqual({ task, name, found: true });
    }
  });
});

describeWithMoto('the errorType each built task bundle reports', () => {
  beforeAll(async () => {
    await useEmulator();
    const provisioned = await provisionEmulatedDeployment(exampleConfig((raw) => void (raw.prefix = 'errnames')));
    config = provisioned.config;
    tableName = provisioned.controlPlane.stateTableName;
    proxy = await startAwsFaultProxy(motoEndpoint());
    // The bundles' own SDK clients read the endpoint when they are created: through the proxy.
    process.env.AWS_ENDPOINT_URL = proxy.endpoint;
    process.env[KUBERNETES_API_OVERRIDE_ENV] = `${await api.start()}/clusters/{cluster}`;
    setTaskEnvironment(config, provisioned.controlPlane);
    for (const task of ['regionTask', 'clusterTask', 'edgeTask', 'dnsTask'] as const) {
      bundles[task] = await loadBundledLambda(task);
    }
    await markActive('us-east-1');
    await markActive('eu-west-1');
    // A cluster under our name that someone else made (no owner tag), and one of ours.
    await new EKSClient({ region: FOREIGN_REGION, endpoint: motoEndpoint() }).send(
      new CreateClusterCommand({
        name: clusterName(config.prefix, FOREIGN_REGION),
        roleArn: 'arn:aws:iam::123456789012:role/someone-else',
        resourcesVpcConfig: { subnetIds: [] },
      }),
    );
    const created = await invoke('clusterTask', {
      action: 'ensureCluster',
      region: SERVING_REGION,
      executionId: EXECUTION,
    });
    if (!created.ok) throw new Error(`ensureCluster failed: ${created.errorType}: ${created.errorMessage}`);
    expect(created).toMatchObject({ ok: true, result: { created: true } });
  }, 180_000);

  afterAll(async () => {
    process.env.AWS_ENDPOINT_URL = motoEndpoint();
    delete process.env[KUBERNETES_API_OVERRIDE_ENV];
    await api.stop();
    await proxy?.close();
  });

  // Each row: a task bundle, an input and the errorType the runtime reports for it.
  it.each<[Task, string, Record<string, unknown>, string]>([
    ['regionTask', 'an unknown action', { action: 'noSuchAction' }, ERROR_NAMES.invalidRequest],
    [
      'regionTask',
      'an unknown region code',
      { action: 'validateScaleUp', request: { region: 'mars-north-1' } },
      ERROR_NAMES.invalidRequest,
    ],
    [
      'regionTask',
      'a region in neither list',
      { action: 'validateScaleUp', request: { region: 'eu-north-1' } },
      ERROR_NAMES.invalidRequest,
    ],
    [
      'regionTask',
      'taking an always-on region down',
      { action: 'validateScaleDown', request: { region: 'us-east-1' } },
      ERROR_NAMES.refused,
    ],
    [
      'regionTask',
      'taking down a cluster not ours',
      { action: 'validateScaleDown', request: { region: FOREIGN_REGION } },
      ERROR_NAMES.notOwned,
    ],
    ['clusterTask', 'no executionId', { action: 'ensureCluster', region: SERVING_REGION }, ERROR_NAMES.invalidRequest],
    [
      'clusterTask',
      'a region in neither list',
      { action: 'ensureCluster', region: 'eu-north-1', executionId: EXECUTION },
      ERROR_NAMES.invalidRequest,
    ],
    [
      'clusterTask',
      'adopting a cluster not ours',
      { action: 'ensureCluster', region: FOREIGN_REGION, executionId: EXECUTION },
      ERROR_NAMES.notOwned,
    ],
    [
      'clusterTask',
      'a nodegroup without its cluster',
      { action: 'ensureNodegroup', region: 'sa-east-1', executionId: EXECUTION },
      ERROR_NAMES.resourceFailed,
    ],
    [
      'clusterTask',
      'a cluster not ACTIVE by its deadline',
      { action: 'describeCluster', region: 'sa-east-1', awaiting: 'ACTIVE', deadline: PAST },
      ERROR_NAMES.deadlineExceeded,
    ],
    ['edgeTask', 'no region', { action: 'applyEdge' }, ERROR_NAMES.invalidRequest],
    ['edgeTask', 'a cluster not ours', { action: 'applyEdge', region: FOREIGN_REGION }, ERROR_NAMES.notOwned],
    [
      'edgeTask',
      'a cluster that does not exist',
      { action: 'readEdgeEndpoint', region: 'sa-east-1' },
      ERROR_NAMES.resourceFailed,
    ],
    [
      'dnsTask',
      'a region in neither list',
      { action: 'deleteRecord', region: 'eu-north-1' },
      ERROR_NAMES.invalidRequest,
    ],
  ])('%s reports, for %s, errorType %s', async (task, _what, event, errorType) => {
    await expectErrorType(task, event, errorType);
  });

  it('region-task: RegionLockedError for a lock held by another execution, TransientError for a throttled read', async () => {
    const lock = (owner: string) => ({ action: 'lockRegion', region: 'sa-east-1', owner, direction: 'up' });
    expect(await invoke('regionTask', lock(`${EXECUTION}-first`))).toMatchObject({ ok: true });
    await expectErrorType('regionTask', lock(`${EXECUTION}-second`), ERROR_NAMES.regionLocked);
    await withFault(
      () => proxy.failNextCall({ service: 'dynamodb', operation: 'GetItem' }, FAULTS.throttling),
      () => expectErrorType('regionTask', lock(`${EXECUTION}-first`), ERROR_NAMES.transient),
    );
  }, 180_000);

  it('cluster-task: TransientError for a throttled EKS call', async () => {
    await withFault(
      () =>
        proxy.failNextCall({ service: 'eks', operation: 'DescribeCluster', region: SERVING_REGION }, FAULTS.throttling),
      () =>
        expectErrorType('clusterTask', { action: 'describeCluster', region: SERVING_REGION }, ERROR_NAMES.transient),
    );
  }, 180_000);

  it('edge-task: DeadlineExceededError for a load balancer past its deadline, TransientError for a Kubernetes 503', async () => {
    expect(await invoke('edgeTask', { action: 'applyEdge', region: SERVING_REGION })).toMatchObject({ ok: true });
    // No load-balancer controller runs here: the Service never gets its load balancer.
    const overdue = { action: 'readEdgeEndpoint', region: SERVING_REGION, deadline: PAST };
    await expectErrorType('edgeTask', overdue, ERROR_NAMES.deadlineExceeded);
    api.failNext(503);
    await expectErrorType('edgeTask', { action: 'readEdgeEndpoint', region: SERVING_REGION }, ERROR_NAMES.transient);
  }, 180_000);

  it('edge-task: deploys the demand counter it ships beside its own bundle, read from there', async () => {
    // The test hook that points handlers run from source at a built counter is not set for bundles.
    expect(process.env[EDGE_AGENT_SCRIPT_ENV]).toBeUndefined();
    expect(await invoke('edgeTask', { action: 'applyEdge', region: SERVING_REGION })).toMatchObject({ ok: true });
    const applied = api.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/configmaps/edge-agent'));
    expect(applied.length).toBeGreaterThan(0);
    const data = (applied.at(-1)!.body as { data: Record<string, string> }).data;
    expect(data[EDGE_AGENT_FILE]).toBe(readFileSync(shippedEdgeAgent(), 'utf8'));
  }, 180_000);

  it('dns-task: TransientError for a change refused while the last one settles, DeadlineExceededError for a change past its deadline', async () => {
    await withFault(
      () =>
        proxy.failNextCall({ service: 'route53', operation: 'ListResourceRecordSets' }, FAULTS.priorRequestNotComplete),
      () => expectErrorType('dnsTask', { action: 'deleteRecord', region: SERVING_REGION }, ERROR_NAMES.transient),
    );
    const target = { dnsName: 'edge-1.ap-northeast-1.elb.amazonaws.com', hostedZoneId: 'Z14GRHDCWA56QT' };
    await withFault(
      () => reportRoute53ChangesPending(proxy, { alsoGetChange: true }),
      async () => {
        const upsert = await invoke('dnsTask', { action: 'upsertRecord', region: SERVING_REGION, target });
        expect(upsert).toMatchObject({ ok: true, result: { status: 'PENDING', written: true } });
        const { changeId } = (upsert as { result: { changeId: string } }).result;
        await expectErrorType(
          'dnsTask',
          { action: 'getChange', changeId, deadline: PAST },
          ERROR_NAMES.deadlineExceeded,
        );
      },
    );
    expect(await invoke('dnsTask', { action: 'deleteRecord', region: SERVING_REGION })).toMatchObject({ ok: true });
  }, 180_000);
});
