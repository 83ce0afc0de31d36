/** Fixed configurations for tests: the example from cdk.json and small variations of it. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AWS_REGIONS } from '../../functions/domain/aws-regions';
import { parseConfig, type AutoscalerConfig, type AutoscalerConfigInput } from '../../functions/domain/config';

const cdkJsonPath = fileURLToPath(new URL('../../cdk.json', import.meta.url));

/** The raw example configuration shipped in cdk.json (a fresh deep copy on every call). */
export function exampleRawConfig(): AutoscalerConfigInput {
  return structuredClone(JSON.parse(readFileSync(cdkJsonPath, 'utf8')).context.autoscaler);
}

export function exampleConfig(mutate?: (raw: AutoscalerConfigInput) => void): AutoscalerConfig {
  const raw = exampleRawConfig();
  mutate?.(raw);
  return parseConfig(raw, 'test');
}

/**
 * A large configuration as a CDN with many regions writes it: every AWS region approved (two
 * always-on, the rest elastic) and thresholds overridden for each elastic region.
 */
export function everyRegionConfig(mutate?: (raw: AutoscalerConfigInput) => void): AutoscalerConfig {
  return exampleConfig((raw) => {
    const alwaysOn = ['us-east-1', 'eu-west-1'];
    const elastic = AWS_REGIONS.filter((region) => !alwaysOn.includes(region));
    raw.regions = { alwaysOn, elastic };
    raw.scaling.regionOverrides = Object.fromEntries(
      elastic.map((region, i) => [
        region,
        {
          periodSeconds: 120,
          scaleUp: { users: 300 + 10 * i, datapointsToAlarm: 2, evaluationPeriods: 4 },
          scaleDown: { users: 80 + 5 * i },
        },
      ]),
    );
    mutate?.(raw);
  });
}
