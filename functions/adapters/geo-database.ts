/**
 * Locates client prefixes (`a.b.c.0/24`, `h:h:h::/48`, see edge-agent-contract.ts) with MaxMind DB
 * (MMDB) files: GeoLite2/GeoIP2 City or DB-IP City, looked up in order.
 *
 * A collection attributes up to a million prefixes, and mmdb-lib's `get()` parses the address
 * text and decodes the record on every call (about 180,000 lookups/s). So the search tree is
 * searched here on the numeric address (see SearchTree), which yields the record's data pointer
 * without allocating, and each record is decoded once, through mmdb-lib's public `get()` (about
 * 10 µs: the first collection after a cold start is the slow one), and kept normalized. The same
 * record therefore always yields the same GeoLocation object, which lets the attribution memoize
 * its nearest region per object.
 */
import { readFileSync } from 'node:fs';
import { Reader, type Response } from 'mmdb-lib';
import type { GeoLocation } from '../domain/demand-attribution';

export interface GeoDatabaseSource {
  path: string;
  buffer: Buffer;
}

export interface GeoDatabaseFile {
  path: string;
  databaseType: string;
  ipVersion: number;
  /** The database's build date (its metadata's build epoch), ISO-8601. */
  buildDate: string;
  nodeCount: number;
}

export interface GeoDatabase {
  /** The location of a prefix's first address in the first database that has one; undefined when none does. */
  locate(prefix: string): GeoLocation | undefined;
  describe(): GeoDatabaseFile[];
}

/** Opens and checks every file (paths are read from disk); throws an Error naming the file and the fix. */
export function openGeoDatabases(files: readonly (string | GeoDatabaseSource)[]): GeoDatabase {
  if (files.length === 0) throw new Error('no geo database files given; fix: give at least one .mmdb file');
  const databases = files.map((file) =>
    typeof file === 'string' ? openDatabase(file, readDatabaseFile(file)) : openDatabase(file.path, file.buffer),
  );
  const address = new PrefixAddress();
  return {
    locate(prefix) {
      if (!address.parse(prefix)) return undefined;
      for (const database of databases) {
        const location = database.locate(prefix, address);
        if (location) return location;
      }
      return undefined;
    },
    describe: () => databases.map((database) => database.file),
  };
}

/**
 * A record's location in either layout: DB-IP City (`country_code`, `latitude`, `longitude`) or
 * GeoLite2/GeoIP2 City (`country.iso_code`, `location.latitude/longitude`); undefined when the
 * record has neither a country nor coordinates. `registered_country` is not the user's country
 * (anycast and mobile networks are registered far from their users) and is not used.
 */
export function geoLocationOf(record: unknown): GeoLocation | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const r = record as {
    country_code?: unknown;
    latitude?: unknown;
    longitude?: unknown;
    country?: { iso_code?: unknown };
    location?: { latitude?: unknown; longitude?: unknown };
  };
  const country = countryCode(r.country?.iso_code ?? r.country_code);
  const latitude = r.location?.latitude ?? r.latitude;
  const longitude = r.location?.longitude ?? r.longitude;
  const hasCoordinates =
    typeof latitude === 'number' &&
    typeof longitude === 'number' &&
    Math.abs(latitude) <= 90 &&
    Math.abs(longitude) <= 180;
  if (country === undefined && !hasCoordinates) return undefined;
  const location: GeoLocation = {};
  if (country !== undefined) location.country = country;
  if (hasCoordinates) {
    location.latitude = latitude;
    location.longitude = longitude;
  }
  return Object.freeze(location);
}

function countryCode(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const code = value.toUpperCase();
  return /^[A-Z]{2}$/.test(code) ? code : undefined;
}

// ---- Prefix text -> numeric address ----

/**
 * A prefix's first address as numbers, parsed with character arithmetic (no allocation):
 * IPv4 `a.b.c.0/24` -> `high` = the 32-bit address; IPv6 `h:h:h::/48` -> `high` = bits 0-31,
 * `low` = bits 32-47 (in its top 16 bits). Text of any other shape (including leading zeros or
 * upper-case hex, which PREFIX_PATTERN forbids) is rejected.
 */
