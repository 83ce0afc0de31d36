/**
 * The few Kubernetes API calls the edge step makes (server-side apply, get, delete), and the
 * collector's and the purge's calls through the pod proxy (read, post), over node:https with the
 * cluster's own CA: no kubectl, no client library in the Lambda bundle.
 * Throttling (429), server errors (5xx) and unreachable endpoints become TransientError; any
 * other refusal is a KubernetesApiError naming the call and the API's message.
 */
import http from 'node:http';
import https from 'node:https';
import { TransientError } from '../domain/errors';

/** The identity used for server-side apply: Kubernetes records which fields this manager owns. */
export const FIELD_MANAGER = 'edge-autoscaler';

export interface KubernetesEndpoint {
  /** API server URL, e.g. https://ABC.gr7.us-east-1.eks.amazonaws.com (http:// only for local test servers). */
  baseUrl: string;
  /** Base64 PEM of the cluster CA (DescribeCluster's certificateAuthority.data); absent for local test servers. */
  caData?: string;
  bearerToken: string;
}

/** A Kubernetes object as the API returns it. */
export interface KubernetesObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; creationTimestamp?: string; deletionTimestamp?: string };
  status?: { loadBalancer?: { ingress?: { hostname?: string; ip?: string }[] } };
  [key: string]: unknown;
}

/** The API server refused a request for a reason waiting will not fix (4xx other than 429). */
export class KubernetesApiError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = 'KubernetesApiError';
  }
}

interface ApiResponse {
  statusCode: number;
  body: unknown;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

export class KubernetesClient {
  constructor(
    private readonly endpoint: KubernetesEndpoint,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Server-side apply: creates the object or updates the fields we manage; idempotent. */
  async apply(path: string, manifest: object): Promise<KubernetesObject> {
    const query = `?fieldManager=${FIELD_MANAGER}&force=true`;
    // JSON is YAML, so the apply-patch content type takes the manifest as JSON.
    const { statusCode, body } = await this.request(
      'PATCH',
      `${path}${query}`,
      manifest,
      'application/apply-patch+yaml',
    );
    if (statusCode >= 200 && statusCode < 300) return body as KubernetesObject;
    throw this.failure('PATCH (apply)', path, statusCode, body);
  }

  /** The object, or undefined when it does not exist. */
  async get(path: string): Promise<KubernetesObject | undefined> {
    const { statusCode, body } = await this.request('GET', path);
    if (statusCode === 404) return undefined;
    if (statusCode >= 200 && statusCode < 300) return body as KubernetesObject;
    throw this.failure('GET', path, statusCode, body);
  }

  /**
   * A GET whose every HTTP answer is the caller's to judge (e.g. a pod's own HTTP server reached
   * through the API's pod proxy); only an unreachable API server throws (TransientError).
   */
  async read(path: string): Promise<{ statusCode: number; body: unknown }> {
    return this.request('GET', path);
  }

  /**
   * A POST of a JSON body whose every HTTP answer is the caller's to judge (e.g. a pod's own HTTP
   * server reached through the API's pod proxy); only an unreachable API server, or no answer
   * within `timeoutMs` (default: the client's), throws (TransientError).
   */
  async post(path: string, body: object, options: { timeoutMs?: number } = {}): Promise<ApiResponse> {
    return this.request('POST', path, body, 'application/json', options.timeoutMs);
  }

  /** Requests deletion; false when the object was already gone. */
  async delete(path: string): Promise<boolean> {
    const { statusCode, body } = await this.request('DELETE', path);
    if (statusCode === 404) return false;
    if (statusCode >= 200 && statusCode < 300) return true;
    throw this.failure('DELETE', path, statusCode, body);
  }

  private failure(method: string, path: string, statusCode: number, body: unknown): Error {
    const message = `Kubernetes ${method} ${path} answered HTTP ${statusCode}: ${apiMessage(body)}`;
    if (statusCode === 429 || statusCode >= 500) return new TransientError(message);
    if (statusCode === 401 || statusCode === 403) {
      return new KubernetesApiError(
        `${message}; fix: the task Lambda's role must be the cluster's creator or have an EKS access entry with cluster admin`,
        statusCode,
      );
    }
    return new KubernetesApiError(message, statusCode);
  }

  private request(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
    timeoutMs = this.timeoutMs,
  ): Promise<ApiResponse> {
    // Concatenated, not resolved: a base URL may carry a path prefix (the local emulator's per-cluster URLs).
    const url = new URL(`${this.endpoint.baseUrl.replace(/\/$/, '')}${path}`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const request = transport.request(
        url,
        {
          method,
          headers: {
            Authorization: `Bearer ${this.endpoint.bearerToken}`,
            Accept: 'application/json',
            ...(payload === undefined
              ? {}
              : { 'Content-Type': contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
          },
          ...(this.endpoint.caData ? { ca: Buffer.from(this.endpoint.caData, 'base64') } : {}),
          // No kept-alive sockets: a warm Lambda is frozen between invocations, and a socket the
          // server closed meanwhile would fail the next request with ECONNRESET.
          agent: false,
          timeout: timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ statusCode: response.statusCode ?? 0, body: parseBody(Buffer.concat(chunks).toString('utf8')) }),
          );
          response.on('error', reject);
        },
      );
      request.on('timeout', () =>
        request.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })),
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        // A new cluster's endpoint can take a moment to resolve and answer.
        if (NETWORK_CODES.has(error.code ?? '')) {
          reject(
            new TransientError(`Kubernetes ${method} ${url.pathname}: ${error.code}: ${error.message}`, {
              cause: error,
            }),
          );
        } else reject(error);
      });
      if (payload !== undefined) request.write(payload);
      request.end();
    });
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The `message` of a Kubernetes Status object, or the raw body. */
function apiMessage(body: unknown): string {
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string') return body.message;
  return typeof body === 'string' ? body.slice(0, 300) : (JSON.stringify(body)?.slice(0, 300) ?? '');
}
