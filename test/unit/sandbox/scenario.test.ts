import { describe, expect, it } from '@jest/globals';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  builtInScenario,
  builtInStartMs,
  placeBeforeNow,
  readScenarioFile,
  REAL_CLOCK_MARGIN_MS,
  scenarioEndMs,
} from '../../../sandbox/scenario';
import { simulate } from '../../../simulator/simulate';
import { TraceError } from '../../../simulator/trace';
import { exampleConfig } from '../../support/config-fixtures';

const config = exampleConfig();
const NOW = Date.parse('2026-11-21T21:45:00Z');

describe('the built-in scenario', () => {
  const scenario = builtInScenario(config, 24, builtInStartMs(NOW, 24));
  const run = simulate(config, scenario.trace);
  const events = (action: string) => run.report.events.filter((e) => e.action === action);

  it('is one day of 1-minute demand for every approved region, starting at a UTC midnight before now', () => {
    expect(scenario.trace.startMs).toBe(Date.parse('2026-11-20T00:00:00Z'));
    expect(scenarioEndMs(scenario.trace) + REAL_CLOCK_MARGIN_MS).toBeLessThanOrEqual(NOW);
    expect(scenario.trace.stepSeconds).toBe(60);
    expect(scenario.trace.periods).toBe(1440);
    expect([...scenario.trace.regions].sort()).toEqual([...config.regions.alwaysOn, ...config.regions.elastic].sort());
  });

  it('scales at least two elastic regions up and down again, as the simulator plays it', () => {
    const up = new Set(events('scale-up-start').map((e) => e.region));
    const down = new Set(events('scale-down-start').map((e) => e.region));
    expect(up.size).toBeGreaterThanOrEqual(2);
    expect([...up].filter((r) => down.has(r)).length).toBeGreaterThanOrEqual(2);
  });

  it('makes the maximum of elastic regions refuse a scale-up', () => {
    expect(events('rejected').some((e) => e.reason.includes('max elastic'))).toBe(true);
  });

  it('has a 20-minute publisher gap in a serving region that scales nothing down', () => {
    const [gap] = scenario.gaps;
    expect(gap).toMatchObject({ region: config.regions.elastic[0], minutes: 20 });
    const values = scenario.trace.users.get(gap!.region)!;
    const first = (Date.parse(gap!.from) - scenario.trace.startMs) / 60_000;
    expect(Array.from(values.slice(first, first + 20)).every(Number.isNaN)).toBe(true);
    const served = run.serving.get(gap!.region)!;
    const gapStart = Date.parse(gap!.from);
    expect(served.some(([from, to]) => from < gapStart && to > gapStart + 20 * 60_000 + 15 * 60_000)).toBe(true);
  });
});

describe('the built-in scenario with a warm region', () => {
  const warmConfig = exampleConfig((raw) => void (raw.warm = { regions: ['ap-southeast-1'] }));
  const startMs = builtInStartMs(NOW, 24);
  const scenario = builtInScenario(warmConfig, 24, startMs);
  const plain = builtInScenario(config, 24, startMs);

  it('gives the warm region an evening event at its peak, 22:00-22:45, and changes nothing else', () => {
    const warm = scenario.trace.users.get('ap-southeast-1')!;
    const before = plain.trace.users.get('ap-southeast-1')!;
    const changed = [...warm.keys()].filter(
      (i) => warm[i] !== before[i] && !(Number.isNaN(warm[i]) && Number.isNaN(before[i])),
    );
    expect(changed[0]).toBe(22 * 60);
    expect(changed.at(-1)).toBeLessThan(22 * 60 + 45);
    expect(Math.min(...Array.from(warm.slice(22 * 60, 22 * 60 + 45)))).toBeGreaterThan(
      warmConfig.scaling.thresholds.scaleUp.users,
    );
    for (const region of scenario.trace.regions.filter((r) => r !== 'ap-southeast-1')) {
      expect(scenario.trace.users.get(region)).toEqual(plain.trace.users.get(region));
    }
  });

  it('brings the warm region back from WARM for its evening event, as the simulator plays it', () => {
    const run = simulate(warmConfig, scenario.trace);
    const eveningMs = startMs + 22 * 3_600_000;
    const warmUps = run.report.events.filter(
      (e) => e.region === 'ap-southeast-1' && e.action === 'scale-up-start' && Date.parse(e.at) >= eveningMs,
    );
    expect(warmUps).toHaveLength(1);
    expect(warmUps[0]!.reason).toMatch(/from WARM/);
  });
});

describe('scenario files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-scenario-'));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('reports every bad row with its line number', () => {
    const path = write(
      'bad.csv',
      'timestamp,region,users\n2026-03-01T00:00:00Z,ap-southeast-1,10\nyesterday,ap-southeast-1,3\n2026-03-01T00:01:00Z,ap-southeast-1,-4\n',
    );
    expect(() => readScenarioFile(path, config, NOW)).toThrow(TraceError);
    expect(() => readScenarioFile(path, config, NOW)).toThrow(/line 3: timestamp "yesterday"[\s\S]*line 4: users "-4"/);
  });

  it('names an unreadable file and the fix', () => {
    expect(() => readScenarioFile(join(dir, 'missing.csv'), config, NOW)).toThrow(
      /Cannot read the scenario .*--scenario/,
    );
  });

  it('plays a past trace at its own times, leaves out unapproved regions and cuts it to --hours (2 minutes)', () => {
    const path = write(
      'ok.csv',
      [
        'timestamp,region,users',
        '2026-03-01T00:00:00Z,ap-southeast-1,10',
        '2026-03-01T00:00:00Z,us-west-2,5',
        '2026-03-01T00:01:00Z,ap-southeast-1,20',
        '2026-03-01T00:02:00Z,ap-southeast-1,30',
        '',
      ].join('\n'),
    );
    const scenario = readScenarioFile(path, config, NOW, 2 / 60);
    expect(scenario.trace.startMs).toBe(Date.parse('2026-03-01T00:00:00Z'));
    expect(scenario.trace.periods).toBe(2);
    expect(scenario.trace.regions).toEqual(['ap-southeast-1']);
    expect(scenario.ignoredRegions).toEqual(['us-west-2']);
  });

  it('refuses a trace whose step does not divide the alarm period', () => {
    const path = write(
      'coarse.csv',
      'timestamp,region,users\n2026-03-01T00:00:00Z,ap-southeast-1,10\n2026-03-01T00:05:00Z,ap-southeast-1,20\n',
    );
    expect(() => readScenarioFile(path, config, NOW)).toThrow(
      /one datapoint every 300 s, which does not divide the 60 s alarm period of ap-southeast-1; fix:/,
    );
  });

  it('moves a trace that reaches into the future back by whole days', () => {
    const trace = builtInScenario(config, 24, Date.parse('2026-11-21T00:00:00Z')).trace;
    const placed = placeBeforeNow(trace, NOW);
    expect(placed.startMs).toBe(Date.parse('2026-11-20T00:00:00Z'));
    expect(placeBeforeNow(placed, NOW)).toBe(placed);
  });
});
