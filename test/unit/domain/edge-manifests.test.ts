import { describe, expect, it } from '@jest/globals';
import {
  defaultEdgeManifests,
  EDGE_SERVICE_NAME,
  nginxEdgeConfig,
  parseEdgeManifests,
  type KubernetesManifest,
} from '../../../functions/domain/edge-manifests';
import { InvalidRequestError } from '../../../functions/domain/errors';
import { exampleConfig } from '../../support/config-fixtures';

const config = exampleConfig((raw) => {
  raw.edge = { originUrl: 'https://origin.example.com', namespace: 'cdn', replicas: 3, image: 'nginx:1.27' };
});
const COUNTER_SCRIPT = '// the built demand counter\n';
const manifests = defaultEdgeManifests(config, COUNTER_SCRIPT);
const byKind = (kind: string) => manifests.find((m) => m.kind === kind) as KubernetesManifest & Record<string, never>;
const podSpec = (m: KubernetesManifest[]) =>
  (
    m.find((x) => x.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { containers: Array<Record<string, unknown>>; volumes: unknown[] } } };
    }
  ).spec.template.spec;

describe('default edge manifests', () => {
  it('are a namespace, the nginx configuration, a deployment and a LoadBalancer Service, all in the namespace', () => {
    expect(manifests.map((m) => `${m.apiVersion}/${m.kind}/${m.metadata.name}`)).toEqual([
      'v1/Namespace/cdn',
      'v1/ConfigMap/edge-cache-config',
      'v1/ConfigMap/edge-demand-counter',
      'apps/v1/Deployment/edge-cache',
      `v1/Service/${EDGE_SERVICE_NAME}`,
    ]);
    for (const m of manifests.filter((m) => m.kind !== 'Namespace')) expect(m.metadata.namespace).toBe('cdn');
  });

  it('run the configured image and replica count, probed on /health, with resource requests', () => {
    const deployment = byKind('Deployment') as unknown as {
      spec: { replicas: number; template: { spec: { containers: Record<string, unknown>[]; volumes: unknown[] } } };
    };
    expect(deployment.spec.replicas).toBe(3);
    const [container] = deployment.spec.template.spec.containers;
    expect(container).toMatchObject({
      image: 'nginx:1.27',
      readinessProbe: { httpGet: { path: '/health', port: 'http' } },
      livenessProbe: { httpGet: { path: '/health', port: 'http' } },
      resources: { requests: { cpu: expect.any(String), memory: expect.any(String) } },
    });
    expect(container?.volumeMounts).toContainEqual({ name: 'config', mountPath: '/etc/nginx/conf.d', readOnly: true });
    expect(deployment.spec.template.spec.volumes).toContainEqual({
      name: 'config',
      configMap: { name: 'edge-cache-config' },
    });
  });

  it('expose the edge through an internet-facing network load balancer', () => {
    const service = byKind('Service') as unknown as KubernetesManifest & {
      metadata: { annotations: Record<string, string> };
      spec: { type: string; ports: { port: number }[] };
    };
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.ports[0]?.port).toBe(80);
    expect(service.metadata.annotations).toEqual({
      'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
      'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
    });
  });

  it('roll the pods when the nginx configuration changes', () => {
    const hash = (m: KubernetesManifest[]) =>
      (
        m.find((x) => x.kind === 'Deployment') as unknown as {
          spec: { template: { metadata: { annotations: Record<string, string> } } };
        }
      ).spec.template.metadata.annotations['edge-autoscaler/config-hash'];
    const other = defaultEdgeManifests(
      exampleConfig((raw) => void (raw.edge.originUrl = 'https://other.example.com')),
      COUNTER_SCRIPT,
    );
    expect(hash(manifests)).toMatch(/^[0-9a-f]{8}$/);
    expect(hash(other)).not.toBe(hash(manifests));
    expect(hash(defaultEdgeManifests(config, COUNTER_SCRIPT))).toBe(hash(manifests));
    expect(hash(defaultEdgeManifests(config, `${COUNTER_SCRIPT}// changed\n`))).not.toBe(hash(manifests));
  });

  it('carry the nginx configuration in the ConfigMap', () => {
    const configMap = byKind('ConfigMap') as unknown as { data: Record<string, string> };
    expect(configMap.data['default.conf']).toBe(nginxEdgeConfig('https://origin.example.com', { countDemand: true }));
  });
});

