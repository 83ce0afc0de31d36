/**
 * One clear line and an exit code for every way a command can fail: a CliError says exactly what
 * happened; `explainFailure` turns anything else (SDK errors, credential chain failures, bad
 * input) into the same shape, so no stack trace ever reaches the operator.
 */
import { InvalidRequestError } from '../functions/domain/errors';
import { EXIT, type ExitCode } from './exit-codes';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

const REJECTED_CREDENTIALS = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'TokenRefreshRequired',
]);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);

const CREDENTIALS_FIX =
  'fix: run "aws configure" or "aws sso login", set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or pass --profile NAME';

export function explainFailure(error: unknown): { message: string; exitCode: ExitCode } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof InvalidRequestError) return { message: error.message, exitCode: EXIT.usage };
  const name = (error as Error | undefined)?.name ?? 'Error';
  const message = firstLine((error as Error | undefined)?.message ?? String(error));
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return { message: `No AWS credentials found (${message}); ${CREDENTIALS_FIX}`, exitCode: EXIT.environment };
  }
  if (REJECTED_CREDENTIALS.has(name)) {
    return {
      message: `AWS rejected your credentials (${name}: ${message}); fix: refresh them ("aws sso login") or pass another --profile`,
      exitCode: EXIT.environment,
    };
  }
  if (DENIED.has(name)) {
    return {
      message: `AWS denied the request (${name}: ${message}); fix: use credentials of a role allowed to operate the autoscaler (--profile)`,
      exitCode: EXIT.environment,
    };
  }
  if (/region is missing/i.test(message)) {
    return {
      message: 'No home region: pass --region <home region of the autoscaler> or set AWS_REGION',
      exitCode: EXIT.usage,
    };
  }
  return { message: `${name}: ${message}`, exitCode: EXIT.failed };
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
