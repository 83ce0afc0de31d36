/**
 * What the `/<prefix>/config` SSM parameter holds: the deployed configuration for regionctl
 * (cli/discovery.ts), which re-parses it with parseConfig. It stores the configuration without
 * the values parseConfig fills in by default — parsing fills them in again, to the same object —
 * so that a configuration with every region approved and overridden still fits; in the standard
 * tier (free) when it fits 4 KB, the advanced tier ($0.05 a month) up to 8 KB. The Lambdas do not
 * read it: each has the whole validated configuration in its bundle.
 */
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { isDeepStrictEqual } from 'node:util';
import { configSchema, type AutoscalerConfig } from '../functions/domain/config';
import { DeploymentInputError } from './config-source';

/** Largest value of each SSM parameter tier, in bytes (UTF-8). */
export const SSM_VALUE_LIMITS = { standard: 4096, advanced: 8192 } as const;

export interface ConfigParameterValue {
  value: string;
  tier: ssm.ParameterTier;
}

/**
 * The parameter's value and tier; a DeploymentInputError naming the size, the limit, the parameter
 * and a fix for a configuration too large for any tier.
 */
export function configParameterValue(config: AutoscalerConfig, parameterName: string): ConfigParameterValue {
  const stored = withoutDefaults(config);
  const value = JSON.stringify(stored);
  const bytes = Buffer.byteLength(value);
  if (bytes <= SSM_VALUE_LIMITS.standard) return { value, tier: ssm.ParameterTier.STANDARD };
  if (bytes <= SSM_VALUE_LIMITS.advanced) return { value, tier: ssm.ParameterTier.ADVANCED };
  const parts = Object.entries(stored)
    .map(([key, part]) => ({ key, bytes: Buffer.byteLength(JSON.stringify(part)) }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 3)
    .map((part) => `${part.key} ${part.bytes} bytes`);
  throw new DeploymentInputError(
    `The configuration is ${bytes} bytes as the SSM parameter ${parameterName} stores it (compact JSON without default values), ` +
      `more than the ${SSM_VALUE_LIMITS.advanced} bytes an advanced parameter holds (largest parts: ${parts.join(', ')}); ` +
      'fix: shorten its largest parts, e.g. move the values that many scaling.regionOverrides share into scaling.thresholds, ' +
      'map fewer countries in demand.countryRegions, or approve fewer regions',
  );
}

/**
 * `config` without every field whose value parseConfig would fill in by default: parsing the
 * result gives `config` again (each removal is kept only if it does). Arrays are kept whole.
 */
export function withoutDefaults(config: AutoscalerConfig): Record<string, unknown> {
  const result = structuredClone(config) as Record<string, unknown>;
  const parsesToConfig = () => {
    const parsed = configSchema.safeParse(result);
    return parsed.success && isDeepStrictEqual(parsed.data, config);
  };
  const visit = (object: Record<string, unknown>) => {
    const entries = Object.entries(object);
    for (const [key, value] of entries) {
      delete object[key];
      if (parsesToConfig()) continue;
      object[key] = value;
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) visit(value as Record<string, unknown>);
    }
    // Kept fields back in their order (a removal tried and undone moved its field last).
    for (const [key] of entries) {
      if (!(key in object)) continue;
      const value = object[key];
      delete object[key];
      object[key] = value;
    }
  };
  visit(result);
  return result;
}
