/**
 * How long a workflow waits before it looks at a slow AWS resource again. Every wait is a Wait
 * state (two state transitions with the poll that follows), so polling a 10-minute cluster
 * creation every 30 s would cost ~40 transitions. Instead the first wait lasts until the time by
 * which the resource is typically ready (measured from when its operation started), and only
 * then does the workflow poll, briefly and often.
 *
 * Typical times are AWS's published figures and users' reports:
 * CreateCluster 9-16 min, CreateNodegroup 1.5-3.5 min, DeleteNodegroup 2-10, DeleteCluster 3-9.
 */

export interface PollPlan {
  /** Seconds after the operation started by which the resource is typically done. */
  readonly typicalSeconds: number;
  /** Seconds between two polls once the typical time has passed. */
  readonly pollSeconds: number;
}

export const POLL_PLANS = {
  clusterCreate: { typicalSeconds: 540, pollSeconds: 60 },
  clusterDelete: { typicalSeconds: 180, pollSeconds: 60 },
  nodegroupCreate: { typicalSeconds: 150, pollSeconds: 30 },
  nodegroupDelete: { typicalSeconds: 120, pollSeconds: 30 },
  /** From the Service's creation to an active network load balancer. */
  loadBalancerCreate: { typicalSeconds: 120, pollSeconds: 20 },
  /** From the Service's deletion request until the controller has deleted the load balancer. */
  loadBalancerDelete: { typicalSeconds: 30, pollSeconds: 15 },
  /** Route53 propagates a change to all its name servers within about 60 s. */
  dnsChange: { typicalSeconds: 45, pollSeconds: 15 },
  /**
   * The warm tier's UpdateNodegroupConfig: the nodegroup UPDATING while EKS applies its new sizes
   * (about half a minute); the instances start or stop after it.
   */
  nodegroupScale: { typicalSeconds: 30, pollSeconds: 15 },
  /**
   * From a nodegroup scaled up out of its EC2 warm pool to the edge's pods ready on its nodes:
   * stopped instances start (tens of seconds), join as nodes, the pods start on them.
   */
  nodesFromWarmPool: { typicalSeconds: 90, pollSeconds: 15 },
  /** The same without a warm pool: new instances launch and boot first, as in CreateNodegroup. */
  nodesLaunch: { typicalSeconds: 150, pollSeconds: 20 },
  /** The edge's pods once their load balancer is there: scheduled, image pulled, readiness probe passed. */
  edgePods: { typicalSeconds: 30, pollSeconds: 15 },
  /** UpdateClusterVersion: the control plane moves one minor in 8-15 min. */
  clusterVersionUpdate: { typicalSeconds: 480, pollSeconds: 60 },
  /** UpdateNodegroupVersion: every node replaced (one at a time by default), 10-30 min and more. */
  nodegroupVersionUpdate: { typicalSeconds: 600, pollSeconds: 120 },
  /** From applying new edge manifests to the Deployment's rollout complete: the pods replaced a few at a time. */
  edgeRollout: { typicalSeconds: 60, pollSeconds: 15 },
} as const satisfies Record<string, PollPlan>;

export type PollPlanName = keyof typeof POLL_PLANS;

/**
 * The wait after a call that found its resource settled (ready, deleted, failed): the next look
 * comes at once, but never after 0 s. No Wait state may last 0 s: a loop of those would spin
 * until the execution's history limit.
 */
export const SETTLED_WAIT_SECONDS = 1;

/**
 * Seconds to wait before the next look: what remains of the typical time, but never less than
 * one poll interval (a resource late beyond its typical time is polled at the short interval).
 * `startedAt` unknown (AWS does not report when a deletion began) means: poll now and then.
 */
export function nextWaitSeconds(plan: PollPlan, startedAt: Date | undefined, now: Date): number {
  if (!startedAt) return plan.pollSeconds;
  const elapsedSeconds = Math.max(0, (now.getTime() - startedAt.getTime()) / 1000);
  return Math.max(plan.pollSeconds, Math.ceil(plan.typicalSeconds - elapsedSeconds));
}

/**
 * The instants at which a workflow following `plan` looks at a resource that becomes ready
 * `readyAfterSeconds` after it started (the last one sees it ready). For the bench and tests:
 * the number of looks is the number of poll cycles the workflow pays for.
 */
export function pollInstants(plan: PollPlan, readyAfterSeconds: number): number[] {
  const start = new Date(0);
  const instants: number[] = [];
  let at = 0;
  for (;;) {
    at += nextWaitSeconds(plan, start, new Date(at * 1000));
    instants.push(at);
    if (at >= readyAfterSeconds) return instants;
  }
}
