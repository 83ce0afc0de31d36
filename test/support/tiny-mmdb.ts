/**
 * Writes small MaxMind DB files (MaxMind DB format 2.0) for tests: a search tree over the given
 * networks and a data section with their records, read back by the real mmdb-lib. Lets tests use
 * record layouts (GeoLite2 City, ASN) and record sizes (24, 32 bits) that the shipped DB-IP
 * database does not have. Networks do not overlap; IPv4 networks in an IPv6 database go under
 * ::/96, where real databases keep them.
 */

export interface TinyMmdbOptions {
  ipVersion: 4 | 6;
  recordSize: 24 | 28 | 32;
  databaseType: string;
  buildEpochSeconds?: number;
  /** `a.b.c.d/len` or `h:h::/len` -> the record stored for it. */
  networks: Record<string, unknown>;
}

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'); // "\xAB\xCD\xEFMaxMind.com"

export function tinyMmdb(options: TinyMmdbOptions): Buffer {
  // The tree: node i is [left, right]; a side is a node index, a data index, or empty.
  type Side = { node: number } | { data: number } | undefined;
  const nodes: [Side, Side][] = [[undefined, undefined]];
  const records: unknown[] = [];
  for (const [network, record] of Object.entries(options.networks)) {
    const bits = networkBits(network, options.ipVersion);
    let node = 0;
    bits.forEach((bit, depth) => {
      if (depth === bits.length - 1) {
        if (nodes[node]![bit]) throw new Error(`${network} overlaps another network`);
        nodes[node]![bit] = { data: records.push(record) - 1 };
        return;
      }
      let next = nodes[node]![bit];
      if (!next) {
        next = { node: nodes.push([undefined, undefined]) - 1 };
        nodes[node]![bit] = next;
      }
      if (!('node' in next)) throw new Error(`${network} overlaps another network`);
      node = next.node;
    });
  }

  const encoded = records.map((record) => encode(record));
  const offsets: number[] = [];
  let offset = 0;
  for (const e of encoded) {
    offsets.push(offset);
    offset += e.length;
  }
  const nodeCount = nodes.length;
  const value = (side: Side) =>
    side === undefined ? nodeCount : 'node' in side ? side.node : nodeCount + 16 + offsets[side.data]!;
  const tree = Buffer.concat(nodes.map(([left, right]) => nodeBytes(value(left), value(right), options.recordSize)));

  const metadata = encode({
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: BigInt(options.buildEpochSeconds ?? 1_780_000_000),
    database_type: options.databaseType,
    description: { en: 'test database' },
    ip_version: options.ipVersion,
    languages: ['en'],
    node_count: nodeCount,
    record_size: options.recordSize,
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...encoded, METADATA_MARKER, metadata]);
}

function networkBits(network: string, ipVersion: 4 | 6): (0 | 1)[] {
  const [address, length] = network.split('/') as [string, string];
  const bytes = address.includes(':') ? ipv6Bytes(address) : address.split('.').map(Number);
  const all = bytes.flatMap((byte) => Array.from({ length: 8 }, (_, i) => ((byte >> (7 - i)) & 1) as 0 | 1));
  const bits = all.slice(0, Number(length));
  return ipVersion === 6 && bytes.length === 4 ? [...new Array<0>(96).fill(0), ...bits] : bits;
}

function ipv6Bytes(address: string): number[] {
  const [head, tail = ''] = address.split('::') as [string, string?];
  const groups = (part: string) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t].flatMap((g) => [g >> 8, g & 255]);
}

function nodeBytes(left: number, right: number, recordSize: 24 | 28 | 32): Buffer {
  const b = Buffer.alloc(recordSize / 4);
  if (recordSize === 24) {
    b.writeUIntBE(left, 0, 3);
    b.writeUIntBE(right, 3, 3);
  } else if (recordSize === 28) {
    b.writeUIntBE(left & 0xffffff, 0, 3);
    b[3] = ((left >>> 24) << 4) | (right >>> 24);
    b.writeUIntBE(right & 0xffffff, 4, 3);
  } else {
    b.writeUInt32BE(left, 0);
    b.writeUInt32BE(right, 4);
  }
  return b;
}

// ---- Data section (MaxMind DB spec, "Data Section Format") ----

const TYPE = { utf8: 2, double: 3, uint32: 6, map: 7, uint64: 9, array: 11, boolean: 14 } as const;

function encode(value: unknown): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(TYPE.utf8, bytes.length), bytes]);
  }
  if (typeof value === 'boolean') return control(TYPE.boolean, value ? 1 : 0);
  if (typeof value === 'bigint') return unsigned(TYPE.uint64, value);
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value < 2 ** 32) return unsigned(TYPE.uint32, BigInt(value));
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleBE(value);
    return Buffer.concat([control(TYPE.double, 8), bytes]);
  }
  if (Array.isArray(value)) return Buffer.concat([control(TYPE.array, value.length), ...value.map(encode)]);
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    return Buffer.concat([control(TYPE.map, entries.length), ...entries.flatMap(([k, v]) => [encode(k), encode(v)])]);
  }
  throw new Error(`cannot encode ${String(value)}`);
}

function unsigned(type: number, value: bigint): Buffer {
  const bytes: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 255n));
  return Buffer.concat([control(type, bytes.length), Buffer.from(bytes)]);
}

/** Control byte (type in the top 3 bits, 0 for extended types, which follow in a byte), then the size. */
function control(type: number, size: number): Buffer {
  if (size >= 29 + 256) throw new Error('tiny-mmdb writes fields of fewer than 285 bytes');
  const sizeField = size < 29 ? size : 29;
  const head = type <= 7 ? [(type << 5) | sizeField] : [sizeField, type - 7];
  return Buffer.from(size < 29 ? head : [...head, size - 29]);
}
