import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateConfig } from '../../../cli/commands/config-validate';
import { EXIT } from '../../../cli/exit-codes';
import { configProblems } from '../../../functions/domain/config';
import { exampleRawConfig } from '../../support/config-fixtures';
import { capturedOutput } from '../../support/captured-output';

const projectDir = fileURLToPath(new URL('../../../', import.meta.url));

function writeConfig(content: unknown): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'regionctl-config-'));
  const path = join(dir, 'autoscaler.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return { dir, path };
}

describe('regionctl config validate', () => {
  it("accepts the project's cdk.json context and exits 0", async () => {
    const out = capturedOutput();
    expect(await validateConfig({ out, cwd: projectDir })).toBe(EXIT.ok);
    expect(out.lines).toEqual([
      'Configuration valid (cdk.json context "autoscaler"): prefix "edgescale", home region us-east-1, always-on us-east-1, eu-west-1; elastic ap-southeast-1, ap-northeast-1, sa-east-1, ap-south-1',
    ]);
  });

  it('prints every problem of a bad file with the messages of synth, and exits 1', async () => {
    const raw = exampleRawConfig();
    raw.scaling.thresholds.scaleDown.users = 900;
    raw.regions.elastic.push('mars-north-1');
    raw.scaling.drainSeconds = 10;
    Object.assign(raw, { prefx: 'typo' });
    const { path } = writeConfig(raw);
    const out = capturedOutput();
    expect(await validateConfig({ out, cwd: projectDir }, { config: path })).toBe(EXIT.failed);
    const problems = configProblems(raw);
    expect(problems).toHaveLength(4);
    expect(out.lines).toEqual([
      `Invalid autoscaler configuration (${path}):`,
      ...problems.map((p) => `  - ${p}`),
      '4 problems; the configuration cannot be deployed.',
    ]);
    expect(out.stdout).toContain(
      '  - autoscaler.scaling.thresholds.scaleDown.users = 900: must be below scaleUp.users (500), or regions would flap up and down; fix: set it lower than 500',
    );
  });

  it('resolves --config against the working folder', async () => {
    const { dir } = writeConfig(exampleRawConfig());
    const out = capturedOutput();
    expect(await validateConfig({ out, cwd: dir }, { config: 'autoscaler.json' })).toBe(EXIT.ok);
    expect(out.lines[0]).toMatch(/^Configuration valid \(autoscaler\.json\)/);
  });

  it('says in one line when the file is missing or not JSON, and exits 1', async () => {
    const out = capturedOutput();
    expect(await validateConfig({ out, cwd: projectDir }, { config: '/nonexistent/autoscaler.json' })).toBe(
      EXIT.failed,
    );
    const { path } = writeConfig('{ "prefix": ');
    expect(await validateConfig({ out, cwd: projectDir }, { config: path })).toBe(EXIT.failed);
    expect(out.errors).toEqual([
      expect.stringMatching(
        /^regionctl: Cannot read \/nonexistent\/autoscaler\.json: ENOENT.*; fix: pass a readable JSON file with --config$/,
      ),
      expect.stringMatching(/^regionctl: .*autoscaler\.json is not valid JSON: .*; fix: correct the JSON syntax$/),
    ]);
  });

  it('without --config, needs a cdk.json with the "autoscaler" context', async () => {
    const { dir } = writeConfig({});
    writeFileSync(join(dir, 'cdk.json'), JSON.stringify({ app: 'npx tsx infra/app.ts', context: {} }));
    const out = capturedOutput();
    expect(await validateConfig({ out, cwd: dir })).toBe(EXIT.failed);
    expect(out.errors).toEqual([
      'regionctl: cdk.json has no context "autoscaler"; fix: add the configuration object there or pass --config PATH',
    ]);
  });
});
