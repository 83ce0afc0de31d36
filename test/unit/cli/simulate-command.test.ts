import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulateCommand } from '../../../cli/commands/simulate';
import type { ExitCode } from '../../../cli/exit-codes';
import type { Output } from '../../../cli/output';
import { generateDiurnalTrace, traceToCsv } from '../../../simulator/diurnal-trace';
import { exampleRawConfig } from '../../support/config-fixtures';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'simulate-command-'));
  const config = exampleRawConfig();
  writeFileSync(join(dir, 'autoscaler.json'), JSON.stringify(config));
  writeFileSync(join(dir, 'cdk.json'), JSON.stringify({ context: { autoscaler: config } }));
  const trace = generateDiurnalTrace({
    start: '2026-03-01T00:00:00Z',
    days: 2,
    regions: [
      { region: 'us-east-1', peakUsers: 1500, baseUsers: 80, peakHourUtc: 1 },
      { region: 'eu-west-1', peakUsers: 1200, baseUsers: 60, peakHourUtc: 19 },
      { region: 'ap-southeast-1', peakUsers: 1100, baseUsers: 50, peakHourUtc: 12 },
      { region: 'sa-east-1', peakUsers: 600, baseUsers: 30, peakHourUtc: 23 },
    ],
    gaps: [{ region: 'sa-east-1', from: '2026-03-01T12:00:00Z', minutes: 60 }],
    seed: 3,
  });
  writeFileSync(join(dir, 'trace.csv'), traceToCsv(trace));
  writeFileSync(
    join(dir, 'bad.csv'),
    'timestamp,region,users\n2026-03-01T00:00:00Z,us-east-1,10\nnoon,us-east-1,5\n2026-03-01T00:01:00Z,mars-1,5\n',
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: ExitCode | undefined; stdout: string[]; stderr: string[] }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out: Output = {
    line: (text = '') => void stdout.push(text),
    error: (text) => void stderr.push(text),
    isTTY: false,
    status: () => undefined,
    clearStatus: () => undefined,
  };
  let code: ExitCode | undefined;
  await simulateCommand({ out, cwd: dir, setExitCode: (c) => (code = c) }).parseAsync(args, { from: 'user' });
  return { code, stdout, stderr };
}

