import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import {
  defaultEdgeManifests,
  EDGE_SERVICE_NAME,
  parseEdgeManifests,
  type KubernetesManifest,
} from '../../../functions/domain/edge-manifests';
import { InvalidRequestError } from '../../../functions/domain/errors';
import { compareKubernetesVersions } from '../../../functions/domain/kubernetes-versions';
import { nginxEdgeConfig } from '../../../functions/domain/nginx-edge-config';
import { exampleConfig } from '../../support/config-fixtures';

/** The Kubernetes version whose OpenAPI schemas kubernetes-models 5.1 carries (the installed one, asserted below). */
const KUBERNETES_MODELS_SCHEMA_VERSION = '1.36';
const kubernetesModelsPackage = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../node_modules/kubernetes-models/package.json', import.meta.url)), 'utf8'),
) as { version: string };

const config = exampleConfig((raw) => {
  raw.edge = { originUrl: 'https://origin.example.com', namespace: 'cdn', replicas: 3 };
});
const AGENT_SCRIPT = '// the built edge agent\n';
const CERTIFICATE = 'arn:aws:acm:ap-south-1:123456789012:certificate/0f4e5a6b-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const inputs = { agentScript: AGENT_SCRIPT, certificateArn: CERTIFICATE };
const manifests = defaultEdgeManifests(config, inputs);

interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: Array<{ name: string; value: string }>;
  ports: Array<{ name: string; containerPort: number; protocol: string }>;
  securityContext: Record<string, unknown>;
  volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  readinessProbe?: unknown;
  livenessProbe?: unknown;
  resources?: unknown;
}
interface PodSpec {
  containers: Container[];
  volumes: Array<Record<string, unknown> & { name: string }>;
  securityContext: Record<string, unknown>;
  automountServiceAccountToken: boolean;
  [key: string]: unknown;
}
const find = (m: KubernetesManifest[], kind: string) =>
  m.find((x) => x.kind === kind) as KubernetesManifest & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const podSpec = (m: KubernetesManifest[]): PodSpec => find(m, 'Deployment').spec.template.spec;
const container = (m: KubernetesManifest[], name: string) => podSpec(m).containers.find((c) => c.name === name)!;
const service = (m: KubernetesManifest[]) =>
  find(m, 'Service') as KubernetesManifest & {
    metadata: { annotations: Record<string, string> };
    spec: {
      type: string;
      externalTrafficPolicy: string;
      ports: Array<{ name: string; port: number; targetPort: string }>;
    };
  };

/**
 * The `restricted` Pod Security Standard (Kubernetes docs, "Pod Security Standards", v1.33), as a
 * list of violations: every check of the profile (and of the baseline it includes) that a pod
 * template of the edge could trip.
 */
function restrictedViolations(spec: PodSpec): string[] {
  const violations: string[] = [];
  const pod = spec.securityContext ?? {};
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[field]) violations.push(`pod ${field}`);
  for (const volume of spec.volumes) {
    const types = Object.keys(volume).filter((k) => k !== 'name');
    const allowed = [
      'configMap',
      'csi',
      'downwardAPI',
      'emptyDir',
      'ephemeral',
      'persistentVolumeClaim',
      'projected',
      'secret',
    ];
    for (const type of types) if (!allowed.includes(type)) violations.push(`volume ${volume.name} is ${type}`);
  }
  for (const c of spec.containers) {
    const sc = c.securityContext ?? {};
    const caps = (sc.capabilities ?? {}) as { add?: string[]; drop?: string[] };
    if (sc.privileged) violations.push(`${c.name} privileged`);
    if (sc.allowPrivilegeEscalation !== false) violations.push(`${c.name} may escalate privileges`);
    if (!(caps.drop ?? []).includes('ALL')) violations.push(`${c.name} does not drop ALL capabilities`);
    if ((caps.add ?? []).some((cap) => cap !== 'NET_BIND_SERVICE')) violations.push(`${c.name} adds capabilities`);
    if (sc.runAsNonRoot !== true && pod.runAsNonRoot !== true) violations.push(`${c.name} may run as root`);
    if (sc.runAsUser === 0 || pod.runAsUser === 0) violations.push(`${c.name} runs as uid 0`);
    const seccomp = ((sc.seccompProfile ?? pod.seccompProfile) as { type?: string } | undefined)?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') violations.push(`${c.name} has no seccomp profile`);
    for (const port of c.ports ?? []) if ('hostPort' in port) violations.push(`${c.name} uses a host port`);
  }
  return violations;
}