export class PrefixAddress {
  family: 4 | 6 = 4;
  high = 0;
  low = 0;

  parse(prefix: string): boolean {
    return prefix.endsWith('.0/24') ? this.parseIpv4(prefix) : prefix.endsWith('::/48') && this.parseIpv6(prefix);
  }

  private parseIpv4(prefix: string): boolean {
    const end = prefix.length - 5; // before ".0/24"
    let address = 0;
    let octet = 0;
    let digits = 0;
    let octets = 0;
    for (let i = 0; i <= end; i++) {
      const c = i === end ? DOT : prefix.charCodeAt(i);
      if (c === DOT) {
        if (digits === 0 || octet > 255 || octets === 3) return false;
        address = address * 256 + octet;
        octets++;
        octet = 0;
        digits = 0;
      } else if (c >= ZERO && c <= NINE && digits < 3 && !(digits === 1 && octet === 0)) {
        octet = octet * 10 + (c - ZERO);
        digits++;
      } else {
        return false;
      }
    }
    if (octets !== 3) return false;
    this.family = 4;
    this.high = address * 256;
    this.low = 0;
    return true;
  }

  private parseIpv6(prefix: string): boolean {
    const end = prefix.length - 5; // before "::/48"
    let group = 0;
    let digits = 0;
    let groups = 0;
    let high = 0;
    for (let i = 0; i <= end; i++) {
      const c = i === end ? COLON : prefix.charCodeAt(i);
      if (c === COLON) {
        if (digits === 0 || groups === 3) return false;
        if (groups < 2) high = high * 65536 + group;
        else this.low = group * 65536;
        groups++;
        group = 0;
        digits = 0;
        continue;
      }
      const value = c >= ZERO && c <= NINE ? c - ZERO : c >= LOWER_A && c <= LOWER_F ? c - LOWER_A + 10 : -1;
      if (value < 0 || digits === 4 || (digits === 1 && group === 0)) return false;
      group = group * 16 + value;
      digits++;
    }
    if (groups !== 3) return false;
    this.family = 6;
    this.high = high;
    return true;
  }
}

const DOT = 46;
const COLON = 58;
const ZERO = 48;
const NINE = 57;
const LOWER_A = 97;
const LOWER_F = 102;

// ---- The search tree ----

/**
 * The search tree of one MMDB file (MaxMind DB spec, "Search Tree Section"): `nodeCount` nodes of
 * two records (left for bit 0, right for bit 1) of `recordSize` bits. A record below nodeCount is
 * the next node, nodeCount itself means "no data", and above nodeCount it points into the data
 * section. IPv4 addresses in an IPv6 tree live under ::/96, so their walk starts at the node 96
 * left records below the root. `walk` mirrors mmdb-lib's own (Reader.findAddressInTree); a unit
 * test checks both reach the same record at the same depth.
 *
 * A walk visits 24 or more nodes spread over tens of megabytes, so most steps miss the CPU cache
 * (about 1.8 million walks/s, too slow for a million prefixes/s with the rest of the
 * attribution). So one walk over the IPv4 subtree at open (~0.2 s) numbers its leaves (the
 * networks of /24 and larger that hold one record, 4.4 million in DB-IP Lite) and keeps which
 * leaf every /24 is in (16.7 million entries, 64 MB): an IPv4 prefix's leaf is one array read, and
 * a cache per leaf answers it without hashing.
 */
export class SearchTree {
  /** Prefix length at which the last `walk` stopped (mmdb-lib's `getWithPrefixLength`). */
  depth = 0;
  private readonly ipv4StartNode: number;
  /** Record (data pointer, or nodeCount: none) of each IPv4 leaf; leaf 0 stands for every empty one. */
  private readonly leafRecords: number[] = [];
  /** The leaf of `a.b.c.0`, at index `a.b.c`; undefined when the tree has no IPv4 subtree. */
  private readonly ipv4Leaves: Uint32Array | undefined;

