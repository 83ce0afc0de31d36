/**
 * The real regionctl (bin/regionctl.mjs, as `npx regionctl` runs it) given bad input on a machine
 * with no AWS setup at all: empty HOME, no AWS_* variable, no instance metadata. What can be
 * checked offline must be refused with the field and the fix, not with "No AWS credentials". To
 * prove that no AWS call is made, each case also runs with credentials and every SDK endpoint
 * pointed at a local server that counts the requests it gets. Cases run side by side (each spawns
 * the CLI twice, ~2 s of start-up each).
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../../../cli/exit-codes';
import { exampleRawConfig } from '../../support/config-fixtures';

const bin = fileURLToPath(new URL('../../../bin/regionctl.mjs', import.meta.url));

/** A folder with the example configuration in its cdk.json, and one with no configuration. */
const projectDir = mkdtempSync(join(tmpdir(), 'regionctl-project-'));
writeFileSync(join(projectDir, 'cdk.json'), JSON.stringify({ context: { autoscaler: exampleRawConfig() } }));
const bareDir = mkdtempSync(join(tmpdir(), 'regionctl-bare-'));

interface Run {
  status: number | null;
  stderr: string;
}

function regionctl(cwd: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: mkdtempSync(join(tmpdir(), 'regionctl-home-')), ...env },
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr: stderr.replace(/^npm warn.*\n/gm, '').trim() }));
  });
}

/**
 * Runs the command with no AWS setup (`bare`), and again with credentials and AWS_ENDPOINT_URL
 * pointed at a local server (`withCredentials`) that counts the requests it receives (`awsRequests`).
 */
async function offline(cwd: string, ...args: string[]) {
  let awsRequests = 0;
  const fakeAws = createServer((request, response) => {
    awsRequests += 1;
    request.resume();
    response.writeHead(400).end();
  });
  await new Promise<void>((resolve) => fakeAws.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(fakeAws.address() as AddressInfo).port}`;
  try {
    const [bare, withCredentials] = await Promise.all([
      regionctl(cwd, args, { AWS_EC2_METADATA_DISABLED: 'true' }),
      regionctl(cwd, args, {
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_ENDPOINT_URL: endpoint,
        AWS_MAX_ATTEMPTS: '1',
      }),
    ]);
    return { bare, withCredentials, awsRequests };
  } finally {
    await new Promise<void>((resolve) => fakeAws.close(() => resolve()));
  }
}

const reason600 = 'x'.repeat(600);

/** A case's test: refused with `exitCode` and `message`, the same with credentials, with no request to AWS. */
function refusedOffline(cwd: string) {
  return async (_case: string, args: string[], exitCode: number, message: string) => {
    const run = await offline(cwd, ...args);
    expect(run.bare).toEqual({ status: exitCode, stderr: message });
    expect(run.withCredentials).toEqual(run.bare);
    expect(run.awsRequests).toBe(0);
  };
}

describe('regionctl refuses bad input before any AWS call, with no credentials and no endpoint', () => {
  it.concurrent.each([
    [
      'an unknown region code',
      ['up', 'mars-north-1'],
      EXIT.usage,
      'regionctl: Region "mars-north-1" (argument <region>) is not an AWS region code; fix: use the code of an approved region, e.g. ap-southeast-1',
    ],
    [
      'an unknown home region',
      ['--region', 'mars-north-1', 'status'],
      EXIT.usage,
      'regionctl: --region "mars-north-1" is not an AWS region code; fix: pass the home region of the autoscaler, e.g. --region us-east-1',
    ],
    [
      'a prefix the configuration schema refuses',
      ['--prefix', 'Edge_Scale', 'history', 'ap-south-1'],
      EXIT.usage,
      'regionctl: --prefix "Edge_Scale" must be 3-20 characters of lower-case letters, digits and hyphens, starting with a letter; fix: use for example "edgescale"',
    ],
    [
      'a malformed duration',
      ['pause', 'ap-south-1', '--for', '2x'],
      EXIT.usage,
      'regionctl: --for "2x" is not a duration; fix: use a number followed by s, m, h or d, e.g. 45s, 90m, 2h, 1d or 1h30m',
    ],
    [
      'a reason too long for the workflow input',
      ['down', 'ap-south-1', '--reason', reason600],
      EXIT.usage,
      'regionctl: --reason is 600 characters long; fix: keep it within 500 characters',
    ],
  ])('in a folder without configuration: %s', refusedOffline(bareDir), 120_000);

  it.concurrent.each([
    [
      'a region code in neither list of ./cdk.json',
      ['up', 'eu-central-1'],
      EXIT.refused,
      'regionctl: Region eu-central-1 is not approved for edgescale in ./cdk.json; approved regions: us-east-1, eu-west-1 (always-on), ap-southeast-1, ap-northeast-1, sa-east-1, ap-south-1 (elastic); fix: use one of them, or add it to the configuration and deploy (run regionctl outside this folder to go by the deployed configuration alone)',
    ],
    [
      'an unknown region code, listing the approved ones',
      ['history', 'mars-north-1'],
      EXIT.usage,
      'regionctl: Region "mars-north-1" (argument <region>) is not an AWS region code; fix: use an approved region of edgescale: us-east-1, eu-west-1 (always-on), ap-southeast-1, ap-northeast-1, sa-east-1, ap-south-1 (elastic)',
    ],
    [
      'a scale-down of an always-on region',
      ['down', 'us-east-1'],
      EXIT.refused,
      'regionctl: Refused by rule "always-on": us-east-1 is an always-on region in ./cdk.json and is never scaled down; fix: move it to regions.elastic and deploy first if it really should scale',
    ],
    [
      'a demand sample while the edges count the demand',
      ['publish-demand', 'sa-east-1', '5'],
      EXIT.usage,
      'regionctl: demand.source is "edge-counters": the collector publishes ActiveUsers from the edges\' counts, and a second publisher would mix two figures into one period; fix: set demand.source to "external" (and deploy) to publish your own demand',
    ],
  ])('in the project folder (./cdk.json): %s', refusedOffline(projectDir), 120_000);

  it('goes to AWS only for what needs the deployment: another prefix than ./cdk.json has', async () => {
    // The local configuration is not that deployment's: only the deployed one can tell.
    const run = await offline(projectDir, '--prefix', 'othercdn', 'up', 'eu-central-1');
    expect(run.bare.status).toBe(EXIT.environment);
    expect(run.bare.stderr).toMatch(/^regionctl: No AWS credentials found/);
    // The counting server does see the calls of a command that needs AWS: the zeros above are real.
    expect(run.awsRequests).toBeGreaterThan(0);
  }, 360_000);
});
