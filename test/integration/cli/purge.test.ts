/**
 * `regionctl purge` end to end as far as the emulator allows: regionctl finds the deployment from
 * its control stack in moto, and its Lambda invocation runs the bundled purge Lambda in-process
 * (moto cannot run Lambda functions), which reaches real edge agents (the shipped script) through
 * the Kubernetes API double's pod proxy. What it prints, what it returns, what it purged.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { purgeCache, type FunctionInvoker } from '../../../cli/commands/purge';
import { EXIT } from '../../../cli/exit-codes';
import { KubernetesApiDouble } from '../../../sandbox/kubernetes-api-double';
import { resetClients } from '../../../functions/commons/aws-clients';
import type { PurgeReport } from '../../../functions/domain/cache-purge';
import { purgeFunctionName } from '../../../functions/domain/naming';
import { KUBERNETES_API_OVERRIDE_ENV } from '../../../functions/kubernetes/cluster-access';
import { exampleConfig } from '../../support/config-fixtures';
import { deployControlStack, uniquePrefix, type EmulatedControlStack } from '../../support/control-stack-fixture';
import { invokeAsLambda, loadBundledLambda } from '../../support/deployed-lambdas';
import { clusterPath, setRegion, startShippedAgent, type CachingAgent } from '../../support/edge-purge-fixture';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';
import { describeWithMoto, useEmulator } from '../../support/moto';
import { regionctlEnv } from '../../support/regionctl-env';

const NOW = new Date('2026-12-01T12:00:00Z');
const api = new KubernetesApiDouble();
const agents: CachingAgent[] = [];
let stack: EmulatedControlStack;
let invoker: FunctionInvoker;
/** The functions regionctl invoked, by name. */
const invoked: string[] = [];

const agent = async (keys: string[]) => {
  const started = await startShippedAgent(keys);
  agents.push(started);
  return started;
};
const namespace = () => stack.config.edge.namespace;

