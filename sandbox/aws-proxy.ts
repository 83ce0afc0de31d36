/**
 * An HTTP proxy between the Lambdas' AWS SDK clients and the moto emulator: fault injection for
 * the tests, and for the local sandbox CloudWatch's alarm change times on its simulated clock
 * (alarm-change-times.ts). It reaches every client that sends its requests to it
 * (AWS_ENDPOINT_URL = `endpoint`), including the clients inside a bundled Lambda, which carries
 * its own copy of the SDK that middleware on a client object could not reach.
 *
 * Each request is recognised as { service, region, operation }: service and region from the SigV4
 * credential scope of its Authorization header, the operation from what its protocol carries
 * (`X-Amz-Target` for awsJson, `Action=` in the form body for awsQuery, the method and path for
 * the REST protocols, see REST_APIS). The proxy can then answer a matching request with an AWS
 * error in that protocol's wire format, without forwarding it, so the SDK's own deserializer turns
 * it into an error whose `name` is the fault's code and whose `$metadata.httpStatusCode` is its
 * status; or forward it and rewrite the response body. Anything else is forwarded untouched.
 *
 * The SDK's retries sit below the workflow's: the Lambdas' clients try a call SDK_MAX_ATTEMPTS
 * times (functions/commons/aws-clients.ts) when the error is throttling or transient (5xx), and
 * each attempt is a request here. A throttling or 5xx fault meant to reach a Step Functions Retry
 * must therefore fail SDK_MAX_ATTEMPTS consecutive requests: `failNextCall` counts them.
 * (The SDK also stops retrying when its retry quota runs out; then fewer attempts reach the proxy
 * and the remaining failures of a `failNextCall` wait for the next call.)
 *
 * No client in node_modules speaks Smithy RPC v2 CBOR today (@aws-sdk/client-cloudwatch sends
 * awsJson 1.0 with `x-amzn-query-mode`), so the proxy does not recognise that protocol: such a
 * request would be forwarded untouched, and `calls()` would not count it.
 */
import { randomUUID } from 'node:crypto';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { SDK_MAX_ATTEMPTS } from '../functions/commons/aws-clients';

export { SDK_MAX_ATTEMPTS };

/** Which calls a rule applies to. `service` is the SigV4 signing name (`monitoring` is CloudWatch). */
export interface CallMatch {
  service: string;
  operation: string;
  /** Any region when left out. */
  region?: string;
}

/**
 * An AWS error as the service would send it: the client sees `name === code` and
 * `$metadata.httpStatusCode === status`. Exception: for awsQuery services (and CloudWatch) the SDK
 * maps a modeled error's query code to its class, e.g. SNS `NotFound` -> `NotFoundException`, as it
 * does for the real service.
 */
export interface AwsFault {
  code: string;
  status: number;
  message?: string;
}

/** Faults the workflows must survive or roll back from, with the status AWS sends them with. */
export const FAULTS = {
  throttling: { code: 'ThrottlingException', status: 400 },
  serviceUnavailable: { code: 'ServiceUnavailable', status: 503 },
  internalFailure: { code: 'InternalFailure', status: 500 },
  accessDenied: { code: 'AccessDeniedException', status: 403 },
  /** EKS, e.g. DeleteCluster while a nodegroup still exists. */
  resourceInUse: { code: 'ResourceInUseException', status: 409 },
  /** Route53, a change batch on a record whose previous change is not in sync yet. */
  priorRequestNotComplete: { code: 'PriorRequestNotComplete', status: 400 },
  provisionedThroughputExceeded: { code: 'ProvisionedThroughputExceededException', status: 400 },
} as const satisfies Record<string, AwsFault>;

/** Error names and statuses the SDK retries by itself (copied from @smithy/core's retry classification). */
const SDK_THROTTLING_CODES = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
const SDK_TRANSIENT_CODES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const SDK_RETRIED_STATUSES = new Set([429, 500, 502, 503, 504]);