describe('the demand counter beside nginx (demand.source edge-counters, the default)', () => {
  const counter = podSpec(manifests).containers.find((c) => c.name === 'demand-counter')!;

  it('runs the shipped script from its ConfigMap on the pinned Node image, unprivileged', () => {
    const configMap = manifests.find((m) => m.metadata.name === 'edge-demand-counter') as unknown as {
      data: Record<string, string>;
    };
    expect(configMap.data).toEqual({ 'edge-agent.mjs': COUNTER_SCRIPT });
    expect(counter.image).toBe(config.demand.counter.image);
    expect(counter.image).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(counter.command).toEqual(['node', '/opt/demand-counter/edge-agent.mjs']);
    expect(counter.volumeMounts).toEqual([
      { name: 'demand-counter', mountPath: '/opt/demand-counter', readOnly: true },
    ]);
    expect(podSpec(manifests).volumes).toContainEqual({
      name: 'demand-counter',
      configMap: { name: 'edge-demand-counter' },
    });
    expect(counter.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('counts in periods that divide every alarm period, with the configured memory cap', () => {
    const withOverride = exampleConfig((raw) => {
      raw.scaling.regionOverrides = { [raw.regions.elastic[0]!]: { periodSeconds: 30 } };
      raw.demand = { counter: { maxTrackedClients: 5000 } };
    });
    const env = podSpec(defaultEdgeManifests(withOverride, COUNTER_SCRIPT)).containers.find(
      (c) => c.name === 'demand-counter',
    )!.env;
    expect(env).toEqual(
      expect.arrayContaining([
        { name: 'DEMAND_PERIOD_SECONDS', value: '30' },
        { name: 'DEMAND_MAX_TRACKED_CLIENTS', value: '5000' },
      ]),
    );
  });

  it('declares its port on the pod only: the Service exposes nothing but HTTP', () => {
    expect(counter.ports).toEqual([{ name: 'demand', containerPort: 9145, protocol: 'TCP' }]);
    const service = byKind('Service') as unknown as { spec: { ports: Array<{ name: string }> } };
    expect(service.spec.ports.map((p) => p.name)).toEqual(['http']);
  });

  it('keeps the client address: the Service routes load balancer traffic to local pods only', () => {
    const service = byKind('Service') as unknown as { spec: Record<string, unknown> };
    expect(service.spec.externalTrafficPolicy).toBe('Local');
  });

  it('has nginx send every request but the probes to the counter, by its own connection address', () => {
    const conf = nginxEdgeConfig('https://origin.example.com', { countDemand: true });
    expect(conf).toContain("log_format edge_demand '$msec $remote_addr';");
    expect(conf).toContain(
      'access_log syslog:server=127.0.0.1:5140,facility=local7,tag=edge_demand,severity=info,nohostname edge_demand;',
    );
    expect(conf).not.toMatch(/real_ip|X-Forwarded-For \$http|\$http_x_forwarded_for/);
  });

  it('refuses to render without the counter script rather than deploy pods that cannot start', () => {
    expect(() => defaultEdgeManifests(config)).toThrow(/demand counter script is missing/);
  });

  it('is left out when the user publishes the demand (demand.source external)', () => {
    const external = exampleConfig((raw) => void (raw.demand = { source: 'external' }));
    const rendered = defaultEdgeManifests(external);
    expect(rendered.map((m) => m.metadata.name)).not.toContain('edge-demand-counter');
    expect(podSpec(rendered).containers.map((c) => c.name)).toEqual(['nginx']);
    const configMap = rendered.find((m) => m.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
    expect(configMap.data['default.conf']).not.toContain('edge_demand');
  });
});

describe('nginx edge configuration', () => {
  const conf = nginxEdgeConfig('https://origin.example.com', { countDemand: true });

  it('proxies to the origin over TLS with the origin host name', () => {
    expect(conf).toContain('set $origin "https://origin.example.com";');
    expect(conf).toContain('proxy_set_header Host origin.example.com;');
    expect(conf).toContain('proxy_ssl_server_name on;');
    expect(conf).toContain('proxy_pass $origin$request_uri;');
  });

  it('caches in a cache zone and tells clients whether they got a hit', () => {
    expect(conf).toMatch(/proxy_cache_path \/var\/cache\/nginx\/edge .*keys_zone=edge_cache:/);
    expect(conf).toContain('proxy_cache edge_cache;');
    expect(conf).toContain('add_header X-Cache-Status $upstream_cache_status always;');
  });

  it('serves stale copies while the origin fails', () => {
    expect(conf).toContain('proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;');
  });

  it('answers /health itself with 200', () => {
    expect(conf).toMatch(/location = \/health \{[^}]*return 200/);
  });

  it('caches by content type: images and video long by URI, CSS/JS a day, API briefly and never stale, admin never', () => {
    const block = (start: string) => conf.slice(conf.indexOf(start), conf.indexOf('}', conf.indexOf(start)));
    const images = block('location ~* \\.(?:jpe?g');
    expect(images).toContain('proxy_cache_valid 200 301 302 24h;');
    expect(images).toContain('proxy_cache_key "$scheme$host$uri";');
    expect(block('location ~* \\.(?:css|js')).toContain('24h');
    expect(block('location ~* \\.(?:mp4')).toContain('proxy_cache_valid 200 206 7d;');
    const api = block('location ^~ /api/');
    expect(api).toContain('proxy_cache_valid 200 5m;');
    expect(api).toContain('proxy_cache_use_stale off;');
    expect(block('location ^~ /admin/')).toContain('proxy_cache off;');
    expect(block('location ^~ /auth/')).toContain('proxy_cache off;');
    expect(block('location / {')).toContain('5m');
  });

  it('keeps the origin path and port, and plain http without TLS settings', () => {
    const plain = nginxEdgeConfig('http://origin.internal:8080/static/', { countDemand: false });
    expect(plain).toContain('set $origin "http://origin.internal:8080/static";');
    expect(plain).toContain('proxy_set_header Host origin.internal:8080;');
    expect(plain).not.toContain('proxy_ssl_server_name');
  });

  it('never lets a URL character start an nginx variable', () => {
    expect(nginxEdgeConfig('https://origin.example.com/a$b', { countDemand: false })).toContain(
      'set $origin "https://origin.example.com/a%24b";',
    );
  });

  it('balances its braces', () => {
    expect(conf.split('{').length).toBe(conf.split('}').length);
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
