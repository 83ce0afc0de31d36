/**
 * A DNS server for tests, on a loopback UDP port: answers A queries for the names it is given
 * (NXDOMAIN for others), so nginx's `resolver` can resolve a test origin by name. It answers
 * only after `start()`: before that the port is bound by nobody, as a cluster DNS that does not
 * answer yet.
 */
import { createSocket, type Socket } from 'node:dgram';

export interface TinyDns {
  port: number;
  /** Starts answering (again). */
  start(): Promise<void>;
  /** Stops answering: queries go unanswered. */
  stop(): Promise<void>;
  /** Queries answered so far, by name. */
  answered: string[];
}

export function tinyDns(port: number, addresses: Record<string, string>): TinyDns {
  let socket: Socket | undefined;
  const answered: string[] = [];
  return {
    port,
    answered,
    async start() {
      if (socket) return;
      const server = createSocket('udp4');
      server.on('message', (query, from) => {
        const answer = answerTo(query, addresses, answered);
        if (answer) server.send(answer, from.port, from.address);
      });
      await new Promise<void>((resolve) => server.bind(port, '127.0.0.1', resolve));
      socket = server;
    },
    async stop() {
      const server = socket;
      socket = undefined;
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The response to one query (RFC 1035 section 4), or undefined for what is not a standard query. */
function answerTo(query: Buffer, addresses: Record<string, string>, answered: string[]): Buffer | undefined {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let offset = 12;
  while (offset < query.length && query[offset] !== 0) {
    const length = query[offset]!;
    labels.push(query.subarray(offset + 1, offset + 1 + length).toString('ascii'));
    offset += length + 1;
  }
  const questionEnd = offset + 5; // the root label, QTYPE and QCLASS
  const name = labels.join('.').toLowerCase();
  const type = query.readUInt16BE(offset + 1);
  const address = type === 1 ? addresses[name] : undefined;
  const header = Buffer.from(query.subarray(0, 12));
  header.writeUInt16BE(0x8180 | (address || type !== 1 ? 0 : 3), 2); // response, recursion available; NXDOMAIN when unknown
  header.writeUInt16BE(address ? 1 : 0, 6); // ANCOUNT
  header.writeUInt16BE(0, 8);
  header.writeUInt16BE(0, 10);
  const question = query.subarray(12, questionEnd);
  if (!address) return Buffer.concat([header, question]);
  answered.push(name);
  const record = Buffer.alloc(16);
  record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
  record.writeUInt16BE(1, 2); // A
  record.writeUInt16BE(1, 4); // IN
  record.writeUInt32BE(30, 6); // TTL
  record.writeUInt16BE(4, 10);
  address.split('.').forEach((octet, i) => record.writeUInt8(Number(octet), 12 + i));
  return Buffer.concat([header, question, record]);
}
