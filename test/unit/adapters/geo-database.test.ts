import { beforeAll, describe, expect, it } from '@jest/globals';
import { seededRandom } from '../../../simulator/diurnal-trace';
import { Reader, type Response } from 'mmdb-lib';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  geoLocationOf,
  openGeoDatabases,
  PrefixAddress,
  SearchTree,
  type GeoDatabase,
} from '../../../functions/adapters/geo-database';
import { PREFIX_PATTERN } from '../../../functions/domain/edge-agent-contract';
import { SHIPPED_GEO_DATABASE_FILES } from '../../../infra/demand-collection';
import { tinyMmdb } from '../../support/tiny-mmdb';

const [IPV4_FILE, IPV6_FILE] = SHIPPED_GEO_DATABASE_FILES as [string, string];

function randomIpv4Prefixes(count: number, seed: number): string[] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const a = Math.floor(next() * 2 ** 24);
    return `${a >>> 16}.${(a >>> 8) & 255}.${a & 255}.0/24`;
  });
}

/** Random /48s of the global unicast space 2000::/3, where the database has data. */
function randomIpv6Prefixes(count: number, seed: number): string[] {
  const next = seededRandom(seed);
  const group = () => Math.floor(next() * 65536).toString(16);
  return Array.from(
    { length: count },
    () => `${(0x2000 + Math.floor(next() * 0x2000)).toString(16)}:${group()}:${group()}::/48`,
  );
}

/**
 * Random /48s deep in the tree: each bit is random, but the walk mostly keeps to the side that
 * still branches (uniformly random /48s mostly end in short networks, leaving bits 32-47 unchecked).
 */
function descendingIpv6Prefixes(tree: SearchTree, count: number, seed: number): string[] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const groups = [0, 0, 0];
    let node = 0;
    for (let depth = 0; depth < 48; depth++) {
      let bit = next() < 0.5 ? 0 : 1;
      if (node < tree.nodeCount) {
        const branches = (side: number) => tree.record(node, side) < tree.nodeCount;
        if (!branches(bit) && branches(1 - bit) && next() < 0.9) bit = 1 - bit;
        node = tree.record(node, bit);
      }
      groups[depth >> 4]! |= bit << (15 - (depth & 15));
    }
    return `${groups.map((g) => g.toString(16)).join(':')}::/48`;
  });
}

const firstAddress = (prefix: string) => prefix.slice(0, -3);

let ipv4Buffer: Buffer;
let ipv6Buffer: Buffer;
let ipv4Reader: Reader<Response>;
let ipv6Reader: Reader<Response>;
let shipped: GeoDatabase;

beforeAll(() => {
  // The shipped database is ~134 MB: read once for the file.
  ipv4Buffer = readFileSync(IPV4_FILE);
  ipv6Buffer = readFileSync(IPV6_FILE);
  ipv4Reader = new Reader(ipv4Buffer);
  ipv6Reader = new Reader(ipv6Buffer);
  shipped = openGeoDatabases([
    { path: IPV4_FILE, buffer: ipv4Buffer },
    { path: IPV6_FILE, buffer: ipv6Buffer },
  ]);
});

const treeOf = (buffer: Buffer, reader: Reader<Response>) =>
  new SearchTree(
    buffer,
    reader.metadata.nodeCount,
    reader.metadata.recordSize as 24 | 28 | 32,
    reader.metadata.ipVersion as 4 | 6,
  );

