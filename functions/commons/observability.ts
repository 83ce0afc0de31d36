/** One Logger and one Metrics for every Lambda (Powertools), and the middy stack they share. */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { InvalidRequestError } from '../domain/errors';
import { describeIssues } from '../domain/validation';

export const METRICS_NAMESPACE = 'EdgeAutoscaler';

export const logger = new Logger({ serviceName: 'edge-autoscaler' });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'edge-autoscaler' });

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
    .use(logMetrics(metrics));
}
