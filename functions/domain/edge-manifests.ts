/**
 * The edge workload that a scale-up deploys on a new cluster, as Kubernetes manifests (plain
 * objects, sent as JSON to the API server). By default: an nginx caching reverse proxy in front
 * of `config.edge.originUrl`, exposed by an internet-facing network load balancer, and (with
 * `demand.source: edge-counters`) the demand counter beside nginx in every pod. An operator
 * can replace the whole set with a JSON file (`config.edge.manifestsPath`), validated here.
 *
 * The client address reaches nginx because the Service has `externalTrafficPolicy: Local`: the
 * network load balancer's instance targets keep the client's source address and kube-proxy does
 * not rewrite it, so `$remote_addr` is the client. nginx reads no forwarding header (no realip
 * module in use), so nothing a client sends can change the address it is counted under.
 * (Proxy protocol would need the AWS Load Balancer Controller: the cloud provider's built-in
 * controller enables it only on classic load balancers, and an nginx listening for proxy
 * protocol behind a load balancer that does not send it refuses every request.)
 */
import { z } from 'zod';
import type { AutoscalerConfig } from './config';
import { demandCounterPeriodSeconds } from './demand-collection';
import {
  AGENT_CONTAINER_NAME,
  AGENT_HTTP_PORT,
  AGENT_PORT_NAME,
  AGENT_SYSLOG_PORT,
} from './edge-agent-contract';
import { InvalidRequestError } from './errors';
import { describeIssues } from './validation';

/** The Service whose load balancer the latency record points at; custom manifest sets must keep this name. */
export const EDGE_SERVICE_NAME = 'edge';
export const EDGE_APP_NAME = 'edge-cache';
const APP_NAME = EDGE_APP_NAME;
/** Label selector of the edge pods (the collector lists them to read each pod's counter). */
export const EDGE_POD_SELECTOR = `app.kubernetes.io/name=${EDGE_APP_NAME}`;
const CONFIG_MAP_NAME = 'edge-cache-config';
const COUNTER_CONFIG_MAP_NAME = 'edge-demand-counter';
const COUNTER_DIR = '/opt/demand-counter';
/** File name of the counter's script in its ConfigMap (and beside the edge task's bundle). */
export const EDGE_AGENT_FILE = 'edge-agent.mjs';
/**
 * Test hook, never set in a deployment: tests that run the edge task from its TypeScript source
 * (no bundle beside it) point this at a built counter script.
 */
export const EDGE_AGENT_SCRIPT_ENV = 'EDGE_AGENT_SCRIPT';
const CACHE_DIR = '/var/cache/nginx/edge';

export interface KubernetesManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

const labels = { 'app.kubernetes.io/name': APP_NAME, 'app.kubernetes.io/managed-by': 'edge-autoscaler' };

/**
 * Namespace, nginx configuration, Deployment and LoadBalancer Service of the default edge; with
 * edge-counters demand, also the counter's ConfigMap and its container in every pod.
 * `counterScript` is the built counter (edge-agent.mjs), which the edge task ships in its bundle.
 */
/** What the default edge needs beyond the configuration. */
export interface EdgeWorkloadInputs {
  /** The built edge agent (edge-agent.mjs), which the edge task ships in its bundle. */
  agentScript: string;
  /** The region's ACM certificate for dns.recordName (from its foundation), with edge.tls.enabled. */
  certificateArn?: string;
}