describe('SearchTree: the tree walk agrees with mmdb-lib', () => {
  let ipv4Tree: SearchTree;
  beforeAll(() => {
    ipv4Tree = treeOf(ipv4Buffer, ipv4Reader);
  });

  /**
   * For every prefix: both find a record or neither, at the same prefix length, and all prefixes
   * the walk sends to one data pointer get the same record from mmdb-lib.
   */
  function expectSameRecords(tree: SearchTree, reader: Reader<Response>, prefixes: string[]) {
    const address = new PrefixAddress();
    const recordByPointer = new Map<number, unknown>();
    const disagreements: unknown[] = [];
    let found = 0;
    for (const prefix of prefixes) {
      if (!address.parse(prefix)) throw new Error(`test prefix ${prefix} is malformed`);
      const pointer = tree.walk(address);
      const [record, prefixLength] = reader.getWithPrefixLength(firstAddress(prefix));
      if (pointer > tree.nodeCount !== (record !== null) || tree.depth !== prefixLength) {
        disagreements.push({ prefix, pointer, depth: tree.depth, record, prefixLength });
      }
      if (record === null) continue;
      found++;
      const seen = recordByPointer.get(pointer);
      if (seen === undefined) recordByPointer.set(pointer, record);
      else if (JSON.stringify(seen) !== JSON.stringify(record)) disagreements.push({ prefix, record, seen });
    }
    expect(disagreements).toEqual([]);
    return { found, distinctRecords: recordByPointer.size };
  }

  it('on 20,000 random IPv4 /24s of the shipped IPv4 database (28-bit records)', () => {
    const { found, distinctRecords } = expectSameRecords(ipv4Tree, ipv4Reader, randomIpv4Prefixes(20_000, 1));
    expect(found).toBeGreaterThan(10_000); // most of the space is allocated and located
    expect(distinctRecords).toBeLessThan(found); // pointers are shared, so the record check above bites
  });

  it('on 20,000 random IPv6 /48s of the shipped IPv6 database, half of them deep in the tree', () => {
    const tree = treeOf(ipv6Buffer, ipv6Reader);
    expect(expectSameRecords(tree, ipv6Reader, randomIpv6Prefixes(10_000, 2)).found).toBeGreaterThan(100);
    const deep = descendingIpv6Prefixes(tree, 10_000, 6);
    expect(expectSameRecords(tree, ipv6Reader, deep).found).toBeGreaterThan(5_000);
    // Enough of them end below /32 that bits 32-47 are checked, and some below /48 (the zero host bits).
    const depths = deep.map((prefix) => ipv6Reader.getWithPrefixLength(firstAddress(prefix))[1]);
    expect(depths.filter((depth) => depth > 32).length).toBeGreaterThan(1_000);
    expect(depths.filter((depth) => depth > 48).length).toBeGreaterThan(10);
  });

  it('on IPv4 /24s of an IPv6 database, whose IPv4 subtree sits under ::/96 (24- and 32-bit records)', () => {
    for (const recordSize of [24, 32] as const) {
      const buffer = tinyMmdb({
        ipVersion: 6,
        recordSize,
        databaseType: 'GeoLite2-City',
        networks: {
          '81.2.69.0/24': { country: { iso_code: 'GB' } },
          '81.2.70.0/23': { country: { iso_code: 'GB' } },
          '2.125.160.0/19': { country: { iso_code: 'GB' } },
          '89.160.20.112/28': { country: { iso_code: 'SE' } }, // smaller than a /24: its first address is not in it
          '89.160.20.0/28': { country: { iso_code: 'SE' } },
          '2a02:d300::/29': { country: { iso_code: 'SE' } },
          '2001:db8:1:0::/64': { country: { iso_code: 'SE' } }, // smaller than a /48: found on its zero host bits
        },
      });
      const reader = new Reader<Response>(buffer);
      const prefixes = [
        '81.2.69.0/24',
        '81.2.71.0/24',
        '2.125.170.0/24',
        '89.160.20.0/24',
        '8.8.8.0/24',
        '2a02:d300:1::/48',
        '2001:db8:1::/48',
      ];
      expect(expectSameRecords(treeOf(buffer, reader), reader, prefixes).found).toBe(6);
    }
  });

  it('looks IPv4 /24s up in its table with the very record the walk reaches', () => {
    const address = new PrefixAddress();
    const disagreements: unknown[] = [];
    for (const prefix of randomIpv4Prefixes(100_000, 3)) {
      address.parse(prefix);
      const fromTable = ipv4Tree.find(address);
      const fromWalk = ipv4Tree.walk(address);
      if (fromTable !== fromWalk) disagreements.push({ prefix, fromTable, fromWalk });
    }
    expect(disagreements).toEqual([]);
  });
});

