/**
 * An origin for the edge tests: a real HTTP (or HTTPS) server that answers every path with a
 * body naming the request and how many times that path was asked for, typed by extension,
 * and records what reached it. Paths ask for behaviours: `/missing...` answers 404, a path with `/slow`
 * answers after `slowMs`, `/private...` marks its answer private, `/set-cookie...` sets a cookie,
 * `/origin-cache-headers...` sends its own Cache-Control and Expires. `failWith(status)` makes
 * every answer that status; `stop()` closes the port (connection refused).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  /** The TLS server name the client sent (HTTPS only). */
  serverName?: string;
}

export interface TestOrigin {
  port: number;
  requests: ReceivedRequest[];
  /** How many requests for exactly this URL (path and query) reached the origin. */
  count(url: string): number;
  failWith(status: number | undefined): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  css: 'text/css',
  js: 'text/javascript',
  woff2: 'font/woff2',
  mp4: 'video/mp4',
  html: 'text/html',
  json: 'application/json',
};

export async function startTestOrigin(options: {
  port: number;
  tls?: { key: string; cert: string };
  slowMs?: number;
}): Promise<TestOrigin> {
  const requests: ReceivedRequest[] = [];
  let failure: number | undefined;
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    const url = request.url ?? '/';
    const serverName = (request.socket as { servername?: string }).servername;
    requests.push({
      method: request.method ?? 'GET',
      url,
      headers: request.headers,
      serverName: serverName || undefined,
    });
    const path = url.split('?')[0]!;
    const nth = requests.filter((r) => r.url === url).length;
    const extension = /\.([a-z0-9]+)$/.exec(path)?.[1];
    const headers: Record<string, string> = { 'content-type': (extension && TYPES[extension]) ?? 'text/html' };
    const body = `${request.method} ${url} #${nth} cookie=${request.headers.cookie ?? ''}\n`;
    const answer = (status: number) => {
      response.writeHead(status, headers);
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (failure) return answer(failure);
    if (path.startsWith('/missing')) return answer(404);
    if (path.startsWith('/private')) headers['cache-control'] = 'private';
    if (path.startsWith('/set-cookie')) headers['set-cookie'] = 'session=issued; Path=/';
    if (path.startsWith('/origin-cache-headers')) {
      headers['cache-control'] = 'public, max-age=90000';
      headers.expires = new Date(Date.now() + 90_000_000).toUTCString();
    }
    if (path.includes('/slow')) return void setTimeout(() => answer(200), options.slowMs ?? 3000);
    answer(200);
  };
  let server: Server | undefined;
  const origin: TestOrigin = {
    port: options.port,
    requests,
    count: (url) => requests.filter((r) => r.url === url).length,
    failWith(status) {
      failure = status;
    },
    async start() {
      if (server) return;
      const created = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
      await new Promise<void>((resolve) => created.listen(options.port, '127.0.0.1', resolve));
      server = created;
    },
    async stop() {
      const running = server;
      server = undefined;
      if (!running) return;
      running.closeAllConnections();
      await new Promise((resolve) => running.close(resolve));
    },
  };
  await origin.start();
  return origin;
}
