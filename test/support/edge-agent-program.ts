/**
 * The edge agent as it runs in an edge pod: the very file the synthesized edge task ships, laid
 * out as a ConfigMap volume lays out its files (links to `..data/`), run with node as a program.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_ENV } from '../../functions/domain/edge-agent-contract';
import { EDGE_AGENT_FILE } from '../../functions/domain/edge-manifests';
import { shippedEdgeAgent } from './deployed-lambdas';

export interface AgentProgram {
  process: ChildProcessWithoutNullStreams;
  stdout(): string;
  syslogPort: number;
  httpPort: number;
  /** Stops it (SIGTERM) and resolves with its exit code. */
  stop(): Promise<number | null>;
}

export async function startShippedAgent(env: {
  periodSeconds: number;
  maxTrackedClients?: number;
  cacheDir?: string;
}): Promise<AgentProgram> {
  const volume = mkdtempSync(join(tmpdir(), 'edge-agent-volume-'));
  const data = '..2026_12_01_10_00_00.000000001';
  mkdirSync(join(volume, data));
  copyFileSync(shippedEdgeAgent(), join(volume, data, EDGE_AGENT_FILE));
  symlinkSync(data, join(volume, '..data'));
  symlinkSync(join('..data', EDGE_AGENT_FILE), join(volume, EDGE_AGENT_FILE));

  const child = spawn(process.execPath, [join(volume, EDGE_AGENT_FILE)], {
    env: {
      PATH: process.env.PATH ?? '',
      [AGENT_ENV.periodSeconds]: String(env.periodSeconds),
      [AGENT_ENV.maxTrackedClients]: String(env.maxTrackedClients ?? 1000),
      [AGENT_ENV.syslogPort]: '0',
      [AGENT_ENV.httpPort]: '0',
      ...(env.cacheDir ? { [AGENT_ENV.cacheDir]: env.cacheDir } : {}),
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await eventually(
    () => stdout.includes('\n'),
    () => `the agent to log where it listens (stderr: ${stderr})`,
  );
  const listening = JSON.parse(stdout.split('\n')[0]!) as { message: string; syslogPort: number; httpPort: number };
  if (listening.message !== 'listening') throw new Error(`the agent's first log line is not "listening": ${stdout}`);
  return {
    process: child,
    stdout: () => stdout,
    syslogPort: listening.syslogPort,
    httpPort: listening.httpPort,
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

export async function eventually(check: () => boolean | Promise<boolean>, what: () => string, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
