import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_FILE_ENV, customEdgeManifests, readBundledConfig } from '../../../functions/commons/bundled-files';
import { runtime } from '../../../functions/commons/runtime';
import { ConfigError } from '../../../functions/domain/config';
import { InvalidRequestError } from '../../../functions/domain/errors';
import { exampleConfig, exampleRawConfig } from '../../support/config-fixtures';

function configFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bundled-config-')), 'config.json');
  writeFileSync(file, content);
  return file;
}

describe('the configuration a Lambda reads', () => {
  it('is the file AUTOSCALER_CONFIG_FILE names, validated, with the defaults filled in', () => {
    const file = configFile(JSON.stringify(exampleRawConfig()));
    const rt = runtime({ [CONFIG_FILE_ENV]: file, STATE_TABLE_NAME: 'table' });
    expect(rt.config).toEqual(exampleConfig());
    expect(rt.homeRegion).toBe('us-east-1');
  });

  it('is never read from the environment itself', () => {
    // Run from source there is no bundle beside the module: only the file override would do.
    const env = { AUTOSCALER_CONFIG: JSON.stringify(exampleConfig()), STATE_TABLE_NAME: 'table' };
    expect(() => runtime(env)).toThrow(
      /Cannot read the autoscaler configuration \S+autoscaler-config\.json \(bundled at synth\): ENOENT.*; fix: deploy the Lambda with the CDK app, which writes autoscaler-config\.json beside index\.mjs/,
    );
  });

  it('fails naming the file and the variable when the named file is missing or not JSON', () => {
    const missing = join(tmpdir(), 'no-such-dir', 'config.json');
    expect(() => readBundledConfig({ [CONFIG_FILE_ENV]: missing })).toThrow(
      `Cannot read the autoscaler configuration ${missing} (named by ${CONFIG_FILE_ENV}): ENOENT`,
    );
    expect(() => readBundledConfig({ [CONFIG_FILE_ENV]: configFile('prefix: x') })).toThrow(
      /\(named by AUTOSCALER_CONFIG_FILE\): .*JSON.*; fix: point AUTOSCALER_CONFIG_FILE at a JSON configuration file/,
    );
  });

  it('fails with every problem of an invalid configuration, naming the file', () => {
    const raw = exampleRawConfig();
    raw.prefix = 'X';
    const file = configFile(JSON.stringify(raw));
    expect(() => readBundledConfig({ [CONFIG_FILE_ENV]: file })).toThrow(ConfigError);
    expect(() => readBundledConfig({ [CONFIG_FILE_ENV]: file })).toThrow(
      `Invalid autoscaler configuration (${file} (named by ${CONFIG_FILE_ENV})):\n  - autoscaler.prefix = "X"`,
    );
  });
});

describe('the custom edge manifests a Lambda reads', () => {
  it('are none for a configuration without edge.manifestsPath', () => {
    expect(customEdgeManifests(exampleConfig())).toBeUndefined();
  });

  it('come from the bundle, never from edge.manifestsPath: without a bundle they are refused', () => {
    const path = configFile(JSON.stringify([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'edge' } }]));
    const config = exampleConfig((raw) => void (raw.edge.manifestsPath = path));
    expect(() => customEdgeManifests(config)).toThrow(InvalidRequestError);
    expect(() => customEdgeManifests(config)).toThrow(/edge-manifests\.json.*ENOENT/);
  });
});
