/**
 * Helpers for integration tests: the emulator's endpoint, SDK client settings pointing at it,
 * and `describeWithMoto`, which runs a suite only when the emulator is there (global setup
 * already failed the run when CI=true and moto_server is missing).
 */
import { describe } from '@jest/globals';
import { resetMoto } from '../../sandbox/moto-server';

export function motoEndpoint(): string {
  const endpoint = process.env.MOTO_ENDPOINT;
  if (!endpoint)
    throw new Error(
      process.env.MOTO_UNAVAILABLE ?? 'MOTO_ENDPOINT is not set: run through the integration jest project',
    );
  return endpoint;
}

/** Client settings for any SDK v3 client, pointed at the emulator with dummy credentials. */
export function motoClientConfig(region: string) {
  return {
    region,
    endpoint: motoEndpoint(),
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  };
}

export const describeWithMoto: typeof describe = (
  process.env.MOTO_ENDPOINT ? describe : describe.skip
) as typeof describe;

export async function resetEmulator(): Promise<void> {
  await resetMoto(motoEndpoint());
}

/**
 * Points every SDK client created from now on at the emulator (SDK v3 reads AWS_ENDPOINT_URL)
 * with dummy credentials, and forgets cached clients.
 */
export async function useEmulator(): Promise<void> {
  process.env.AWS_ENDPOINT_URL = motoEndpoint();
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_REGION = process.env.AWS_REGION ?? 'us-east-1';
  const { resetClients } = await import('../../functions/commons/aws-clients');
  resetClients();
}
