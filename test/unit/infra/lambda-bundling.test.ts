import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLED_CONFIG_FILE, BUNDLED_EDGE_MANIFESTS_FILE } from '../../../functions/commons/bundled-files';
import { EDGE_AGENT_FILE } from '../../../functions/domain/edge-manifests';
import { bundleLambdaDirectory } from '../../../infra/lambda-bundling';
import { bundleAutoscalerFunction } from '../../support/bundled-function';
import { exampleConfig } from '../../support/config-fixtures';

const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));
const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'edge' }, spec: { type: 'LoadBalancer' } };

describe('the files bundled beside index.mjs', () => {
  it('holds the configuration, the custom edge manifests and the edge agent it is given', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'lambda-bundle-'));
    const config = exampleConfig((raw) => void (raw.edge.manifestsPath = 'edge.json'));
    const entry = fileURLToPath(new URL('../../../functions/tasks/dns-task.ts', import.meta.url));
    await bundleLambdaDirectory(entry, outDir, { config, edgeAgent: true, edgeManifests: [service] });
    expect(readJson(join(outDir, BUNDLED_CONFIG_FILE))).toEqual(config);
    expect(readJson(join(outDir, BUNDLED_EDGE_MANIFESTS_FILE))).toEqual([service]);
    expect(readFileSync(join(outDir, EDGE_AGENT_FILE), 'utf8')).toContain('startEdgeAgent');
  }, 180_000);

  it('holds neither manifests nor agent unless asked', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'lambda-bundle-'));
    const entry = fileURLToPath(new URL('../../../functions/tasks/dns-task.ts', import.meta.url));
    await bundleLambdaDirectory(entry, outDir, { config: exampleConfig() });
    expect(existsSync(join(outDir, BUNDLED_CONFIG_FILE))).toBe(true);
    expect(existsSync(join(outDir, BUNDLED_EDGE_MANIFESTS_FILE))).toBe(false);
    expect(existsSync(join(outDir, EDGE_AGENT_FILE))).toBe(false);
  }, 180_000);
});

describe('CDK bundling of an AutoscalerFunction', () => {
  it('re-bundles a changed configuration into a new asset, also in the same cloud assembly directory', () => {
    // CDK caches bundles by a key that ignores the local bundler: only the command tells them apart.
    const outdir = mkdtempSync(join(tmpdir(), 'lambda-rebundle-'));
    const before = exampleConfig();
    const after = exampleConfig((raw) => void (raw.scaling.cooldownSeconds = 2400));
    const first = bundleAutoscalerFunction(outdir, before, { entry: 'tasks/dns-task' });
    const second = bundleAutoscalerFunction(outdir, after, { entry: 'tasks/dns-task' });
    expect(second.assetHash).not.toBe(first.assetHash);
    expect(readJson(join(first.dir, BUNDLED_CONFIG_FILE))).toEqual(before);
    expect(readJson(join(second.dir, BUNDLED_CONFIG_FILE))).toEqual(after);
    expect(existsSync(join(second.dir, 'index.mjs'))).toBe(true);
  }, 180_000);
});
