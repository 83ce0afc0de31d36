/**
 * Real nginx for tests: finds the binary (NGINX_BINARY, else /usr/sbin/nginx) and runs it in the
 * foreground with everything it writes (pid, logs, temp files, cache) in a temporary prefix, and
 * a main nginx.conf shaped like the edge image's: the server configuration the edge ships is
 * included from conf.d, as in the pod. Without nginx a suite skips with the way to install it;
 * with CI=true it fails instead, like a missing moto.
 */
import { describe } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NGINX_INSTALL_HINT =
  'nginx was not found: install it (Debian/Ubuntu: apt-get install -y nginx-light) or set NGINX_BINARY to its path, then re-run.';

/** The nginx binary to test with, or undefined when there is none. */
export function findNginx(): string | undefined {
  const binary = process.env.NGINX_BINARY || '/usr/sbin/nginx';
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    return undefined;
  }
  return spawnSync(binary, ['-v'], { stdio: 'ignore' }).status === 0 ? binary : undefined;
}

/**
 * A suite that needs nginx: run with the binary's path; skipped (with the hint) when nginx is
 * missing, and failing when it is missing under CI=true.
 */
export function describeWithNginx(name: string, suite: (nginxBinary: string) => void): void {
  const binary = findNginx();
  if (binary) return describe(name, () => suite(binary));
  if (process.env.CI === 'true') throw new Error(`${NGINX_INSTALL_HINT} (CI=true: the nginx tests must run, not skip)`);
  console.warn(`\n[integration] ${NGINX_INSTALL_HINT} "${name}" is skipped.\n`);
  // Skipped only on a developer machine without nginx (the warning above says how to install it);
  // CI installs nginx-light in .ci/run and fails above when it is missing, so there it always runs.
  describe.skip(name, () => suite('nginx-not-found'));
}

/**
 * Replaces the one occurrence of `from` in `text`; throws when there is none or more than one,
 * so a test substitution that stops applying fails instead of silently testing something else.
 */
export function substituteOnce(text: string, from: string, to: string): string {
  const first = text.indexOf(from);
  if (first < 0 || text.indexOf(from, first + 1) >= 0)
    throw new Error(
      `expected exactly one ${JSON.stringify(from)} in the nginx configuration, found ${first < 0 ? 'none' : 'several'}`,
    );
  return text.slice(0, first) + to + text.slice(first + from.length);
}

export interface NginxPrefix {
  /** nginx's prefix (`-p`): conf/, logs/, temp/ and cache/ live here. */
  dir: string;
  /** Directories nginx's workers can write (`nobody` when the test runs as root). */
  cacheDir: string;
  logDir: string;
}

export function createNginxPrefix(): NginxPrefix {
  const dir = mkdtempSync(join(tmpdir(), 'edge-nginx-'));
  chmodSync(dir, 0o755);
  for (const sub of ['conf/conf.d', 'logs', 'temp', 'cache']) mkdirSync(join(dir, sub), { recursive: true });
  for (const sub of ['logs', 'temp', 'cache']) chmodSync(join(dir, sub), 0o777);
  return { dir, cacheDir: join(dir, 'cache'), logDir: join(dir, 'logs') };
}

export interface RunningNginx {
  /** nginx's error log so far. */
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * Starts nginx in the foreground in `prefix` with `serverConfig` as conf.d/default.conf, and
 * waits until it answers `healthUrl`.
 */
export async function startNginx(
  binary: string,
  prefix: NginxPrefix,
  serverConfig: string,
  healthUrl: string,
): Promise<RunningNginx> {
  const { dir, logDir } = prefix;
  writeNginxConfig(prefix, serverConfig);
  const errorLog = () => {
    try {
      return readFileSync(join(logDir, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };

  const child = spawn(binary, ['-p', dir, '-c', join(dir, 'conf/nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (hasExited) throw new Error(`nginx exited at start: ${stderr}${errorLog()}`);
    if ((await statusOf(healthUrl)) === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not answer ${healthUrl} within 10 s: ${stderr}${errorLog()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  return {
    errorLog,
    async stop() {
      if (hasExited) return;
      child.kill('SIGQUIT'); // graceful shutdown
      await exited;
    },
  };
}

/** `nginx -t` on `serverConfig` in `prefix`: its exit status and what it printed. */
export function checkNginxConfig(
  binary: string,
  prefix: NginxPrefix,
  serverConfig: string,
): { status: number | null; output: string } {
  writeNginxConfig(prefix, serverConfig);
  const result = spawnSync(binary, ['-t', '-p', prefix.dir, '-c', join(prefix.dir, 'conf/nginx.conf')], {
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Writes the main nginx.conf, shaped like the edge image's, and `serverConfig` as conf.d/default.conf. */
function writeNginxConfig(prefix: NginxPrefix, serverConfig: string): void {
  const { dir, logDir } = prefix;
  writeFileSync(join(dir, 'conf/conf.d/default.conf'), serverConfig);
  const temp = (name: string) => join(dir, 'temp', name);
  writeFileSync(
    join(dir, 'conf/nginx.conf'),
    [
      // As in the edge image's nginx.conf: the http block includes conf.d/*.conf.
      'worker_processes 1;',
      `pid ${join(logDir, 'nginx.pid')};`,
      `error_log ${join(logDir, 'error.log')} notice;`,
      'events { worker_connections 256; }',
      'http {',
      '    default_type application/octet-stream;',
      `    access_log ${join(logDir, 'access.log')};`,
      `    client_body_temp_path ${temp('client_body')};`,
      `    proxy_temp_path ${temp('proxy')};`,
      `    fastcgi_temp_path ${temp('fastcgi')};`,
      `    uwsgi_temp_path ${temp('uwsgi')};`,
      `    scgi_temp_path ${temp('scgi')};`,
      '    sendfile on;',
      '    keepalive_timeout 65;',
      `    include ${join(dir, 'conf/conf.d')}/*.conf;`,
      '}',
      '',
    ].join('\n'),
  );
}

function statusOf(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    req.on('error', () => resolve(undefined));
    req.end();
  });
}
