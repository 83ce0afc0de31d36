/**
 * Where each kind of object lives in the Kubernetes REST API. Only the kinds an edge workload
 * needs are known; an unknown kind is rejected before any call, with the list of known ones.
 */
import type { KubernetesManifest } from '../domain/edge-manifests';
import { InvalidRequestError } from '../domain/errors';

interface ResourceType {
  plural: string;
  namespaced: boolean;
}

const RESOURCE_TYPES: Record<string, ResourceType> = {
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'v1/Secret': { plural: 'secrets', namespaced: true },
  'v1/Service': { plural: 'services', namespaced: true },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'apps/v1/DaemonSet': { plural: 'daemonsets', namespaced: true },
  'apps/v1/StatefulSet': { plural: 'statefulsets', namespaced: true },
  'policy/v1/PodDisruptionBudget': { plural: 'poddisruptionbudgets', namespaced: true },
  'autoscaling/v2/HorizontalPodAutoscaler': { plural: 'horizontalpodautoscalers', namespaced: true },
  'networking.k8s.io/v1/NetworkPolicy': { plural: 'networkpolicies', namespaced: true },
  'networking.k8s.io/v1/Ingress': { plural: 'ingresses', namespaced: true },
  'rbac.authorization.k8s.io/v1/Role': { plural: 'roles', namespaced: true },
  'rbac.authorization.k8s.io/v1/RoleBinding': { plural: 'rolebindings', namespaced: true },
  'rbac.authorization.k8s.io/v1/ClusterRole': { plural: 'clusterroles', namespaced: false },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { plural: 'clusterrolebindings', namespaced: false },
};

/** A manifest with its namespace filled in and the API path of the object it describes. */
export interface PlacedManifest {
  manifest: KubernetesManifest;
  /** e.g. `/api/v1/namespaces/edge/services/edge` */
  path: string;
}

/**
 * Places every manifest: namespaced objects without a namespace go to `defaultNamespace`.
 * Namespaces come first, so that the objects in them can be created.
 */
export function placeManifests(manifests: KubernetesManifest[], defaultNamespace: string): PlacedManifest[] {
  const placed = manifests.map((m) => placeManifest(m, defaultNamespace));
  return [
    ...placed.filter((p) => p.manifest.kind === 'Namespace'),
    ...placed.filter((p) => p.manifest.kind !== 'Namespace'),
  ];
}

function placeManifest(manifest: KubernetesManifest, defaultNamespace: string): PlacedManifest {
  const type = RESOURCE_TYPES[`${manifest.apiVersion}/${manifest.kind}`];
  if (!type) {
    throw new InvalidRequestError(
      `Edge manifest ${manifest.kind} ${manifest.metadata.name} (apiVersion ${manifest.apiVersion}) is not a supported kind; ` +
        `fix: use one of ${Object.keys(RESOURCE_TYPES).join(', ')}`,
    );
  }
  const group = manifest.apiVersion === 'v1' ? '/api/v1' : `/apis/${manifest.apiVersion}`;
  const name = encodeURIComponent(manifest.metadata.name);
  if (!type.namespaced) return { manifest, path: `${group}/${type.plural}/${name}` };
  const namespace = manifest.metadata.namespace ?? defaultNamespace;
  return {
    manifest: { ...manifest, metadata: { ...manifest.metadata, namespace } },
    path: `${group}/namespaces/${encodeURIComponent(namespace)}/${type.plural}/${name}`,
  };
}
