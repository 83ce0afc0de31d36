/**
 * The edge's /health asked through its load balancer, against local servers standing in for it:
 * HTTPS with the record name as server name and Host (the certificate checked for that name),
 * plain HTTP without TLS, a few attempts, and the test hook that points it elsewhere.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { checkEdgeHealth, EDGE_HEALTH_URL_OVERRIDE_ENV } from '../../../functions/adapters/edge-health';
import { ERROR_NAMES } from '../../../functions/domain/errors';
import { issueTestCertificate } from '../../support/test-certificates';

const recordName = 'edge.cdn.example.com';
const fast = { spacingMs: 10, timeoutMs: 2000, env: {} };

interface Seen {
  path?: string;
  host?: string;
  serverName?: string | false | null;
}

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  servers = [];
});

/** Answers each request with the next status of `statuses` (the last one again once they run out). */
async function listen(server: Server, statuses: number[]): Promise<{ hostname: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    seen.push({ path: req.url, host: req.headers.host, serverName: (req.socket as TLSSocket).servername });
    res.writeHead(statuses.length > 1 ? statuses.shift()! : statuses[0]!).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { hostname: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('checkEdgeHealth', () => {
  it('asks HTTPS with the record name as TLS server name and Host, and checks the certificate for that name', async () => {
    const certificates = issueTestCertificate(recordName);
    const { hostname, seen } = await listen(
      createHttpsServer({ key: certificates.key, cert: certificates.cert }),
      [200],
    );
    const ca = readFileSync(certificates.caFile, 'utf8');

    const health = await checkEdgeHealth({ edge: 'eu-west-1', hostname, recordName, tls: true }, { ...fast, ca });
    expect(health).toEqual({ healthy: true, attempts: 1 });
    expect(seen).toEqual([{ path: '/health', host: recordName, serverName: recordName }]);
  });

  it('refuses an edge whose certificate is not for the record name', async () => {
    const certificates = issueTestCertificate('other.example.com');
    const { hostname, seen } = await listen(
      createHttpsServer({ key: certificates.key, cert: certificates.cert }),
      [200],
    );
    const ca = readFileSync(certificates.caFile, 'utf8');

    const check = checkEdgeHealth({ edge: 'eu-west-1', hostname, recordName, tls: true }, { ...fast, ca });
    await expect(check).rejects.toMatchObject({ name: ERROR_NAMES.edgeUnhealthy });
    await expect(check).rejects.toThrow(/ERR_TLS_CERT_ALTNAME_INVALID/);
    expect(seen).toEqual([]);
  });

  it('asks plain HTTP without TLS, and tries again a few times before it gives up', async () => {
    const { hostname, seen } = await listen(createHttpServer(), [503, 502, 200]);
    const health = await checkEdgeHealth({ edge: 'eu-west-1', hostname, recordName, tls: false }, fast);
    expect(health).toEqual({ healthy: true, attempts: 3 });
    expect(seen.map((s) => [s.path, s.host])).toEqual(Array(3).fill(['/health', recordName]));
  });

  it('fails with EdgeUnhealthyError naming the edge, its load balancer and the last answer', async () => {
    const { hostname, seen } = await listen(createHttpServer(), [503]);
    const check = checkEdgeHealth({ edge: 'eu-west-1', hostname, recordName, tls: false }, { ...fast, attempts: 2 });
    await expect(check).rejects.toMatchObject({ name: ERROR_NAMES.edgeUnhealthy });
    await expect(check).rejects.toThrow(
      `The edge of eu-west-1 did not answer /health with 200 through its load balancer ${hostname} in 2 attempts (last: HTTP 503)`,
    );
    expect(seen).toHaveLength(2);
  });

  it('counts an edge that does not answer at all as unhealthy', async () => {
    const { hostname } = await listen(createHttpServer(), [200]);
    await new Promise((resolve) => servers.pop()!.close(resolve));
    await expect(
      checkEdgeHealth({ edge: 'eu-west-1', hostname, recordName, tls: false }, { ...fast, attempts: 1 }),
    ).rejects.toThrow(/last: ECONNREFUSED/);
  });

  it(`asks the URL ${EDGE_HEALTH_URL_OVERRIDE_ENV} names instead, with the load balancer's hostname in it`, async () => {
    const { hostname: local, seen } = await listen(createHttpServer(), [200]);
    const env = { [EDGE_HEALTH_URL_OVERRIDE_ENV]: `http://${local}/load-balancers/{hostname}/` };
    const target = { edge: 'eu-west-1', hostname: 'edge-1.elb.eu-west-1.amazonaws.com', recordName, tls: true };
    expect(await checkEdgeHealth(target, { ...fast, env })).toEqual({ healthy: true, attempts: 1 });
    expect(seen.map((s) => s.path)).toEqual(['/load-balancers/edge-1.elb.eu-west-1.amazonaws.com/health']);
  });
});
