import { describe, expect, it } from '@jest/globals';
import {
  deploymentRolloutStatus,
  PROGRESS_DEADLINE_EXCEEDED,
  type DeploymentView,
} from '../../../functions/domain/deployment-rollout';

/** A Deployment of 3 replicas at generation 4 whose rollout is complete; `status` overrides. */
const deployment = (status: DeploymentView['status'] = {}, replicas: number | null = 3): DeploymentView => ({
  metadata: { name: 'edge-cache', generation: 4 },
  spec: replicas === null ? {} : { replicas },
  status: { observedGeneration: 4, replicas: 3, updatedReplicas: 3, availableReplicas: 3, ...status },
});

describe('deploymentRolloutStatus (as kubectl rollout status decides)', () => {
  it('is complete when every replica is updated and available and no old one is left', () => {
    expect(deploymentRolloutStatus(deployment())).toEqual({ state: 'complete' });
  });

  it('waits for the controller to observe a spec it has not seen yet, whatever the replica counts say', () => {
    expect(deploymentRolloutStatus(deployment({ observedGeneration: 3 }))).toEqual({
      state: 'progressing',
      waitingFor: 'the controller to observe the new spec of Deployment edge-cache',
    });
  });

  it.each<[string, DeploymentView['status'], string]>([
    [
      'replicas not yet updated',
      { updatedReplicas: 1, replicas: 4 },
      '1 of 3 new replicas of Deployment edge-cache updated',
    ],
    ['old replicas still terminating', { replicas: 4 }, '1 old replicas of Deployment edge-cache pending termination'],
    [
      'updated replicas not yet available',
      { availableReplicas: 2 },
      '2 of 3 updated replicas of Deployment edge-cache available',
    ],
  ])('waits while %s', (_what, status, waitingFor) => {
    expect(deploymentRolloutStatus(deployment(status))).toEqual({ state: 'progressing', waitingFor });
  });

  it('reports a rollout Kubernetes gave up on (ProgressDeadlineExceeded) as stalled, with its message', () => {
    const conditions = [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
      {
        type: 'Progressing',
        status: 'False',
        reason: PROGRESS_DEADLINE_EXCEEDED,
        message: 'ReplicaSet "edge-cache-7d" has timed out progressing.',
      },
    ];
    expect(deploymentRolloutStatus(deployment({ updatedReplicas: 1, replicas: 4, conditions }))).toEqual({
      state: 'stalled',
      reason:
        'Deployment edge-cache exceeded its progress deadline (ReplicaSet "edge-cache-7d" has timed out progressing.)',
    });
  });

  it('does not take another Progressing reason for a stall', () => {
    const conditions = [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }];
    expect(deploymentRolloutStatus(deployment({ updatedReplicas: 1, conditions })).state).toBe('progressing');
  });

  it('counts a Deployment without spec.replicas as one replica (the API default)', () => {
    const single = deployment({ replicas: 1, updatedReplicas: 1, availableReplicas: 1 }, null);
    expect(deploymentRolloutStatus(single)).toEqual({ state: 'complete' });
    expect(deploymentRolloutStatus({ ...single, status: { observedGeneration: 4 } }).state).toBe('progressing');
  });
});
