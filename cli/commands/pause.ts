/**
 * `regionctl pause <region> [--for DURATION]` / `regionctl resume <region>`: the decision Lambda
 * and the reconciler leave a paused region alone (decideScaling's "paused" rule) until the pause
 * expires or is lifted. A running execution is not stopped; an operator can still force up/down.
 * Both write only `pausedUntil` (a workflow finishing at the same moment keeps its own fields).
 */
import { StateStore } from '../../functions/adapters/state-store';
import { parseDuration } from '../../functions/domain/duration';
import { formatDuration } from '../../functions/domain/scaling-policy';
import { reportingFailures, type CommandEnv } from '../command-env';
import { discoverDeployment, requireApprovedRegion } from '../discovery';
import { EXIT, type ExitCode } from '../exit-codes';
import { describePause, PAUSED_UNTIL_RESUMED } from '../pause-until';

export function pauseRegion(env: CommandEnv, region: string, options: { for?: string } = {}): Promise<ExitCode> {
  return reportingFailures(env.out, async () => {
    const seconds = options.for === undefined ? undefined : parseDuration(options.for, '--for');
    const deployment = await discoverDeployment(env.clients, env.target);
    requireApprovedRegion(deployment.config, region);
    const now = env.now();
    const pausedUntil =
      seconds === undefined ? PAUSED_UNTIL_RESUMED : new Date(now.getTime() + seconds * 1000).toISOString();
    const store = new StateStore(env.clients.dynamo, deployment.stateTableName);
    await store.setOperatorFields(region, { pausedUntil }, now);
    const span = seconds === undefined ? '' : ` (${formatDuration(seconds)})`;
    env.out.line(`Paused autoscaling of ${region} ${describePause(pausedUntil)}${span}.`);
    env.out.line(
      `  Alarms and the reconciler leave it alone; a running execution is not stopped. Lift it with: regionctl resume ${region}`,
    );
    return EXIT.ok;
  });
}

export function resumeRegion(env: CommandEnv, region: string): Promise<ExitCode> {
  return reportingFailures(env.out, async () => {
    const deployment = await discoverDeployment(env.clients, env.target);
    requireApprovedRegion(deployment.config, region);
    const now = env.now();
    const store = new StateStore(env.clients.dynamo, deployment.stateTableName);
    const { pausedUntil } = await store.setOperatorFields(region, { pausedUntil: undefined }, now);
    const wasPaused = pausedUntil && new Date(pausedUntil) > now ? pausedUntil : undefined;
    env.out.line(
      wasPaused
        ? `Resumed autoscaling of ${region} (it was paused ${describePause(wasPaused)}).`
        : `Autoscaling of ${region} was not paused; nothing to resume.`,
    );
    return EXIT.ok;
  });
}
