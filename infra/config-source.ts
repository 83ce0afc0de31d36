/**
 * Where the CDK app reads the configuration from: the `autoscaler` context key of cdk.json,
 * or a JSON file named by `-c autoscalerConfig=PATH`. Validation itself lives in functions/domain.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseConfig, type AutoscalerConfig } from '../functions/domain/config';

export const CONFIG_CONTEXT_KEY = 'autoscaler';
export const CONFIG_PATH_CONTEXT_KEY = 'autoscalerConfig';

interface ContextReader {
  tryGetContext(key: string): unknown;
}

export function readConfigFile(path: string): AutoscalerConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(resolve(path), 'utf8'));
  } catch (error) {
    throw new Error(
      `Cannot read the autoscaler configuration file ${path}: ${(error as Error).message}. Fix: pass a readable JSON file.`,
      { cause: error },
    );
  }
  return parseConfig(raw, path);
}

/** How messages name the configuration in cdk.json. */
export const CDK_JSON_CONFIG_SOURCE = `cdk.json context "${CONFIG_CONTEXT_KEY}"`;

/**
 * The raw `autoscaler` context of `<dir>/cdk.json` (undefined when it has none), for the tools
 * that run in the project folder. Throws the file's own problem when it cannot be read or parsed.
 */
export function readCdkJsonContext(dir = '.'): unknown {
  const cdkJson = JSON.parse(readFileSync(resolve(dir, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context?.[CONFIG_CONTEXT_KEY];
}

/** The configuration of `<dir>/cdk.json`, validated (ConfigError naming every problem). */
export function loadCdkJsonConfig(dir = '.'): AutoscalerConfig {
  return parseConfig(readCdkJsonContext(dir), CDK_JSON_CONFIG_SOURCE);
}

export function loadConfig(context: ContextReader): AutoscalerConfig {
  const path = context.tryGetContext(CONFIG_PATH_CONTEXT_KEY);
  if (typeof path === 'string' && path.length > 0) return readConfigFile(path);
  const raw = context.tryGetContext(CONFIG_CONTEXT_KEY);
  if (raw === undefined) {
    throw new Error(
      `No autoscaler configuration: add the "${CONFIG_CONTEXT_KEY}" object to the context of cdk.json or pass -c ${CONFIG_PATH_CONTEXT_KEY}=PATH.`,
    );
  }
  return parseConfig(raw, CDK_JSON_CONFIG_SOURCE);
}
