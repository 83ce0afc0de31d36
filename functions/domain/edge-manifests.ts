/**
 * The edge workload that a scale-up deploys on a new cluster, as Kubernetes manifests (plain
 * objects, sent as JSON to the API server). By default: nginx as a caching reverse proxy in front
 * of `config.edge.originUrl` (its configuration: nginx-edge-config.ts), the edge agent beside it in
 * every pod (demand and traffic counts, cache purge: edge/edge-agent.ts), exposed by an
 * internet-facing network load balancer. An operator can replace the whole set with a JSON file
 * (`config.edge.manifestsPath`), validated here.
 *
 * The load balancer is made by the cloud provider's service controller that EKS runs in every
 * control plane (the in-tree "legacy" AWS provider), not by the AWS Load Balancer Controller:
 * what the edge needs from it — a network load balancer, a TLS listener with an ACM certificate
 * and a security policy, extra tags — it honours for NLBs (its documented annotations below),
 * while the controller would add a Deployment, an IAM role (IRSA or Pod Identity) and a webhook
 * with certificates to every cluster, and minutes to every scale-up. `aws-load-balancer-scheme`
 * is not among its annotations: its load balancers are internet-facing unless marked internal.
 *
 * The client address reaches nginx because the Service has `externalTrafficPolicy: Local`: the
 * network load balancer's instance targets keep the client's source address (also behind a TLS
 * listener) and kube-proxy does not rewrite it, so `$remote_addr` is the client. nginx reads no
 * forwarding header, so nothing a client sends can change the address it is counted under.
 *
 * The pods meet the `restricted` Pod Security Standard, which their namespace enforces: non-root
 * (nginx's unprivileged image, uid 101; the agent as the same user, so it can delete nginx's cache
 * files), read-only root filesystems with emptyDirs where nginx writes, no capabilities, no
 * privilege escalation, the runtime's default seccomp profile, and no service account token.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { ISecurityContext } from 'kubernetes-models/v1/SecurityContext';
import type { IService } from 'kubernetes-models/v1/Service';
import { z } from 'zod';
import type { AutoscalerConfig } from './config';
import { demandCounterPeriodSeconds } from './demand-collection';
import {
  AGENT_CONTAINER_NAME,
  AGENT_ENV,
  AGENT_HTTP_PORT,
  AGENT_PORT_NAME,
  AGENT_SYSLOG_PORT,
} from './edge-agent-contract';
import { InvalidRequestError } from './errors';
import { OWNER_TAG_KEY } from './naming';
import { EDGE_CONTAINER_PORTS, EDGE_POD_RUNTIME, nginxEdgeConfig } from './nginx-edge-config';
import { describeIssues } from './validation';

/** The Service whose load balancer the latency record points at; custom manifest sets must keep this name. */
export const EDGE_SERVICE_NAME = 'edge';
export const EDGE_APP_NAME = 'edge-cache';
const APP_NAME = EDGE_APP_NAME;
/** Label selector of the edge pods (the collector and the purge list them to reach each pod's agent). */
export const EDGE_POD_SELECTOR = `app.kubernetes.io/name=${EDGE_APP_NAME}`;
const CONFIG_MAP_NAME = 'edge-cache-config';
const AGENT_CONFIG_MAP_NAME = 'edge-agent';
const AGENT_DIR = '/opt/edge-agent';
/** File name of the agent's script in its ConfigMap (and beside the edge task's bundle). */
export const EDGE_AGENT_FILE = 'edge-agent.mjs';
/**
 * Test hook, never set in a deployment: tests that run the edge task from its TypeScript source
 * (no bundle beside it) point this at a built agent script.
 */
export const EDGE_AGENT_SCRIPT_ENV = 'EDGE_AGENT_SCRIPT';
/** nginx's user in the unprivileged image; the agent runs as the same user to share the cache. */
const NGINX_UID = 101;

export interface KubernetesManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** What the default edge needs beyond the configuration. */
export interface EdgeWorkloadInputs {
  /** The built edge agent (edge-agent.mjs), which the edge task ships in its bundle. */
  agentScript: string;
  /** The region's ACM certificate for dns.recordName (from its foundation); required with edge.tls.enabled. */
  certificateArn?: string;
}

const labels = { 'app.kubernetes.io/name': APP_NAME, 'app.kubernetes.io/managed-by': 'edge-autoscaler' };
const selector = { matchLabels: { 'app.kubernetes.io/name': APP_NAME } };

