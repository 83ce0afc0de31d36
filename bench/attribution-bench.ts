/**
 * attributionPrefixesPerSecond: the collector Lambda's attribution (locate each prefix in the
 * shipped DB-IP Lite City database, pick its approved region, sum the users) with the rules of
 * cdk.json's configuration, over one collection of 1,500,000 prefixes: random IPv4 /24s from the
 * whole address space and, one in twenty, random IPv6 /48s of the global unicast space 2000::/3.
 *
 * Measured in a warm Lambda: the database is loaded and the same clients were attributed once
 * before (the previous period), so JIT and the per-record caches are warm, as they are from the
 * second collection of a container on. The first collection after a cold start also decodes every
 * record it meets (about 10 µs each through mmdb-lib) and is slower; it is not what this figure is.
 */
import { seededRandom } from '../simulator/diurnal-trace';
import { fileURLToPath } from 'node:url';
import { openGeoDatabases } from '../functions/adapters/geo-database';
import { parseConfig } from '../functions/domain/config';
import { attributeDemand, attributionRules } from '../functions/domain/demand-attribution';
import { readCdkJsonContext } from '../infra/config-source';
import { SHIPPED_GEO_DATABASE_FILES } from '../infra/demand-collection';

/** The merged counts of one collection, as the collector holds them: prefixes parsed from the counters' JSON. */
function collection(prefixCount: number, seed: number): Map<string, number> {
  const next = seededRandom(seed);
  const report: Record<string, number> = {};
  const group = () => Math.floor(next() * 65536).toString(16);
  for (let i = 0; i < prefixCount; i++) {
    const users = 1 + Math.floor(next() * 20);
    if (i % 20 === 19) {
      report[`${(0x2000 + Math.floor(next() * 0x2000)).toString(16)}:${group()}:${group()}::/48`] = users;
    } else {
      const a = Math.floor(next() * 2 ** 24);
      report[`${a >>> 16}.${(a >>> 8) & 255}.${a & 255}.0/24`] = users;
    }
  }
  return new Map(Object.entries(JSON.parse(JSON.stringify(report)) as Record<string, number>));
}

export async function measureAttribution(prefixCount = 1_500_000): Promise<{ attributionPrefixesPerSecond: number }> {
  const config = parseConfig(readCdkJsonContext(fileURLToPath(new URL('..', import.meta.url))), 'cdk.json');
  const geo = openGeoDatabases(SHIPPED_GEO_DATABASE_FILES);
  const locate = (prefix: string) => geo.locate(prefix);
  const counts = collection(prefixCount, 1);
  attributeDemand(counts, locate, attributionRules(config)); // the previous period
  // The median of three collections: a neighbour's burst on a shared machine moves one, not the figure.
  const seconds: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    attributeDemand(counts, locate, attributionRules(config));
    seconds.push((performance.now() - start) / 1000);
  }
  seconds.sort((a, b) => a - b);
  return { attributionPrefixesPerSecond: Math.round(counts.size / seconds[1]!) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  measureAttribution().then((figures) => console.log(JSON.stringify(figures)));
}
