/**
 * An edge rollout on a serving cluster, through the Kubernetes API: snapshot the objects of the
 * edge's manifest set as the region runs them, apply the new manifests (the rollout phase
 * begins, with its deadline), poll the Deployments' rollout, and, when anything fails, restore
 * the snapshot: re-apply what the region ran and delete what the rollout added. Only objects of
 * the manifest set are ever read, applied or deleted, and never a protected namespace.
 *
 * The snapshot travels in the workflow's state (Step Functions passes at most 256 KB between
 * states), so it is compact: the objects as JSON, gzipped, base64; a snapshot larger than
 * MAX_SNAPSHOT_BYTES fails clearly before anything is changed.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { deploymentRolloutStatus, type DeploymentView } from '../domain/deployment-rollout';
import { InvalidRequestError, ResourceFailedError } from '../domain/errors';
import { assertBeforeDeadline, phaseDeadline } from '../domain/phase-deadlines';
import { nextWaitSeconds, POLL_PLANS, SETTLED_WAIT_SECONDS } from '../domain/poll-schedule';
import type { EdgeRestoreResult, EdgeRolloutStart, EdgeRolloutStatus, EdgeSnapshot } from '../tasks/contract';
import { PROTECTED_NAMESPACES, type EdgePhaseWatch } from './edge-workload';
import type { KubernetesClient, KubernetesObject } from './kubernetes-client';
import type { PlacedManifest } from './resource-paths';

/**
 * The largest encoded snapshot: Step Functions' 256 KB limit on a state's data, less room for
 * the rest of the rollout's state (its plan, the region's results) and the task's input envelope.
 */
export const MAX_SNAPSHOT_BYTES = 200 * 1024;

/** Set by the API server (or its controllers) on every object: never part of what is re-applied. */
const SERVER_SET_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
];
/** Annotations written by controllers and kubectl, not by the manifests. */
const SERVER_SET_ANNOTATIONS = [
  'deployment.kubernetes.io/revision',
  'kubectl.kubernetes.io/last-applied-configuration',
];

const snapshotEntries = z.array(z.object({ path: z.string().min(1), object: z.record(z.string(), z.unknown()) }));
type SnapshotEntry = z.output<typeof snapshotEntries>[number];

/**
 * Reads each object of the manifest set as the region runs it now, as it can be applied again
 * (server-set fields left out); the paths that do not exist are listed as absent.
 */
export async function snapshotEdgeObjects(
  kube: KubernetesClient,
  manifests: PlacedManifest[],
  region: string,
): Promise<EdgeSnapshot> {
  const entries: SnapshotEntry[] = [];
  const absent: string[] = [];
  for (const { manifest, path } of manifests) {
    const live = await kube.get(path);
    if (live) entries.push({ path, object: reapplicable(live, manifest) });
    else absent.push(path);
  }
  const objects = gzipSync(JSON.stringify(entries)).toString('base64');
  const bytes = Buffer.byteLength(objects) + Buffer.byteLength(JSON.stringify(absent));
  if (bytes > MAX_SNAPSHOT_BYTES) {
    throw new ResourceFailedError(
      `The snapshot of the edge objects of ${region} takes ${Math.ceil(bytes / 1024)} KB compressed, above the ` +
        `${MAX_SNAPSHOT_BYTES / 1024} KB the rollout workflow can carry in its state (Step Functions allows 256 KB); ` +
        'nothing was changed; fix: make the edge manifests smaller (e.g. a large ConfigMap), then roll out again',
    );
  }
  return { objects, absent };
}

/**
 * The object as the API returned it, made re-appliable: status and server-set metadata left out,
 * and Service fields the API server allocates (cluster IPs, node ports), which it keeps when an
 * update leaves them unset. apiVersion and kind are the manifest's.
 */
export function reapplicable(live: KubernetesObject, manifest: { apiVersion: string; kind: string }): KubernetesObject {
  const { status: _status, metadata = {}, ...rest } = live;
  const kept: Record<string, unknown> = { ...metadata };
  for (const field of SERVER_SET_METADATA) delete kept[field];
  const annotations = { ...(kept.annotations as Record<string, string> | undefined) };
  for (const key of SERVER_SET_ANNOTATIONS) delete annotations[key];
  if (Object.keys(annotations).length > 0) kept.annotations = annotations;
  else delete kept.annotations;
  const object: KubernetesObject = { ...rest, apiVersion: manifest.apiVersion, kind: manifest.kind, metadata: kept };
  return manifest.kind === 'Service' ? withoutAllocatedServiceFields(object) : object;
}

function withoutAllocatedServiceFields(service: KubernetesObject): KubernetesObject {
  const spec = { ...(service.spec as Record<string, unknown> | undefined) };
  for (const field of ['clusterIP', 'clusterIPs', 'healthCheckNodePort']) delete spec[field];
  if (Array.isArray(spec.ports)) {
    spec.ports = spec.ports.map((port: Record<string, unknown>) => {
      const { nodePort: _allocated, ...declared } = port;
      return declared;
    });
  }
  return { ...service, spec };
}

