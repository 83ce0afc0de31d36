/**
 * What the task handlers need to run in-process, outside Lambda: a minimal Lambda context, the
 * environment the CDK app gives every function (table, topic), and their configuration, in a file
 * named by AUTOSCALER_CONFIG_FILE (handlers run from source have no bundle, and the bundles were
 * built for the example configuration).
 */
import type { Context } from 'aws-lambda';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resetClients } from '../../functions/commons/aws-clients';
import { CONFIG_FILE_ENV } from '../../functions/commons/bundled-files';
import { ENV, resetRuntime } from '../../functions/commons/runtime';
import type { AutoscalerConfig } from '../../functions/domain/config';

export function lambdaContext(functionName = 'local-task'): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: 'local-request',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The variables of the deployment that setTaskEnvironment gives the task handlers (the rest is Powertools' quiet). */
export const TASK_ENVIRONMENT_KEYS = [ENV.stateTable, ENV.topic];

/** One per process: a jest worker runs one test file at a time, and each call rewrites it. */
const configFile = join(tmpdir(), `edge-autoscaler-test-config-${process.pid}.json`);

/** Sets the handlers' configuration and environment and forgets the cached runtime and SDK clients. */
export function setTaskEnvironment(
  config: AutoscalerConfig,
  names: { stateTableName: string; notificationTopicArn?: string },
): void {
  writeFileSync(configFile, JSON.stringify(config));
  process.env[CONFIG_FILE_ENV] = configFile;
  process.env[ENV.stateTable] = names.stateTableName;
  if (names.notificationTopicArn) process.env[ENV.topic] = names.notificationTopicArn;
  else delete process.env[ENV.topic];
  // Powertools: quiet logs, no metrics flush warnings in test output.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  resetRuntime();
  resetClients();
}