  constructor(
    private readonly buffer: Buffer,
    readonly nodeCount: number,
    private readonly recordSize: 24 | 28 | 32,
    readonly ipVersion: 4 | 6,
  ) {
    let node = 0;
    for (let i = 0; ipVersion === 6 && i < 96 && node < nodeCount; i++) node = this.record(node, 0);
    this.ipv4StartNode = node;
    if (node < nodeCount) {
      this.leafRecords.push(nodeCount);
      this.ipv4Leaves = new Uint32Array(1 << 24);
      this.numberIpv4Leaves(node, 0, 0);
    }
  }

  /** How many IPv4 leaves `ipv4Leaf` numbers (0 when the tree has no IPv4 subtree). */
  get ipv4LeafCount(): number {
    return this.leafRecords.length;
  }

  /** The leaf of an IPv4 prefix, when ipv4LeafCount > 0. */
  ipv4Leaf(address: PrefixAddress): number {
    return this.ipv4Leaves![address.high >>> 8]!;
  }

  leafRecord(leaf: number): number {
    return this.leafRecords[leaf]!;
  }

  /** What `walk` returns, through the leaf table for IPv4 prefixes. */
  find(address: PrefixAddress): number {
    return address.family === 4 && this.ipv4Leaves ? this.leafRecords[this.ipv4Leaf(address)]! : this.walk(address);
  }

  /** The data pointer of the address's record (> nodeCount), or a value <= nodeCount when it has none. */
  walk(address: PrefixAddress): number {
    const { nodeCount } = this;
    let node: number;
    let depth = 0;
    if (address.family === 4) {
      node = this.ipv4StartNode;
      for (; depth < 32 && node < nodeCount; depth++) node = this.record(node, (address.high >>> (31 - depth)) & 1);
    } else {
      node = 0;
      for (; depth < 32 && node < nodeCount; depth++) node = this.record(node, (address.high >>> (31 - depth)) & 1);
      for (; depth < 48 && node < nodeCount; depth++) node = this.record(node, (address.low >>> (63 - depth)) & 1);
      for (; depth < 128 && node < nodeCount; depth++) node = this.record(node, 0); // the /48's zero host bits
    }
    this.depth = depth;
    return node;
  }

  /** The left (bit 0) or right (bit 1) record of a node, read straight from the buffer. */
  record(node: number, bit: number): number {
    const b = this.buffer;
    switch (this.recordSize) {
      case 28: {
        // 3 bytes left, one byte whose high nibble tops the left record and low nibble the right, 3 bytes right.
        const o = node * 7;
        return bit === 0
          ? ((b[o + 3]! & 0xf0) << 20) | (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!
          : ((b[o + 3]! & 0x0f) << 24) | (b[o + 4]! << 16) | (b[o + 5]! << 8) | b[o + 6]!;
      }
      case 24: {
        const o = node * 6 + bit * 3;
        return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
      }
      case 32: {
        const o = node * 8 + bit * 4;
        return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
      }
    }
  }