/** Whether the SDK retries this fault itself, up to SDK_MAX_ATTEMPTS attempts per call. */
export function retriedBySdk(fault: AwsFault): boolean {
  return (
    SDK_THROTTLING_CODES.has(fault.code) ||
    SDK_TRANSIENT_CODES.has(fault.code) ||
    SDK_RETRIED_STATUSES.has(fault.status)
  );
}

export type RemoveRule = () => void;
type JsonObject = Record<string, unknown>;

export interface AwsFaultProxy {
  /** The URL to give SDK clients as `endpoint` (or AWS_ENDPOINT_URL). */
  readonly endpoint: string;
  /** Answers the next `times` matching requests with `fault`, without forwarding them. */
  failNext(match: CallMatch, fault: AwsFault, times?: number): RemoveRule;
  /**
   * Makes the next call of a Lambda's SDK client (maxAttempts SDK_MAX_ATTEMPTS) fail with `fault`:
   * SDK_MAX_ATTEMPTS consecutive requests for a fault the SDK retries, one otherwise.
   */
  failNextCall(match: CallMatch, fault: AwsFault): RemoveRule;
  /**
   * Forwards the next matching request (the service acts on it) but answers it with `fault`, as
   * when a response is lost on the way back: the caller retries a call that already succeeded.
   */
  loseNextResponse(match: CallMatch, fault: AwsFault): RemoveRule;
  /**
   * Forwards matching requests and replaces each successful (2xx) response body with
   * `rewrite(body, request)` (the request as it came, e.g. to tell which resource it named).
   */
  rewriteResponses(match: CallMatch, rewrite: (body: string, request: ServedRequest) => string): RemoveRule;
  /** rewriteResponses for JSON bodies: `mutate` changes the parsed body in place or returns a new one. */
  rewriteJson<T extends object = JsonObject>(
    match: CallMatch,
    mutate: (body: T, request: ServedRequest) => T | void,
  ): RemoveRule;
  /**
   * Answers matching requests itself: an API the emulator lacks (moto's EKS has no access entries
   * or version updates), played by `responder`. Part of the emulated cloud, so reset() keeps it.
   * A responder that throws an AwsServiceFault answers with that error; one that returns
   * undefined lets the request pass, to the next responder installed for it, else to the
   * emulator (and the rewrites): a resource the emulated cloud holds in a state moto lacks.
   */
  serve(match: CallMatch, responder: Responder): RemoveRule;
  /** How many matching requests the proxy saw, answered with a fault or forwarded. */
  calls(match: CallMatch): number;
  /** Forgets every rule and every request seen. */
  reset(): void;
  close(): Promise<void>;
}

/** A request as a responder (serve) or a rewrite sees it: its region, decoded path segments, query and body. */
export interface ServedRequest {
  region: string;
  operation: string;
  /** The URL path split at '/', each segment URI-decoded (e.g. ['clusters', 'name', 'access-entries', 'arn:aws:iam::…']). */
  segments: string[];
  query: URLSearchParams;
  /** The parsed JSON body (restJson1 / awsJson), or {} when there is none or the protocol is not JSON. */
  body: Record<string, unknown>;
  /** The body as sent (e.g. a Route53 change batch in XML, an awsQuery form). */
  text: string;
}

/** Plays one API of the emulated cloud (serve); undefined: not this responder's request, let it pass. */
export type Responder = (request: ServedRequest) => ServedResponse | undefined | Promise<ServedResponse | undefined>;

/** A served answer: a JSON body with status 200 unless given. */
export interface ServedResponse {
  status?: number;
  body: unknown;
}

/** Thrown by a serve() responder: the client gets this AWS error (e.g. ResourceNotFoundException, 404). */
export class AwsServiceFault extends Error {
  constructor(readonly fault: AwsFault) {
    super(fault.message ?? fault.code);
  }
}

