/**
 * Starts one moto server for the integration project and hands its endpoint to the test
 * workers through MOTO_ENDPOINT. Without moto_server the suite explains how to install it;
 * with CI=true a missing emulator fails the run instead of skipping it.
 */
import {
  MOTO_INSTALL_HINT,
  motoServerInstalled,
  startMotoServer,
  type MotoServer,
} from '../../cli/sandbox/moto-server';

declare global {
  var __MOTO__: MotoServer | undefined;
}

export default async function setup(): Promise<void> {
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
