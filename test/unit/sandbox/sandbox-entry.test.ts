/** `npm start` (sandbox/main.ts) as a user runs it: what it says and how it exits before any emulator starts. */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MOTO_INSTALL_HINT } from '../../../sandbox/moto-server';

const projectDir = fileURLToPath(new URL('../../../', import.meta.url));
const binDir = join(projectDir, 'node_modules', '.bin');

function sandbox(args: string[], path = process.env.PATH ?? '') {
  const result = spawnSync(join(binDir, 'tsx'), ['sandbox/main.ts', ...args], {
    cwd: projectDir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, PATH: path },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm start (the local sandbox entry)', () => {
  it('says how to install moto_server and exits 1 when it is not on PATH', () => {
    // Only the project's own binaries (node, tsx): no moto_server, wherever it is installed.
    const result = sandbox([], binDir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(MOTO_INSTALL_HINT);
    expect(result.stdout).toBe('');
  }, 180_000);

  it('lists every bad row of a scenario file with its line number and exits 1', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sandbox-entry-')), 'bad.csv');
    writeFileSync(path, 'timestamp,region,users\n2026-03-01T00:00:00Z,ap-southeast-1,10\nyesterday,ap-southeast-1,3\n');
    const result = sandbox(['--scenario', path]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`Invalid demand trace ${path}:`);
    expect(result.stderr).toContain(
      '  - line 3: timestamp "yesterday" is not ISO-8601 UTC; fix: write it like 2026-03-01T12:00:00Z',
    );
  }, 180_000);

  it('refuses --timings that is neither a profile nor a timings file, before any emulator starts', () => {
    const result = sandbox(['--timings', 'slow']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('--timings slow: not "fast", "realistic" or a readable JSON file');
    expect(result.stdout).toBe('');
  }, 180_000);

  it('refuses --warm-regions naming a region that is not elastic, before any emulator starts', () => {
    const result = sandbox(['--warm-regions', 'ap-southeast-1,us-east-1']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      '--warm-regions ap-southeast-1,us-east-1: us-east-1 not in regions.elastic; fix: name elastic regions (ap-southeast-1, ap-northeast-1, sa-east-1, ap-south-1), comma-separated, or none',
    );
    expect(result.stdout).toBe('');
  }, 180_000);

  it('refuses a speed that is not a positive number', () => {
    const result = sandbox(['--speed', '0']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("option '--speed <ms>' argument '0' is invalid. must be a positive number.");
  }, 180_000);
});