type Protocol = 'awsJson' | 'awsQuery' | 'restJson1' | 'restXml';

interface RecognisedCall {
  service: string;
  region: string;
  operation: string;
  protocol: Protocol;
  headers: IncomingHttpHeaders;
}

interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Operations of the REST services, by method and path (the SDK's `http` traits; `{x}` is one path segment). */
const REST_APIS: Record<string, { protocol: 'restJson1' | 'restXml'; routes: [string, string, string][] }> = {
  eks: {
    protocol: 'restJson1',
    routes: [
      ['POST', '/clusters', 'CreateCluster'],
      ['GET', '/clusters', 'ListClusters'],
      ['GET', '/clusters/{name}', 'DescribeCluster'],
      ['DELETE', '/clusters/{name}', 'DeleteCluster'],
      ['POST', '/clusters/{name}/node-groups', 'CreateNodegroup'],
      ['GET', '/clusters/{name}/node-groups', 'ListNodegroups'],
      ['GET', '/clusters/{name}/node-groups/{nodegroup}', 'DescribeNodegroup'],
      ['DELETE', '/clusters/{name}/node-groups/{nodegroup}', 'DeleteNodegroup'],
      ['POST', '/clusters/{name}/node-groups/{nodegroup}/update-config', 'UpdateNodegroupConfig'],
      ['POST', '/clusters/{name}/update-config', 'UpdateClusterConfig'],
      ['POST', '/clusters/{name}/updates', 'UpdateClusterVersion'],
      ['GET', '/clusters/{name}/updates', 'ListUpdates'],
      ['GET', '/clusters/{name}/updates/{updateId}', 'DescribeUpdate'],
      ['POST', '/clusters/{name}/node-groups/{nodegroup}/update-version', 'UpdateNodegroupVersion'],
      ['POST', '/clusters/{name}/access-entries', 'CreateAccessEntry'],
      ['GET', '/clusters/{name}/access-entries', 'ListAccessEntries'],
      ['GET', '/clusters/{name}/access-entries/{principalArn}', 'DescribeAccessEntry'],
      ['DELETE', '/clusters/{name}/access-entries/{principalArn}', 'DeleteAccessEntry'],
      ['POST', '/clusters/{name}/access-entries/{principalArn}/access-policies', 'AssociateAccessPolicy'],
      ['GET', '/clusters/{name}/access-entries/{principalArn}/access-policies', 'ListAssociatedAccessPolicies'],
      ['GET', '/tags/{arn}', 'ListTagsForResource'],
      ['POST', '/tags/{arn}', 'TagResource'],
    ],
  },
  route53: {
    protocol: 'restXml',
    routes: [
      ['POST', '/2013-04-01/hostedzone', 'CreateHostedZone'],
      ['GET', '/2013-04-01/hostedzone', 'ListHostedZones'],
      ['GET', '/2013-04-01/hostedzone/{id}', 'GetHostedZone'],
      ['DELETE', '/2013-04-01/hostedzone/{id}', 'DeleteHostedZone'],
      ['GET', '/2013-04-01/hostedzonesbyname', 'ListHostedZonesByName'],
      ['POST', '/2013-04-01/hostedzone/{id}/rrset', 'ChangeResourceRecordSets'],
      ['GET', '/2013-04-01/hostedzone/{id}/rrset', 'ListResourceRecordSets'],
      ['GET', '/2013-04-01/change/{id}', 'GetChange'],
    ],
  },
};

const COMPILED_ROUTES = new Map(
  Object.entries(REST_APIS).map(([service, api]) => [
    service,
    {
      protocol: api.protocol,
      routes: api.routes.map(([method, template, operation]) => ({
        method,
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
        operation,
      })),
    },
  ]),
);

const CREDENTIAL_SCOPE = /Credential=[^/\s]+\/\d{8}\/([^/\s]+)\/([^/\s]+)\/aws4_request/;

function recognise(
  method: string,
  url: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): RecognisedCall | undefined {
  const scope = CREDENTIAL_SCOPE.exec(headers.authorization ?? '');
  if (!scope) return undefined;
  const [, region = '', service = ''] = scope;
  const [path = '/', query = ''] = url.split('?', 2);
  const known = (operation: string | null | undefined, protocol: Protocol) =>
    operation ? { service, region, operation, protocol, headers } : undefined;

  const target = headers['x-amz-target'];
  if (typeof target === 'string') return known(target.split('.').pop(), 'awsJson');
  const rest = COMPILED_ROUTES.get(service);
  if (rest) {
    const route = rest.routes.find((r) => r.method === method && r.pattern.test(path));
    return known(route?.operation, rest.protocol);
  }
  const form = headers['content-type']?.startsWith('application/x-www-form-urlencoded') ? body.toString('utf8') : query;
  return known(new URLSearchParams(form).get('Action'), 'awsQuery');
}

const escapeXml = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

const errorType = (fault: AwsFault) => (fault.status >= 500 ? 'Receiver' : 'Sender');

/** awsJson 1.0 / 1.1: `__type` in the body; a query-compatible client (x-amzn-query-mode) reads `x-amzn-query-error`. */
function awsJsonError(fault: AwsFault, message: string, call: RecognisedCall): WireResponse {
  const headers: Record<string, string> = {
    'content-type': call.headers['content-type'] ?? 'application/x-amz-json-1.0',
  };
  if (call.headers['x-amzn-query-mode'] === 'true') headers['x-amzn-query-error'] = `${fault.code};${errorType(fault)}`;
  return { status: fault.status, headers, body: JSON.stringify({ __type: fault.code, message }) };
}

/** restJson1: the code in the `x-amzn-errortype` header, the message in the body. */
function restJsonError(fault: AwsFault, message: string): WireResponse {
  return {
    status: fault.status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': fault.code },
    body: JSON.stringify({ message }),
  };
}

/** awsQuery and restXml share the error document: `<ErrorResponse><Error><Code>`. */
function xmlError(fault: AwsFault, message: string, requestId: string): WireResponse {
  return {
    status: fault.status,
    headers: { 'content-type': 'text/xml' },
    body:
      '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error>' +
      `<Type>${errorType(fault)}</Type><Code>${escapeXml(fault.code)}</Code><Message>${escapeXml(message)}</Message>` +
      `</Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

function errorResponse(call: RecognisedCall, fault: AwsFault): WireResponse {
  const requestId = randomUUID();
  const message = fault.message ?? `${fault.code} (injected by aws-fault-proxy)`;
  const response =
    call.protocol === 'awsJson'
      ? awsJsonError(fault, message, call)
      : call.protocol === 'restJson1'
        ? restJsonError(fault, message)
        : xmlError(fault, message, requestId);
  response.headers['x-amzn-requestid'] = requestId;
  return response;
}

/** Headers that belong to one connection, not to the message (RFC 9110 7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);
/** Headers that describe the body as the emulator sent it, no longer true after a rewrite. */
const BODY_DIGESTS = new Set(['content-length', 'content-md5', 'x-amz-crc32']);

/**
 * The upstream's headers without the per-connection ones, and with the `Date` of this process's
 * clock: where a test or the sandbox runs on a simulated clock, a real-time `Date` would look to
 * the SDK like clock skew, and the SDK silently retries an error it thinks skew caused.
 */
function endToEndHeaders(rawHeaders: string[], drop: Set<string> = new Set()): string[] {
  const kept: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (!HOP_BY_HOP.has(lower) && !drop.has(lower) && lower !== 'date') kept.push(name, rawHeaders[i + 1]!);
  }
  kept.push('date', new Date().toUTCString());
  return kept;
}

async function readBody(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const matches = (match: CallMatch, call: Pick<RecognisedCall, 'service' | 'operation' | 'region'>) =>
  match.service === call.service &&
  match.operation === call.operation &&
  (match.region === undefined || match.region === call.region);

/**
 * moto reports every Route53 change INSYNC at once: makes the proxy report the changes PENDING,
 * in the answers of ChangeResourceRecordSets (so the workflows poll GetChange) and, with
 * `alsoGetChange`, of GetChange too (a change that never propagates).
 */
export function reportRoute53ChangesPending(
  proxy: AwsFaultProxy,
  options: { alsoGetChange?: boolean } = {},
): RemoveRule {
  const pending = (body: string) => body.replace('<Status>INSYNC</Status>', '<Status>PENDING</Status>');
  const operations = ['ChangeResourceRecordSets', ...(options.alsoGetChange ? ['GetChange'] : [])];
  const removers = operations.map((operation) => proxy.rewriteResponses({ service: 'route53', operation }, pending));
  return () => removers.forEach((remove) => remove());
}

function servedRequest(call: RecognisedCall, url: string, body: Buffer): ServedRequest {
  const [path = '/', query = ''] = url.split('?', 2);
  const text = body.toString('utf8');
  const json = call.protocol === 'awsJson' || call.protocol === 'restJson1';
  return {
    region: call.region,
    operation: call.operation,
    segments: path.split('/').filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(query),
    body: json && text ? (JSON.parse(text) as Record<string, unknown>) : {},
    text,
  };
}

/** The first answer of `responders` (in the order they were installed); undefined when every one lets the request pass. */
async function servedResponse(
  call: RecognisedCall,
  request: ServedRequest,
  responders: Responder[],
): Promise<WireResponse | undefined> {
  try {
    for (const responder of responders) {
      const answer = await responder(request);
      if (answer === undefined) continue;
      const contentType = call.protocol === 'awsJson' ? 'application/x-amz-json-1.1' : 'application/json';
      return {
        status: answer.status ?? 200,
        headers: { 'content-type': contentType, 'x-amzn-requestid': randomUUID() },
        body: JSON.stringify(answer.body),
      };
    }
    return undefined;
  } catch (error) {
    if (error instanceof AwsServiceFault) return errorResponse(call, error.fault);
    throw error;
  }
}

/** Starts the proxy on a free loopback port, forwarding to `upstream` (e.g. motoEndpoint()). */
export async function startAwsFaultProxy(upstream: string): Promise<AwsFaultProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true });
  const faults: { match: CallMatch; fault: AwsFault; remaining: number }[] = [];
  const lostResponses: { match: CallMatch; fault: AwsFault }[] = [];
  const rewrites: { match: CallMatch; rewrite: (body: string, request: ServedRequest) => string }[] = [];
  const served: { match: CallMatch; responder: Responder }[] = [];
  // Requests seen, counted by service, operation and region (a sandbox day makes thousands).
  const seen = new Map<string, { call: Pick<RecognisedCall, 'service' | 'operation' | 'region'>; count: number }>();

  const removerOf =
    <R>(rules: R[], rule: R): RemoveRule =>
    () => {
      const index = rules.indexOf(rule);
      if (index >= 0) rules.splice(index, 1);
    };

  function forward(req: IncomingMessage, body: Buffer): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: endToEndHeaders(req.rawHeaders),
          agent,
        },
        resolve,
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  function send(res: ServerResponse, response: WireResponse): void {
    res.writeHead(response.status, {
      ...response.headers,
      date: new Date().toUTCString(),
      'content-length': String(Buffer.byteLength(response.body)),
    });
    res.end(response.body);
  }

  async function answer(req: IncomingMessage, body: Buffer, call: RecognisedCall | undefined, res: ServerResponse) {
    const fault = call && faults.find((rule) => matches(rule.match, call));
    if (call && fault) {
      fault.remaining -= 1;
      if (fault.remaining === 0) faults.splice(faults.indexOf(fault), 1);
      return send(res, errorResponse(call, fault.fault));
    }

    const request = call && servedRequest(call, req.url ?? '/', body);
    const responders = call ? served.filter((rule) => matches(rule.match, call)).map((rule) => rule.responder) : [];
    if (call && request && responders.length > 0) {
      const emulated = await servedResponse(call, request, responders);
      if (emulated) return send(res, emulated);
    }

    const upstreamResponse = await forward(req, body);
    const lost = call && lostResponses.find((rule) => matches(rule.match, call));
    if (call && lost) {
      lostResponses.splice(lostResponses.indexOf(lost), 1);
      await readBody(upstreamResponse);
      return send(res, errorResponse(call, lost.fault));
    }
    const status = upstreamResponse.statusCode ?? 502;
    const applicable = call && status >= 200 && status < 300 ? rewrites.filter((r) => matches(r.match, call)) : [];
    if (applicable.length === 0) {
      res.writeHead(status, endToEndHeaders(upstreamResponse.rawHeaders));
      upstreamResponse.pipe(res);
      return;
    }
    let text = (await readBody(upstreamResponse)).toString('utf8');
    for (const { rewrite } of applicable) text = rewrite(text, request!);
    res.writeHead(status, [
      ...endToEndHeaders(upstreamResponse.rawHeaders, BODY_DIGESTS),
      'content-length',
      String(Buffer.byteLength(text)),
    ]);
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const call = recognise(req.method ?? 'GET', req.url ?? '/', req.headers, body);
    if (call) {
      const key = `${call.service} ${call.operation} ${call.region}`;
      const entry = seen.get(key) ?? { call, count: 0 };
      entry.count += 1;
      seen.set(key, entry);
    }
    try {
      await answer(req, body, call, res);
    } catch (error) {
      // A failing rewrite or an unreachable emulator: say so in an error the SDK does not retry.
      if (res.headersSent) return void res.destroy(error as Error);
      const message = `aws-fault-proxy: ${error instanceof Error ? error.message : String(error)}`;
      if (call) return send(res, errorResponse(call, { code: 'AwsFaultProxyError', status: 400, message }));
      send(res, { status: 502, headers: { 'content-type': 'text/plain' }, body: message });
    }
  }

  const server: Server = createServer((req, res) => void handle(req, res).catch((error: Error) => res.destroy(error)));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  const proxy: AwsFaultProxy = {
    endpoint: `http://127.0.0.1:${port}`,
    failNext(match, fault, times = 1) {
      if (!Number.isInteger(times) || times < 1)
        throw new Error(`failNext: times must be a positive integer, got ${times}`);
      const rule = { match, fault, remaining: times };
      faults.push(rule);
      return removerOf(faults, rule);
    },
    failNextCall(match, fault) {
      return proxy.failNext(match, fault, retriedBySdk(fault) ? SDK_MAX_ATTEMPTS : 1);
    },
    loseNextResponse(match, fault) {
      const rule = { match, fault };
      lostResponses.push(rule);
      return removerOf(lostResponses, rule);
    },
    rewriteResponses(match, rewrite) {
      const rule = { match, rewrite };
      rewrites.push(rule);
      return removerOf(rewrites, rule);
    },
    rewriteJson<T extends object = JsonObject>(
      match: CallMatch,
      mutate: (body: T, request: ServedRequest) => T | void,
    ) {
      return proxy.rewriteResponses(match, (text, request) => {
        const body = JSON.parse(text) as T;
        return JSON.stringify(mutate(body, request) ?? body);
      });
    },
    serve(match, responder) {
      const rule = { match, responder };
      served.push(rule);
      return removerOf(served, rule);
    },
    calls(match) {
      return [...seen.values()].filter(({ call }) => matches(match, call)).reduce((sum, { count }) => sum + count, 0);
    },
    reset() {
      faults.length = 0;
      lostResponses.length = 0;
      rewrites.length = 0;
      seen.clear();
    },
    close() {
      agent.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
  return proxy;
}