export function defaultEdgeManifests(config: AutoscalerConfig, inputs: EdgeWorkloadInputs): KubernetesManifest[] {
  const counterScript = inputs.agentScript;
  const { namespace, image, replicas } = config.edge;
  const countDemand = config.demand.source === 'edge-counters';
  if (countDemand && !counterScript) {
    throw new InvalidRequestError(
      'The demand counter script is missing from the edge task (demand.source is edge-counters); fix: deploy the bundle CDK builds, which ships edge-agent.mjs beside the handler',
    );
  }
  const nginxConf = nginxEdgeConfig(config.edge.originUrl, { countDemand });
  const counter = countDemand ? demandCounter(config, counterScript!) : undefined;
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: CONFIG_MAP_NAME, namespace, labels },
      data: { 'default.conf': nginxConf },
    },
    ...(counter ? [counter.configMap(namespace)] : []),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: APP_NAME, namespace, labels },
      spec: {
        replicas,
        selector: { matchLabels: { 'app.kubernetes.io/name': APP_NAME } },
        template: {
          metadata: {
            labels,
            // A changed configuration changes the pod template, so the pods roll and load it.
            annotations: { 'edge-autoscaler/config-hash': fnv1a(nginxConf + (counterScript ?? '')) },
          },
          spec: {
            // Spread the caches over the availability zones the nodes are in.
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'topology.kubernetes.io/zone',
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: { 'app.kubernetes.io/name': APP_NAME } },
              },
            ],
            containers: [
              {
                name: 'nginx',
                image,
                ports: [{ name: 'http', containerPort: 80 }],
                readinessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 5 },
                livenessProbe: {
                  httpGet: { path: '/health', port: 'http' },
                  initialDelaySeconds: 10,
                  periodSeconds: 10,
                  failureThreshold: 3,
                },
                resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
                volumeMounts: [
                  { name: 'config', mountPath: '/etc/nginx/conf.d', readOnly: true },
                  { name: 'cache', mountPath: CACHE_DIR },
                ],
              },
              ...(counter ? [counter.container] : []),
            ],
            volumes: [
              { name: 'config', configMap: { name: CONFIG_MAP_NAME } },
              { name: 'cache', emptyDir: { sizeLimit: '2Gi' } },
              ...(counter ? [counter.volume] : []),
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: EDGE_SERVICE_NAME,
        namespace,
        labels,
        annotations: {
          'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
          'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
        },
      },
      spec: {
        type: 'LoadBalancer',
        // Keeps the client's source address (see the header); the load balancer then sends traffic
        // only to nodes that run an edge pod (its health check asks kube-proxy's health port).
        externalTrafficPolicy: 'Local',
        selector: { 'app.kubernetes.io/name': APP_NAME },
        // Only the HTTP port: the counter's port is reached through the Kubernetes API's pod proxy.
        ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
      },
    },
  ];
}

/**
 * The counter beside nginx: the built script from a ConfigMap, run by a public Node image pinned
 * by digest (no image to build at deploy time), unprivileged and with a read-only root
 * filesystem. Its HTTP port is declared on the pod only; no Service exposes it.
 */
function demandCounter(config: AutoscalerConfig, script: string) {
  return {
    configMap: (namespace: string): KubernetesManifest => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: COUNTER_CONFIG_MAP_NAME, namespace, labels },
      data: { [EDGE_AGENT_FILE]: script },
    }),
    container: {
      name: AGENT_CONTAINER_NAME,
      image: config.demand.counter.image,
      command: ['node', `${COUNTER_DIR}/${EDGE_AGENT_FILE}`],
      env: [
        { name: 'DEMAND_PERIOD_SECONDS', value: String(demandCounterPeriodSeconds(config)) },
        { name: 'DEMAND_MAX_TRACKED_CLIENTS', value: String(config.demand.counter.maxTrackedClients) },
        { name: 'DEMAND_SYSLOG_PORT', value: String(AGENT_SYSLOG_PORT) },
        { name: 'DEMAND_HTTP_PORT', value: String(AGENT_HTTP_PORT) },
      ],
      ports: [{ name: AGENT_PORT_NAME, containerPort: AGENT_HTTP_PORT, protocol: 'TCP' }],
      readinessProbe: { httpGet: { path: '/health', port: AGENT_PORT_NAME }, periodSeconds: 10 },
      // The cap bounds the tracked clients; 200,000 of them take well under this (npm run bench).
      resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1000, // the image's `node` user
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
      volumeMounts: [{ name: 'demand-counter', mountPath: COUNTER_DIR, readOnly: true }],
    },
    volume: { name: 'demand-counter', configMap: { name: COUNTER_CONFIG_MAP_NAME } },
  };
}

/**
 * nginx server configuration (mounted as conf.d/default.conf, so it sits in the `http` block)
 * (with `countDemand`, every request but the probes is also sent to the pod's demand counter)
 * of a caching reverse proxy. Cache rules by content type: images and video by URI only and
 * long, CSS/JS/fonts by URI and query (versioned assets), HTML and API answers briefly,
 * admin/auth never. A stale copy is served while the origin fails. Origin headers
 * (Cache-Control, Expires, Set-Cookie) still take precedence over these defaults.
 */
