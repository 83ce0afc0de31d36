/**
 * A moto server that handles one request at a time, for concurrency tests. moto_server serves
 * requests on threads, and a failed TransactWriteItems restores a copy of the whole table taken
 * when it began, so writes other requests had been told succeeded are lost: a test of concurrent
 * writers against it sees losses that are moto's, or hides ones that are ours. This one runs
 * moto's own WSGI app behind a lock: connections are accepted at once (threaded), requests are
 * handled one after the other, as DynamoDB serializes the writes of one item.
 *
 * A test points its SDK clients at it with `useSerializedMoto` (AWS_ENDPOINT_URL, like
 * useEmulator in moto.ts), and gives the shared emulator back with `restoreEmulator`.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resetClients } from '../../functions/commons/aws-clients';
import { resetRuntime } from '../../functions/commons/runtime';
import { motoServerInstalled, type MotoServer } from '../../cli/sandbox/moto-server';

const SERIALIZED_MOTO = `
import sys, threading
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

moto = DomainDispatcherApplication(create_backend_app)
one_at_a_time = threading.Lock()

def serialized(environ, start_response):
    with one_at_a_time:
        response = moto(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            if hasattr(response, "close"):
                response.close()

run_simple("127.0.0.1", int(sys.argv[1]), serialized, threaded=True)
`;

/** Starts the serialized moto on a free loopback port; resolves once it answers. */
export async function startSerializedMoto(timeoutMs = 30_000): Promise<MotoServer> {
  if (!motoServerInstalled()) throw new Error('moto is not installed: pip install "moto[server]"');
  const port = await freeLoopbackPort();
  const child = spawn('python3', ['-c', SERIALIZED_MOTO, String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.status < 500) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null)
      throw new Error(`serialized moto exited with code ${child.exitCode} before it listened`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`serialized moto did not answer on ${endpoint} within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return {
    endpoint,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

/**
 * Points every SDK client created from now on at `server` with dummy credentials, and forgets
 * the cached clients and runtime.
 */
export function useSerializedMoto(server: MotoServer): void {
  process.env.AWS_ENDPOINT_URL = server.endpoint;
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_REGION ??= 'us-east-1';
  resetClients();
  resetRuntime();
}

/** Points the clients back at the run's shared emulator (MOTO_ENDPOINT), for the next suite in this worker. */
export function restoreEmulator(): void {
  if (process.env.MOTO_ENDPOINT) process.env.AWS_ENDPOINT_URL = process.env.MOTO_ENDPOINT;
  else delete process.env.AWS_ENDPOINT_URL;
  resetClients();
  resetRuntime();
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
