/** Fixed configurations for tests: the example from cdk.json and small variations of it. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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
