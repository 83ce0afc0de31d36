/**
 * Deadlines of the workflows' polling phases. Each phase (a cluster becoming ACTIVE, a load
 * balancer appearing, a record change reaching INSYNC, a deletion...) gets a deadline when it
 * begins; the poll that finds it unfinished after its deadline fails with DeadlineExceededError,
 * which rolls a scale-up back and fails a scale-down, instead of polling (and holding the lock)
 * until the execution's one-year limit.
 *
 * Each budget is several times AWS's published or reported worst case (poll-schedule.ts), so a
 * slow day is waited out and only a stuck resource fails. The definitions' own TimeoutSeconds
 * sits above the sum of the phases of their longest path (asserted by the workflow tests).
 */
import { AWS_REGIONS } from './aws-regions';
import { DeadlineExceededError } from './errors';
import { KNOWN_KUBERNETES_VERSIONS } from './kubernetes-versions';

export const PHASE_DEADLINE_SECONDS = {
  /** EKS CreateCluster: 9-16 min. */
  clusterCreate: 40 * 60,
  /** CreateNodegroup: 1.5-3.5 min. */
  nodegroupCreate: 20 * 60,
  /** A LoadBalancer Service's network load balancer: 1-3 min. */
  loadBalancerCreate: 15 * 60,
  /** A Route53 change reaching all name servers: about 1 min. */
  dnsChange: 10 * 60,
  /** The Service's deletion, held by the cloud controller until its load balancer is gone. */
  loadBalancerDelete: 15 * 60,
  /** DeleteNodegroup: up to 10 min. */
  nodegroupDelete: 30 * 60,
  /**
   * UpdateNodegroupConfig to new sizes (the warm tier): the nodegroup UPDATING while EKS applies
   * them, about a minute; the nodes themselves start or stop after it.
   */
  nodegroupScale: 20 * 60,
  /** DeleteCluster: 3-9 min. */
  clusterDelete: 30 * 60,
  /** UpdateClusterVersion (one minor): 8-15 min. */
  clusterVersionUpdate: 60 * 60,
  /** UpdateNodegroupVersion: every node replaced, 10-30 min and more (~50 min reported where pods drain slowly). */
  nodegroupVersionUpdate: 3 * 3600,
  /**
   * An edge Deployment's rollout after new manifests: about a minute (a few pods replaced a few
   * at a time); Kubernetes itself reports a rollout stalled after progressDeadlineSeconds (600 by default).
   */
  edgeRollout: 20 * 60,
} as const;

export type Phase = keyof typeof PHASE_DEADLINE_SECONDS;

/**
 * The longest wait for resolvers to forget a withdrawn record that the configuration accepts
 * (dns.ttlSeconds + scaling.drainSeconds): the scale-down's drain, and at most that for the
 * scale-up rollback's wait of one record TTL.
 */
export const MAX_DRAIN_WAIT_SECONDS = 2 * 3600;

/** The longest canary bake the configuration accepts (edge.rollout.canaryBakeSeconds). */
export const MAX_CANARY_BAKE_SECONDS = 3600;

/** Seconds the phases (and the drain) of each workflow's longest path add up to. */
export const LONGEST_PATH_SECONDS = {
  /**
   * Forward (a warm-up's withdrawal of a record left by a failed run, cluster, nodegroup, load
   * balancer, record), then a full rollback. The warm path (nodes and pods within the load
   * balancer's phase, record, rollback to zero nodes without waiting) is far shorter.
   */
  scaleUp:
    MAX_DRAIN_WAIT_SECONDS +
    PHASE_DEADLINE_SECONDS.dnsChange +
    PHASE_DEADLINE_SECONDS.clusterCreate +
    PHASE_DEADLINE_SECONDS.nodegroupCreate +
    PHASE_DEADLINE_SECONDS.loadBalancerCreate +
    PHASE_DEADLINE_SECONDS.dnsChange +
    PHASE_DEADLINE_SECONDS.loadBalancerDelete +
    PHASE_DEADLINE_SECONDS.nodegroupDelete +
    PHASE_DEADLINE_SECONDS.clusterDelete,
  /** Withdrawal and drain, then the longer of the teardown (edge, nodegroup, cluster) and the park (nodegroup to zero). */
  scaleDown:
    MAX_DRAIN_WAIT_SECONDS +
    PHASE_DEADLINE_SECONDS.dnsChange +
    Math.max(
      PHASE_DEADLINE_SECONDS.loadBalancerDelete +
        PHASE_DEADLINE_SECONDS.nodegroupDelete +
        PHASE_DEADLINE_SECONDS.clusterDelete,
      PHASE_DEADLINE_SECONDS.nodegroupScale,
    ),
  /**
   * The warm path of a scale-up (WARM -> ACTIVE): nodes and pods within the load balancer's phase,
   * the record, then a rollback (the record's TTL, a Service it had to create, the nodegroup back
   * to zero without waiting).
   */
  resume:
    PHASE_DEADLINE_SECONDS.loadBalancerCreate +
    PHASE_DEADLINE_SECONDS.dnsChange +
    MAX_DRAIN_WAIT_SECONDS +
    PHASE_DEADLINE_SECONDS.loadBalancerDelete,
  /** A scale-down to WARM: withdrawal, drain, the nodegroup to zero. */
  park: MAX_DRAIN_WAIT_SECONDS + PHASE_DEADLINE_SECONDS.dnsChange + PHASE_DEADLINE_SECONDS.nodegroupScale,
  /**
   * One region at a time, each rolled out to its deadline, for every region a configuration can
   * approve (at most every AWS region), plus the canary's bake.
   */
  edgeRollout: AWS_REGIONS.length * PHASE_DEADLINE_SECONDS.edgeRollout + MAX_CANARY_BAKE_SECONDS,
  /**
   * One region at a time, for every region a configuration can approve: the longest upgrade the
   * release calendar allows (oldest to newest version), each minor's control plane and nodes to
   * their deadlines, then a node patch.
   */
  clusterUpgrade:
    AWS_REGIONS.length *
    ((KNOWN_KUBERNETES_VERSIONS.length - 1) *
      (PHASE_DEADLINE_SECONDS.clusterVersionUpdate + PHASE_DEADLINE_SECONDS.nodegroupVersionUpdate) +
      PHASE_DEADLINE_SECONDS.nodegroupVersionUpdate),
} as const;

/** When a phase that begins at `now` must be done (ISO-8601). */
export function phaseDeadline(phase: Phase, now: Date): string {
  return new Date(now.getTime() + PHASE_DEADLINE_SECONDS[phase] * 1000).toISOString();
}

/**
 * Throws DeadlineExceededError when a phase is still unfinished after its deadline. `what`
 * names the resource and what it is waiting for, e.g. "cluster x to be ACTIVE (it is CREATING)".
 * No deadline (a poll outside a timed phase) never expires.
 */
export function assertBeforeDeadline(what: string, deadline: string | undefined, now: Date): void {
  if (deadline === undefined || now.getTime() <= Date.parse(deadline)) return;
  throw new DeadlineExceededError(
    `Gave up waiting for ${what}: its deadline ${deadline} has passed; fix: look at the resource in the AWS console (or its events) for why it is stuck, then run the workflow again`,
  );
}
