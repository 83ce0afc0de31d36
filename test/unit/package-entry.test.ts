import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { evaluateAlarm, parseTrace, simulate, type AlarmDefinition } from '../../src/index';
import { exampleConfig } from '../support/config-fixtures';

describe('package entry', () => {
  it('exports evaluateAlarm', () => {
    const alarm: AlarmDefinition = {
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      threshold: 500,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'missing',
    };
    expect(evaluateAlarm(alarm, [100, null, 600, null, 700], 'OK')).toBe('ALARM');
    expect(evaluateAlarm(alarm, [null, null, null, null, null], 'OK')).toBe('INSUFFICIENT_DATA');
  });

  it('exports the simulator and the trace parser', () => {
    const trace = parseTrace('timestamp,region,users\n2026-03-01T00:00:00Z,us-east-1,10\n');
    const run = simulate(exampleConfig(), trace);
    expect(run.report.totals.userMinutes).toBe(10);
  });
});

describe('the installed package entry (exports["."], built by `npm run build`, which `npm ci` runs)', () => {
  it('lets other code import evaluateAlarm by the package name', () => {
    const script = `import { evaluateAlarm } from 'regional-edge-autoscaler';
      const alarm = { evaluationPeriods: 3, datapointsToAlarm: 3, threshold: 10, comparisonOperator: 'GreaterThanThreshold', treatMissingData: 'breaching' };
      console.log(evaluateAlarm(alarm, [11, null, 12], 'OK'));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ALARM');
  });
});
