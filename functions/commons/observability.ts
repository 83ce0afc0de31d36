/** One Logger and one Metrics for every Lambda (Powertools), and the middy stack they share. */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { InvalidRequestError } from '../domain/errors';
import { AUTOSCALER_NAMESPACE, SERVICE_NAME } from '../domain/metric-names';
import { describeIssues } from '../domain/validation';

export const METRICS_NAMESPACE = AUTOSCALER_NAMESPACE;

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

/**
 * A Lambda handler with the same middleware, in the same order, everywhere: Powertools context
 * in every log line, metrics flushed at the end, and the input parsed with zod before any AWS
 * call (a malformed input fails with InvalidRequestError naming the field).
 */
export function lambdaHandler<S extends z.ZodType, R>(
  inputSchema: S,
  handle: (input: z.output<S>, context: Context) => Promise<R>,
) {
  return middy(async (event: unknown, context: Context): Promise<R> => {
    const parsed = inputSchema.safeParse(event);
    if (!parsed.success) {
      const problems = describeIssues(parsed.error, 'input', event);
      logger.error('Rejected malformed input', { problems });
      throw new InvalidRequestError(problems.join('; '));
    }
    return handle(parsed.data, context);
  })
    .use(injectLambdaContext(logger))
    .use(publishMetrics(metrics));
}

/**
 * Flushes the buffered metrics after the handler, as Powertools' logMetrics middleware does, but
 * only when there are some: logMetrics warns "No application metrics to publish" on every
 * invocation that recorded none (also with `throwOnEmptyMetrics: false`), and most task
 * invocations (a poll that sees CREATING) record none.
 */
function publishMetrics(target: Metrics): middy.MiddlewareObj {
  const publish = async () => {
    if (target.hasStoredMetrics()) target.publishStoredMetrics();
  };
  return { after: publish, onError: publish };
}