/** Applies every manifest (server-side apply) and begins the rollout phase. */
export async function applyEdgeRollout(
  kube: KubernetesClient,
  manifests: PlacedManifest[],
  now: Date,
): Promise<Omit<EdgeRolloutStart, 'configuration'>> {
  for (const { manifest, path } of manifests) await kube.apply(path, manifest);
  return {
    deadline: phaseDeadline('edgeRollout', now),
    waitSeconds: nextWaitSeconds(POLL_PLANS.edgeRollout, now, now),
  };
}

/**
 * Ready when the rollout of every Deployment of the manifest set is complete (kubectl's rule,
 * deployment-rollout.ts). A rollout Kubernetes reports stalled fails at once (ResourceFailedError);
 * one still progressing after the watch's deadline fails with DeadlineExceededError. Other
 * workload kinds of a custom manifest set (DaemonSet, StatefulSet) are not waited on.
 */
export async function readEdgeRollout(
  kube: KubernetesClient,
  manifests: PlacedManifest[],
  watch: EdgePhaseWatch,
  now: Date,
): Promise<EdgeRolloutStatus> {
  const waitingFor: string[] = [];
  for (const { path } of manifests.filter((p) => p.manifest.kind === 'Deployment')) {
    const deployment = await kube.get(path);
    if (!deployment) {
      throw new ResourceFailedError(
        `The edge Deployment ${path} of ${watch.region} does not exist after the rollout applied it`,
      );
    }
    const status = deploymentRolloutStatus(deployment as DeploymentView);
    if (status.state === 'stalled') {
      throw new ResourceFailedError(
        `The edge rollout in ${watch.region} stalled: ${status.reason}; fix: look at the Deployment's events and its new pods (image, probes, resources)`,
      );
    }
    if (status.state === 'progressing') waitingFor.push(status.waitingFor);
  }
  if (waitingFor.length === 0) return { ready: true, waitSeconds: SETTLED_WAIT_SECONDS };
  assertBeforeDeadline(
    `the edge rollout in ${watch.region} to complete (${waitingFor.join('; ')})`,
    watch.deadline,
    now,
  );
  return { ready: false, waitingFor: waitingFor.join('; '), waitSeconds: POLL_PLANS.edgeRollout.pollSeconds };
}

/**
 * Puts the region back as the snapshot found it: re-applies each object it held and deletes the
 * objects of the manifest set it lists as absent (added by the rollout). A snapshot naming a
 * path outside the manifest set is refused before any call: the restore never touches anything else.
 */
export async function restoreEdgeObjects(
  kube: KubernetesClient,
  manifests: PlacedManifest[],
  snapshot: EdgeSnapshot,
): Promise<EdgeRestoreResult> {
  const entries = decodeSnapshot(snapshot);
  const order = manifests.map((p) => p.path);
  const outside = [...entries.map((e) => e.path), ...snapshot.absent].filter((path) => !order.includes(path));
  if (outside.length > 0) {
    throw new InvalidRequestError(
      `The edge snapshot names objects outside the edge manifest set (${outside.join(', ')}); nothing was restored; ` +
        'fix: restore from a snapshot taken by snapshotEdge of this deployment',
    );
  }
  // Namespaces first (placeManifests' order), so that the objects in them can be re-created.
  const restored = entries.sort((a, b) => order.indexOf(a.path) - order.indexOf(b.path));
  for (const { path, object } of restored) await kube.apply(path, object);
  const added = manifests.filter(
    (p) =>
      snapshot.absent.includes(p.path) &&
      !(p.manifest.kind === 'Namespace' && PROTECTED_NAMESPACES.has(p.manifest.metadata.name)),
  );
  // Namespaces last: deleting one takes what is left in it along.
  const deletions = [
    ...added.filter((p) => p.manifest.kind !== 'Namespace'),
    ...added.filter((p) => p.manifest.kind === 'Namespace'),
  ];
  for (const { path } of deletions) await kube.delete(path);
  return { restored: restored.map((e) => e.path), deleted: deletions.map((p) => p.path) };
}

function decodeSnapshot(snapshot: EdgeSnapshot): SnapshotEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(gunzipSync(Buffer.from(snapshot.objects, 'base64')).toString('utf8'));
  } catch (error) {
    throw new InvalidRequestError(
      `The edge snapshot cannot be decoded (${(error as Error).message}); fix: pass the snapshotEdge result unchanged`,
    );
  }
  const parsed = snapshotEntries.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidRequestError(
      'The edge snapshot is not a list of { path, object }; fix: pass the snapshotEdge result unchanged',
    );
  }
  return parsed.data;
}
