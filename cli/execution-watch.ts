/**
 * `--wait`: follows a workflow execution until it ends, showing each state it enters (one
 * updating line on a terminal, plain lines otherwise). Exit 0 when it succeeded; otherwise the
 * failure's error and cause on stderr and a non-zero exit.
 */
import type { AwsClients } from './aws-clients';
import { executionHistory } from './aws-reads';
import type { CommandEnv } from './command-env';
import { outcomeLines, progressFromHistory, statusLine, stepLine } from './execution-progress';
import { EXIT, type ExitCode } from './exit-codes';

/** Often enough to follow a step, rarely enough for a 15-minute scale-up to cost ~180 reads. */
export const WAIT_POLL_MS = 5_000;

export async function watchExecution(
  env: Pick<CommandEnv, 'out' | 'now' | 'sleep'> & { clients: Pick<AwsClients, 'sfn'> },
  execution: { arn: string; name: string },
  pollMs = WAIT_POLL_MS,
): Promise<ExitCode> {
  const { out } = env;
  out.line(`Waiting for ${execution.name} (Ctrl-C stops waiting; the workflow goes on):`);
  let shown = 0;
  for (;;) {
    const progress = progressFromHistory(await executionHistory(env.clients.sfn, execution.arn));
    if (out.isTTY) {
      out.status(statusLine(progress, execution.name, env.now()));
    } else {
      for (const visit of progress.visits.slice(shown)) out.line(stepLine(visit, progress.startedAt));
    }
    shown = progress.visits.length;
    if (progress.outcome !== 'RUNNING') {
      out.clearStatus();
      const lines = outcomeLines(progress, execution.name);
      if (progress.outcome === 'SUCCEEDED') {
        lines.forEach((line) => out.line(line));
        return EXIT.ok;
      }
      lines.forEach((line) => out.error(line));
      return EXIT.failed;
    }
    await env.sleep(pollMs);
  }
}
