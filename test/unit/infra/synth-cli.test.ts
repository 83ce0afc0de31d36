import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthConfigFile } from '../../support/cdk-synth-cli';
import { exampleRawConfig } from '../../support/config-fixtures';

function synthWithConfigFile(config: unknown) {
  return synthConfigFile(mkdtempSync(join(tmpdir(), 'autoscaler-synth-')), config);
}

describe('npx cdk synth -c autoscalerConfig=PATH (the real CLI, offline, no credentials)', () => {
  it('synthesizes the stacks of a valid configuration file', () => {
    const raw = exampleRawConfig();
    raw.prefix = 'filecfg';
    const result = synthWithConfigFile(raw);
    expect(result.output).toContain('Successfully synthesized');
    expect(result.status).toBe(0);
    expect(existsSync(join(result.outDir, 'filecfg-control.template.json'))).toBe(true);
    expect(existsSync(join(result.outDir, 'filecfg-region-sa-east-1.template.json'))).toBe(true);
  }, 900_000);

  it('exits non-zero with the field, the value and the fix for a bad configuration, and no stack trace', () => {
    const raw = exampleRawConfig();
    raw.scaling.thresholds.scaleDown.users = 900;
    const result = synthWithConfigFile(raw);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain(
      'autoscaler.scaling.thresholds.scaleDown.users = 900: must be below scaleUp.users (500), or regions would flap up and down; fix: set it lower than 500',
    );
    expect(result.output).not.toMatch(/\n\s+at .*\.ts:\d+/);
  }, 900_000);
});
