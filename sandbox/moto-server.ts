/**
 * Starts and stops a moto server (an independent AWS emulator) on a free loopback port.
 * Used by the integration tests' global setup and by the local sandbox (`npm start`);
 * `startMotoCompatibleServer` also starts other programs built on moto's app (the tests'
 * serialized moto in test/support/serialized-moto.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export const MOTO_INSTALL_HINT =
  'moto_server was not found on PATH. Install it with: pip install "moto[server]" (moto 5.2 or later), then re-run.';

export interface MotoServer {
  endpoint: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function motoServerInstalled(): boolean {
  return spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0;
}

/** A loopback port nothing listens on now (for a server started next). */
export async function freeLoopbackPort(): Promise<number> {
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

/** A program that serves moto's API on the loopback port it is given. */
export interface MotoCompatibleServerCommand {
  /** Names the server in errors. */
  name: string;
  command: string;
  args(port: number): string[];
}

const MOTO_SERVER_COMMAND: MotoCompatibleServerCommand = {
  name: 'moto_server',
  command: 'moto_server',
  args: (port) => ['-H', '127.0.0.1', '-p', String(port)],
};

/** Starts moto_server on a free loopback port; resolves once it answers. */
export async function startMotoServer(timeoutMs = 30_000): Promise<MotoServer> {
  return startMotoCompatibleServer(MOTO_SERVER_COMMAND, timeoutMs);
}

/**
 * Starts `server` (moto itself, or a program built on moto's app) on a free loopback port and
 * resolves once its moto API answers; `stop` ends it (SIGTERM, then SIGKILL after 3 s).
 */
export async function startMotoCompatibleServer(
  server: MotoCompatibleServerCommand,
  timeoutMs = 30_000,
): Promise<MotoServer> {
  if (!motoServerInstalled()) throw new Error(MOTO_INSTALL_HINT);
  const port = await freeLoopbackPort();
  const child = spawn(server.command, server.args(port), { stdio: 'ignore', detached: false });
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
      throw new Error(`${server.name} exited with code ${child.exitCode} before it listened`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${server.name} did not answer on ${endpoint} within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 150));
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

/** Wipes every resource of the emulator (between tests). */
export async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
}
