import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../../../cli/exit-codes';
import { exampleRawConfig } from '../../support/config-fixtures';

const projectDir = fileURLToPath(new URL('../../../', import.meta.url));

function regionctl(...args: string[]) {
  const result = spawnSync('npx', ['regionctl', ...args], { cwd: projectDir, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npx regionctl (the installed bin, end to end)', () => {
  it('prints its help with every command and exits 0', () => {
    const result = regionctl('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: regionctl [options] [command]');
    for (const command of ['up', 'down', 'pause', 'resume', 'status', 'history', 'config']) {
      expect(result.stdout).toMatch(new RegExp(`\\n  ${command} `));
    }
    expect(result.stdout).toContain('$ regionctl up ap-southeast-1 --reason "product launch" --hold 6h --wait');
  }, 180_000);

  it('config validate --config <bad file> lists the problem as synth does and exits non-zero', () => {
    const raw = exampleRawConfig();
    raw.scaling.thresholds.scaleDown.users = 900;
    const path = join(mkdtempSync(join(tmpdir(), 'regionctl-bin-')), 'bad.json');
    writeFileSync(path, JSON.stringify(raw));
    const result = regionctl('config', 'validate', '--config', path);
    expect(result.status).toBe(EXIT.failed);
    expect(result.stdout).toContain(`Invalid autoscaler configuration (${path}):`);
    expect(result.stdout).toContain(
      '  - autoscaler.scaling.thresholds.scaleDown.users = 900: must be below scaleUp.users (500), or regions would flap up and down; fix: set it lower than 500',
    );
    expect(result.stderr).not.toMatch(/\n\s+at .*\.ts:\d+/);
  }, 180_000);
});
