/**
 * The Kubernetes API double's pods need nodes (sandbox/kubernetes-api-double.ts): with
 * `nodesReadyAt` (the sandbox asks its emulated EKS), an edge Deployment has no available replica
 * while its cluster has no ready node, and its pods are available `podsReadySeconds` after both
 * they were created and the nodes came, on the simulated Date the test moves.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { KubernetesApiDouble } from '../../../sandbox/kubernetes-api-double';
import { installSimulatedDate } from '../../../sandbox/simulated-clock';

const START = Date.parse('2026-11-20T10:00:00Z');
const CLUSTER = '/clusters/edgescale-edge-sa-east-1';
const DEPLOYMENT = `${CLUSTER}/apis/apps/v1/namespaces/edge/deployments/edge`;
const manifest = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'edge', namespace: 'edge' },
  spec: { replicas: 2 },
};

const double = new KubernetesApiDouble();
let url = '';
let now = START;
let restoreDate: () => void;
/** Since when the cluster has nodes; undefined: none. */
let nodesSince: number | undefined;

beforeAll(async () => {
  url = await double.start();
});
afterAll(() => double.stop());
beforeEach(() => {
  now = START;
  nodesSince = undefined;
  restoreDate = installSimulatedDate(() => now);
  double.reset();
  double.podsReadySeconds = 20;
  double.deploymentRolloutSeconds = 60;
  double.nodesReadyAt = (clusterPath) => (clusterPath === CLUSTER ? nodesSince : 0);
});
afterEach(() => restoreDate());

const after = (seconds: number) => void (now += seconds * 1000);
const apply = () =>
  fetch(`${url}${DEPLOYMENT}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/apply-patch+yaml' },
    body: JSON.stringify(manifest),
  });
const available = async () => {
  const response = await fetch(`${url}${DEPLOYMENT}`);
  return ((await response.json()) as { status: { availableReplicas: number } }).status.availableReplicas;
};

describe("the edge Deployment's pods", () => {
  it('are Pending while the cluster has no node, and available podsReadySeconds after the nodes come', async () => {
    await apply();
    after(600);
    expect(await available()).toBe(0);
    nodesSince = now;
    after(19);
    expect(await available()).toBe(0);
    after(1);
    expect(await available()).toBe(2);
  });

  it('of a new Deployment on ready nodes are available after podsReadySeconds, not a rollout', async () => {
    nodesSince = START - 3600_000;
    await apply();
    after(19);
    expect(await available()).toBe(0);
    after(1);
    expect(await available()).toBe(2);
  });

  it('go when the nodes are scaled to zero, and come back podsReadySeconds after the nodes do', async () => {
    nodesSince = START;
    await apply();
    after(60);
    expect(await available()).toBe(2);
    nodesSince = undefined;
    expect(await available()).toBe(0);
    after(600);
    nodesSince = now;
    after(10);
    expect(await available()).toBe(0);
    after(10);
    expect(await available()).toBe(2);
  });
});
