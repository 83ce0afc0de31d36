/**
 * Asks an edge's `/health` through its load balancer, as a user's request reaches it: HTTPS on
 * 443 with SNI and Host = dns.recordName when edge.tls.enabled (the certificate is verified for
 * that name), else HTTP on 80. A few attempts a few seconds apart: a load balancer can take a
 * moment to route to pods that just became ready.
 */
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { EdgeUnhealthyError } from '../domain/errors';
import type { EdgeHealth } from '../tasks/contract';

/**
 * Test and local-sandbox hook, never set in a deployment (the CDK app does not set it): a base
 * URL asked instead of the load balancer (`<url>/health`), over plain HTTP or HTTPS as the URL
 * says, with `{hostname}` replaced by the load balancer's hostname. The emulator's load balancers
 * (moto) answer nothing, so the integration tests and the sandbox point the health check at a
 * local server that plays them (sandbox/kubernetes-api-double.ts).
 */
export const EDGE_HEALTH_URL_OVERRIDE_ENV = 'EDGE_HEALTH_URL';

export interface HealthCheckTarget {
  /** Names the edge in errors, e.g. the region. */
  edge: string;
  /** The load balancer's hostname (the edge Service's status.loadBalancer.ingress[0].hostname), `host[:port]`. */
  hostname: string;
  /** dns.recordName: the TLS server name and Host of the request. */
  recordName: string;
  tls: boolean;
}

export interface HealthCheckOptions {
  attempts?: number;
  /** Between two attempts. */
  spacingMs?: number;
  /** Of each attempt. */
  timeoutMs?: number;
  /** PEM of the CA that must have signed the edge's certificate; default: Node's public CAs (ACM's chain to them). */
  ca?: string;
  env?: NodeJS.ProcessEnv;
}

/** Resolves when /health answered 200 within the attempts; EdgeUnhealthyError otherwise. */
export async function checkEdgeHealth(
  target: HealthCheckTarget,
  options: HealthCheckOptions = {},
): Promise<EdgeHealth> {
  const { attempts = 3, spacingMs = 3000, timeoutMs = 5000, ca, env = process.env } = options;
  const override = env[EDGE_HEALTH_URL_OVERRIDE_ENV];
  const request = override
    ? { url: new URL(`${override.replace('{hostname}', target.hostname).replace(/\/$/, '')}/health`) }
    : {
        url: new URL(`${target.tls ? 'https' : 'http'}://${target.hostname}/health`),
        serverName: target.tls ? target.recordName : undefined,
        host: target.recordName,
      };
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep(spacingMs);
    const answer = await get(request.url, { serverName: request.serverName, host: request.host, timeoutMs, ca });
    if (answer === 200) return { healthy: true, attempts: attempt };
    last = typeof answer === 'number' ? `HTTP ${answer}` : answer;
  }
  throw new EdgeUnhealthyError(
    `The edge of ${target.edge} did not answer /health with 200 through its load balancer ${target.hostname} ` +
      `in ${attempts} attempts (last: ${last}); fix: look at the edge pods' logs and events, and at the load balancer's target health`,
  );
}

/** The status code of a GET, or why there was none (network error, timeout). Never throws. */
function get(
  url: URL,
  { serverName, host, timeoutMs, ca }: { serverName?: string; host?: string; timeoutMs: number; ca?: string },
): Promise<number | string> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const request = transport.request(
      url,
      {
        method: 'GET',
        headers: host ? { Host: host } : {},
        // TLS: the certificate is checked for the server name (dns.recordName), not the load balancer's hostname.
        ...(serverName ? { servername: serverName } : {}),
        ...(ca ? { ca } : {}),
        agent: false,
        timeout: timeoutMs,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', (error) => resolve(error.message));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code ? `${error.code}: ${error.message}` : error.message),
    );
    request.end();
  });
}
