/**
 * Lambda bundles exactly as the CDK app builds them (infra/lambda-bundling.ts): the size of each, and the
 * time a fresh Node process takes to load each bundle's module (cold start of the code, without
 * the Lambda runtime), median of several runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleLambda } from '../infra/lambda-bundling';

const functionsDir = fileURLToPath(new URL('../functions/', import.meta.url));

/** Every Lambda handler file: one per Lambda (see infra/). */
export function handlerEntries(): string[] {
  const entries: string[] = [];
  for (const dir of ['tasks', 'decide', 'reconcile', 'collect', 'purge']) {
    for (const file of readdirSync(join(functionsDir, dir))) {
      if (/(-task|-handler)\.ts$/.test(file)) entries.push(join(functionsDir, dir, file));
    }
  }
  return entries.sort();
}

export interface BundleFigure {
  name: string;
  bytes: number;
  coldLoadMs: number;
}

export async function measureBundles(runs = 7): Promise<BundleFigure[]> {
  const outDir = mkdtempSync(join(tmpdir(), 'autoscaler-bundles-'));
  const figures: BundleFigure[] = [];
  for (const entry of handlerEntries()) {
    const name = entry.split('/').pop()!.replace(/\.ts$/, '');
    const outfile = join(outDir, `${name}.mjs`);
    await bundleLambda(entry, outfile);
    const probe = join(outDir, `${name}.probe.mjs`);
    writeFileSync(
      probe,
      `const t0 = performance.now(); await import(${JSON.stringify(outfile)}); console.log(performance.now() - t0);`,
    );
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const result = spawnSync(process.execPath, [probe], {
        encoding: 'utf8',
        env: { ...process.env, AWS_REGION: 'us-east-1', AWS_LAMBDA_FUNCTION_NAME: name },
      });
      if (result.status !== 0) throw new Error(`loading ${name} failed: ${result.stderr}`);
      times.push(Number(result.stdout.trim()));
    }
    figures.push({ name, bytes: statSync(outfile).size, coldLoadMs: Math.round(median(times) * 10) / 10 });
  }
  return figures;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
