/**
 * What every regionctl command is given: the deployment to look for (prefix, home region), the
 * SDK clients, where to write, a clock and a sleep. regionctl.ts wires the real ones; the tests
 * pass clients pointed at the emulator, a fixed clock and a captured output.
 */
import type { AwsClients } from './aws-clients';
import { explainFailure } from './cli-error';
import type { ExitCode } from './exit-codes';
import type { Output } from './output';

export interface Target {
  /** The configuration's `prefix`: the control stack is `<prefix>-control`. */
  prefix: string;
  /** The autoscaler's home region, for messages (the clients are already configured with it). */
  homeRegion?: string;
}

export interface CommandEnv {
  target: Target;
  clients: AwsClients;
  out: Output;
  now(): Date;
  sleep(ms: number): Promise<void>;
}

/** Runs a command body; any failure becomes one line on stderr and its exit code. */
export async function reportingFailures(out: Output, body: () => Promise<ExitCode>): Promise<ExitCode> {
  try {
    return await body();
  } catch (error) {
    const { message, exitCode } = explainFailure(error);
    out.error(`regionctl: ${message}`);
    return exitCode;
  }
}
