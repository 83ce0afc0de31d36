import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../../cli/commands/config-validate';
import { EXIT } from '../../../cli/exit-codes';
import { ConfigError, configProblems, parseConfig } from '../../../functions/domain/config';
import { loadConfig } from '../../../infra/config-source';
import { capturedOutput } from '../../support/captured-output';
import { exampleRawConfig } from '../../support/config-fixtures';

const TODAY = new Date('2026-12-01T12:00:00Z');

function withVersion(version: string) {
  const raw = exampleRawConfig();
  raw.cluster.kubernetesVersion = version;
  return raw;
}

describe('cluster.kubernetesVersion', () => {
  it('defaults (cdk.json) to 1.35, in EKS standard support on 1 December 2026', () => {
    expect(exampleRawConfig().cluster.kubernetesVersion).toBe('1.35');
    expect(configProblems(exampleRawConfig(), { at: TODAY })).toEqual([]);
  });

  it('refuses a version the release calendar does not know, whatever the date, naming the known ones and the fix', () => {
    const [problem, ...others] = configProblems(withVersion('1.41'));
    expect(others).toEqual([]);
    expect(problem).toMatch(
      /^autoscaler\.cluster\.kubernetesVersion = "1\.41": is not in EKS's release calendar .*\(1\.29, .*1\.36.*\); fix: use one of these, e.g\. "1\.35"/,
    );
    expect(configProblems(withVersion('1.3x'))).toEqual([
      'autoscaler.cluster.kubernetesVersion = "1.3x": is not an EKS Kubernetes version; fix: use for example "1.35"',
    ]);
  });

  it('refuses, on the date of the check, a version past the end of extended support', () => {
    const raw = withVersion('1.31');
    expect(configProblems(raw, { at: new Date('2026-11-25T23:59:00Z') })).toEqual([]);
    expect(configProblems(raw, { at: TODAY })).toEqual([
      'autoscaler.cluster.kubernetesVersion = "1.31": Kubernetes 1.31 left EKS extended support on 26 November 2026: ' +
        'EKS creates no cluster on it and upgrades existing ones by itself; fix: raise it one minor at a time towards ' +
        'a version in standard support (e.g. "1.35"); the upgrade workflow takes running regions there',
    ]);
    expect(() => parseConfig(raw, 'test', { at: TODAY })).toThrow(ConfigError);
  });

  it('accepts a version in extended support (the synth warns about its price)', () => {
    expect(configProblems(withVersion('1.33'), { at: TODAY })).toEqual([]);
  });

  it('is not judged by date without one: the deployed Lambdas keep reading their configuration', () => {
    expect(parseConfig(withVersion('1.31'), 'Lambda').cluster.kubernetesVersion).toBe('1.31');
  });

  it('is judged at synth (loadConfig) and by regionctl config validate on their date', async () => {
    const context = (raw: unknown) => ({ tryGetContext: (key: string) => (key === 'autoscaler' ? raw : undefined) });
    expect(() => loadConfig(context(withVersion('1.31')), TODAY)).toThrow(
      /left EKS extended support on 26 November 2026/,
    );
    expect(loadConfig(context(withVersion('1.33')), TODAY).cluster.kubernetesVersion).toBe('1.33');

    const dir = mkdtempSync(join(tmpdir(), 'kubernetes-version-'));
    const path = join(dir, 'autoscaler.json');
    writeFileSync(path, JSON.stringify(withVersion('1.31')));
    const out = capturedOutput();
    expect(await validateConfig({ out, cwd: dir, now: () => TODAY }, { config: path })).toBe(EXIT.failed);
    expect(out.lines.join('\n')).toContain('Kubernetes 1.31 left EKS extended support on 26 November 2026');
  });
});
