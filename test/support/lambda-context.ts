/**
 * What the task handlers need to run in-process, outside Lambda: a minimal Lambda context and
 * the environment the CDK app gives every function (configuration, table, topic).
 */
import type { Context } from 'aws-lambda';
import { resetClients } from '../../functions/commons/aws-clients';
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
export const TASK_ENVIRONMENT_KEYS = [ENV.config, ENV.stateTable, ENV.topic];

/** Sets the handlers' environment and forgets the cached runtime and SDK clients. */
export function setTaskEnvironment(
  config: AutoscalerConfig,
  names: { stateTableName: string; notificationTopicArn?: string },
): void {
  process.env[ENV.config] = JSON.stringify(config);
  process.env[ENV.stateTable] = names.stateTableName;
  if (names.notificationTopicArn) process.env[ENV.topic] = names.notificationTopicArn;
  else delete process.env[ENV.topic];
  // Powertools: quiet logs, no metrics flush warnings in test output.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  resetRuntime();
  resetClients();
}