describe('default edge manifests', () => {
  it('are a restricted namespace, the two ConfigMaps, the Deployment, its disruption budget and the Service', () => {
    expect(manifests.map((m) => `${m.apiVersion}/${m.kind}/${m.metadata.name}`)).toEqual([
      'v1/Namespace/cdn',
      'v1/ConfigMap/edge-cache-config',
      'v1/ConfigMap/edge-agent',
      'apps/v1/Deployment/edge-cache',
      'policy/v1/PodDisruptionBudget/edge-cache',
      `v1/Service/${EDGE_SERVICE_NAME}`,
    ]);
    for (const m of manifests.filter((m) => m.kind !== 'Namespace')) expect(m.metadata.namespace).toBe('cdn');
  });

  it.each([
    ['TLS', config],
    [
      'plain HTTP',
      exampleConfig((raw) => void (raw.edge = { originUrl: 'http://origin.internal', tls: { enabled: false } })),
    ],
  ] as Array<[string, AutoscalerConfig]>)('(%s) pass the OpenAPI schema of each kind', (_, cfg) => {
    // kubernetes-models 5.1 carries the schemas of Kubernetes 1.36: at least as new as the
    // configured version, so nothing the cluster's API server accepts is missing from them. Unknown
    // fields are caught at compile time (the manifests are typed with its interfaces).
    expect(kubernetesModelsPackage.version).toMatch(/^5\.1\./);
    expect(
      compareKubernetesVersions(KUBERNETES_MODELS_SCHEMA_VERSION, cfg.cluster.kubernetesVersion),
    ).toBeGreaterThanOrEqual(0);
    const models: Record<string, new (data: never) => { validate(): void }> = {
      Namespace,
      ConfigMap,
      Deployment,
      PodDisruptionBudget,
      Service,
    };
    for (const manifest of defaultEdgeManifests(cfg, inputs)) {
      const Model = models[manifest.kind]!;
      expect(() => new Model(manifest as never).validate()).not.toThrow();
    }
  });

  it('the schema check catches a malformed object (it is not vacuous)', () => {
    const deployment = structuredClone(find(manifests, 'Deployment'));
    deployment.spec.replicas = 'three';
    expect(() => new Deployment(deployment as never).validate()).toThrow(/replicas/);
  });

  it('meet the restricted Pod Security Standard, which the namespace enforces', () => {
    expect(restrictedViolations(podSpec(manifests))).toEqual([]);
    expect(find(manifests, 'Namespace').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
    });
  });

  it('the restricted check fails a pod that breaks the profile (it is not vacuous)', () => {
    const broken = structuredClone(podSpec(manifests));
    broken.containers[0]!.securityContext = { allowPrivilegeEscalation: true };
    broken.securityContext = {};
    broken.volumes.push({ name: 'host', hostPath: { path: '/' } });
    expect(restrictedViolations(broken)).toEqual([
      'volume host is hostPath',
      'nginx may escalate privileges',
      'nginx does not drop ALL capabilities',
      'nginx may run as root',
      'nginx has no seccomp profile',
    ]);
  });

  it('run as non-root with read-only roots, writing only to emptyDirs, with no service account token', () => {
    const spec = podSpec(manifests);
    expect(spec.automountServiceAccountToken).toBe(false);
    for (const c of spec.containers) {
      expect(c.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 101, readOnlyRootFilesystem: true });
      const writable = c.volumeMounts.filter((mount) => !mount.readOnly).map((mount) => mount.name);
      for (const name of writable) expect(spec.volumes.find((v) => v.name === name)).toHaveProperty('emptyDir');
    }
    expect(container(manifests, 'nginx').volumeMounts.map((m) => m.mountPath)).toEqual([
      '/etc/nginx/conf.d',
      '/var/cache/nginx/edge',
      '/tmp',
    ]);
  });

  it('run the pinned, supported nginx release and the configured replica count, spread over zones, probed on /health', () => {
    const deployment = find(manifests, 'Deployment');
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    const nginx = container(manifests, 'nginx');
    expect(nginx.image).toMatch(/^docker\.io\/nginxinc\/nginx-unprivileged:1\.30\.\d+-alpine@sha256:[0-9a-f]{64}$/);
    expect(nginx).toMatchObject({
      readinessProbe: { httpGet: { path: '/health', port: 'http' } },
      livenessProbe: { httpGet: { path: '/health', port: 'http' } },
      resources: { requests: { cpu: expect.any(String), memory: expect.any(String) } },
    });
    expect(podSpec(manifests).topologySpreadConstraints).toEqual([
      expect.objectContaining({ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1 }),
    ]);
  });

  it('let a node drain take one edge pod at a time', () => {
    expect(find(manifests, 'PodDisruptionBudget').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'edge-cache' } },
    });
  });

  it('carry the nginx configuration in its ConfigMap, and roll the pods when it or the agent changes', () => {
    expect(find(manifests, 'ConfigMap').data).toEqual({ 'default.conf': nginxEdgeConfig(config) });
    const hash = (m: KubernetesManifest[]) =>
      find(m, 'Deployment').spec.template.metadata.annotations['edge-autoscaler/config-hash'];
    const other = exampleConfig((raw) => void (raw.edge = { ...raw.edge, originUrl: 'https://other.example.com' }));
    expect(hash(manifests)).toMatch(/^[0-9a-f]{8}$/);
    expect(hash(defaultEdgeManifests(config, inputs))).toBe(hash(manifests));
    expect(hash(defaultEdgeManifests(other, inputs))).not.toBe(hash(manifests));
    expect(hash(defaultEdgeManifests(config, { ...inputs, agentScript: `${AGENT_SCRIPT}// changed\n` }))).not.toBe(
      hash(manifests),
    );
  });
});

