import { beforeAll, describe, expect, it } from '@jest/globals';
import { openGeoDatabases, type GeoDatabase } from '../../../functions/adapters/geo-database';
import {
  attributeDemand,
  attributionRules,
  greatCircleKm,
  nearestRegion,
  type AttributionRules,
  type GeoLocation,
} from '../../../functions/domain/demand-attribution';
import { exampleConfig } from '../../support/config-fixtures';
import { SHIPPED_GEO_DATABASE_FILES } from '../../../infra/demand-collection';

// cdk.json approves us-east-1, eu-west-1 (always on), ap-southeast-1, ap-northeast-1, sa-east-1, ap-south-1.
const defaultRules = attributionRules(exampleConfig());
const withUsWest2 = attributionRules(exampleConfig((raw) => raw.regions.elastic.push('us-west-2')));

let geo: GeoDatabase;
const locate = (prefix: string) => geo.locate(prefix);

beforeAll(() => {
  geo = openGeoDatabases(SHIPPED_GEO_DATABASE_FILES); // ~134 MB: once for the file
});

describe('greatCircleKm', () => {
  const london = { latitude: 51.5074, longitude: -0.1278 };
  const newYork = { latitude: 40.7128, longitude: -74.006 };

  it('measures London-New York at about 5,570 km, either way round', () => {
    expect(greatCircleKm(london, newYork)).toBeCloseTo(5570, -1);
    expect(greatCircleKm(newYork, london)).toBeCloseTo(greatCircleKm(london, newYork), 9);
  });

  it('is 0 from a point to itself and half the circumference to its antipode', () => {
    expect(greatCircleKm(london, london)).toBe(0);
    expect(greatCircleKm({ latitude: 0, longitude: 0 }, { latitude: 0, longitude: 180 })).toBeCloseTo(20_015, -1);
  });

  it('crosses the antimeridian the short way (179°E to 179°W on the equator is 2°, about 222 km)', () => {
    expect(greatCircleKm({ latitude: 0, longitude: 179 }, { latitude: 0, longitude: -179 })).toBeCloseTo(222.4, 0);
  });
});

describe('attribution with the shipped DB-IP Lite City database and the config of cdk.json', () => {
  // Located with the shipped database when this table was written (city, country per DB-IP).
  const known: [prefix: string, place: string, region: string][] = [
    ['200.147.0.0/24', 'Rio de Janeiro, BR', 'sa-east-1'],
    ['177.72.0.0/24', 'Fortaleza, BR', 'sa-east-1'],
    ['98.138.0.0/24', 'New York, US', 'us-east-1'],
    ['71.175.0.0/24', 'Philadelphia, US', 'us-east-1'],
    ['8.8.8.0/24', 'Mountain View, US (the only US region is us-east-1)', 'us-east-1'],
    ['14.139.0.0/24', 'New Delhi, IN', 'ap-south-1'],
    ['117.196.0.0/24', 'Bengaluru, IN', 'ap-south-1'],
    ['81.2.69.0/24', 'London, GB', 'eu-west-1'],
    ['217.0.0.0/24', 'Frankfurt am Main, DE', 'eu-west-1'],
    ['80.67.0.0/24', 'Stockholm, SE', 'eu-west-1'],
    ['133.0.0.0/24', 'Tokyo, JP', 'ap-northeast-1'],
    ['175.45.176.0/24', 'Pyongyang, KP', 'ap-northeast-1'],
    ['203.116.0.0/24', 'Singapore, SG', 'ap-southeast-1'],
    ['1.1.1.0/24', 'Sydney, AU (Singapore 6,306 km, Tokyo 7,826 km)', 'ap-southeast-1'],
    ['41.0.0.0/24', 'Midrand, ZA (Mumbai 6,961 km, São Paulo 7,443 km)', 'ap-south-1'],
    ['2800:3f0:4001::/48', 'São Paulo, BR', 'sa-east-1'],
    ['2001:200:0::/48', 'Fujisawa, JP', 'ap-northeast-1'],
    ['2a00:1450:4001::/48', 'Frankfurt am Main, DE', 'eu-west-1'],
    ['2404:6800:4003::/48', 'Singapore, SG', 'ap-southeast-1'],
    ['2600:1f18:0::/48', 'Ashburn, US', 'us-east-1'],
    ['2c0f:fb50:4002::/48', 'Nairobi, KE', 'ap-south-1'],
  ];

  it.each(known)('%s (%s) -> %s', (prefix, _place, region) => {
    const location = geo.locate(prefix);
    expect(location).toBeDefined();
    expect(nearestRegion(location!, defaultRules)).toBe(region);
  });

  it('sends the US west coast to us-west-2 and the east coast to us-east-1 once both are approved: coordinates beat the country', () => {
    const demand = attributeDemand(
      [
        ['8.8.8.0/24', 10], // Mountain View
        ['13.52.0.0/24', 20], // San Jose
        ['2400:cb00:0::/48', 40], // San Francisco
        ['98.138.0.0/24', 100], // New York
        ['2600:1f18:0::/48', 200], // Ashburn
      ],
      locate,
      withUsWest2,
    );
    expect(demand.usersByRegion['us-west-2']).toBe(70);
    expect(demand.usersByRegion['us-east-1']).toBe(300);
  });

  it('lets a country override beat distance, for IPv4 and IPv6 alike, and moves only that country', () => {
    const rules = attributionRules(exampleConfig((raw) => (raw.demand = { countryRegions: { BR: 'us-east-1' } })));
    const demand = attributeDemand(
      [
        ['200.147.0.0/24', 5], // Rio de Janeiro
        ['2800:3f0:4001::/48', 7], // São Paulo
        ['81.2.69.0/24', 11], // London
      ],
      locate,
      rules,
    );
    expect(demand.usersByRegion).toEqual({
      'us-east-1': 12,
      'eu-west-1': 11,
      'ap-southeast-1': 0,
      'ap-northeast-1': 0,
      'sa-east-1': 0,
      'ap-south-1': 0,
    });
  });

  it('counts prefixes the database cannot locate as unattributed (private, loopback, documentation, link-local, malformed)', () => {
    const unlocatable = [
      '10.0.0.0/24',
      '127.0.0.0/24',
      '192.168.1.0/24',
      '192.0.2.0/24',
      '2001:db8:0::/48',
      'fe80:0:0::/48',
      'not-a-prefix',
    ];
    for (const prefix of unlocatable) expect(geo.locate(prefix)).toBeUndefined();
    const demand = attributeDemand(
      [...unlocatable.map((prefix): [string, number] => [prefix, 3]), ['133.0.0.0/24', 50]],
      locate,
      defaultRules,
    );
    expect(demand).toEqual({
      usersByRegion: {
        'us-east-1': 0,
        'eu-west-1': 0,
        'ap-southeast-1': 0,
        'ap-northeast-1': 50,
        'sa-east-1': 0,
        'ap-south-1': 0,
      },
      unattributedUsers: 21,
      unattributedPrefixes: 7,
      attributedPrefixes: 1,
    });
  });

  it('reports every approved region, in config order, with 0 when none of its users were seen', () => {
    const demand = attributeDemand([], locate, defaultRules);
    expect(Object.entries(demand.usersByRegion)).toEqual(defaultRules.regions.map((region) => [region, 0]));
    expect(demand).toMatchObject({ unattributedUsers: 0, unattributedPrefixes: 0, attributedPrefixes: 0 });
  });

  it('sums the users of every prefix of a region (a report of many prefixes, with the total kept)', () => {
    const counts = new Map<string, number>();
    for (let c = 0; c < 200; c++) counts.set(`200.147.${c}.0/24`, c + 1); // Brazil
    for (let c = 0; c < 100; c++) counts.set(`14.139.${c}.0/24`, 2); // India
    const demand = attributeDemand(counts, locate, defaultRules);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    expect(Object.values(demand.usersByRegion).reduce((a, b) => a + b, 0) + demand.unattributedUsers).toBe(total);
    expect(demand.usersByRegion['sa-east-1']! + demand.usersByRegion['ap-south-1']!).toBe(
      total - demand.unattributedUsers,
    );
    expect(demand.attributedPrefixes + demand.unattributedPrefixes).toBe(300);
  });
});

