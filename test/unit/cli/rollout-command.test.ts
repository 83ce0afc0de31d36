import { describe, expect, it } from '@jest/globals';
import { CommanderError } from 'commander';
import type { CommandEnv } from '../../../cli/command-env';
import { rolloutInput } from '../../../cli/commands/maintenance';
import { EXIT, type ExitCode } from '../../../cli/exit-codes';
import { buildProgram } from '../../../cli/program';
import { exampleConfig } from '../../support/config-fixtures';
import { capturedOutput } from '../../support/captured-output';

const NOW = new Date('2026-11-21T10:00:00.000Z');

/** regionctl with clients that must never be used: every test here ends before any AWS call. */
function program() {
  let help = '';
  let errors = '';
  const codes: ExitCode[] = [];
  const envs: unknown[] = [];
  const out = capturedOutput();
  const built = buildProgram({
    defaults: { prefix: 'edgescale', homeRegion: 'us-east-1' },
    commandEnv: (_globals, target) => {
      envs.push(target);
      return { target, clients: {} as CommandEnv['clients'], out, now: () => NOW, sleep: async () => undefined };
    },
    out,
    // ./cdk.json holds the edgescale configuration (home us-east-1): regions are checked against it offline.
    cwd: process.cwd(),
    setExitCode: (code) => void codes.push(code),
    helpOutput: { writeOut: (text) => void (help += text), writeErr: (text) => void (errors += text) },
  });
  const parse = async (...args: string[]) => {
    try {
      await built.parseAsync(['node', 'regionctl', ...args]);
      return undefined;
    } catch (error) {
      if (error instanceof CommanderError) return error;
      throw error;
    }
  };
  return { parse, help: () => help, errors: () => errors, codes, envs, out };
}

describe('regionctl rollout on the command line', () => {
  it('--help shows its usage, its examples and why the option is --edge-region', async () => {
    const p = program();
    expect((await p.parse('rollout', '--help'))?.exitCode).toBe(0);
    expect(p.help()).toContain('Usage: regionctl rollout [options]');
    expect(p.help()).toContain(
      '$ regionctl rollout --edge-region eu-west-1 --reason "retry after fixing the origin" --wait',
    );
    expect(p.help().replace(/\s+/g, ' ')).toContain('(the global --region names the home region)');
  });

  it('refuses a malformed --edge-region as a usage error naming the option, before anything else', async () => {
    const p = program();
    expect((await p.parse('rollout', '--edge-region', 'eu-west-1', '--edge-region', 'europe'))?.code).toBe(
      'commander.invalidArgument',
    );
    expect(p.errors()).toContain(
      `option '--edge-region <code>' argument 'europe' is invalid. "europe" is not an AWS region code`,
    );
    expect(p.envs).toEqual([]);
  });

  it('refuses a region the local configuration does not approve, naming the option and the fix, before any AWS call', async () => {
    const p = program();
    await p.parse('rollout', '--edge-region', 'eu-west-1', '--edge-region', 'ap-east-1');
    expect(p.codes).toEqual([EXIT.refused]);
    expect(p.out.errors).toEqual([
      'regionctl: --edge-region ap-east-1: not an approved region of edgescale in ./cdk.json; approved regions: ' +
        'us-east-1, eu-west-1 (always-on), ap-southeast-1, ap-northeast-1, sa-east-1, ap-south-1 (elastic); ' +
        'fix: name approved regions, or leave --edge-region out to roll out to every ACTIVE region that needs it',
    ]);
  });

  it('refuses a --reason longer than the workflow takes before any AWS call', async () => {
    const p = program();
    await p.parse('rollout', '--reason', 'x'.repeat(501));
    expect(p.codes).toEqual([EXIT.usage]);
    expect(p.out.errors).toEqual(['regionctl: --reason is 501 characters long; fix: keep it within 500 characters']);
  });
});

describe('rolloutInput', () => {
  const config = exampleConfig();

  it('is the documented maintenance input: no regions means every ACTIVE region that needs it', () => {
    expect(rolloutInput(config, {}, NOW, './cdk.json')).toEqual({
      reason: 'edge rollout requested by an operator (regionctl)',
      requestedBy: 'operator',
      requestedAt: NOW.toISOString(),
    });
  });

  it('names each region once, with the reason given', () => {
    expect(
      rolloutInput(config, { edgeRegion: ['sa-east-1', 'eu-west-1', 'sa-east-1'], reason: '  new TTLs ' }, NOW, 'x'),
    ).toEqual({
      regions: ['sa-east-1', 'eu-west-1'],
      reason: 'new TTLs',
      requestedBy: 'operator',
      requestedAt: NOW.toISOString(),
    });
  });
});
