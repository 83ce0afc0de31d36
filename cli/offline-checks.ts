/**
 * What regionctl can tell is wrong without AWS, checked before any credential is looked up or any
 * call is made: the home region and the prefix of the target, a region argument's code, and, when
 * ./cdk.json holds the configuration of the targeted deployment (same prefix and home region),
 * whether the region is in its lists. (Durations, --reason and --limit are checked by their commands before any call
 * too.) Membership is checked again against the deployed configuration once it is read.
 */
import { isAwsRegion } from '../functions/domain/aws-regions';
import { configSchema, regionList, type AutoscalerConfig } from '../functions/domain/config';
import { loadCdkJsonConfig } from '../infra/config-source';
import { CliError } from './cli-error';
import type { Target } from './command-env';
import { EXIT } from './exit-codes';

/** A valid configuration found in the working folder, and where it was read. */
export interface LocalConfiguration {
  config: AutoscalerConfig;
  source: string;
}

/** Where each target value came from: an option, or a default (AWS_REGION, ./cdk.json). */
export interface TargetSources {
  prefix: 'option' | 'default';
  homeRegion: 'option' | 'default';
}

/** A command's region argument, and whether the command takes the region down. */
export interface RegionArgument {
  region: string;
  direction?: 'up' | 'down';
}

/** The `autoscaler` context of ./cdk.json when it is a valid configuration; undefined otherwise. */
export function localConfiguration(cwd: string): LocalConfiguration | undefined {
  try {
    return { config: loadCdkJsonConfig(cwd), source: './cdk.json' };
  } catch {
    // No usable local configuration: membership is checked against the deployed one only.
    return undefined;
  }
}

/** Throws a CliError naming the first problem regionctl finds without AWS. */
export function checkBeforeAws(
  target: Target,
  sources: TargetSources,
  argument: RegionArgument | undefined,
  local: LocalConfiguration | undefined,
): void {
  checkPrefix(target.prefix, sources.prefix);
  if (target.homeRegion !== undefined && !isAwsRegion(target.homeRegion)) {
    const given =
      sources.homeRegion === 'option' ? '--region' : 'The home region (AWS_REGION, else homeRegion of ./cdk.json)';
    throw new CliError(
      `${given} "${target.homeRegion}" is not an AWS region code; fix: pass the home region of the autoscaler, e.g. --region us-east-1`,
      EXIT.usage,
    );
  }
  if (!argument) return;
  const config = configurationOfTarget(target, local);
  const { region } = argument;
  if (!isAwsRegion(region)) {
    const fix = config
      ? `use an approved region of ${config.prefix}: ${approvedList(config)}`
      : 'use the code of an approved region, e.g. ap-southeast-1';
    throw new CliError(`Region "${region}" (argument <region>) is not an AWS region code; fix: ${fix}`, EXIT.usage);
  }
  if (!config) return;
  const list = regionList(config, region);
  if (!list) {
    throw new CliError(
      `Region ${region} is not approved for ${config.prefix} in ${local!.source}; approved regions: ${approvedList(config)}; ` +
        `fix: use one of them, or add it to the configuration and deploy (run regionctl outside this folder to go by the deployed configuration alone)`,
      EXIT.refused,
    );
  }
  if (list === 'always-on' && argument.direction === 'down') {
    throw new CliError(
      `Refused by rule "always-on": ${region} is an always-on region in ${local!.source} and is never scaled down; fix: move it to regions.elastic and deploy first if it really should scale`,
      EXIT.refused,
    );
  }
}

/**
 * The local configuration when it speaks for the targeted deployment (same prefix, same home
 * region), else undefined: membership is then checked against the deployed configuration only.
 */
export function configurationOfTarget(
  target: Target,
  local: LocalConfiguration | undefined,
): AutoscalerConfig | undefined {
  const sameDeployment =
    local?.config.prefix === target.prefix &&
    (target.homeRegion === undefined || target.homeRegion === local.config.homeRegion);
  return sameDeployment ? local.config : undefined;
}

function checkPrefix(prefix: string, source: TargetSources['prefix']): void {
  const result = configSchema.shape.prefix.safeParse(prefix);
  if (result.success) return;
  const given = source === 'option' ? '--prefix' : 'The prefix (of ./cdk.json)';
  throw new CliError(`${given} "${prefix}" ${result.error.issues[0]!.message}`, EXIT.usage);
}

function approvedList(config: AutoscalerConfig): string {
  const elastic = config.regions.elastic.length ? config.regions.elastic.join(', ') : 'none';
  return `${config.regions.alwaysOn.join(', ')} (always-on), ${elastic} (elastic)`;
}