describe('nearestRegion', () => {
  it('uses the country override when the location has no coordinates, and gives up when it has neither', () => {
    const rules: AttributionRules = { regions: ['us-east-1', 'sa-east-1'], countryRegions: { BR: 'sa-east-1' } };
    expect(nearestRegion({ country: 'BR' }, rules)).toBe('sa-east-1');
    expect(nearestRegion({ country: 'AR' }, rules)).toBeUndefined();
    expect(nearestRegion({}, rules)).toBeUndefined();
    expect(nearestRegion({ latitude: Number.NaN, longitude: 0 }, rules)).toBeUndefined();
  });

  it('picks the nearest approved region only: with eu-west-1 alone approved in Europe, Frankfurt goes to Dublin', () => {
    expect(nearestRegion({ country: 'DE', latitude: 50.11, longitude: 8.68 }, defaultRules)).toBe('eu-west-1');
    const withFrankfurt = attributionRules(exampleConfig((raw) => raw.regions.elastic.push('eu-central-1')));
    expect(nearestRegion({ country: 'DE', latitude: 50.11, longitude: 8.68 }, withFrankfurt)).toBe('eu-central-1');
  });

  it('rejects hand-built rules whose override names a region that is not approved, naming it and the fix', () => {
    const rules: AttributionRules = { regions: ['us-east-1'], countryRegions: { BR: 'sa-east-1' } };
    expect(() => nearestRegion({ country: 'BR' }, rules)).toThrow(
      /countryRegions sends BR to sa-east-1, which is not an approved region \(us-east-1\); fix: name an approved region/,
    );
  });

  it('rejects a region without a known location, naming the table to extend', () => {
    const rules: AttributionRules = { regions: ['us-east-1', 'xx-mars-1'], countryRegions: {} };
    expect(() => nearestRegion({ latitude: 0, longitude: 0 }, rules)).toThrow(
      /region xx-mars-1 has no location; fix: add it to REGION_LOCATIONS/,
    );
  });
});

describe('memoization', () => {
  it('runs the distance search once per distinct location object, not once per prefix', () => {
    let coordinateReads = 0;
    const singapore: GeoLocation = {
      get latitude() {
        coordinateReads++;
        return 1.35;
      },
      longitude: 103.82,
    };
    const demand = attributeDemand(
      Array.from({ length: 1000 }, (_, i): [string, number] => [`203.116.${i % 256}.0/24`, 1]),
      () => singapore,
      defaultRules,
    );
    expect(demand.usersByRegion['ap-southeast-1']).toBe(1000);
    expect(coordinateReads).toBe(1);
  });

  it('gives the same rules object for the same configuration, so a warm Lambda keeps its memo', () => {
    const config = exampleConfig();
    expect(attributionRules(config)).toBe(attributionRules(config));
    expect(Object.isFrozen(attributionRules(config).regions)).toBe(true);
  });
});
