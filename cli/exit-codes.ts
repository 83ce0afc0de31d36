/**
 * regionctl's exit codes, so that scripts can tell "the workflow failed" from "you asked for
 * something the guardrails refuse" from "this shell cannot reach the autoscaler".
 */
export const EXIT = {
  ok: 0,
  /** The workflow failed, the configuration is invalid, or AWS answered with an unexpected error. */
  failed: 1,
  /** Bad arguments: unknown option, malformed duration, missing home region. */
  usage: 2,
  /** A safety rule refused the request: region not approved, always-on, last serving, maximum, lock, running execution. */
  refused: 3,
  /** No usable AWS credentials, or no autoscaler deployed in that account and region. */
  environment: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
