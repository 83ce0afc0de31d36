/**
 * Error classes whose `name` is part of the workflows' contract: the Step Functions definitions
 * Retry and Catch on these names (Lambda reports `errorType` = error.name). Keep them here, in one
 * module, and keep the definitions in workflows/ in step with them.
 */

abstract class NamedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The input of a workflow or task is malformed or names a region that is not approved. Not retried. */
export class InvalidRequestError extends NamedError {}

/** A safety rule refuses the request (always-on region, last serving region, not ours...). Not retried. */
export class RefusedError extends NamedError {}

/** Another execution holds the region's lock. Not retried by the workflow. */
export class RegionLockedError extends NamedError {}

/** A resource exists but is not tagged as owned by this autoscaler: never adopted, never deleted. */
export class NotOwnedError extends NamedError {}

/** AWS or Kubernetes answered with something transient (throttling, 5xx, resource settling). Retried with backoff. */
export class TransientError extends NamedError {}

/** A resource reached a state it cannot leave by waiting (e.g. CREATE_FAILED). Not retried; scale-up rolls back. */
export class ResourceFailedError extends NamedError {}

export const ERROR_NAMES = {
  invalidRequest: 'InvalidRequestError',
  refused: 'RefusedError',
  regionLocked: 'RegionLockedError',
  notOwned: 'NotOwnedError',
  transient: 'TransientError',
  resourceFailed: 'ResourceFailedError',
} as const;
