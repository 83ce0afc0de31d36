/**
 * Simulator benchmark: 30 days of 1-minute demand for 20 regions (864,000 rows), generated here,
 * written to a temporary CSV, then timed twice: read + parse only, and read + parse + simulate
 * (the default configuration: predictive pre-warm and demand-ranked slots on).
 * Targets (issue 6): simulateSeconds <= 2, simulateVsParse <= 3.
 *
 * And the built-in 7-day diurnal trace (builtInDiurnalTrace: 2 always-on + 4 elastic regions of
 * the example cdk.json, at most 2 elastic at once) through the example configuration, against the
 * simulator's perfect-foresight oracle (issue 13): diurnalFarVsOracle <= 1.05 and
 * diurnalCostVsOracle <= 1.10; the same ratios for the policy without predictive pre-warm and
 * demand-ranked slots (against the example configuration's oracle: what the features win), and
 * for each warm setting recommended (against the oracle of that setting).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, type AutoscalerConfig } from '../functions/domain/config';
import { builtInDiurnalTrace, generateDiurnalTrace, traceToCsv, worldRegions } from '../simulator/diurnal-trace';
import { simulate } from '../simulator/simulate';
import { parseTrace } from '../simulator/trace';
import { compareWarmSettings, type WarmSetting } from '../simulator/warm-comparison';

const REGIONS = 20;
const ALWAYS_ON = 3;
const DAYS = 30;
const RUNS = 5;

/** 3 always-on and 17 elastic regions, at most 6 elastic regions at once. */
export function benchConfig(): AutoscalerConfig {
  const regions = worldRegions(REGIONS, 2000).map((r) => r.region);
  return parseConfig(
    {
      prefix: 'edgebench',
      homeRegion: 'us-east-1',
      regions: { alwaysOn: regions.slice(0, ALWAYS_ON), elastic: regions.slice(ALWAYS_ON) },
      dns: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', recordName: 'edge.cdn.example.com', ttlSeconds: 60 },
      scaling: {
        thresholds: {
          periodSeconds: 60,
          scaleUp: { users: 500, datapointsToAlarm: 3, evaluationPeriods: 5 },
          scaleDown: { users: 150, datapointsToAlarm: 15, evaluationPeriods: 15 },
        },
        cooldownSeconds: 1800,
        minActiveSeconds: 3600,
        maxElasticActive: 6,
        drainSeconds: 300,
        reconcileIntervalMinutes: 5,
      },
      cluster: { kubernetesVersion: '1.35', instanceTypes: ['t3.medium'], nodes: { min: 2, desired: 2, max: 4 } },
      edge: { originUrl: 'https://origin.example.com' },
    },
    'simulate benchmark',
  );
}

/** The benchmark's trace as CSV: diurnal demand with noise and a few publisher gaps. */
export function benchTraceCsv(): string {
  const regions = worldRegions(REGIONS, 2000);
  return traceToCsv(
    generateDiurnalTrace({
      start: '2026-03-01T00:00:00Z',
      days: DAYS,
      regions,
      noise: 0.15,
      seed: 42,
      gaps: [
        { region: regions[5]!.region, from: '2026-03-04T10:00:00Z', minutes: 90 },
        { region: regions[9]!.region, from: '2026-03-12T02:30:00Z', minutes: 45 },
        { region: regions[14]!.region, from: '2026-03-20T18:00:00Z', minutes: 240 },
      ],
    }),
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function measureSimulate(): Promise<{
  simulateSeconds: number;
  parseSeconds: number;
  simulateVsParse: number;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'simulate-bench-'));
  try {
    const path = join(dir, 'trace.csv');
    writeFileSync(path, benchTraceCsv());
    const config = benchConfig();
    const parseTimes: number[] = [];
    const simulateTimes: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      let start = performance.now();
      parseTrace(readFileSync(path, 'utf8'), path);
      parseTimes.push((performance.now() - start) / 1000);

      start = performance.now();
      simulate(config, parseTrace(readFileSync(path, 'utf8'), path));
      simulateTimes.push((performance.now() - start) / 1000);
    }
    const parseSeconds = median(parseTimes);
    const simulateSeconds = median(simulateTimes);
    return {
      simulateSeconds: Math.round(simulateSeconds * 1000) / 1000,
      parseSeconds: Math.round(parseSeconds * 1000) / 1000,
      simulateVsParse: Math.round((simulateSeconds / parseSeconds) * 100) / 100,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The example configuration, as cdk.json has it now. */
function exampleConfig(): AutoscalerConfig {
  const cdkJson = fileURLToPath(new URL('../cdk.json', import.meta.url));
  return parseConfig(JSON.parse(readFileSync(cdkJson, 'utf8')).context.autoscaler, 'cdk.json context "autoscaler"');
}

/** The warm settings this project recommends for the example configuration, by bench key suffix. */
export const RECOMMENDED_WARM_SETTINGS: Record<string, WarmSetting> = {
  WarmNone: { label: 'none', regions: [], keepHours: 1 },
  WarmApSouth1: { label: 'ap-south-1, keep 1 h', regions: ['ap-south-1'], keepHours: 1 },
};

const ratio = (part: number, whole: number) => Math.round((part / whole) * 1000) / 1000;

export function measureDiurnal(): Record<string, number> {
  const trace = builtInDiurnalTrace();
  const config = exampleConfig();
  const { totals, baselines } = simulate(config, trace).report;
  const without = simulate(
    { ...config, forecast: { ...config.forecast, mode: 'off' }, scaling: { ...config.scaling, preemptRatio: 0 } },
    trace,
  ).report.totals;
  const figures: Record<string, number> = {
    diurnalFarVsOracle: ratio(totals.farUserMinutes, baselines.oracle.farUserMinutes),
    diurnalCostVsOracle: ratio(totals.costUsd, baselines.oracle.costUsd),
    diurnalFarVsOracleWithoutFeatures: ratio(without.farUserMinutes, baselines.oracle.farUserMinutes),
    diurnalCostVsOracleWithoutFeatures: ratio(without.costUsd, baselines.oracle.costUsd),
  };
  const settings = Object.entries(RECOMMENDED_WARM_SETTINGS);
  const rows = compareWarmSettings(
    config,
    trace,
    {},
    settings.map(([, setting]) => setting),
  );
  for (const [key, setting] of settings) {
    const row = rows.find((r) => r.setting.regions.join() === setting.regions.join())!;
    figures[`diurnalFarVsOracle${key}`] = row.farVsOracle;
    figures[`diurnalCostVsOracle${key}`] = row.costVsOracle;
  }
  return figures;
}