describe('the edge Service and its load balancer', () => {
  it('with TLS: HTTPS on 443 ended at the NLB with the region certificate and policy, HTTP on 80 to the redirect', () => {
    const { metadata, spec } = service(manifests);
    expect(spec.type).toBe('LoadBalancer');
    expect(spec.ports).toEqual([
      { name: 'https', port: 443, targetPort: 'http', protocol: 'TCP' },
      { name: 'http', port: 80, targetPort: 'redirect', protocol: 'TCP' },
    ]);
    expect(metadata.annotations).toEqual({
      'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
      'service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags': 'edge-autoscaler:owner=edgescale',
      'service.beta.kubernetes.io/aws-load-balancer-ssl-cert': CERTIFICATE,
      'service.beta.kubernetes.io/aws-load-balancer-ssl-ports': 'https',
      'service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy': 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    });
    expect(container(manifests, 'nginx').ports.map((p) => [p.name, p.containerPort])).toEqual([
      ['http', 8080],
      ['redirect', 8081],
    ]);
  });

  it('without TLS: HTTP on 80 to nginx, no certificate needed', () => {
    const plain = exampleConfig((raw) => void (raw.edge = { ...raw.edge, tls: { enabled: false } }));
    const rendered = defaultEdgeManifests(plain, { agentScript: AGENT_SCRIPT });
    expect(service(rendered).spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    expect(Object.keys(service(rendered).metadata.annotations).some((k) => k.includes('ssl'))).toBe(false);
    expect(nginxEdgeConfig(plain)).not.toContain('return 301');
  });

  it('refuses to render TLS without the region certificate, naming the fix', () => {
    expect(() => defaultEdgeManifests(config, { agentScript: AGENT_SCRIPT })).toThrow(InvalidRequestError);
    expect(() => defaultEdgeManifests(config, { agentScript: AGENT_SCRIPT })).toThrow(/foundation stack/);
  });

  it('keeps the client address: the Service routes load balancer traffic to local pods only', () => {
    expect(service(manifests).spec.externalTrafficPolicy).toBe('Local');
  });
});

describe('the edge agent beside nginx', () => {
  const agent = container(manifests, 'edge-agent');

  it("runs the shipped script from its ConfigMap on the pinned Node image, as nginx's user", () => {
    expect(manifests.find((m) => m.metadata.name === 'edge-agent')).toMatchObject({
      data: { 'edge-agent.mjs': AGENT_SCRIPT },
    });
    expect(agent.image).toBe(config.demand.counter.image);
    expect(agent.image).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(agent.command).toEqual(['node', '/opt/edge-agent/edge-agent.mjs']);
    expect(agent.securityContext).toMatchObject({ runAsUser: 101, runAsGroup: 101 });
  });

  it("shares nginx's cache, read-write, to purge it", () => {
    expect(agent.volumeMounts).toContainEqual({ name: 'cache', mountPath: '/var/cache/nginx/edge' });
    expect(agent.env).toContainEqual({ name: 'EDGE_CACHE_DIR', value: '/var/cache/nginx/edge' });
  });

  it('counts in periods that divide every alarm period, with the configured memory cap', () => {
    const withOverride = exampleConfig((raw) => {
      raw.scaling.regionOverrides = { [raw.regions.elastic[0]!]: { periodSeconds: 30 } };
      raw.demand = { counter: { maxTrackedClients: 5000 } };
    });
    expect(container(defaultEdgeManifests(withOverride, inputs), 'edge-agent').env).toEqual(
      expect.arrayContaining([
        { name: 'DEMAND_PERIOD_SECONDS', value: '30' },
        { name: 'DEMAND_MAX_TRACKED_CLIENTS', value: '5000' },
      ]),
    );
  });

  it('runs whatever the demand source: purge and traffic metrics need it too', () => {
    const external = exampleConfig((raw) => void (raw.demand = { source: 'external' }));
    expect(podSpec(defaultEdgeManifests(external, inputs)).containers.map((c) => c.name)).toEqual([
      'nginx',
      'edge-agent',
    ]);
  });

  it('declares its port on the pod only: no Service port reaches it', () => {
    expect(agent.ports).toEqual([{ name: 'agent', containerPort: 9145, protocol: 'TCP' }]);
    expect(service(manifests).spec.ports.map((p) => p.targetPort)).not.toContain('agent');
  });
});

describe('custom manifests (edge.manifestsPath)', () => {
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'edge' },
    spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
  };

  it('accepts an array of objects with the edge LoadBalancer Service', () => {
    const raw = [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'varnish' }, spec: {} }, service];
    expect(parseEdgeManifests(raw, 'edge.json')).toEqual(raw);
  });

  it('names the bad field of a malformed object', () => {
    const bad = [service, { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }];
    expect(() => parseEdgeManifests(bad, 'edge.json')).toThrow(InvalidRequestError);
    expect(() => parseEdgeManifests(bad, 'edge.json')).toThrow(/edge\.json.*manifests\.1\.metadata\.name = missing/);
  });

  it('rejects something that is not an array, or an empty one', () => {
    expect(() => parseEdgeManifests({ kind: 'List' }, 'edge.json')).toThrow(/JSON array of Kubernetes objects/);
    expect(() => parseEdgeManifests([], 'edge.json')).toThrow(/at least one object/);
  });

  it('requires the LoadBalancer Service named edge that the record points at', () => {
    const clusterIp = { ...service, spec: { type: 'ClusterIP' } };
    expect(() => parseEdgeManifests([clusterIp], 'edge.json')).toThrow(/no Service named "edge" of type LoadBalancer/);
  });
});
