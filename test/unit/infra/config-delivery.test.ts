import { describe, expect, it } from '@jest/globals';
import type { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type AutoscalerConfig } from '../../../functions/domain/config';
import { SSM_VALUE_LIMITS, withoutDefaults } from '../../../infra/config-parameter';
import { DeploymentInputError } from '../../../infra/config-source';
import { buildTestApp } from '../../support/app-factory';
import { everyRegionConfig, exampleConfig } from '../../support/config-fixtures';

interface LambdaFunction {
  name: string;
  assetKey: string;
  variables: Record<string, unknown>;
}

/** The Lambda functions of `stacks`: name, asset key and environment (read from the construct tree, without a synth). */
function functionsOf(stacks: Stack[]): LambdaFunction[] {
  return stacks.flatMap((stack) =>
    stack.node
      .findAll()
      .filter((construct): construct is lambda.CfnFunction => construct instanceof lambda.CfnFunction)
      .map((fn) => ({
        name: stack.resolve(fn.functionName) as string,
        assetKey: (stack.resolve(fn.code) as { s3Key: string }).s3Key,
        variables:
          (stack.resolve(fn.environment) as { variables?: Record<string, unknown> } | undefined)?.variables ?? {},
      })),
  );
}

/** Each function's asset hash (bundling skipped: CDK derives it from the bundling command). */
function assetHashes(config: AutoscalerConfig): Record<string, string> {
  const { control } = buildTestApp(config);
  return Object.fromEntries(functionsOf([control]).map((f) => [f.name, f.assetKey]));
}

/**
 * The bytes an environment takes once deployed (Lambda counts names and values): a reference
 * to another resource (a table name, an ARN) counted as 256 characters, more than any of them takes.
 */
function deployedEnvironmentBytes(variables: Record<string, unknown>): number {
  return Object.entries(variables).reduce(
    (sum, [name, value]) =>
      sum + Buffer.byteLength(name) + (typeof value === 'string' ? Buffer.byteLength(value) : 256),
    0,
  );
}

/** The `/edgescale/config` parameter as the template declares it (from the construct tree, without a synth). */
function configParameter(control: Stack): { Value: string; Tier: string } {
  const parameter = control.node
    .findAll()
    .find(
      (construct): construct is ssm.CfnParameter =>
        construct instanceof ssm.CfnParameter && control.resolve(construct.name) === '/edgescale/config',
    );
  return { Value: control.resolve(parameter!.value) as string, Tier: control.resolve(parameter!.tier) as string };
}

/** The error building the app for `config` throws. */
function synthError(config: AutoscalerConfig): Error {
  try {
    buildTestApp(config);
  } catch (error) {
    return error as Error;
  }
  throw new Error('the app was built');
}

const LAMBDA_ENVIRONMENT_LIMIT = 4096;

/** The app for the large configuration (34 regions: built once, it takes seconds). */
let everyRegionApp: ReturnType<typeof buildTestApp> | undefined;
const everyRegion = () => (everyRegionApp ??= buildTestApp(everyRegionConfig()));

describe('the configuration reaches the Lambdas in their bundles', () => {
  it('leaves it out of every environment, which stays under half of the 4 KB limit with every region approved and overridden', () => {
    const { config, control, foundations } = everyRegion();
    const functions = functionsOf([control, ...foundations]);
    expect(functions.length).toBeGreaterThanOrEqual(8);
    for (const { name, variables } of functions) {
      const carriesConfig = JSON.stringify(variables).includes(config.dns.recordName);
      expect({ name, carriesConfig }).toEqual({ name, carriesConfig: false });
      expect(deployedEnvironmentBytes(variables)).toBeLessThan(LAMBDA_ENVIRONMENT_LIMIT / 2);
    }
  });

  it('bundles every Lambda anew when the configuration changes, and the same configuration the same', () => {
    const before = assetHashes(exampleConfig());
    const again = assetHashes(exampleConfig());
    const after = assetHashes(exampleConfig((raw) => void (raw.scaling.cooldownSeconds = 2400)));
    expect(Object.keys(after).length).toBeGreaterThanOrEqual(8);
    expect(again).toEqual(before);
    for (const [name, hash] of Object.entries(after)) {
      expect({ name, changed: hash !== before[name] }).toEqual({ name, changed: true });
    }
  });
});

