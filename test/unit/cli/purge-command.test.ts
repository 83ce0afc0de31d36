import { describe, expect, it } from '@jest/globals';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { CommanderError } from 'commander';
import { createAwsClients } from '../../../cli/aws-clients';
import { lambdaInvoker, purgeCache, renderPurgeReport, type FunctionInvoker } from '../../../cli/commands/purge';
import type { CommandEnv } from '../../../cli/command-env';
import { EXIT, type ExitCode } from '../../../cli/exit-codes';
import { buildProgram } from '../../../cli/program';
import { purgeReport, regionPurgeResult, purgeTargets } from '../../../functions/domain/cache-purge';
import { CONTROL_OUTPUTS } from '../../../functions/domain/naming';
import type { RegionState } from '../../../functions/domain/region-state';
import { capturedOutput } from '../../support/captured-output';
import { exampleConfig } from '../../support/config-fixtures';

function program() {
  let help = '';
  let errors = '';
  const codes: ExitCode[] = [];
  const out = capturedOutput();
  const built = buildProgram({
    defaults: { prefix: 'edgescale', homeRegion: 'us-east-1' },
    // No client at all: a command that reached AWS would fail with a TypeError (exit 1), not a usage error.
    commandEnv: (_globals, target) => ({
      target,
      clients: {} as CommandEnv['clients'],
      out,
      now: () => new Date(),
      sleep: async () => undefined,
    }),
    out,
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
  return { parse, help: () => help, errors: () => errors, codes, out };
}

const state = (region: string): RegionState => ({
  region,
  status: 'ACTIVE',
  since: '2026-12-01T08:00:00Z',
  consecutiveFailures: 0,
});

describe('regionctl purge on the command line', () => {
  it('--help shows its usage, the prefix form and the option that picks one region', async () => {
    const p = program();
    expect((await p.parse('purge', '--help'))?.exitCode).toBe(0);
    expect(p.help()).toContain('Usage: regionctl purge [options] <path>');
    expect(p.help()).toContain('$ regionctl purge "/images/*"');
    expect(p.help()).toContain('--edge-region <code>');
    expect(p.help().replace(/\s+/g, ' ')).toContain('(the global --region names the home region)');
  });

  it.each([
    ['/a b', 'regionctl: <path> "/a b" holds whitespace or a control character'],
    ['images/a.png', 'regionctl: <path> "images/a.png" does not start with "/"'],
    ['/a.png?v=1', 'regionctl: <path> "/a.png?v=1" holds "?"'],
  ])('refuses the path %j before any AWS call, naming the fix', async (path, message) => {
    const p = program();
    await p.parse('purge', path);
    expect(p.codes).toEqual([EXIT.usage]);
    expect(p.out.errors).toEqual([expect.stringContaining(message)]);
    expect(p.out.errors[0]).toContain('fix: ');
  });

  it('refuses an --edge-region that is not a region code, or not approved in ./cdk.json, before any AWS call', async () => {
    const p = program();
    expect((await p.parse('purge', '/a', '--edge-region', 'europe'))?.code).toBe('commander.invalidArgument');
    expect(p.errors()).toContain('"europe" is not an AWS region code, e.g. eu-west-1');
    await p.parse('purge', '/a', '--edge-region', 'me-south-1');
    expect(p.codes).toEqual([EXIT.refused]);
    expect(p.out.errors[0]).toMatch(/^regionctl: Region me-south-1 is not approved for edgescale in .\/cdk.json/);
  });
});

describe('the Lambda invoker', () => {
  const lambda = mockClient(LambdaClient);
  const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

  it('invokes synchronously with the JSON payload and returns the JSON result', async () => {
    lambda.reset();
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ schema: 1 }) as never });
    const outcome = await lambdaInvoker(new LambdaClient({ region: 'us-east-1' })).invoke('edgescale-purge-handler', {
      path: '/a',
      prefix: false,
    });
    expect(outcome).toEqual({ ok: true, result: { schema: 1 } });
    const input = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(input.FunctionName).toBe('edgescale-purge-handler');
    expect(input.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual({ path: '/a', prefix: false });
  });

  it("turns the function's error into its type and message", async () => {
    lambda.reset();
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({ errorType: 'InvalidRequestError', errorMessage: 'input.path = "x": ...' }) as never,
    });
    expect(await lambdaInvoker(new LambdaClient({ region: 'us-east-1' })).invoke('f', {})).toEqual({
      ok: false,
      errorType: 'InvalidRequestError',
      errorMessage: 'input.path = "x": ...',
    });
  });
});

