import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { TransientError } from '../../../functions/domain/errors';
import { eksBearerToken } from '../../../functions/kubernetes/eks-token';
import { KubernetesApiError, KubernetesClient } from '../../../functions/kubernetes/kubernetes-client';
import { placeManifests } from '../../../functions/kubernetes/resource-paths';
import { KubernetesApiDouble } from '../../../sandbox/kubernetes-api-double';

const api = new KubernetesApiDouble();
let kube: KubernetesClient;
const configMapPath = '/api/v1/namespaces/edge/configmaps/settings';
const configMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'edge' },
  data: { a: '1' },
};

beforeAll(async () => {
  kube = new KubernetesClient({ baseUrl: await api.start(), bearerToken: 'token-1' });
});
afterAll(() => api.stop());
beforeEach(() => api.reset());

describe('KubernetesClient', () => {
  it('applies server-side as the edge-autoscaler field manager, with a bearer token', async () => {
    const applied = await kube.apply(configMapPath, configMap);
    expect(applied.metadata?.name).toBe('settings');
    expect(api.requests[0]).toMatchObject({
      method: 'PATCH',
      path: configMapPath,
      query: { fieldManager: 'edge-autoscaler', force: 'true' },
      contentType: 'application/apply-patch+yaml',
      authorization: 'Bearer token-1',
      body: configMap,
    });
  });

  it('reads an object, and a missing one as undefined', async () => {
    await kube.apply(configMapPath, configMap);
    expect((await kube.get(configMapPath))?.data).toEqual({ a: '1' });
    expect(await kube.get('/api/v1/namespaces/edge/configmaps/other')).toBeUndefined();
  });

  it('deletes, reporting whether the object was there', async () => {
    await kube.apply(configMapPath, configMap);
    expect(await kube.delete(configMapPath)).toBe(true);
    expect(await kube.delete(configMapPath)).toBe(false);
  });

  it.each([429, 500, 503])('turns HTTP %i into TransientError', async (status) => {
    api.failNext(status);
    await expect(kube.get(configMapPath)).rejects.toThrow(TransientError);
  });

  it('explains an authorization failure, which waiting does not fix', async () => {
    api.failNext(403);
    const failure = kube.apply(configMapPath, configMap);
    await expect(failure).rejects.toThrow(KubernetesApiError);
    api.failNext(401);
    await expect(kube.get(configMapPath)).rejects.toThrow(/HTTP 401.*access entry/);
  });

  it('reports a refused manifest with the API message', async () => {
    api.failNext(422);
    await expect(kube.apply(configMapPath, configMap)).rejects.toThrow(/HTTP 422: injected HTTP 422/);
  });

  it('turns an unreachable API server (a new cluster endpoint) into TransientError', async () => {
    const closed = new KubernetesClient({ baseUrl: 'http://127.0.0.1:1', bearerToken: 't' });
    await expect(closed.get('/api/v1/namespaces')).rejects.toThrow(/ECONNREFUSED/);
    await expect(closed.get('/api/v1/namespaces')).rejects.toThrow(TransientError);
  });
});

describe('placeManifests', () => {
  it('puts namespaces first and namespaced objects in the default namespace unless they name one', () => {
    const placed = placeManifests(
      [
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'edge', namespace: 'other' } },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'edge' } },
        { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny' } },
      ],
      'edge',
    );
    expect(placed.map((p) => p.path)).toEqual([
      '/api/v1/namespaces/edge',
      '/apis/apps/v1/namespaces/edge/deployments/web',
      '/api/v1/namespaces/other/services/edge',
      '/apis/networking.k8s.io/v1/namespaces/edge/networkpolicies/deny',
    ]);
    expect(placed[1]?.manifest.metadata.namespace).toBe('edge');
  });

  it('rejects a kind it does not know, listing the known ones', () => {
    expect(() =>
      placeManifests([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }], 'edge'),
    ).toThrow(/Widget w \(apiVersion example.com\/v1\) is not a supported kind; fix: use one of v1\/Namespace, /);
  });
});

describe('eksBearerToken', () => {
  it('is a base64url presigned STS GetCallerIdentity URL that signs the cluster name header and expires in 60 s', async () => {
    const credentials = async () => ({
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'session',
    });
    const token = await eksBearerToken('edgescale-edge-sa-east-1', 'sa-east-1', credentials);
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    const encoded = token.slice('k8s-aws-v1.'.length);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    const url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
    expect(url.origin).toBe('https://sts.sa-east-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('Version')).toBe('2011-06-15');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/sa-east-1\/sts\/aws4_request$/);
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });
});
