/**
 * Prepares the integration project: synthesizes the deployment once (the Lambda bundles and
 * state machine definitions that `cdk deploy` would ship, handed to the workers through
 * SYNTHESIZED_DEPLOYMENT_DIR), and starts one moto server whose endpoint the workers get through
 * MOTO_ENDPOINT. Without moto_server the suite explains how to install it; with CI=true a
 * missing emulator fails the run instead of skipping it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MOTO_INSTALL_HINT, motoServerInstalled, startMotoServer, type MotoServer } from '../../sandbox/moto-server';

declare global {
  var __MOTO__: MotoServer | undefined;
}

export default async function setup(): Promise<void> {
  const outdir = mkdtempSync(join(tmpdir(), 'edge-autoscaler-synth-'));
  const synth = spawnSync('node_modules/.bin/tsx', ['infra/synthesize-deployment-cli.ts', outdir], {
    stdio: ['ignore', 'ignore', 'inherit'],
    // Without CDK's built-in CloudFormation validation (about 10 s of CPU before any test starts):
    // its findings are warnings no test reads; the tests use the bundles and definitions only.
    env: { ...process.env, CDK_VALIDATION: 'false' },
  });
  if (synth.status !== 0) throw new Error(`Synthesizing the deployment failed (exit ${synth.status})`);
  // test/support/deployed-lambdas.ts reads it from here.
  process.env.SYNTHESIZED_DEPLOYMENT_DIR = outdir;

  if (!motoServerInstalled()) {
    if (process.env.CI === 'true')
      throw new Error(`${MOTO_INSTALL_HINT} (CI=true: integration tests must run, not skip)`);
    console.warn(`\n[integration] ${MOTO_INSTALL_HINT} Integration tests are skipped.\n`);
    process.env.MOTO_UNAVAILABLE = MOTO_INSTALL_HINT;
    return;
  }
  globalThis.__MOTO__ = await startMotoServer();
  process.env.MOTO_ENDPOINT = globalThis.__MOTO__.endpoint;
}