describe('the purge report on a terminal', () => {
  const request = { path: '/images/', prefix: true };

  it('a headline with the totals, and a row per pod', () => {
    const report = purgeReport(request, [
      regionPurgeResult(state('us-east-1'), [
        { pod: 'edge-cache-a', purged: true, purgedEntries: 12, scannedEntries: 3400 },
        { pod: 'edge-cache-b', purged: true, purgedEntries: 1, scannedEntries: 3311 },
      ]),
      ...purgeTargets([{ ...state('sa-east-1'), status: 'INACTIVE' }], ['sa-east-1']).notServing,
    ]);
    expect(renderPurgeReport(report)).toEqual([
      'Purged every path under /images/ in 1 region: 13 cache entries removed from 2 pods.',
      'REGION     POD           PURGED  SCANNED  RESULT',
      `---------  ------------  ------  -------  ${'-'.repeat(67)}`,
      'us-east-1  edge-cache-a  12      3400     purged',
      'us-east-1  edge-cache-b  1       3311     purged',
      'sa-east-1  -             -       -        not serving (INACTIVE): its edge takes no traffic, nothing to purge',
    ]);
  });

  it('says the purge is incomplete, which pod or region failed and why, and that repeating it is safe', () => {
    const report = purgeReport({ path: '/a.png', prefix: false }, [
      regionPurgeResult(state('us-east-1'), [
        { pod: 'edge-cache-a', purged: true, purgedEntries: 1, scannedEntries: 10 },
        { pod: 'edge-cache-b', purged: false, reason: 'its agent answered HTTP 503: no endpoints' },
      ]),
      regionPurgeResult(state('eu-west-1'), []),
    ]);
    const lines = renderPurgeReport(report);
    expect(lines[0]).toBe(
      'Purge of /a.png (every query and cookie variant) incomplete: 0 of 2 regions purged whole; 1 cache entry removed from 1 pod.',
    );
    expect(lines.slice(3, 6)).toEqual([
      'us-east-1  edge-cache-a  1       10       purged',
      'us-east-1  edge-cache-b  -       -        failed: its agent answered HTTP 503: no endpoints',
      'eu-west-1  -             -       -        failed: no edge pod is running',
    ]);
    expect(lines.at(-1)).toMatch(/^Not every pod was purged: .* run the same purge again \(it is safe to repeat\)\.$/);
  });
});

describe('regionctl purge and the deployment it finds', () => {
  const cloudFormation = mockClient(CloudFormationClient);
  const ssm = mockClient(SSMClient);

  /** A control stack with these outputs (the purge Lambda's among them unless `withPurge` is false). */
  function deployed(withPurge = true) {
    cloudFormation.reset();
    ssm.reset();
    const outputs = {
      [CONTROL_OUTPUTS.stateTableName]: 'edgescale-region-state',
      [CONTROL_OUTPUTS.notificationTopicArn]: 'arn:aws:sns:us-east-1:123456789012:edgescale-notifications',
      [CONTROL_OUTPUTS.scaleUpStateMachineArn]: 'arn:aws:states:us-east-1:123456789012:stateMachine:edgescale-scale-up',
      [CONTROL_OUTPUTS.scaleDownStateMachineArn]:
        'arn:aws:states:us-east-1:123456789012:stateMachine:edgescale-scale-down',
      [CONTROL_OUTPUTS.configParameterName]: '/edgescale/config',
      ...(withPurge ? { [CONTROL_OUTPUTS.purgeFunctionName]: 'edgescale-purge-handler' } : {}),
    };
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'edgescale-control',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(exampleConfig()) } });
    return {
      target: { prefix: 'edgescale', homeRegion: 'us-east-1' },
      clients: createAwsClients({ region: 'us-east-1' }),
      out: capturedOutput(),
      now: () => new Date(),
      sleep: async () => undefined,
    };
  }
  const answering = (outcome: Awaited<ReturnType<FunctionInvoker['invoke']>>): FunctionInvoker => ({
    invoke: async () => outcome,
  });

  it('says when the deployment predates purge, and how to fix it', async () => {
    const env = deployed(false);
    expect(await purgeCache(env, '/a', {}, answering({ ok: true, result: {} }))).toBe(EXIT.environment);
    expect(env.out.errors).toEqual([
      'regionctl: Stack edgescale-control has no output PurgeFunctionName: it was deployed by a version without purge; fix: redeploy it ("npx cdk deploy edgescale-control")',
    ]);
  });

  it('says when the purge Lambda is gone', async () => {
    const env = deployed();
    const gone: FunctionInvoker = {
      invoke: async () => {
        throw new ResourceNotFoundException({ message: 'Function not found', $metadata: {} });
      },
    };
    expect(await purgeCache(env, '/a', {}, gone)).toBe(EXIT.environment);
    expect(env.out.errors[0]).toMatch(
      /^regionctl: The purge Lambda edgescale-purge-handler, named by stack edgescale-control, does not exist in us-east-1; fix: redeploy/,
    );
  });

  it("passes on the Lambda's refusal of the input as a usage error, and any other failure as a failure", async () => {
    const env = deployed();
    const refused = answering({ ok: false, errorType: 'InvalidRequestError', errorMessage: 'input.path = ...' });
    expect(await purgeCache(env, '/a', {}, refused)).toBe(EXIT.usage);
    const crashed = answering({
      ok: false,
      errorType: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 90.00 seconds',
    });
    expect(await purgeCache(env, '/a', {}, crashed)).toBe(EXIT.failed);
    const foreign = answering({ ok: true, result: { regions: [] } });
    expect(await purgeCache(env, '/a', {}, foreign)).toBe(EXIT.failed);
    expect(env.out.errors).toEqual([
      'regionctl: The purge Lambda edgescale-purge-handler failed: InvalidRequestError: input.path = ...',
      'regionctl: The purge Lambda edgescale-purge-handler failed: Sandbox.Timedout: Task timed out after 90.00 seconds',
      'regionctl: The purge Lambda edgescale-purge-handler answered something that is not a purge report (schema 1): is it from another version of regionctl?',
    ]);
  });

  it('asks the Lambda for the one region given with --edge-region, as the path it keys the cache by', async () => {
    const env = deployed();
    const payloads: unknown[] = [];
    const recording: FunctionInvoker = {
      invoke: async (_name, payload) => {
        payloads.push(payload);
        return { ok: true, result: purgeReport({ path: '/café/', prefix: true }, []) };
      },
    };
    expect(await purgeCache(env, '/caf%C3%A9/*', { edgeRegion: 'eu-west-1' }, recording)).toBe(EXIT.ok);
    expect(payloads).toEqual([{ path: '/café/', prefix: true, regions: ['eu-west-1'] }]);
  });
});