  /** Numbers the leaves under `node` (at `depth`; its first /24 at index `first`) and maps their /24s to them. */
  private numberIpv4Leaves(node: number, depth: number, first: number): void {
    const leaves = this.ipv4Leaves!;
    const { nodeCount } = this;
    if (depth === 24) {
      // A network smaller than /24: the record of its first address, as `walk` reaches it.
      for (; depth < 32 && node < nodeCount; depth++) node = this.record(node, 0);
      leaves[first] = node > nodeCount ? this.leafRecords.push(node) - 1 : 0;
      return;
    }
    const half = 1 << (23 - depth);
    for (let bit = 0; bit < 2; bit++) {
      const child = this.record(node, bit);
      const start = first + bit * half;
      if (child > nodeCount) leaves.fill(this.leafRecords.push(child) - 1, start, start + half);
      else if (child < nodeCount) this.numberIpv4Leaves(child, depth + 1, start);
      // else: empty, leaf 0, as the table starts
    }
  }
}

// ---- One open file ----

interface OpenDatabase {
  file: GeoDatabaseFile;
  locate(prefix: string, address: PrefixAddress): GeoLocation | undefined;
}

const FIX = `fix: point autoscaler.demand.geoDatabaseFiles at GeoLite2/GeoIP2 City or DB-IP City .mmdb files, or remove it to use the shipped DB-IP Lite City database`;

function readDatabaseFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read geo database ${path}: ${(error as Error).message}; ${FIX}`, { cause: error });
  }
}

function openDatabase(path: string, buffer: Buffer): OpenDatabase {
  let reader: Reader<Response>;
  try {
    reader = new Reader<Response>(buffer);
  } catch (error) {
    throw new Error(`geo database ${path} is not a MaxMind DB (MMDB) file (${(error as Error).message}); ${FIX}`, {
      cause: error,
    });
  }
  const { nodeCount, recordSize, ipVersion, searchTreeSize, databaseType, buildEpoch } = reader.metadata;
  if ((ipVersion !== 4 && ipVersion !== 6) || !(nodeCount > 0) || searchTreeSize > buffer.length) {
    throw new Error(
      `geo database ${path} has an invalid MMDB header (ip_version ${ipVersion}, node_count ${nodeCount}); ${FIX}`,
    );
  }
  const tree = new SearchTree(buffer, nodeCount, recordSize as 24 | 28 | 32, ipVersion);
  if (!sampleAddresses(tree, 16).some((address) => geoLocationOf(reader.get(address)))) {
    throw new Error(
      `geo database ${path} (type "${databaseType}") holds no locations: its records carry neither country.iso_code/location (GeoLite2/GeoIP2 City) nor country_code/latitude/longitude (DB-IP City); ${FIX}`,
    );
  }
  // Normalized location per data pointer; null: the record has neither country nor coordinates.
  const locations = new Map<number, GeoLocation | null>();
  const recordLocation = (pointer: number, prefix: string): GeoLocation | null => {
    if (pointer <= nodeCount) return null;
    let location = locations.get(pointer);
    if (location === undefined) {
      // The prefix's first address ("a.b.c.0", "h:h:h::") reaches this very record through mmdb-lib too.
      location = geoLocationOf(reader.get(prefix.slice(0, -3))) ?? null;
      locations.set(pointer, location);
    }
    return location;
  };
  // The same per IPv4 leaf (undefined: not looked up yet), so repeated IPv4 prefixes skip the Map.
  const leafLocations = new Array<GeoLocation | null | undefined>(tree.ipv4LeafCount).fill(undefined);
  return {
    file: { path, databaseType, ipVersion, buildDate: buildEpoch.toISOString(), nodeCount },
    locate(prefix, address) {
      if (address.family === 6) {
        // An IPv4 tree holds no IPv6 address (mmdb-lib would walk the bits through it anyway).
        return ipVersion === 4 ? undefined : (recordLocation(tree.walk(address), prefix) ?? undefined);
      }
      if (leafLocations.length === 0) return recordLocation(tree.walk(address), prefix) ?? undefined;
      const leaf = tree.ipv4Leaf(address);
      let location = leafLocations[leaf];
      if (location === undefined) {
        location = recordLocation(tree.leafRecord(leaf), prefix);
        leafLocations[leaf] = location;
      }
      return location ?? undefined;
    },
  };
}

/** Addresses of the first `limit` records of the tree (depth first, left first), as text for `reader.get`. */
function sampleAddresses(tree: SearchTree, limit: number): string[] {
  const addresses: string[] = [];
  const bits: number[] = [];
  const bitLength = tree.ipVersion === 4 ? 32 : 128;
  let visits = 0;
  const visit = (node: number): void => {
    for (const bit of [0, 1]) {
      if (addresses.length >= limit || ++visits > 100_000) return;
      const next = tree.record(node, bit);
      bits.push(bit);
      if (next > tree.nodeCount) addresses.push(addressText(bits, bitLength));
      else if (next < tree.nodeCount && bits.length < bitLength) visit(next);
      bits.pop();
    }
  };
  visit(0);
  return addresses;
}

function addressText(bits: number[], bitLength: number): string {
  const groupBits = bitLength === 32 ? 8 : 16;
  const groups: number[] = [];
  for (let start = 0; start < bitLength; start += groupBits) {
    let value = 0;
    for (let i = start; i < start + groupBits; i++) value = value * 2 + (bits[i] ?? 0);
    groups.push(value);
  }
  return bitLength === 32 ? groups.join('.') : groups.map((g) => g.toString(16)).join(':');
}
