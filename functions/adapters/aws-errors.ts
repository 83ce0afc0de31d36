/**
 * Translates the AWS SDK's transient failures into TransientError, the one name the workflow
 * definitions retry with backoff and jitter. Everything else passes through unchanged, so a
 * real failure reaches the workflow's Catch with its own name and message.
 */
import { TransientError } from '../domain/errors';

/** Error names AWS services use for throttling, a request still settling, or a server-side fault. */
const TRANSIENT_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
  'PriorRequestNotComplete',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'ServerException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

/** Socket-level failures: the endpoint was briefly unreachable. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

interface SdkErrorShape {
  name?: string;
  code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** True for throttling, HTTP 5xx, network failures, and the service-specific `alsoTransient` names. */
export function isTransientAwsError(error: unknown, alsoTransient: readonly string[] = []): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as SdkErrorShape;
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode ?? 0;
  return (
    TRANSIENT_NAMES.has(name) ||
    alsoTransient.includes(name) ||
    status >= 500 ||
    e.$fault === 'server' ||
    e.$retryable?.throttling === true ||
    NETWORK_CODES.has(e.code ?? '')
  );
}

/**
 * Runs one AWS call; a transient failure becomes TransientError("<operation>: <name>: <message>")
 * with the original error as its cause.
 */
export async function callAws<T>(
  operation: string,
  call: () => Promise<T>,
  alsoTransient: readonly string[] = [],
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isTransientAwsError(error, alsoTransient)) {
      const { name, message } = error as Error;
      throw new TransientError(`${operation}: ${name}: ${message}`, { cause: error });
    }
    throw error;
  }
}

/** True when the SDK error has this name (the SDK's exception classes set `name`). */
export function isAwsError(error: unknown, ...names: string[]): boolean {
  return !!error && typeof error === 'object' && names.includes((error as { name?: string }).name ?? '');
}
