import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthConfigFile } from '../../support/cdk-synth-cli';
import { exampleRawConfig } from '../../support/config-fixtures';

/** `npx cdk synth` of a configuration file, offline, without credentials: its exit status and output. */
function synth(mutate: (raw: ReturnType<typeof exampleRawConfig>, dir: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'autoscaler-synth-delivery-'));
  const raw = exampleRawConfig();
  mutate(raw, dir);
  return synthConfigFile(dir, raw);
}

const NO_STACK_TRACE = /\n\s+at .*\.ts:\d+/;

describe('npx cdk synth of a configuration the deployment cannot carry (the real CLI)', () => {
  it('exits non-zero naming the size, the limit and the parameter, without a stack trace', () => {
    const countries = Array.from({ length: 450 }, (_, i) =>
      String.fromCharCode(65 + (i % 26), 65 + Math.floor(i / 26)),
    );
    const result = synth(
      (raw) => void (raw.demand = { countryRegions: Object.fromEntries(countries.map((c) => [c, 'sa-east-1'])) }),
    );
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(
      /The configuration is \d+ bytes as the SSM parameter \/edgescale\/config stores it .*more than the 8192 bytes an advanced parameter holds .*; fix: /,
    );
    expect(result.output).not.toMatch(NO_STACK_TRACE);
  }, 900_000);

  it('exits non-zero naming a missing edge.manifestsPath file, without a stack trace', () => {
    let missing = '';
    const result = synth((raw, dir) => {
      missing = join(dir, 'missing-edge.json');
      raw.edge.manifestsPath = missing;
    });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain(`Cannot read the edge manifests file ${missing} (edge.manifestsPath): ENOENT`);
    expect(result.output).not.toMatch(NO_STACK_TRACE);
  }, 900_000);
});
