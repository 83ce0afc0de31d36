/**
 * Error classes whose `name` is part of the workflows' contract: the Step Functions definitions
 * Retry and Catch on these names (Lambda reports `errorType` = error.name). Keep them here, in one
 * module, and keep the definitions in workflows/ in step with them.
 *
 * Each name is a string literal, never derived from the class (`new.target.name`): the Lambda
 * bundles are minified, and a minifier renames classes.
 */

export const ERROR_NAMES = {
  invalidRequest: 'InvalidRequestError',
  refused: 'RefusedError',
  regionLocked: 'RegionLockedError',
  notOwned: 'NotOwnedError',
  transient: 'TransientError',
  resourceFailed: 'ResourceFailedError',
  deadlineExceeded: 'DeadlineExceededError',
  edgeUnhealthy: 'EdgeUnhealthyError',
} as const;

/** An Error class whose `name` is the given literal. */
function contractError<N extends string>(name: N) {
  return class extends Error {
    override readonly name = name;
  };
}

/** The input of a workflow or task is malformed or names a region that is not approved. Not retried. */
export class InvalidRequestError extends contractError(ERROR_NAMES.invalidRequest) {}

/** A safety rule refuses the request (always-on region, last serving region, not ours...). Not retried. */
export class RefusedError extends contractError(ERROR_NAMES.refused) {}

/** Another execution holds the region's lock. Not retried by the workflow. */
export class RegionLockedError extends contractError(ERROR_NAMES.regionLocked) {}

/** A resource exists but is not tagged as owned by this autoscaler: never adopted, never deleted. */
export class NotOwnedError extends contractError(ERROR_NAMES.notOwned) {}

/** AWS or Kubernetes answered with something transient (throttling, 5xx, resource settling). Retried with backoff. */
export class TransientError extends contractError(ERROR_NAMES.transient) {}

/** A resource reached a state it cannot leave by waiting (e.g. CREATE_FAILED). Not retried; scale-up rolls back. */
export class ResourceFailedError extends contractError(ERROR_NAMES.resourceFailed) {}

/** A polling phase (cluster, nodegroup, load balancer, record) did not finish by its deadline. Not retried. */
export class DeadlineExceededError extends contractError(ERROR_NAMES.deadlineExceeded) {}

/** An edge's /health did not answer 200 through its load balancer. Not retried; an edge rollout restores the region. */
export class EdgeUnhealthyError extends contractError(ERROR_NAMES.edgeUnhealthy) {}
