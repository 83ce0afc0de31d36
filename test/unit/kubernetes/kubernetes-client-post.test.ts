import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubernetesApiDouble } from '../../../sandbox/kubernetes-api-double';
import { TransientError } from '../../../functions/domain/errors';
import { KubernetesClient } from '../../../functions/kubernetes/kubernetes-client';

const api = new KubernetesApiDouble();
let kube: KubernetesClient;
/** What the pod's server received: method, path, content type and body. */
const received: Array<{ method?: string; url?: string; contentType?: string; body: string }> = [];
let pod: Server;
let hangingPod: Server;

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
const bodyOf = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => resolve(text));
  });

beforeAll(async () => {
  kube = new KubernetesClient({ baseUrl: await api.start(), bearerToken: 'token-1' });
  pod = createServer((req, res) => {
    void bodyOf(req).then((body) => {
      received.push({ method: req.method, url: req.url, contentType: req.headers['content-type'], body });
      res.writeHead(req.url === '/refuse' ? 400 : 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(req.url === '/refuse' ? { error: 'no' } : { echoed: JSON.parse(body) }));
    });
  });
  hangingPod = createServer(() => undefined);
  api.setPods('', 'edge', [
    { name: 'edge-cache-a', portUrl: await listen(pod) },
    { name: 'edge-cache-hung', portUrl: await listen(hangingPod) },
  ]);
});

afterAll(async () => {
  hangingPod.closeAllConnections();
  await Promise.all([api.stop(), ...[pod, hangingPod].map((s) => new Promise((r) => s.close(r)))]);
});

describe('KubernetesClient.post through the pod proxy', () => {
  it("sends the JSON body to the pod's server and returns its answer", async () => {
    const answer = await kube.post('/api/v1/namespaces/edge/pods/edge-cache-a:9145/proxy/purge', {
      path: '/a',
      prefix: true,
    });
    expect(answer).toEqual({ statusCode: 200, body: { echoed: { path: '/a', prefix: true } } });
    expect(received.at(-1)).toEqual({
      method: 'POST',
      url: '/purge',
      contentType: 'application/json',
      body: '{"path":"/a","prefix":true}',
    });
    expect(api.requests.at(-1)).toMatchObject({ method: 'POST', authorization: 'Bearer token-1' });
  });

  it("leaves every HTTP answer to the caller: the pod's refusal and the proxy's own", async () => {
    expect(await kube.post('/api/v1/namespaces/edge/pods/edge-cache-a:9145/proxy/refuse', {})).toEqual({
      statusCode: 400,
      body: { error: 'no' },
    });
    expect((await kube.post('/api/v1/namespaces/edge/pods/edge-cache-z:9145/proxy/purge', {})).statusCode).toBe(404);
  });

  it('gives up after its own timeout, as a transient failure', async () => {
    const started = Date.now();
    const hung = kube.post('/api/v1/namespaces/edge/pods/edge-cache-hung:9145/proxy/purge', {}, { timeoutMs: 300 });
    await expect(hung).rejects.toThrow(TransientError);
    await expect(hung).rejects.toThrow(/Kubernetes POST .*ETIMEDOUT/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
