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
import { resetClients } from '../../functions/commons/aws-clients';
import { resetRuntime } from '../../functions/commons/runtime';
import { startMotoCompatibleServer, type MotoServer } from '../../sandbox/moto-server';

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
  return startMotoCompatibleServer(
    { name: 'serialized moto', command: 'python3', args: (port) => ['-c', SERIALIZED_MOTO, String(port)] },
    timeoutMs,
  );
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