describe('the /<prefix>/config parameter regionctl reads', () => {
  it('holds the example configuration without its defaults, in the standard tier, and parses back to it', () => {
    const config = exampleConfig();
    const parameter = configParameter(buildTestApp(config).control);
    expect(parameter.Tier).toBe('Standard');
    expect(Buffer.byteLength(parameter.Value)).toBeLessThanOrEqual(SSM_VALUE_LIMITS.standard);
    expect(parseConfig(JSON.parse(parameter.Value), 'parameter')).toEqual(config);
    // Filled in by default: the edge's cache rules, the simulator's provisioning model.
    expect(JSON.parse(parameter.Value)).not.toHaveProperty('edge.cache');
    expect(JSON.parse(parameter.Value)).not.toHaveProperty('provisioning');
  });

  it('carries every region approved and overridden, in the advanced tier, and parses back to it', () => {
    const { config, control } = everyRegion();
    const parameter = configParameter(control);
    const bytes = Buffer.byteLength(parameter.Value);
    expect(bytes).toBeGreaterThan(SSM_VALUE_LIMITS.standard);
    expect(bytes).toBeLessThanOrEqual(SSM_VALUE_LIMITS.advanced);
    expect(parameter.Tier).toBe('Advanced');
    expect(parseConfig(JSON.parse(parameter.Value), 'parameter')).toEqual(config);
  });

  it('keeps a value the configuration sets unless it equals the default', () => {
    const replicas = (config: AutoscalerConfig) =>
      (withoutDefaults(config).edge as Record<string, unknown> | undefined)?.replicas;
    const defaults = exampleConfig();
    expect(replicas(exampleConfig((raw) => void (raw.edge.replicas = defaults.edge.replicas)))).toBeUndefined();
    expect(replicas(exampleConfig((raw) => void (raw.edge.replicas = defaults.edge.replicas + 1)))).toBe(
      defaults.edge.replicas + 1,
    );
  });

  it('fails synth on a configuration too large for it, naming the size, the limit, the parameter and a fix', () => {
    // 450 two-letter codes, each sent to a chosen region: about 9 KB.
    const countries = Array.from({ length: 450 }, (_, i) =>
      String.fromCharCode(65 + (i % 26), 65 + Math.floor(i / 26)),
    );
    const config = exampleConfig(
      (raw) => void (raw.demand = { countryRegions: Object.fromEntries(countries.map((c) => [c, 'sa-east-1'])) }),
    );
    const error = synthError(config);
    expect(error).toBeInstanceOf(DeploymentInputError);
    const [, bytes] = /^The configuration is (\d+) bytes /.exec(error.message) ?? [];
    // Over the limit even without the defaults, which the whole configuration has on top.
    expect(Number(bytes)).toBeGreaterThan(SSM_VALUE_LIMITS.advanced);
    expect(Number(bytes)).toBeLessThan(Buffer.byteLength(JSON.stringify(config)));
    expect(error.message).toContain(
      'bytes as the SSM parameter /edgescale/config stores it (compact JSON without default values), more than the 8192 bytes an advanced parameter holds',
    );
    expect(error.message).toMatch(
      /\(largest parts: demand \d+ bytes, scaling \d+ bytes, [a-z]+ \d+ bytes\); fix: shorten its largest parts, e\.g\. .*map fewer countries in demand\.countryRegions/,
    );
  });
});

describe('edge.manifestsPath, read at synth', () => {
  const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'edge' }, spec: { type: 'LoadBalancer' } };
  const manifestsFile = (content?: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'synth-manifests-')), 'edge.json');
    if (content !== undefined) writeFileSync(path, content);
    return path;
  };
  const withManifests = (path: string) => exampleConfig((raw) => void (raw.edge.manifestsPath = path));

  it.each([
    ['a missing file', undefined, /^Cannot read the edge manifests file \S+edge\.json \(edge\.manifestsPath\): ENOENT/],
    [
      'a file that is not JSON',
      'kind: Service',
      /^The edge manifests file \S+edge\.json \(edge\.manifestsPath\) is not JSON: /,
    ],
    [
      'an object without a name',
      '[{"apiVersion":"v1","kind":"Service","metadata":{}}]',
      /^Invalid edge manifests in \S+edge\.json \(edge\.manifestsPath\): manifests\.0\.metadata\.name/,
    ],
    [
      'a set without the edge Service',
      '[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"varnish"}}]',
      /^Invalid edge manifests in \S+edge\.json \(edge\.manifestsPath\): no Service named "edge" of type LoadBalancer/,
    ],
  ])('fails synth on %s, naming the file, the problem and the fix', (_what, content, message) => {
    const error = synthError(withManifests(manifestsFile(content)));
    expect(error).toBeInstanceOf(DeploymentInputError);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/; fix: \S/);
  });

  it("ships the file's content with the edge task and the reconciler, which render the edge, and no other Lambda", () => {
    const path = manifestsFile(JSON.stringify([service]));
    const config = withManifests(path);
    const first = assetHashes(config);
    writeFileSync(path, JSON.stringify([{ ...service, metadata: { name: 'edge', labels: { changed: 'yes' } } }]));
    const changed = assetHashes(config);
    const rebundled = Object.keys(changed).filter((name) => changed[name] !== first[name]);
    expect(rebundled.sort()).toEqual(['edgescale-edge-task', 'edgescale-reconcile-handler']);
  });
});
