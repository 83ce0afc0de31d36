/**
 * Workflow costs, counted from local executions of the deployed definitions in a virtual world
 * where the cluster takes 10 minutes to become ACTIVE, the nodegroup 3 and the load balancer 2:
 * state transitions (what Step Functions bills) and Lambda invocations per scale-up/scale-down;
 * and per warm scale-up (the warm path: a WARM region's nodes from its warm pool in a minute).
 */
import { exampleConfig } from '../test/support/config-fixtures';
import { runInVirtualWorld } from '../test/support/run-in-virtual-world';
import { BENCH_TIMINGS, VirtualAwsWorld } from '../test/support/virtual-aws-world';

export interface WorkflowFigures {
  transitionsPerScaleUp: number;
  transitionsPerScaleDown: number;
  lambdaInvocationsPerScaleUp: number;
  lambdaInvocationsPerScaleDown: number;
  scaleUpSimulatedMinutes: number;
  scaleDownSimulatedMinutes: number;
  /** A scale-up of a WARM region (warm.regions, warm pool on), after a warm-up. */
  transitionsPerWarmScaleUp: number;
}

export async function measureWorkflows(): Promise<WorkflowFigures> {
  const world = new VirtualAwsWorld(exampleConfig(), BENCH_TIMINGS);
  const up = await runInVirtualWorld(world, 'scaleUp', { region: 'ap-southeast-1', reason: 'bench' });
  const upCalls = world.calls.length;
  if (up.status !== 'SUCCEEDED') throw new Error(`bench scale-up failed: ${up.error} ${up.cause}`);
  const down = await runInVirtualWorld(world, 'scaleDown', { region: 'ap-southeast-1', reason: 'bench' });
  if (down.status !== 'SUCCEEDED') throw new Error(`bench scale-down failed: ${down.error} ${down.cause}`);
  const warmUp = { region: 'ap-southeast-1', reason: 'bench', target: 'WARM' };
  const warmWorld = new VirtualAwsWorld(
    exampleConfig((raw) => void (raw.warm = { regions: ['ap-southeast-1'] })),
    BENCH_TIMINGS,
  );
  const warm = await runInVirtualWorld(warmWorld, 'scaleUp', warmUp);
  if (warm.status !== 'SUCCEEDED') throw new Error(`bench warm-up failed: ${warm.error} ${warm.cause}`);
  const resume = await runInVirtualWorld(warmWorld, 'scaleUp', { region: 'ap-southeast-1', reason: 'bench' });
  if (resume.status !== 'SUCCEEDED') throw new Error(`bench warm scale-up failed: ${resume.error} ${resume.cause}`);
  return {
    transitionsPerScaleUp: up.statesEntered.length,
    transitionsPerScaleDown: down.statesEntered.length,
    lambdaInvocationsPerScaleUp: upCalls,
    lambdaInvocationsPerScaleDown: world.calls.length - upCalls,
    scaleUpSimulatedMinutes: Math.round(up.waitedSeconds / 6) / 10,
    scaleDownSimulatedMinutes: Math.round(down.waitedSeconds / 6) / 10,
    transitionsPerWarmScaleUp: resume.statesEntered.length,
  };
}
