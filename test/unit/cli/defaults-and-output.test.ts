import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { targetDefaults } from '../../../cli/local-defaults';
import { processOutput, type TextStream } from '../../../cli/output';

const projectDir = fileURLToPath(new URL('../../../', import.meta.url));

describe('defaults of --prefix and --region', () => {
  it('take the prefix and home region of ./cdk.json; AWS_REGION wins for the region', () => {
    expect(targetDefaults(projectDir, {})).toEqual({ prefix: 'edgescale', homeRegion: 'us-east-1' });
    expect(targetDefaults(projectDir, { AWS_REGION: 'eu-west-2' })).toEqual({
      prefix: 'edgescale',
      homeRegion: 'eu-west-2',
    });
    const dir = mkdtempSync(join(tmpdir(), 'regionctl-defaults-'));
    writeFileSync(
      join(dir, 'cdk.json'),
      JSON.stringify({ context: { autoscaler: { prefix: 'cdn', homeRegion: 'eu-central-1' } } }),
    );
    expect(targetDefaults(dir, {})).toEqual({ prefix: 'cdn', homeRegion: 'eu-central-1' });
  });

  it('fall back to edgescale and no region outside a project (or with an unreadable cdk.json)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regionctl-defaults-'));
    expect(targetDefaults(dir, {})).toEqual({ prefix: 'edgescale', homeRegion: undefined });
    writeFileSync(join(dir, 'cdk.json'), '{ not json');
    expect(targetDefaults(dir, {})).toEqual({ prefix: 'edgescale', homeRegion: undefined });
  });
});

describe('terminal output', () => {
  function streams(isTTY: boolean, columns = 40) {
    const written = { out: '', err: '' };
    const stdout = { isTTY, columns, write: (s: string) => void (written.out += s) } as unknown as TextStream;
    const stderr = { write: (s: string) => void (written.err += s) } as unknown as TextStream;
    return { written, output: processOutput(stdout, stderr) };
  }

  it('rewrites one status line in place, within the terminal width, and clears it before the next line', () => {
    const { written, output } = streams(true);
    expect(output.isTTY).toBe(true);
    output.status('short');
    output.status('x'.repeat(60));
    output.line('done');
    expect(written.out).toBe(`\r\x1b[2Kshort\r\x1b[2K${'x'.repeat(38)}…\r\x1b[2Kdone\n`);
  });

  it('writes results to stdout and errors to stderr, one line each', () => {
    const { written, output } = streams(false);
    expect(output.isTTY).toBe(false);
    output.line('result');
    output.error('regionctl: failed');
    expect(written).toEqual({ out: 'result\n', err: 'regionctl: failed\n' });
  });
});