/** What every container of the edge runs with (the `restricted` profile, and a read-only root). */
const RESTRICTED_CONTAINER: ISecurityContext = {
  runAsNonRoot: true,
  runAsUser: NGINX_UID,
  runAsGroup: NGINX_UID,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

/**
 * Namespace (enforcing the restricted profile), nginx configuration, the agent's script, the
 * Deployment, its PodDisruptionBudget and the LoadBalancer Service.
 */
export function defaultEdgeManifests(config: AutoscalerConfig, inputs: EdgeWorkloadInputs): KubernetesManifest[] {
  const { namespace, image, replicas, tls } = config.edge;
  if (tls.enabled && !inputs.certificateArn) {
    throw new InvalidRequestError(
      "The edge needs the region's certificate (edge.tls.enabled) and none was given; fix: deploy the region's foundation stack, which issues it, or set edge.tls.enabled to false",
    );
  }
  const runtime = EDGE_POD_RUNTIME;
  const nginxConf = nginxEdgeConfig(config, runtime);
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        labels: {
          ...labels,
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/audit': 'restricted',
        },
      },
    } satisfies INamespace,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: CONFIG_MAP_NAME, namespace, labels },
      data: { 'default.conf': nginxConf },
    } satisfies IConfigMap,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: AGENT_CONFIG_MAP_NAME, namespace, labels },
      data: { [EDGE_AGENT_FILE]: inputs.agentScript },
    } satisfies IConfigMap,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: APP_NAME, namespace, labels },
      spec: {
        replicas,
        selector,
        // One new pod at a time, and none taken away before its successor is ready.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: {
            labels,
            // A changed configuration changes the pod template, so the pods roll and load it.
            annotations: { 'edge-autoscaler/config-hash': fnv1a(nginxConf + inputs.agentScript) },
          },
          spec: {
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
            // Spread the caches over the availability zones the nodes are in.
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'topology.kubernetes.io/zone',
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: selector,
              },
            ],
            containers: [
              {
                name: 'nginx',
                image,
                ports: [
                  { name: 'http', containerPort: EDGE_CONTAINER_PORTS.serve, protocol: 'TCP' },
                  ...(tls.enabled
                    ? [{ name: 'redirect', containerPort: EDGE_CONTAINER_PORTS.redirect, protocol: 'TCP' as const }]
                    : []),
                ],
                readinessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 5 },
                livenessProbe: {
                  httpGet: { path: '/health', port: 'http' },
                  initialDelaySeconds: 10,
                  periodSeconds: 10,
                  failureThreshold: 3,
                },
                resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
                securityContext: RESTRICTED_CONTAINER,
                volumeMounts: [
                  { name: 'config', mountPath: '/etc/nginx/conf.d', readOnly: true },
                  { name: 'cache', mountPath: runtime.cacheDir },
                  // The unprivileged image keeps its pid file and temp files here.
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
              agentContainer(config, runtime.cacheDir),
            ],
            volumes: [
              { name: 'config', configMap: { name: CONFIG_MAP_NAME } },
              { name: 'cache', emptyDir: { sizeLimit: '2Gi' } },
              { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
              { name: 'edge-agent', configMap: { name: AGENT_CONFIG_MAP_NAME } },
            ],
          },
        },
      },
    } satisfies IDeployment,
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: APP_NAME, namespace, labels },
      // A node drain (upgrade, scale-in) takes one edge pod at a time.
      spec: { maxUnavailable: 1, selector },
    } satisfies IPodDisruptionBudget,
    edgeService(config, inputs.certificateArn),
  ];
}

/**
 * The agent beside nginx: the built script from a ConfigMap, run by a public Node image pinned by
 * digest (no image to build at deploy time). Its HTTP port is declared on the pod only; no Service
 * exposes it.
 */