export function nginxEdgeConfig(originUrl: string, options: { countDemand: boolean }): string {
  const origin = new URL(originUrl);
  // `$` starts a variable in nginx strings; a URL may legally contain one in its path.
  const base = `${origin.protocol}//${origin.host}${origin.pathname.replace(/\/+$/, '')}`.replaceAll('$', '%24');
  const tls = origin.protocol === 'https:';
  const cacheUriOnly = 'proxy_cache_key "$scheme$host$uri";';
  return [
    `# Edge cache in front of ${base} (generated by edge-autoscaler; changes here are overwritten).`,
    `proxy_cache_path ${CACHE_DIR} levels=1:2 keys_zone=edge_cache:64m max_size=1g inactive=7d use_temp_path=off;`,
    ...(options.countDemand
      ? [
          '# One datagram per request to the demand counter in the same pod: when it ended and who asked.',
          "log_format edge_demand '$msec $remote_addr';",
        ]
      : []),
    '',
    'server {',
    '    listen 80 default_server;',
    '    server_name _;',
    ...(options.countDemand
      ? [
          '    access_log /var/log/nginx/access.log combined;',
          `    access_log syslog:server=127.0.0.1:${AGENT_SYSLOG_PORT},facility=local7,tag=edge_demand,severity=info,nohostname edge_demand;`,
        ]
      : []),
    '',
    '    # The origin is resolved at request time (its addresses change, e.g. behind a load balancer).',
    '    resolver kube-dns.kube-system.svc.cluster.local valid=30s ipv6=off;',
    `    set $origin "${base}";`,
    `    proxy_set_header Host ${origin.host};`,
    '    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '    proxy_http_version 1.1;',
    '    proxy_set_header Connection "";',
    ...(tls ? ['    proxy_ssl_server_name on;', `    proxy_ssl_name ${origin.hostname};`] : []),
    '',
    '    proxy_cache edge_cache;',
    '    proxy_cache_key "$scheme$request_method$host$request_uri";',
    '    proxy_cache_lock on;',
    '    proxy_cache_background_update on;',
    '    # Serve a stale copy while the origin fails or is being refreshed.',
    '    proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;',
    '    add_header X-Cache-Status $upstream_cache_status always;',
    '',
    '    # Load balancer and kubelet probes: answered here, never sent to the origin.',
    '    location = /health {',
    '        access_log off;',
    '        default_type text/plain;',
    '        return 200 "OK\\n";',
    '    }',
    '',
    '    # Images: by URI only, one day.',
    '    location ~* \\.(?:jpe?g|png|gif|ico|webp|avif|svg)$ {',
    `        ${cacheUriOnly}`,
    '        proxy_cache_valid 200 301 302 24h;',
    '        proxy_cache_valid 404 1m;',
    '        proxy_pass $origin$request_uri;',
    '    }',
    '',
    '    # CSS, JavaScript, fonts: versioned by query string, one day.',
    '    location ~* \\.(?:css|js|mjs|woff2?|ttf|otf)$ {',
    '        proxy_cache_valid 200 301 302 24h;',
    '        proxy_cache_valid 404 1m;',
    '        proxy_pass $origin$request_uri;',
    '    }',
    '',
    '    # Video: by URI only, seven days.',
    '    location ~* \\.(?:mp4|webm|m4s|m3u8|ts)$ {',
    `        ${cacheUriOnly}`,
    '        proxy_cache_valid 200 206 7d;',
    '        proxy_cache_valid 404 1m;',
    '        proxy_pass $origin$request_uri;',
    '    }',
    '',
    '    # API answers: five minutes, keyed with their arguments, never stale.',
    '    location ^~ /api/ {',
    '        proxy_cache_valid 200 5m;',
    '        proxy_cache_use_stale off;',
    '        proxy_pass $origin$request_uri;',
    '    }',
    '',
    '    # Personal pages: never cached.',
    '    location ^~ /admin/ {',
    '        proxy_cache off;',
    '        proxy_pass $origin$request_uri;',
    '    }',
    '    location ^~ /auth/ {',
    '        proxy_cache off;',
    '        proxy_pass $origin$request_uri;',
    '    }',
    '',
    '    # HTML and everything else: five minutes.',
    '    location / {',
    '        proxy_cache_valid 200 301 302 5m;',
    '        proxy_cache_valid 404 1m;',
    '        proxy_pass $origin$request_uri;',
    '    }',
    '}',
    '',
  ].join('\n');
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
