/**
 * `regionctl publish-demand <region> <users>`: publishes one demand sample for a region, as an
 * edge or a log pipeline would (see the demand metric contract in README). Useful to test the
 * alarms of a deployment by hand.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, parseConfig, type AutoscalerConfig } from '../../functions/domain/config';
import { DEMAND_METRIC_NAME, DEMAND_NAMESPACE, DemandSampleError } from '../../functions/domain/demand-metric';
import { publishDemand } from '../../functions/adapters/demand-publisher';
import { CDK_JSON_CONFIG_SOURCE, readCdkJsonContext, readConfigFile } from '../../infra/config-source';
import { CliError } from '../cli-error';
import { EXIT } from '../exit-codes';

export interface PublishDemandDeps {
  /** A CloudWatch client for the home region (tests pass one pointed at the emulator). */
  cloudWatch?: (region: string) => CloudWatchClient;
  loadConfig?: (path?: string) => AutoscalerConfig;
  print?: (line: string) => void;
}

function loadDefaultConfig(path?: string): AutoscalerConfig {
  if (path) return readConfigFile(path);
  let raw: unknown;
  try {
    raw = readCdkJsonContext();
  } catch (error) {
    throw new CliError(
      `Cannot read the configuration ./cdk.json: ${(error as Error).message}; fix: run in the project folder or pass --config PATH`,
      EXIT.usage,
    );
  }
  return parseConfig(raw, CDK_JSON_CONFIG_SOURCE);
}

function parseUsers(value: string): number {
  const users = Number(value);
  if (value.trim() === '' || !Number.isFinite(users) || users < 0) {
    throw new InvalidArgumentError(`"${value}" is not a number of users; use a number 0 or more, e.g. 420`);
  }
  return users;
}

function parseTimestamp(value: string): Date {
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(at.getTime())) {
    throw new InvalidArgumentError(`"${value}" is not an ISO-8601 time; use e.g. 2026-11-21T10:00:00Z`);
  }
  return at;
}

export function publishDemandCommand(deps: PublishDemandDeps = {}): Command {
  const print = deps.print ?? ((line: string) => console.log(line));
  return new Command('publish-demand')
    .description(`Publish one ${DEMAND_NAMESPACE}/${DEMAND_METRIC_NAME} sample (users of <region>) in the home region`)
    .argument('<region>', 'approved region whose users are counted, e.g. ap-southeast-1')
    .argument('<users>', 'active users in that region (0 or more)', parseUsers)
    .option('--timestamp <iso>', 'time of the sample (ISO-8601); default now', parseTimestamp)
    .option('--high-resolution', 'publish with 1-second storage resolution (for 10 s / 30 s alarm periods)')
    .addOption(new Option('--config <path>', 'autoscaler configuration JSON file; default: cdk.json context'))
    .addHelpText(
      'after',
      '\nExamples:\n  regionctl publish-demand ap-southeast-1 750\n  regionctl publish-demand sa-east-1 0 --timestamp 2026-11-21T10:00:00Z --high-resolution',
    )
    .action(
      async (
        region: string,
        users: number,
        options: { timestamp?: Date; highResolution?: boolean; config?: string },
      ) => {
        let config: AutoscalerConfig;
        try {
          config = (deps.loadConfig ?? loadDefaultConfig)(options.config);
        } catch (error) {
          // Every problem of the local configuration, not only the first line of the error.
          if (error instanceof ConfigError) throw new CliError(error.message, EXIT.failed);
          throw error;
        }
        const client = deps.cloudWatch?.(config.homeRegion) ?? new CloudWatchClient({ region: config.homeRegion });
        const timestamp = options.timestamp ?? new Date();
        try {
          await publishDemand(client, config, [{ region, users, timestamp }], {
            resolution: options.highResolution ? 1 : undefined,
          });
        } catch (error) {
          // The sample is checked against the configuration before anything is sent: bad input.
          if (error instanceof DemandSampleError) throw new CliError(error.message, EXIT.usage);
          throw error;
        }
        print(
          `Published ${DEMAND_NAMESPACE}/${DEMAND_METRIC_NAME}{Region=${region}} = ${users} at ${timestamp.toISOString()} in ${config.homeRegion}`,
        );
      },
    );
}
