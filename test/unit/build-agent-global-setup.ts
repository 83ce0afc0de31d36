/**
 * The unit project's setup: builds the edge agent once, as the edge task's bundle ships it,
 * for the tests that run the edge task from its TypeScript source (no bundle beside it). Its
 * path goes to every jest worker as BUILT_EDGE_AGENT_ENV; only the unit project's per-file
 * setup (source-agent-hook.ts) turns it into the edge task's hook, so the integration project's
 * bundled edge tasks read the agent beside their own bundle.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EDGE_AGENT_FILE } from '../../functions/domain/edge-manifests';
import { BUILT_EDGE_AGENT_ENV } from './source-agent-hook';

export default function setup(): void {
  const file = join(mkdtempSync(join(tmpdir(), 'edge-autoscaler-agent-')), EDGE_AGENT_FILE);
  const build = spawnSync(
    'node_modules/.bin/tsx',
    ['-e', `import('./infra/lambda-bundling.ts').then((m) => m.bundleEdgeAgent(${JSON.stringify(file)}))`],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  if (build.status !== 0) throw new Error(`Building the edge agent failed (exit ${build.status})`);
  process.env[BUILT_EDGE_AGENT_ENV] = file;
}
