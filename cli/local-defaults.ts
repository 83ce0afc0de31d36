/**
 * Defaults for --prefix and --region when the operator runs regionctl in the project folder:
 * the prefix and home region of ./cdk.json's context "autoscaler". Anything unreadable there is
 * simply no default (the command then says what is missing).
 */
import { readCdkJsonContext } from '../infra/config-source';

/** The prefix of a configuration that does not set one (the example in cdk.json). */
export const DEFAULT_PREFIX = 'edgescale';

export interface TargetDefaults {
  prefix: string;
  /** AWS_REGION, else cdk.json's homeRegion; undefined lets the SDK take the profile's region. */
  homeRegion?: string;
}

export function targetDefaults(cwd: string, env: NodeJS.ProcessEnv): TargetDefaults {
  const local = localConfig(cwd);
  return {
    prefix: stringOr(local.prefix) ?? DEFAULT_PREFIX,
    homeRegion: stringOr(env.AWS_REGION) ?? stringOr(local.homeRegion),
  };
}

function localConfig(cwd: string): Record<string, unknown> {
  try {
    const config = readCdkJsonContext(cwd);
    return typeof config === 'object' && config !== null ? (config as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const stringOr = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);
