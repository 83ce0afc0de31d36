/**
 * Whether a Deployment's rollout is complete, decided as `kubectl rollout status` decides it
 * (kubectl's DeploymentStatusViewer): the controller has seen the latest spec
 * (observedGeneration >= generation), every replica runs the new pod template
 * (updatedReplicas == replicas), no old replica is left (status.replicas == updatedReplicas), and
 * every updated replica is available. A Progressing condition with reason
 * ProgressDeadlineExceeded means the controller gave up on the rollout: waiting cannot fix it.
 * Pure: the edge task reads the Deployment and asks here.
 */

/** The fields of a Deployment the decision reads (an object as the Kubernetes API returns it). */
export interface DeploymentView {
  metadata?: { name?: string; generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
  };
}

/** The reason Kubernetes gives a Progressing condition once progressDeadlineSeconds passed without progress. */
export const PROGRESS_DEADLINE_EXCEEDED = 'ProgressDeadlineExceeded';

export type RolloutStatus =
  | { state: 'complete' }
  /** `waitingFor`: what the rollout still waits for, in kubectl's words. */
  | { state: 'progressing'; waitingFor: string }
  /** `reason`: why Kubernetes stopped the rollout. */
  | { state: 'stalled'; reason: string };

export function deploymentRolloutStatus(deployment: DeploymentView): RolloutStatus {
  const name = `Deployment ${deployment.metadata?.name ?? '(unnamed)'}`;
  const generation = deployment.metadata?.generation ?? 0;
  const status = deployment.status ?? {};
  if ((status.observedGeneration ?? 0) < generation) {
    return { state: 'progressing', waitingFor: `the controller to observe the new spec of ${name}` };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === PROGRESS_DEADLINE_EXCEEDED) {
    return {
      state: 'stalled',
      reason: `${name} exceeded its progress deadline${progressing.message ? ` (${progressing.message})` : ''}`,
    };
  }
  // The API server defaults spec.replicas to 1.
  const desired = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const current = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < desired) {
    return { state: 'progressing', waitingFor: `${updated} of ${desired} new replicas of ${name} updated` };
  }
  if (current > updated) {
    return { state: 'progressing', waitingFor: `${current - updated} old replicas of ${name} pending termination` };
  }
  if (available < updated) {
    return { state: 'progressing', waitingFor: `${available} of ${updated} updated replicas of ${name} available` };
  }
  return { state: 'complete' };
}