describe('regionctl simulate', () => {
  it('--json prints one object with events, regions, totals and both baselines', async () => {
    const { code, stdout, stderr } = await run('--trace', 'trace.csv', '--config', 'autoscaler.json', '--json');
    expect(stderr).toEqual([]);
    expect(code).toBe(0);
    expect(stdout).toHaveLength(1);
    const report = JSON.parse(stdout[0]!);
    expect(Object.keys(report).sort()).toEqual(['baselines', 'events', 'regions', 'totals']);
    const totalsShape = {
      clusterHours: expect.any(Number),
      costUsd: expect.any(Number),
      userMinutes: expect.any(Number),
      farUserMinutes: expect.any(Number),
      scaleEvents: expect.any(Number),
      warmHours: expect.any(Number),
    };
    expect(report.totals).toEqual(totalsShape);
    expect(report.baselines).toEqual({ allOn: totalsShape, oracle: totalsShape });
    expect(Object.keys(report.regions)).toEqual([
      'us-east-1',
      'eu-west-1',
      'ap-southeast-1',
      'ap-northeast-1',
      'sa-east-1',
      'ap-south-1',
    ]);
    expect(report.regions['us-east-1']).toEqual({
      list: 'always-on',
      servingMinutes: 2880,
      clusterHours: 48,
      costUsd: expect.any(Number),
      warmHours: 0,
    });
    expect(report.regions['ap-southeast-1'].list).toBe('elastic');
    expect(report.events.length).toBeGreaterThan(0);
    for (const event of report.events) {
      expect(Object.keys(event).sort()).toEqual(['action', 'at', 'reason', 'region']);
      expect([
        'scale-up-start',
        'scale-up-done',
        'scale-down-start',
        'scale-down-done',
        'rejected',
        'warm-up-start',
        'warm-up-done',
        'warm-teardown-start',
        'warm-teardown-done',
        'pre-warm-planned',
      ]).toContain(event.action);
      expect(event.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
    }
    expect(report.events.map((e: { action: string }) => e.action)).toContain('scale-up-start');
  });

  it('without --json prints a readable summary; reads cdk.json by default', async () => {
    const { code, stdout } = await run('--trace', 'trace.csv');
    expect(code).toBe(0);
    const text = stdout.join('\n');
    expect(text).toContain('Simulated 2026-03-01T00:00:00Z .. 2026-03-03T00:00:00Z');
    expect(text).toMatch(/simulated\s+[\d,.]+\s+[\d,.]+/);
    expect(text).toContain('all on');
    expect(text).toContain('oracle');
    expect(text).toContain('ap-southeast-1');
  });

  it('--html writes a self-contained report with a chart per region', async () => {
    const { code, stdout } = await run('--trace', 'trace.csv', '--html', 'report.html');
    expect(code).toBe(0);
    expect(stdout[0]).toContain('report.html');
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(6); // every approved region, with or without data
    expect(html).toContain('<path class="demand" d="M');
    expect(html).toContain('class="serving"');
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=|https?:\/\//i);
  });

  it('reports the bad rows of a trace with their line numbers and exits 1', async () => {
    const { code, stderr, stdout } = await run('--trace', 'bad.csv', '--json');
    expect(code).toBe(1);
    expect(stdout).toEqual([]);
    const message = stderr.join('\n');
    expect(message).toContain('line 3: timestamp "noon" is not ISO-8601 UTC');
    expect(message).toContain('line 4: region "mars-1" is not an AWS region code');
  });

  it('says how to fix a missing trace file and an invalid configuration', async () => {
    expect((await run('--trace', 'nope.csv')).stderr.join('\n')).toMatch(
      /Cannot read the trace nope.csv: .*; fix: pass a readable CSV file with --trace/,
    );
    writeFileSync(join(dir, 'broken.json'), JSON.stringify({ ...exampleRawConfig(), prefix: 'X' }));
    const broken = await run('--trace', 'trace.csv', '--config', 'broken.json');
    expect(broken.code).toBe(1);
    expect(broken.stderr.join('\n')).toContain('autoscaler.prefix = "X"');
  });

  it('--trace built-in-week replays the 7-day diurnal trace of the benchmark', async () => {
    const { code, stdout } = await run('--trace', 'built-in-week', '--config', 'autoscaler.json', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout[0]!);
    const { regions } = exampleRawConfig();
    expect(Object.keys(report.regions).sort()).toEqual([...regions.alwaysOn, ...regions.elastic].sort());
    // 7 days of every region's users, and the elastic regions come and go.
    expect(report.totals.userMinutes).toBeGreaterThan(0);
    expect(report.regions['ap-south-1'].servingMinutes).toBeGreaterThan(0);
    expect(report.regions['ap-south-1'].servingMinutes).toBeLessThan(7 * 24 * 60);
  });

  it('applies --pause windows', async () => {
    const { stdout } = await run(
      '--trace',
      'trace.csv',
      '--json',
      '--pause',
      'ap-southeast-1,2026-03-01T00:00:00Z,2026-03-03T00:00:00Z',
    );
    const report = JSON.parse(stdout[0]!);
    expect(report.regions['ap-southeast-1'].servingMinutes).toBe(0);
    expect(
      report.events.some(
        (e: { region: string; reason: string }) => e.region === 'ap-southeast-1' && e.reason.includes('paused'),
      ),
    ).toBe(true);
  });

  it('what-if overrides change the configuration for the run only, validated like the file', async () => {
    const json = async (...args: string[]) =>
      JSON.parse((await run('--trace', 'trace.csv', '--json', ...args)).stdout[0]!);
    const plain = await json();
    const warm = await json('--warm-regions', 'ap-southeast-1,sa-east-1', '--keep-hours', '1');
    expect(plain.totals.warmHours).toBe(0);
    expect(warm.totals.warmHours).toBeGreaterThan(0);
    expect(warm.regions['ap-southeast-1'].warmHours).toBeGreaterThan(0);
    expect((await json('--warm-regions', 'none')).totals).toEqual(plain.totals);
    const without = await json('--forecast', 'off', '--preempt-ratio', '0');
    expect(without.events.some((e: { reason: string }) => e.reason.includes('pre-warm'))).toBe(false);
    const refused = await run('--trace', 'trace.csv', '--warm-regions', 'us-east-1');
    expect(refused.code).toBe(1);
    expect(refused.stderr.join('\n')).toContain(
      'with the command-line overrides):\n  - autoscaler.warm.regions.0 = "us-east-1": us-east-1 is always-on',
    );
    const errors: string[] = [];
    const command = simulateCommand({ cwd: dir, setExitCode: () => undefined })
      .exitOverride()
      .configureOutput({ writeErr: (text) => void errors.push(text) });
    await expect(
      command.parseAsync(['--trace', 'trace.csv', '--warm-regions', 'ap-south-1,'], { from: 'user' }),
    ).rejects.toThrow();
    expect(errors.join('')).toContain('"ap-south-1," is not a list of regions; use e.g. ap-south-1,sa-east-1 or none');
  });

  it('--compare-warm prints the trace under each warm setting, with how to choose', async () => {
    const { code, stdout } = await run('--trace', 'trace.csv', '--compare-warm');
    expect(code).toBe(0);
    const text = stdout.join('\n');
    expect(text).toContain('Warm settings compared (same trace, same configuration otherwise):');
    expect(text).toMatch(/\nnone\s+[\d,.]+\s+0\s+/);
    expect(text).toMatch(/\nall elastic, keep 6 h\s+[\d,.]+/);
    expect(text).toContain('Choose the cheapest setting whose far user-minutes you accept');
    const json = JSON.parse((await run('--trace', 'trace.csv', '--json', '--compare-warm')).stdout[0]!);
    expect(json.warmComparison.map((r: { setting: { label: string } }) => r.setting.label)).toContain(
      'ap-south-1, keep 1 h',
    );
  });
});
