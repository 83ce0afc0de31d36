/**
 * The purge Lambda as it deploys (the bundle `cdk synth` packaged) against the emulator's
 * DynamoDB and EKS and the local Kubernetes API double, whose pod proxy relays the POSTs to real
 * edge agents (the script the edge task ships) over nginx-format cache directories: every serving
 * region's pods purge, a failing pod is reported and stops nothing, a region asked for that does
 * not serve is reported as such, and bad input is refused by its contract name.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { provisionEmulatedDeployment } from '../../../sandbox/emulated-deployment';
import { KubernetesApiDouble } from '../../../sandbox/kubernetes-api-double';
import type { PurgeReport } from '../../../functions/domain/cache-purge';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import { KUBERNETES_API_OVERRIDE_ENV } from '../../../functions/kubernetes/cluster-access';
import { exampleConfig } from '../../support/config-fixtures';
import { invokeAsLambda, loadBundledLambda, type BundledHandler } from '../../support/deployed-lambdas';
import { clusterPath, setRegion, startShippedAgent, type CachingAgent } from '../../support/edge-purge-fixture';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';
import { describeWithMoto, useEmulator } from '../../support/moto';

let config: AutoscalerConfig;
let purge: BundledHandler;
const api = new KubernetesApiDouble();
const agents: CachingAgent[] = [];

const agent = async (keys: string[]) => {
  const started = await startShippedAgent(keys);
  agents.push(started);
  return started;
};

const invoke = (input: unknown) => invokeAsLambda(purge, input, lambdaContext('purge-handler'));

async function purged(input: unknown): Promise<PurgeReport> {
  const outcome = await invoke(input);
  if (!outcome.ok) throw new Error(`purge failed: ${outcome.errorType}: ${outcome.errorMessage}`);
  return outcome.result as PurgeReport;
}

describeWithMoto('the deployed purge Lambda', () => {
  beforeAll(async () => {
    await useEmulator();
    // A prefix and home region of its own: other suites share the emulator.
    const provisioned = await provisionEmulatedDeployment(
      exampleConfig((raw) => {
        raw.prefix = 'purgelambda';
        raw.homeRegion = 'eu-central-1';
      }),
    );
    config = provisioned.config;
    const table = provisioned.controlPlane.stateTableName;
    setTaskEnvironment(config, provisioned.controlPlane);
    process.env[KUBERNETES_API_OVERRIDE_ENV] = `${await api.start()}/clusters/{cluster}`;
    purge = await loadBundledLambda('purge');
    await setRegion(config, table, 'us-east-1', 'ACTIVE');
    await setRegion(config, table, 'eu-west-1', 'ACTIVE');
    await setRegion(config, table, 'sa-east-1', 'DRAINING');
    await setRegion(config, table, 'ap-south-1', 'INACTIVE', { cluster: false });
    // Serving, but its cluster is gone (deleted by hand).
    await setRegion(config, table, 'ap-northeast-1', 'ACTIVE', { cluster: false });
  }, 180_000);

  beforeEach(() => api.reset());

  afterAll(async () => {
    delete process.env[KUBERNETES_API_OVERRIDE_ENV];
    await api.stop();
    await Promise.all(agents.map((a) => a.agent.stop()));
  });

  it("purges the path in every pod of every serving region and reports each region's and pod's part", async () => {
    const a = await agent(['/images/logo.png', '/images/logo.png?v=3', '/images/other.png']);
    const b = await agent(['/images/logo.png cookies=lang=fr']);
    const c = await agent(['/images/logo.png']);
    api.setPods(clusterPath(config, 'us-east-1'), config.edge.namespace, [
      { name: 'edge-cache-a', portUrl: a.url },
      { name: 'edge-cache-b', portUrl: b.url },
    ]);
    api.setPods(clusterPath(config, 'eu-west-1'), config.edge.namespace, [{ name: 'edge-cache-c', portUrl: c.url }]);
    api.setPods(clusterPath(config, 'sa-east-1'), config.edge.namespace, []);

    const report = await purged({ path: '/images/logo.png', prefix: false });

    const byRegion = Object.fromEntries(report.regions.map((r) => [r.region, r]));
    expect(Object.keys(byRegion).sort()).toEqual(['ap-northeast-1', 'eu-west-1', 'sa-east-1', 'us-east-1']);
    expect(byRegion['us-east-1']).toEqual({
      region: 'us-east-1',
      status: 'ACTIVE',
      outcome: 'purged',
      pods: [
        { pod: 'edge-cache-a', purged: true, purgedEntries: 2, scannedEntries: 3 },
        { pod: 'edge-cache-b', purged: true, purgedEntries: 1, scannedEntries: 1 },
      ],
      podsPurged: 2,
      purgedEntries: 3,
      scannedEntries: 4,
    });
    expect(byRegion['eu-west-1']).toMatchObject({ outcome: 'purged', podsPurged: 1, purgedEntries: 1 });
    // Serving regions whose edge could not be asked: reported, and the purge is not complete.
    expect(byRegion['sa-east-1']).toMatchObject({
      status: 'DRAINING',
      outcome: 'failed',
      reason: 'no edge pod is running',
    });
    expect(byRegion['ap-northeast-1']).toMatchObject({ outcome: 'failed', reason: 'its cluster does not exist' });
    expect(report.complete).toBe(false);
    expect([...a.files, ...b.files, ...c.files].map(existsSync)).toEqual([false, false, true, false, false]);
  });

  it('reports the pod that fails with its reason, and purges the others', async () => {
    const a = await agent(['/app.js?v=1', '/app.js?v=2']);
    api.setPods(clusterPath(config, 'us-east-1'), config.edge.namespace, [
      { name: 'edge-cache-a', portUrl: a.url },
      { name: 'edge-cache-down', portUrl: 'http://127.0.0.1:9' },
    ]);

    const report = await purged({ path: '/app.js', prefix: false, regions: ['us-east-1'] });

    expect(report.regions).toEqual([
      expect.objectContaining({
        region: 'us-east-1',
        outcome: 'partial',
        podsPurged: 1,
        purgedEntries: 2,
        pods: [
          { pod: 'edge-cache-a', purged: true, purgedEntries: 2, scannedEntries: 2 },
          {
            pod: 'edge-cache-down',
            purged: false,
            reason: expect.stringMatching(/^its agent answered HTTP 503: error trying to reach service/),
          },
        ],
      }),
    ]);
    expect(report.complete).toBe(false);
    expect(a.files.map(existsSync)).toEqual([false, false]);
  });

  it('purges a prefix in the regions asked for, and reports one of them that does not serve', async () => {
    const c = await agent(['/images/a.png', '/images/b/c.webp', '/index.html']);
    api.setPods(clusterPath(config, 'eu-west-1'), config.edge.namespace, [{ name: 'edge-cache-c', portUrl: c.url }]);

    const report = await purged({ path: '/images/', prefix: true, regions: ['eu-west-1', 'ap-south-1'] });

    expect(report.regions.map((r) => [r.region, r.outcome, r.purgedEntries])).toEqual([
      ['eu-west-1', 'purged', 2],
      ['ap-south-1', 'not-serving', 0],
    ]);
    expect(report.regions[1]!.reason).toBe('not serving (INACTIVE): its edge takes no traffic, nothing to purge');
    expect(report.complete).toBe(true);
    expect(c.files.map(existsSync)).toEqual([false, false, true]);
    // us-east-1 serves but was not asked for: none of its pods was reached.
    expect(api.requests.some((r) => r.path.startsWith(clusterPath(config, 'us-east-1')))).toBe(false);
  });

  it('refuses bad input before any call, as InvalidRequestError naming each field', async () => {
    const outcome = await invoke({ path: 'images/*', prefix: 'yes', regions: ['me-south-1'] });
    expect(outcome).toEqual({
      ok: false,
      errorType: 'InvalidRequestError',
      errorMessage: expect.stringMatching(
        /^input\.path = "images\/\*": does not start with "\/".*; input\.prefix = "yes": must be true .*; input\.regions\.0 = "me-south-1": is not an approved region/,
      ),
    });
    expect(api.requests).toEqual([]);
  });
});
