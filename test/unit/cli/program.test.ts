import { describe, expect, it } from '@jest/globals';
import { CommanderError, type Command } from 'commander';
import type { CommandEnv } from '../../../cli/command-env';
import { EXIT, type ExitCode } from '../../../cli/exit-codes';
import { buildProgram, type GlobalOptions } from '../../../cli/program';
import { capturedOutput } from '../../support/captured-output';
import { explainFailure, CliError } from '../../../cli/cli-error';
import { InvalidRequestError } from '../../../functions/domain/errors';

function program(defaults = { prefix: 'edgescale', homeRegion: 'us-east-1' as string | undefined }) {
  let help = '';
  let errors = '';
  const envs: Array<{ globals: GlobalOptions }> = [];
  const codes: ExitCode[] = [];
  const out = capturedOutput();
  const built = buildProgram({
    defaults,
    commandEnv: (globals, target) => {
      envs.push({ globals });
      // A command that never reaches AWS: the injected clients are not used by these tests.
      return { target, clients: {} as CommandEnv['clients'], out, now: () => new Date(), sleep: async () => undefined };
    },
    out,
    cwd: process.cwd(),
    setExitCode: (code) => void codes.push(code),
    helpOutput: {
      writeOut: (text) => void (help += text),
      writeErr: (text) => void (errors += text),
    },
  });
  return { built, help: () => help, errors: () => errors, envs, codes, out };
}

async function parse(p: Command, args: string[]): Promise<CommanderError | undefined> {
  try {
    await p.parseAsync(['node', 'regionctl', ...args]);
    return undefined;
  } catch (error) {
    if (error instanceof CommanderError) return error;
    throw error;
  }
}

describe('regionctl command line', () => {
  it.each([
    ['up', 'regionctl up ap-southeast-1 --reason "launch in Singapore" --hold 6h'],
    ['down', 'regionctl down sa-east-1 --reason "event over"'],
    ['pause', 'regionctl pause ap-south-1 --for 2h'],
    ['resume', 'regionctl resume ap-south-1'],
    ['status', 'regionctl status --json'],
    ['history', 'regionctl history ap-southeast-1'],
    ['config validate', 'regionctl config validate --config ./prod-autoscaler.json'],
  ])('%s --help shows its usage and examples', async (command, example) => {
    const p = program();
    const error = await parse(p.built, [...command.split(' '), '--help']);
    expect(error?.exitCode).toBe(0);
    expect(p.help()).toContain(`Usage: regionctl ${command}`);
    expect(p.help()).toContain('Examples:');
    expect(p.help()).toContain(`$ ${example}`);
  });

  it('rejects an unknown command or a missing argument before any AWS call, with usage help', async () => {
    const p = program();
    expect((await parse(p.built, ['frobnicate']))?.code).toBe('commander.unknownCommand');
    expect((await parse(p.built, ['up']))?.code).toBe('commander.missingArgument');
    expect(p.errors()).toContain("error: missing required argument 'region'");
    expect(p.errors()).toContain('(run with --help for usage)');
    expect(p.envs).toEqual([]);
  });

  it('takes --profile, --region and --prefix before or after the command, defaulting prefix and region', async () => {
    const p = program();
    await parse(p.built, ['--profile', 'ops', 'up', 'sa-east-1', '--hold', 'soon']);
    await parse(p.built, ['up', 'sa-east-1', '--region', 'eu-west-2', '--prefix', 'cdn', '--hold', 'soon']);
    expect(p.envs.map((e) => e.globals)).toEqual([
      { profile: 'ops', region: 'us-east-1', prefix: 'edgescale' },
      { profile: undefined, region: 'eu-west-2', prefix: 'cdn' },
    ]);
    // A malformed --hold is refused before discovery: the injected (empty) clients were never used.
    expect(p.codes).toEqual([EXIT.usage, EXIT.usage]);
    expect(p.out.errors[0]).toBe(
      'regionctl: --hold "soon" is not a duration; fix: use a number followed by s, m, h or d, e.g. 45s, 90m, 2h, 1d or 1h30m',
    );
  });
});

describe('explainFailure', () => {
  it.each([
    [new CliError('Refused', EXIT.refused), 'Refused', EXIT.refused],
    [new InvalidRequestError('--for "x" is not a duration'), '--for "x" is not a duration', EXIT.usage],
    [
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      'No AWS credentials found (Could not load credentials from any providers); fix: run "aws configure" or "aws sso login", set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or pass --profile NAME',
      EXIT.environment,
    ],
    [
      Object.assign(new Error('The security token included in the request is expired'), {
        name: 'ExpiredTokenException',
      }),
      'AWS rejected your credentials (ExpiredTokenException: The security token included in the request is expired); fix: refresh them ("aws sso login") or pass another --profile',
      EXIT.environment,
    ],
    [
      Object.assign(new Error('User is not authorized to perform: cloudformation:DescribeStacks'), {
        name: 'AccessDenied',
      }),
      'AWS denied the request (AccessDenied: User is not authorized to perform: cloudformation:DescribeStacks); fix: use credentials of a role allowed to operate the autoscaler (--profile)',
      EXIT.environment,
    ],
    [
      new Error('Region is missing'),
      'No home region: pass --region <home region of the autoscaler> or set AWS_REGION',
      EXIT.usage,
    ],
    [Object.assign(new Error('boom\n  at x'), { name: 'InternalFailure' }), 'InternalFailure: boom', EXIT.failed],
  ])('turns %p into one line and an exit code', (error, message, exitCode) => {
    expect(explainFailure(error)).toEqual({ message, exitCode });
  });
});
