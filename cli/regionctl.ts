/**
 * regionctl's entry point (bin/regionctl.mjs runs it through tsx): wires the real SDK clients,
 * clock and terminal into the command line, and turns every outcome into an exit code.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CommanderError } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAwsClients } from './aws-clients';
import { explainFailure } from './cli-error';
import { publishDemandCommand } from './commands/publish-demand';
import { simulateCommand } from './commands/simulate';
import { EXIT, type ExitCode } from './exit-codes';
import { targetDefaults } from './local-defaults';
import { processOutput } from './output';
import { buildProgram } from './program';

const out = processOutput();
let exitCode: ExitCode = EXIT.ok;
const setExitCode = (code: ExitCode) => {
  exitCode = code;
};

const program = buildProgram({
  defaults: targetDefaults(process.cwd(), process.env),
  commandEnv: (options, target) => ({
    target,
    clients: createAwsClients({ region: options.region, profile: options.profile }),
    out,
    now: () => new Date(),
    sleep: (ms) => sleep(ms),
  }),
  out,
  cwd: process.cwd(),
  setExitCode,
  extraCommands: [
    simulateCommand({ out, cwd: process.cwd(), setExitCode }),
    publishDemandCommand({
      cloudWatch: (region) => new CloudWatchClient({ region, profile: program.opts().profile }),
    }),
  ],
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed the help or the usage error already.
    exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    const failure = explainFailure(error);
    out.error(`regionctl: ${failure.message}`);
    exitCode = failure.exitCode;
  }
}
process.exitCode = exitCode;
