/**
 * How the emulated cloud controller reads a LoadBalancer Service, by the rules of EKS's built-in
 * AWS cloud provider for NLBs (the integration test tasks/edge-tls.test.ts checks what it makes in moto).
 */
import { describe, expect, it } from '@jest/globals';
import {
  LOAD_BALANCER_ANNOTATIONS as A,
  parseAdditionalTags,
  portMappings,
  type LoadBalancerService,
} from '../../../sandbox/cloud-controller';

const CERTIFICATE = 'arn:aws:acm:sa-east-1:123456789012:certificate/edge';
const POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

function service(annotations: Record<string, string>, spec: LoadBalancerService['spec'] = {}): LoadBalancerService {
  return {
    metadata: { name: 'edge', namespace: 'edge', annotations },
    spec: {
      ports: [
        { name: 'https', port: 443, protocol: 'TCP' },
        { name: 'http', port: 80, protocol: 'TCP' },
      ],
      ...spec,
    },
  };
}
const listeners = (s: LoadBalancerService) =>
  portMappings(s).map((m) => ({
    listener: `${m.frontendProtocol}:${m.frontendPort}`,
    targets: m.trafficProtocol,
    certificateArn: m.certificateArn,
    sslPolicy: m.sslPolicy,
  }));
const tls = { [A.sslCertificate]: CERTIFICATE, [A.sslPolicy]: POLICY };

describe('the listener of each Service port', () => {
  it.each([
    ['by name', 'https'],
    ['by number', '443'],
  ])('is TLS with the certificate and policy on the ssl-ports (given %s), TCP on the others', (_how, sslPorts) => {
    expect(listeners(service({ ...tls, [A.sslPorts]: sslPorts }))).toEqual([
      { listener: 'TLS:443', targets: 'TCP', certificateArn: CERTIFICATE, sslPolicy: POLICY },
      { listener: 'TCP:80', targets: 'TCP', certificateArn: undefined, sslPolicy: undefined },
    ]);
  });

  it.each([
    ['absent', {}],
    ['"*"', { [A.sslPorts]: '*' }],
  ])('is TLS on every port when ssl-ports is %s', (_how, sslPorts) => {
    expect(listeners(service({ ...tls, ...sslPorts })).map((l) => l.listener)).toEqual(['TLS:443', 'TLS:80']);
  });

  it('is TCP on every port without a certificate', () => {
    expect(listeners(service({ [A.sslPorts]: 'https', [A.sslPolicy]: POLICY }))).toEqual([
      { listener: 'TCP:443', targets: 'TCP', certificateArn: undefined, sslPolicy: undefined },
      { listener: 'TCP:80', targets: 'TCP', certificateArn: undefined, sslPolicy: undefined },
    ]);
  });

  it('re-encrypts to the targets only with backend-protocol ssl, and never makes a UDP port TLS', () => {
    expect(listeners(service({ ...tls, [A.sslPorts]: 'https', [A.backendProtocol]: 'ssl' }))[0]).toMatchObject({
      listener: 'TLS:443',
      targets: 'TLS',
    });
    const dns = service(tls, { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] });
    expect(listeners(dns).map((l) => l.listener)).toEqual(['UDP:53']);
  });
});

describe('the targets of each port', () => {
  it("are health-checked on kube-proxy's /healthz of the health-check node port with externalTrafficPolicy Local", () => {
    const local = service(tls, { externalTrafficPolicy: 'Local', healthCheckNodePort: 31999 });
    for (const mapping of portMappings(local)) {
      expect(mapping.healthCheck).toEqual({
        protocol: 'HTTP',
        port: '31999',
        path: '/healthz',
        intervalSeconds: 10,
        threshold: 2,
      });
    }
  });

  it('are health-checked by TCP on their traffic port otherwise, and receive traffic on distinct node ports', () => {
    const mappings = portMappings(service(tls, { externalTrafficPolicy: 'Cluster' }));
    expect(mappings.map((m) => m.healthCheck.protocol)).toEqual(['TCP', 'TCP']);
    expect(mappings.map((m) => m.healthCheck.port)).toEqual(['traffic-port', 'traffic-port']);
    expect(new Set(mappings.map((m) => m.trafficPort)).size).toBe(2);
  });
});

describe('additional-resource-tags', () => {
  it('reads "Key=Value" pairs separated by commas, a key alone with an empty value', () => {
    expect(parseAdditionalTags(' edge-autoscaler:owner=edgescale, team=cdn,cost-center ')).toEqual({
      'edge-autoscaler:owner': 'edgescale',
      team: 'cdn',
      'cost-center': '',
    });
    expect(parseAdditionalTags(undefined)).toEqual({});
  });
});
