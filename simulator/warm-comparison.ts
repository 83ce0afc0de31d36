/**
 * Choosing warm settings: the same trace simulated under several warm tiers (which elastic regions
 * are warm, and for how long after a scale-down), each against its own oracle and against the run
 * without a warm tier. `regionctl simulate --compare-warm` prints it; the benchmark uses it for its
 * per-setting figures.
 *
 * A warm region costs warmPrice per hour while WARM (pricing.ts) and serves warmScaleUpSeconds
 * after its scale-up instead of scaleUpSeconds. It pays off when its demand comes back within
 * keepHours of a scale-down, or when it waits for an elastic slot (a pre-warm warms it up, and it
 * serves minutes after a slot frees); it is money spent when its demand comes back only the next
 * day (the forecast starts a cold scale-up in time then).
 */
import type { AutoscalerConfig } from '../functions/domain/config';
import { simulate, type SimulationOptions, type Totals } from './simulate';
import type { DemandTrace } from './trace';

export interface WarmSetting {
  /** e.g. "none", "ap-south-1, keep 1 h", "all elastic, keep 6 h". */
  label: string;
  regions: string[];
  keepHours: number;
}

export interface WarmComparisonRow {
  setting: WarmSetting;
  totals: Totals;
  oracle: Totals;
  /** Far user-minutes and cost over those of the same setting's oracle (the benchmark's ratios). */
  farVsOracle: number;
  costVsOracle: number;
  /** Relative change against the run without a warm tier (-0.05: 5 % fewer). */
  farChange: number;
  costChange: number;
}

/** The settings worth comparing: none, each elastic region alone, all of them; keeping 1 h and the configured keepHours. */
export function warmCandidates(config: AutoscalerConfig): WarmSetting[] {
  const keeps = [...new Set([1, config.warm.keepHours])].sort((a, b) => a - b);
  const elastic = config.regions.elastic;
  const groups: Array<{ name: string; regions: string[] }> = elastic.map((r) => ({ name: r, regions: [r] }));
  if (elastic.length > 1) groups.push({ name: 'all elastic', regions: [...elastic] });
  const settings: WarmSetting[] = [{ label: 'none', regions: [], keepHours: config.warm.keepHours }];
  for (const group of groups) {
    for (const keepHours of keeps)
      settings.push({ label: `${group.name}, keep ${keepHours} h`, regions: group.regions, keepHours });
  }
  return settings;
}

/** The configuration with another warm tier (regions must be elastic; the cost cap and nodeWarmPool stay). */
export function withWarm(
  config: AutoscalerConfig,
  setting: Pick<WarmSetting, 'regions' | 'keepHours'>,
): AutoscalerConfig {
  const notElastic = setting.regions.filter((r) => !config.regions.elastic.includes(r));
  if (notElastic.length) {
    throw new Error(
      `warm regions ${notElastic.join(', ')}: not in regions.elastic; fix: name elastic regions (${config.regions.elastic.join(', ')})`,
    );
  }
  return { ...config, warm: { ...config.warm, regions: [...setting.regions], keepHours: setting.keepHours } };
}

/** Simulates `trace` under each setting (default: warmCandidates); the first row is always "none". */
export function compareWarmSettings(
  config: AutoscalerConfig,
  trace: DemandTrace,
  options: SimulationOptions = {},
  settings: WarmSetting[] = warmCandidates(config),
): WarmComparisonRow[] {
  const none: WarmSetting = { label: 'none', regions: [], keepHours: config.warm.keepHours };
  const all = [none, ...settings.filter((s) => s.regions.length > 0)];
  let baseline: Totals | undefined;
  return all.map((setting) => {
    const { totals, baselines } = simulate(withWarm(config, setting), trace, options).report;
    baseline ??= totals;
    return {
      setting,
      totals,
      oracle: baselines.oracle,
      farVsOracle: ratio(totals.farUserMinutes, baselines.oracle.farUserMinutes),
      costVsOracle: ratio(totals.costUsd, baselines.oracle.costUsd),
      farChange: ratio(totals.farUserMinutes, baseline.farUserMinutes) - 1,
      costChange: ratio(totals.costUsd, baseline.costUsd) - 1,
    };
  });
}

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const signed = (change: number) => `${change >= 0 ? '+' : ''}${(100 * change).toFixed(1)} %`;

/** The comparison as a table, with how to read it. */
export function formatWarmComparison(rows: WarmComparisonRow[]): string {
  const widths = [34, 10, 9, 14, 9, 9, 10, 10];
  const pad = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const lines = [
    'Warm settings compared (same trace, same configuration otherwise):',
    pad(['warm regions', 'cost USD', 'warm h', 'far user-min', 'far/orc', 'cost/orc', 'far', 'cost']),
  ];
  for (const r of rows) {
    lines.push(
      pad([
        r.setting.label,
        number.format(r.totals.costUsd),
        number.format(r.totals.warmHours ?? 0),
        number.format(r.totals.farUserMinutes),
        r.farVsOracle.toFixed(3),
        r.costVsOracle.toFixed(3),
        r.setting.regions.length ? signed(r.farChange) : '',
        r.setting.regions.length ? signed(r.costChange) : '',
      ]),
    );
  }
  lines.push(
    '',
    'far/orc, cost/orc: over the oracle of the same setting (perfect foresight, same rules). far, cost: change against',
    'no warm region. Choose the cheapest setting whose far user-minutes you accept: a warm region pays off when its',
    'demand comes back within keepHours, or when it often waits for an elastic slot (it then serves minutes after one',
    'frees); set it with warm.regions and warm.keepHours.',
  );
  return lines.join('\n');
}

function ratio(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 1000) / 1000 : part > 0 ? Infinity : 1;
}