function agentContainer(config: AutoscalerConfig, cacheDir: string) {
  return {
    name: AGENT_CONTAINER_NAME,
    image: config.demand.counter.image,
    command: ['node', `${AGENT_DIR}/${EDGE_AGENT_FILE}`],
    env: [
      { name: AGENT_ENV.periodSeconds, value: String(demandCounterPeriodSeconds(config)) },
      { name: AGENT_ENV.maxTrackedClients, value: String(config.demand.counter.maxTrackedClients) },
      { name: AGENT_ENV.syslogPort, value: String(AGENT_SYSLOG_PORT) },
      { name: AGENT_ENV.httpPort, value: String(AGENT_HTTP_PORT) },
      { name: AGENT_ENV.cacheDir, value: cacheDir },
    ],
    ports: [{ name: AGENT_PORT_NAME, containerPort: AGENT_HTTP_PORT, protocol: 'TCP' }],
    readinessProbe: { httpGet: { path: '/health', port: AGENT_PORT_NAME }, periodSeconds: 10 },
    // The cap bounds the tracked clients; 200,000 of them take well under this (npm run bench).
    resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: [
      { name: 'edge-agent', mountPath: AGENT_DIR, readOnly: true },
      // Read-write: a purge deletes cache files.
      { name: 'cache', mountPath: cacheDir },
    ],
  } satisfies IContainer;
}

const LB = 'service.beta.kubernetes.io/aws-load-balancer';

/**
 * The LoadBalancer Service: with TLS, HTTPS on 443 ended at the load balancer with the region's
 * certificate and forwarded to nginx's serving port, and HTTP on 80 to nginx's redirect port;
 * without, HTTP on 80 to the serving port. The load balancer carries the owner tag.
 */
function edgeService(config: AutoscalerConfig, certificateArn: string | undefined): KubernetesManifest {
  const { namespace, tls } = config.edge;
  const annotations: Record<string, string> = {
    [`${LB}-type`]: 'nlb',
    [`${LB}-additional-resource-tags`]: `${OWNER_TAG_KEY}=${config.prefix}`,
    ...(tls.enabled
      ? {
          [`${LB}-ssl-cert`]: certificateArn!,
          [`${LB}-ssl-ports`]: 'https',
          [`${LB}-ssl-negotiation-policy`]: tls.securityPolicy,
        }
      : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: EDGE_SERVICE_NAME, namespace, labels, annotations },
    spec: {
      type: 'LoadBalancer',
      // Keeps the client's source address (see the header); the load balancer then sends traffic
      // only to nodes that run an edge pod (its health check asks kube-proxy's health port).
      externalTrafficPolicy: 'Local',
      selector: { 'app.kubernetes.io/name': APP_NAME },
      // The agent's port is not here: it is reached through the Kubernetes API's pod proxy only.
      ports: tls.enabled
        ? [
            { name: 'https', port: 443, targetPort: 'http', protocol: 'TCP' },
            { name: 'http', port: 80, targetPort: 'redirect', protocol: 'TCP' },
          ]
        : [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
  } satisfies IService;
}

const manifestSchema = z.looseObject({
  apiVersion: z.string().min(1, { error: 'is required, e.g. "v1" or "apps/v1"' }),
  kind: z.string().min(1, { error: 'is required, e.g. "Deployment"' }),
  metadata: z.looseObject({
    name: z.string().min(1, { error: 'is required: every object needs metadata.name' }),
    namespace: z.string().min(1).optional(),
  }),
});
const manifestListSchema = z.array(manifestSchema).min(1, { error: 'must hold at least one object' });

/**
 * Validates a custom manifest set (the parsed content of `config.edge.manifestsPath`): a
 * non-empty JSON array of Kubernetes objects, one of them the LoadBalancer Service named
 * `edge` whose load balancer the latency record points at.
 */
export function parseEdgeManifests(raw: unknown, source: string): KubernetesManifest[] {
  const result = manifestListSchema.safeParse(raw);
  if (!result.success) {
    const problems = describeIssues(result.error, 'manifests', raw);
    throw new InvalidRequestError(
      `Invalid edge manifests in ${source}: ${problems.join('; ')}; fix: give a JSON array of Kubernetes objects, each with apiVersion, kind and metadata.name`,
    );
  }
  const manifests = result.data as KubernetesManifest[];
  if (!manifests.some(isEdgeLoadBalancerService)) {
    throw new InvalidRequestError(
      `Invalid edge manifests in ${source}: no Service named "${EDGE_SERVICE_NAME}" of type LoadBalancer; fix: add one, ` +
        'the latency record points at its load balancer',
    );
  }
  return manifests;
}

function isEdgeLoadBalancerService(manifest: KubernetesManifest): boolean {
  const spec = manifest.spec as { type?: unknown } | undefined;
  return manifest.kind === 'Service' && manifest.metadata.name === EDGE_SERVICE_NAME && spec?.type === 'LoadBalancer';
}

/** 32-bit FNV-1a, hex: a short, stable fingerprint (not a security hash). */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
