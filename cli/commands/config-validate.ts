/**
 * `regionctl config validate [--config PATH]`: every problem of a configuration, one line each,
 * with exactly the messages `cdk synth` prints (configProblems, on today's date), before anything is deployed.
 * Reads cdk.json's context "autoscaler" by default. No AWS call.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, configProblems, parseConfig } from '../../functions/domain/config';
import { CONFIG_CONTEXT_KEY } from '../../infra/config-source';
import { reportingFailures } from '../command-env';
import { CliError } from '../cli-error';
import { EXIT, type ExitCode } from '../exit-codes';
import type { Output } from '../output';

export interface ConfigValidateOptions {
  /** A JSON file holding the configuration object; default: ./cdk.json context "autoscaler". */
  config?: string;
}

export function validateConfig(
  io: { out: Output; cwd: string; now?: () => Date },
  options: ConfigValidateOptions = {},
): Promise<ExitCode> {
  return reportingFailures(io.out, async () => {
    const { raw, source } = options.config ? readConfigFile(io.cwd, options.config) : readCdkJsonConfig(io.cwd);
    // As `cdk synth` checks it: also against today's date (a Kubernetes version past EKS's extended support).
    const at = io.now?.() ?? new Date();
    const problems = configProblems(raw, { at });
    if (problems.length > 0) {
      new ConfigError(problems, source).message.split('\n').forEach((line) => io.out.line(line));
      io.out.line(
        `${problems.length} problem${problems.length === 1 ? '' : 's'}; the configuration cannot be deployed.`,
      );
      return EXIT.failed;
    }
    const config = parseConfig(raw, source, { at });
    io.out.line(
      `Configuration valid (${source}): prefix "${config.prefix}", home region ${config.homeRegion}, ` +
        `always-on ${config.regions.alwaysOn.join(', ')}; elastic ${config.regions.elastic.join(', ') || 'none'}`,
    );
    return EXIT.ok;
  });
}

function readConfigFile(cwd: string, path: string): { raw: unknown; source: string } {
  return { raw: readJson(resolve(cwd, path), path, 'pass a readable JSON file with --config'), source: path };
}

function readCdkJsonConfig(cwd: string): { raw: unknown; source: string } {
  const cdkJson = readJson(
    resolve(cwd, 'cdk.json'),
    'cdk.json',
    'run it in the project folder or pass --config PATH',
  ) as {
    context?: Record<string, unknown>;
  };
  const raw = cdkJson.context?.[CONFIG_CONTEXT_KEY];
  if (raw === undefined) {
    throw new CliError(
      `cdk.json has no context "${CONFIG_CONTEXT_KEY}"; fix: add the configuration object there or pass --config PATH`,
      EXIT.failed,
    );
  }
  return { raw, source: `cdk.json context "${CONFIG_CONTEXT_KEY}"` };
}

function readJson(fullPath: string, shown: string, fix: string): unknown {
  let text: string;
  try {
    text = readFileSync(fullPath, 'utf8');
  } catch (error) {
    throw new CliError(`Cannot read ${shown}: ${(error as Error).message}; fix: ${fix}`, EXIT.failed);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(
      `${shown} is not valid JSON: ${(error as Error).message}; fix: correct the JSON syntax`,
      EXIT.failed,
    );
  }
}