describe('openGeoDatabases with the shipped DB-IP Lite City database', () => {
  it('locates a prefix as mmdb-lib does, from the same object for every prefix of one record', () => {
    // Twice over the same prefixes: the first pass decodes records, the second answers from the cache.
    const prefixes = [...randomIpv4Prefixes(10_000, 4), ...randomIpv6Prefixes(2_000, 5)];
    const disagreements: unknown[] = [];
    for (const prefix of [...prefixes, ...prefixes]) {
      const location = shipped.locate(prefix);
      const expected = geoLocationOf((prefix.includes(':') ? ipv6Reader : ipv4Reader).get(firstAddress(prefix)));
      if (JSON.stringify(location) !== JSON.stringify(expected)) disagreements.push({ prefix, location, expected });
    }
    expect(disagreements).toEqual([]);
    // 200.147.0.0/22 is one record (Rio de Janeiro): its /24s share the location object.
    expect(shipped.locate('200.147.1.0/24')).toBe(shipped.locate('200.147.3.0/24'));
  });

  it('normalizes the DB-IP layout (country_code, latitude, longitude)', () => {
    expect(ipv4Reader.get('200.147.0.0')).toMatchObject({ country_code: 'BR', city: 'Rio de Janeiro' });
    const rio = shipped.locate('200.147.0.0/24');
    expect(rio).toEqual({ country: 'BR', latitude: expect.any(Number), longitude: expect.any(Number) });
    expect(rio!.latitude).toBeCloseTo(-22.9, 0);
    expect(rio!.longitude).toBeCloseTo(-43.2, 0);
    expect(Object.isFrozen(rio)).toBe(true);
  });

  it('never looks an IPv6 prefix up in an IPv4 database (mmdb-lib would walk its bits through the IPv4 tree)', () => {
    const ipv4Only = openGeoDatabases([{ path: IPV4_FILE, buffer: ipv4Buffer }]);
    expect(ipv4Reader.get('2800:3f0:4001::')).not.toBeNull(); // a wrong answer, which locate must not give
    expect(ipv4Only.locate('2800:3f0:4001::/48')).toBeUndefined();
    expect(shipped.locate('2800:3f0:4001::/48')).toMatchObject({ country: 'BR' });
  });

  it('describes each file from its metadata', () => {
    expect(shipped.describe()).toEqual([
      {
        path: IPV4_FILE,
        databaseType: 'city ipv4',
        ipVersion: 4,
        buildDate: ipv4Reader.metadata.buildEpoch.toISOString(),
        nodeCount: ipv4Reader.metadata.nodeCount,
      },
      {
        path: IPV6_FILE,
        databaseType: 'city ipv6',
        ipVersion: 6,
        buildDate: ipv6Reader.metadata.buildEpoch.toISOString(),
        nodeCount: ipv6Reader.metadata.nodeCount,
      },
    ]);
    expect(shipped.describe()[0]!.buildDate).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });
});

describe('openGeoDatabases with other databases', () => {
  const directory = mkdtempSync(join(tmpdir(), 'geo-database-test-'));
  const write = (name: string, content: Buffer | string) => {
    const path = join(directory, name);
    writeFileSync(path, content);
    return path;
  };
  const geoLite2City = tinyMmdb({
    ipVersion: 6,
    recordSize: 24,
    databaseType: 'GeoLite2-City',
    buildEpochSeconds: 1_781_000_000,
    networks: {
      '81.2.69.0/24': {
        city: { geoname_id: 2643743, names: { en: 'London' } },
        country: { geoname_id: 2635167, iso_code: 'GB', names: { en: 'United Kingdom' } },
        location: { accuracy_radius: 10, latitude: 51.5142, longitude: -0.0931, time_zone: 'Europe/London' },
        registered_country: { geoname_id: 6252001, iso_code: 'US', names: { en: 'United States' } },
      },
      '2a02:d300::/29': {
        country: { iso_code: 'SE' },
        location: { accuracy_radius: 100, latitude: 59.3247, longitude: 18.056 },
      },
      // Anycast: registered somewhere, located nowhere.
      '1.1.1.0/24': { registered_country: { iso_code: 'AU' } },
    },
  });

  it('normalizes the GeoLite2/GeoIP2 City layout (country.iso_code, location.latitude/longitude), IPv4 and IPv6', () => {
    const geo = openGeoDatabases([write('GeoLite2-City.mmdb', geoLite2City)]);
    expect(geo.locate('81.2.69.0/24')).toEqual({ country: 'GB', latitude: 51.5142, longitude: -0.0931 });
    expect(geo.locate('2a02:d300:5::/48')).toEqual({ country: 'SE', latitude: 59.3247, longitude: 18.056 });
    expect(geo.locate('1.1.1.0/24')).toBeUndefined(); // the registered country is not where the users are
    expect(geo.describe()).toEqual([
      {
        path: join(directory, 'GeoLite2-City.mmdb'),
        databaseType: 'GeoLite2-City',
        ipVersion: 6,
        buildDate: new Date(1_781_000_000_000).toISOString(),
        nodeCount: expect.any(Number),
      },
    ]);
  });

  it('tries the databases in order: the first that locates a prefix answers', () => {
    const geo = openGeoDatabases([
      { path: 'GeoLite2-City.mmdb', buffer: geoLite2City },
      { path: IPV4_FILE, buffer: ipv4Buffer },
    ]);
    expect(geo.locate('81.2.69.0/24')).toEqual({ country: 'GB', latitude: 51.5142, longitude: -0.0931 });
    expect(geo.locate('200.147.0.0/24')).toMatchObject({ country: 'BR' }); // not in the first: the second answers
    expect(geo.locate('1.1.1.0/24')).toMatchObject({ country: 'AU', latitude: expect.any(Number) }); // unlocated in the first
  });

  it('reads 32-bit-record IPv4 databases of the DB-IP layout', () => {
    const geo = openGeoDatabases([
      {
        path: 'dbip-32.mmdb',
        buffer: tinyMmdb({
          ipVersion: 4,
          recordSize: 32,
          databaseType: 'DBIP-City-Lite',
          networks: { '203.0.113.0/24': { city: 'Test', country_code: 'nz', latitude: -36.85, longitude: 174.76 } },
        }),
      },
    ]);
    expect(geo.locate('203.0.113.0/24')).toEqual({ country: 'NZ', latitude: -36.85, longitude: 174.76 });
    expect(geo.locate('203.0.112.0/24')).toBeUndefined();
  });

  it('rejects a file that is not an MMDB, naming the file and the fix', () => {
    const path = write('notes.mmdb', 'these are not the droids you are looking for\n');
    expect(() => openGeoDatabases([path])).toThrow(
      new RegExp(
        `geo database ${path} is not a MaxMind DB \\(MMDB\\) file .*; fix: point autoscaler.demand.geoDatabaseFiles at`,
      ),
    );
  });

  it('rejects a file it cannot read, naming it', () => {
    const path = join(directory, 'missing.mmdb');
    expect(() => openGeoDatabases([path])).toThrow(new RegExp(`cannot read geo database ${path}: .*ENOENT`));
  });

  it('rejects an MMDB without locations (an ASN database), naming the file, its type and the layouts it reads', () => {
    const asn = tinyMmdb({
      ipVersion: 4,
      recordSize: 28,
      databaseType: 'GeoLite2-ASN',
      networks: {
        '1.0.0.0/24': { autonomous_system_number: 13335, autonomous_system_organization: 'CLOUDFLARENET' },
        '8.8.8.0/24': { autonomous_system_number: 15169, autonomous_system_organization: 'GOOGLE' },
      },
    });
    expect(() => openGeoDatabases([{ path: 'GeoLite2-ASN.mmdb', buffer: asn }])).toThrow(
      /geo database GeoLite2-ASN.mmdb \(type "GeoLite2-ASN"\) holds no locations: its records carry neither country.iso_code\/location \(GeoLite2\/GeoIP2 City\) nor country_code\/latitude\/longitude \(DB-IP City\); fix:/,
    );
  });

  it('rejects an empty list', () => {
    expect(() => openGeoDatabases([])).toThrow(/no geo database files given; fix:/);
  });
});

