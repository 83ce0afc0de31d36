/**
 * Attribution: which approved region the users of each client prefix belong to. A prefix is
 * located (by the geo database adapter), then sent to the region its country is overridden to, or
 * else to the approved region nearest to its coordinates by great-circle distance. Coordinates
 * beat country centroids: the United States spans several regions. Prefixes that cannot be
 * located are counted apart (published as UnattributedUsers), never dropped.
 *
 * Pure and fast: the distance loop runs once per distinct location object, not once per prefix
 * (a collection attributes up to a million prefixes).
 */
import { approvedRegions, type AutoscalerConfig } from './config';
import { REGION_LOCATIONS, type RegionLocation } from './region-locations';

/** Where a client prefix is, as far as the database knows: a country (ISO 3166-1 alpha-2) and/or coordinates. */
export interface GeoLocation {
  country?: string;
  latitude?: number;
  longitude?: number;
}

export interface Coordinates {
  latitude: number;
  longitude: number;
}

/**
 * The approved regions (in config order: it breaks distance ties) and the per-country overrides.
 * Treated as immutable: what is derived from it is memoized per rules object.
 */
export interface AttributionRules {
  readonly regions: readonly string[];
  readonly countryRegions: Readonly<Record<string, string>>;
}

export interface AttributedDemand {
  /** Users per approved region; every approved region is present, 0 when none of its users were seen. */
  usersByRegion: Record<string, number>;
  unattributedUsers: number;
  unattributedPrefixes: number;
  attributedPrefixes: number;
}

/** Mean Earth radius (IUGG). */
const EARTH_RADIUS_KM = 6371.0088;
const RADIANS = Math.PI / 180;

/** Great-circle distance in kilometres (haversine formula). */
export function greatCircleKm(a: Coordinates, b: Coordinates): number {
  const dLat = (b.latitude - a.latitude) * RADIANS;
  const dLon = (b.longitude - a.longitude) * RADIANS;
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * RADIANS) * Math.cos(b.latitude * RADIANS) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

const rulesByConfig = new WeakMap<AutoscalerConfig, AttributionRules>();

/**
 * The rules of a (validated, unchanging) configuration; the same object for the same
 * configuration, so a warm Lambda keeps the nearest regions it memoized in earlier collections.
 */
export function attributionRules(config: AutoscalerConfig): AttributionRules {
  let rules = rulesByConfig.get(config);
  if (!rules) {
    rules = Object.freeze({
      regions: Object.freeze(approvedRegions(config)),
      countryRegions: Object.freeze({ ...config.demand.countryRegions }),
    });
    rulesByConfig.set(config, rules);
  }
  return rules;
}

/** The approved region a location's users belong to; undefined when it has neither an overridden country nor coordinates. */
export function nearestRegion(location: GeoLocation, rules: AttributionRules): string | undefined {
  return rules.regions[regionIndexOf(location, derivedRules(rules))];
}

/**
 * Sums the users of every prefix into its region. `locate` must return the same object for the
 * same database record (the geo database adapter does): the region is memoized per object.
 */
export function attributeDemand(
  prefixCounts: Iterable<readonly [prefix: string, users: number]>,
  locate: (prefix: string) => GeoLocation | undefined,
  rules: AttributionRules,
): AttributedDemand {
  const derived = derivedRules(rules);
  const users = new Float64Array(rules.regions.length);
  let unattributedUsers = 0;
  let unattributedPrefixes = 0;
  let attributedPrefixes = 0;
  for (const [prefix, count] of prefixCounts) {
    const location = locate(prefix);
    const index = location === undefined ? UNATTRIBUTED : regionIndexOf(location, derived);
    if (index === UNATTRIBUTED) {
      unattributedUsers += count;
      unattributedPrefixes++;
    } else {
      users[index]! += count;
      attributedPrefixes++;
    }
  }
  const usersByRegion: Record<string, number> = {};
  rules.regions.forEach((region, i) => (usersByRegion[region] = users[i]!));
  return { usersByRegion, unattributedUsers, unattributedPrefixes, attributedPrefixes };
}

// ---- Derived once per rules object ----

const UNATTRIBUTED = -1;

interface DerivedRules {
  locations: RegionLocation[];
  countryIndex: Map<string, number>;
  /** Index into rules.regions per location object already seen, or UNATTRIBUTED. */
  regionIndexByLocation: WeakMap<GeoLocation, number>;
}

const derivedByRules = new WeakMap<AttributionRules, DerivedRules>();

function derivedRules(rules: AttributionRules): DerivedRules {
  let derived = derivedByRules.get(rules);
  if (derived) return derived;
  const locations = rules.regions.map((region) => {
    const location = (REGION_LOCATIONS as Readonly<Record<string, RegionLocation>>)[region];
    if (!location) {
      throw new Error(
        `region ${region} has no location; fix: add it to REGION_LOCATIONS in functions/domain/region-locations.ts`,
      );
    }
    return location;
  });
  const countryIndex = new Map<string, number>();
  for (const [country, region] of Object.entries(rules.countryRegions)) {
    const index = rules.regions.indexOf(region);
    if (index < 0) {
      throw new Error(
        `countryRegions sends ${country} to ${region}, which is not an approved region (${rules.regions.join(', ')}); fix: name an approved region`,
      );
    }
    countryIndex.set(country, index);
  }
  derived = { locations, countryIndex, regionIndexByLocation: new WeakMap() };
  derivedByRules.set(rules, derived);
  return derived;
}

function regionIndexOf(location: GeoLocation, derived: DerivedRules): number {
  let index = derived.regionIndexByLocation.get(location);
  if (index === undefined) {
    index = computeRegionIndex(location, derived);
    derived.regionIndexByLocation.set(location, index);
  }
  return index;
}

function computeRegionIndex(location: GeoLocation, derived: DerivedRules): number {
  const override = location.country === undefined ? undefined : derived.countryIndex.get(location.country);
  if (override !== undefined) return override;
  const { latitude, longitude } = location;
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return UNATTRIBUTED;
  const point = { latitude: latitude!, longitude: longitude! };
  let nearest = UNATTRIBUTED;
  let nearestKm = Infinity;
  derived.locations.forEach((regionLocation, i) => {
    const km = greatCircleKm(point, regionLocation);
    // Strictly nearer only: on a tie the region listed first in the config wins.
    if (km < nearestKm) {
      nearest = i;
      nearestKm = km;
    }
  });
  return nearest;
}
