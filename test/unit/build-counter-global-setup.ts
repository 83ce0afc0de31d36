/**
 * The unit project's setup: builds the demand counter once, as the edge task's bundle ships it,
 * for the tests that run the edge task from its TypeScript source (no bundle beside it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMAND_COUNTER_FILE, DEMAND_COUNTER_SCRIPT_ENV } from '../../functions/domain/edge-manifests';

export default function setup(): void {
  const file = join(mkdtempSync(join(tmpdir(), 'edge-autoscaler-counter-')), DEMAND_COUNTER_FILE);
  const build = spawnSync(
    'node_modules/.bin/tsx',
    ['-e', `import('./infra/lambda-bundling.ts').then((m) => m.bundleDemandCounter(${JSON.stringify(file)}))`],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  if (build.status !== 0) throw new Error(`Building the demand counter failed (exit ${build.status})`);
  process.env[DEMAND_COUNTER_SCRIPT_ENV] = file;
}