describe('geoLocationOf', () => {
  it('keeps a country without coordinates and coordinates without a country', () => {
    expect(geoLocationOf({ country: { iso_code: 'BR' } })).toEqual({ country: 'BR' });
    expect(geoLocationOf({ location: { latitude: 10, longitude: 20 } })).toEqual({ latitude: 10, longitude: 20 });
    expect(geoLocationOf({ country_code: 'in', latitude: 19, longitude: 73 })).toEqual({
      country: 'IN',
      latitude: 19,
      longitude: 73,
    });
  });

  it('drops what is not a location: out-of-range or missing coordinates, codes that are not two letters', () => {
    expect(geoLocationOf({ country_code: 'ZZZ', latitude: 91, longitude: 0 })).toBeUndefined();
    expect(geoLocationOf({ country_code: 'FR', latitude: 48.9 })).toEqual({ country: 'FR' });
    expect(geoLocationOf({ autonomous_system_number: 13335 })).toBeUndefined();
    expect(geoLocationOf(null)).toBeUndefined();
    expect(geoLocationOf('GB')).toBeUndefined();
  });
});

describe('PrefixAddress', () => {
  it('accepts exactly the prefixes of the counter report contract (PREFIX_PATTERN)', () => {
    const texts = [
      '0.0.0.0/24',
      '1.2.3.0/24',
      '255.255.255.0/24',
      '256.0.0.0/24',
      '1.2.3.4/24',
      '01.2.3.0/24',
      '1.2.0/24',
      '1.2.3.0.0/24',
      '1..3.0/24',
      '1.2.3.0/16',
      '2001:db8:1::/48',
      '0:0:0::/48',
      'ffff:ffff:ffff::/48',
      '2001:DB8:1::/48',
      '2001:0db8:1::/48',
      '2001:db8::/48',
      '1:2:3:4::/48',
      '12345:1:2::/48',
      ':1:2::/48',
      'x',
      '',
    ];
    const address = new PrefixAddress();
    for (const text of texts)
      expect({ text, accepted: address.parse(text) }).toEqual({ text, accepted: PREFIX_PATTERN.test(text) });
  });

  it('reads the numeric address', () => {
    const address = new PrefixAddress();
    address.parse('200.147.3.0/24');
    expect(address).toMatchObject({ family: 4, high: ((200 * 256 + 147) * 256 + 3) * 256 });
    address.parse('2800:3f0:4001::/48');
    expect(address).toMatchObject({ family: 6, high: 0x280003f0, low: 0x40010000 });
  });
});