describeWithMoto('regionctl purge against the emulator and the deployed purge Lambda', () => {
  beforeAll(async () => {
    await useEmulator();
    stack = await deployControlStack(exampleConfig((c) => void (c.prefix = uniquePrefix('ctlpurge'))));
    // The Lambda's environment, as the stack gives it.
    setTaskEnvironment(stack.config, { stateTableName: stack.stateTableName });
    process.env[KUBERNETES_API_OVERRIDE_ENV] = `${await api.start()}/clusters/{cluster}`;
    const handler = await loadBundledLambda('purge');
    invoker = {
      invoke: (functionName, payload) => {
        invoked.push(functionName);
        return invokeAsLambda(handler, payload, lambdaContext(functionName));
      },
    };
    await setRegion(stack.config, stack.stateTableName, 'us-east-1', 'ACTIVE');
    await setRegion(stack.config, stack.stateTableName, 'eu-west-1', 'ACTIVE');
    await setRegion(stack.config, stack.stateTableName, 'sa-east-1', 'INACTIVE', { cluster: false });
  }, 180_000);

  beforeEach(() => {
    api.reset();
    invoked.length = 0;
  });

  afterAll(async () => {
    delete process.env[KUBERNETES_API_OVERRIDE_ENV];
    await api.stop();
    await Promise.all(agents.map((a) => a.agent.stop()));
    resetClients();
  });

  it('purges a prefix in every serving region, prints a row per pod and exits 0', async () => {
    const a = await agent(['/images/a.png', '/images/b.png?w=200', '/index.html']);
    const b = await agent(['/images/a.png']);
    api.setPods(clusterPath(stack.config, 'us-east-1'), namespace(), [{ name: 'edge-cache-a', portUrl: a.url }]);
    api.setPods(clusterPath(stack.config, 'eu-west-1'), namespace(), [{ name: 'edge-cache-b', portUrl: b.url }]);
    const env = regionctlEnv(stack.config.prefix, NOW);

    expect(await purgeCache(env, '/images/*', {}, invoker)).toBe(EXIT.ok);

    expect(invoked).toEqual([purgeFunctionName(stack.config.prefix)]);
    expect(env.out.lines).toEqual([
      'Purged every path under /images/ in 2 regions: 3 cache entries removed from 2 pods.',
      'REGION     POD           PURGED  SCANNED  RESULT',
      '---------  ------------  ------  -------  ------',
      'us-east-1  edge-cache-a  2       3        purged',
      'eu-west-1  edge-cache-b  1       1        purged',
    ]);
    expect(env.out.errors).toEqual([]);
    expect([...a.files, ...b.files].map(existsSync)).toEqual([false, false, true, false]);
  });

  it('--json prints the report; a pod that fails makes the exit code 1, and is named with its reason', async () => {
    const a = await agent(['/app.css']);
    api.setPods(clusterPath(stack.config, 'us-east-1'), namespace(), [
      { name: 'edge-cache-a', portUrl: a.url },
      { name: 'edge-cache-down', portUrl: 'http://127.0.0.1:9' },
    ]);
    api.setPods(clusterPath(stack.config, 'eu-west-1'), namespace(), []);
    const env = regionctlEnv(stack.config.prefix, NOW);

    expect(await purgeCache(env, '/app.css', { json: true }, invoker)).toBe(EXIT.failed);

    const report = JSON.parse(env.out.stdout) as PurgeReport;
    expect(report).toMatchObject({ path: '/app.css', prefix: false, complete: false });
    expect(report.regions.map((r) => [r.region, r.outcome])).toEqual([
      ['us-east-1', 'partial'],
      ['eu-west-1', 'failed'],
    ]);
    expect(report.regions[0]!.pods[1]).toEqual({
      pod: 'edge-cache-down',
      purged: false,
      reason: expect.stringMatching(/^its agent answered HTTP 503/),
    });
    expect(existsSync(a.files[0]!)).toBe(false);
  });

  it('--edge-region purges that region only; a region asked for that does not serve is reported, exit 0', async () => {
    const a = await agent(['/x.png']);
    api.setPods(clusterPath(stack.config, 'eu-west-1'), namespace(), [{ name: 'edge-cache-b', portUrl: a.url }]);
    const euWest = regionctlEnv(stack.config.prefix, NOW);
    expect(await purgeCache(euWest, '/x.png', { edgeRegion: 'eu-west-1' }, invoker)).toBe(EXIT.ok);
    expect(euWest.out.lines[0]).toBe(
      'Purged /x.png (every query and cookie variant) in 1 region: 1 cache entry removed from 1 pod.',
    );
    expect(api.requests.some((r) => r.path.startsWith(clusterPath(stack.config, 'us-east-1')))).toBe(false);

    const saEast = regionctlEnv(stack.config.prefix, NOW);
    expect(await purgeCache(saEast, '/x.png', { edgeRegion: 'sa-east-1' }, invoker)).toBe(EXIT.ok);
    expect(saEast.out.lines).toEqual([
      'Nothing purged: no region to purge serves users.',
      'REGION     POD  PURGED  SCANNED  RESULT',
      `---------  ---  ------  -------  ${'-'.repeat(67)}`,
      'sa-east-1  -    -       -        not serving (INACTIVE): its edge takes no traffic, nothing to purge',
    ]);
  });

  it('refuses a region that is not approved by the deployed configuration, and bad paths, without invoking', async () => {
    const env = regionctlEnv(stack.config.prefix, NOW);
    expect(await purgeCache(env, '/x', { edgeRegion: 'me-south-1' }, invoker)).toBe(EXIT.refused);
    expect(await purgeCache(env, 'x', {}, invoker)).toBe(EXIT.usage);
    expect(env.out.errors).toEqual([
      expect.stringMatching(/^regionctl: Region me-south-1 is not approved for this autoscaler; approved regions: /),
      'regionctl: <path> "x" does not start with "/"; fix: give the request\'s path without scheme or host, e.g. /images/logo.png',
    ]);
    expect(invoked).toEqual([]);
  });
});
