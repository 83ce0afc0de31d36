/**
 * What the deployed Lambdas read from their own bundles: the configuration `cdk synth` validated
 * (every Lambda) and the custom edge manifests of `edge.manifestsPath` (the edge task), read
 * without any override, as in AWS, where no file of the synthesizing machine exists.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KubernetesApiDouble } from '../../../sandbox/kubernetes-api-double';
import {
  BUNDLED_CONFIG_FILE,
  BUNDLED_EDGE_MANIFESTS_FILE,
  CONFIG_FILE_ENV,
} from '../../../functions/commons/bundled-files';
import { ENV } from '../../../functions/commons/runtime';
import { approvedRegions } from '../../../functions/domain/config';
import { EDGE_AGENT_FILE } from '../../../functions/domain/edge-manifests';
import { clusterName, OWNER_TAG_KEY } from '../../../functions/domain/naming';
import { KUBERNETES_API_OVERRIDE_ENV } from '../../../functions/kubernetes/cluster-access';
import { edgeWorkloadFiles } from '../../../infra/config-source';
import { DEPLOYED_LAMBDAS, loadBundledHandler, type DeployedLambda } from '../../../infra/synthesized-deployment';
import { bundleAutoscalerFunction } from '../../support/bundled-function';
import { exampleConfig } from '../../support/config-fixtures';
import { invokeAsLambda, loadBundledLambda, synthesizedDeployment } from '../../support/deployed-lambdas';
import { lambdaContext } from '../../support/lambda-context';
import { describeWithMoto, motoClientConfig, useEmulator } from '../../support/moto';

const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));
const besideBundle = (lambda: DeployedLambda, name: string) =>
  join(dirname(synthesizedDeployment().lambdas[lambda].file), name);

/** Sets the variables the CDK app sets (and quiet Powertools), without the configuration override. */
function deployedEnvironment(): void {
  delete process.env[CONFIG_FILE_ENV];
  process.env[ENV.stateTable] = 'bundled-files-state';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
}

afterEach(() => {
  delete process.env[CONFIG_FILE_ENV];
  delete process.env[ENV.stateTable];
});

describe('the configuration in the synthesized bundles', () => {
  it('is beside every Lambda, the configuration the deployment was synthesized for, and in no environment', () => {
    const { lambdas } = synthesizedDeployment();
    const deployed = Object.keys(DEPLOYED_LAMBDAS) as DeployedLambda[];
    for (const lambda of deployed) {
      expect({ lambda, config: readJson(besideBundle(lambda, BUNDLED_CONFIG_FILE)) }).toEqual({
        lambda,
        config: exampleConfig(),
      });
      expect(lambdas[lambda].environmentKeys.filter((key) => key.startsWith('AUTOSCALER_CONFIG'))).toEqual([]);
    }
    // The two that render the edge carry its inputs; no custom manifests for the example configuration.
    for (const lambda of ['edgeTask', 'reconcile'] as const) {
      expect(existsSync(besideBundle(lambda, EDGE_AGENT_FILE))).toBe(true);
      expect(existsSync(besideBundle(lambda, BUNDLED_EDGE_MANIFESTS_FILE))).toBe(false);
    }
  });

  it('is what a bundle loaded without AUTOSCALER_CONFIG_FILE reads, and the named file replaces it', async () => {
    // The purge Lambda checks the regions asked for against the configuration before any AWS call.
    const outsider = { path: '/logo.png', prefix: false, regions: ['af-south-1'] };
    deployedEnvironment();
    const bundled = await invokeAsLambda(await loadBundledLambda('purge'), outsider, lambdaContext('purge'));
    expect(bundled).toMatchObject({
      ok: false,
      errorType: 'InvalidRequestError',
      errorMessage: expect.stringContaining(`fix: use one of ${approvedRegions(exampleConfig()).join(', ')}`),
    });

    const other = exampleConfig((raw) => void (raw.regions = { alwaysOn: ['eu-central-1'], elastic: ['sa-east-1'] }));
    const file = join(mkdtempSync(join(tmpdir(), 'bundled-files-')), 'config.json');
    writeFileSync(file, JSON.stringify(other));
    process.env[CONFIG_FILE_ENV] = file;
    const overridden = await invokeAsLambda(await loadBundledLambda('purge'), outsider, lambdaContext('purge'));
    expect(overridden).toMatchObject({
      ok: false,
      errorMessage: expect.stringContaining('fix: use one of eu-central-1, sa-east-1'),
    });
  }, 180_000);
});

describeWithMoto('the edge task bundled for edge.manifestsPath', () => {
  const api = new KubernetesApiDouble();
  const region = 'ap-northeast-1';
  const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'varnish' }, spec: {} };
  const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'edge' }, spec: { type: 'LoadBalancer' } };
  let handler: (event: unknown, context: unknown) => Promise<unknown>;
  let manifestsPath: string;

  beforeAll(async () => {
    await useEmulator();
    process.env[KUBERNETES_API_OVERRIDE_ENV] = `${await api.start()}/clusters/{cluster}`;
    const dir = mkdtempSync(join(tmpdir(), 'bundled-manifests-'));
    manifestsPath = join(dir, 'edge.json');
    writeFileSync(manifestsPath, JSON.stringify([deployment, service]));
    const config = exampleConfig((raw) => {
      raw.prefix = 'bundledmf';
      raw.edge.manifestsPath = manifestsPath;
    });
    // As the control stack builds it (infra/region-workflows.ts), bundled by CDK.
    const bundled = bundleAutoscalerFunction(join(dir, 'cdk.out'), config, {
      entry: 'tasks/edge-task',
      bundledFiles: edgeWorkloadFiles(config),
    });
    expect(readJson(join(bundled.dir, BUNDLED_EDGE_MANIFESTS_FILE))).toEqual([deployment, service]);
    await new EKSClient(motoClientConfig(region)).send(
      new CreateClusterCommand({
        name: clusterName(config.prefix, region),
        roleArn: 'arn:aws:iam::123456789012:role/bundledmf-eks-cluster',
        resourcesVpcConfig: { subnetIds: [] },
        tags: { [OWNER_TAG_KEY]: config.prefix },
      }),
    );
    deployedEnvironment();
    handler = await loadBundledHandler(bundled.lambda);
  }, 360_000);

  afterAll(async () => {
    delete process.env[KUBERNETES_API_OVERRIDE_ENV];
    await api.stop();
  });

  it('applies the manifests it ships, read from its bundle once the file it was built from is gone', async () => {
    writeFileSync(manifestsPath, 'not the manifests any more');
    const outcome = await invokeAsLambda(handler, { action: 'applyEdge', region }, lambdaContext('edge-task'));
    expect(outcome).toMatchObject({ ok: true, result: { ready: false, created: true } });
    const cluster = `/clusters/${clusterName('bundledmf', region)}`;
    const servicePath = `${cluster}/api/v1/namespaces/edge/services/edge`;
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${servicePath}`,
      `PATCH ${cluster}/apis/apps/v1/namespaces/edge/deployments/varnish`,
      `PATCH ${servicePath}`,
    ]);
  }, 180_000);
});
