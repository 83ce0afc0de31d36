/**
 * Measures the scale-up lead times of what deploys against the emulated cloud, without a demand
 * scenario: the synthesized scale-up and scale-down definitions run locally with the bundled task
 * Lambdas, against moto through the AWS proxy with the emulated lead times (the sandbox's own
 * setup, sandbox-run.ts), on a virtual clock that only the Wait states move (a Lambda call takes
 * no simulated time; the 16 minutes of a cold scale-up take seconds). The benchmark and a test
 * read it:
 *   1. an always-on region comes up (cold): it serves, so the elastic region may scale down later;
 *   2. the elastic region comes up (cold);
 *   3. past its minimum active time, it scales down to WARM, when it is a warm region and the
 *      workflows have that path;
 *   4. past the cooldown, it comes up again from WARM (warm).
 * The lead time of a step is its execution's duration on the virtual clock; the emulated AWS
 * time and the control plane's overhead in it come from lead-times.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StateStore } from '../functions/adapters/state-store';
import { isWarmRegion, type AutoscalerConfig } from '../functions/domain/config';
import type { WorkflowInputRaw } from '../functions/domain/workflow-input';
import type { SynthesizedDeployment } from '../infra/synthesized-deployment';
import type { WorkflowName } from '../workflows/definitions';
import { runWorkflowLocally } from '../workflows/run-locally';
import type { NamedTimings } from './aws-timings';
import { scaleUpLeadTime, type ScaleUpLeadTime } from './lead-times';
import { prepareSandbox, runCleanups, type Cleanups, type PreparedSandbox } from './sandbox-run';
import { installSimulatedDate } from './simulated-clock';
import type { Writer } from './timeline';

export interface LeadTimeProbeOptions {
  /** Its first always-on region is brought up first; `region` must be elastic. */
  config: AutoscalerConfig;
  region: string;
  timings: NamedTimings;
  /** As for runSandbox: a moto server and a synthesized deployment to use, else its own. */
  motoEndpoint?: string;
  synthesized?: SynthesizedDeployment;
  write?: Writer;
}

export interface LeadTimeProbe {
  /** The always-on region's scale-up and the elastic region's, both cold. */
  alwaysOnCold: ScaleUpLeadTime;
  cold: ScaleUpLeadTime;
  /** The elastic region's scale-up from WARM; undefined with the reason when there was none. */
  warm?: ScaleUpLeadTime;
  warmUnavailable?: string;
}

const HOUR_MS = 3_600_000;

export async function probeLeadTimes(options: LeadTimeProbeOptions): Promise<LeadTimeProbe> {
  const { config, region } = options;
  const write = options.write ?? (() => undefined);
  const alwaysOn = config.regions.alwaysOn[0];
  if (!alwaysOn) throw new Error('The lead-time probe needs an always-on region (regions.alwaysOn)');
  if (!config.regions.elastic.includes(region)) {
    throw new Error(`The lead-time probe's region ${region} is not an elastic region (regions.elastic)`);
  }
  const cleanups: Cleanups = [];
  try {
    const prepared = await prepareSandbox({ ...options, write }, cleanups);
    // A day ago, so that the virtual clock never runs ahead of the emulator's real one.
    let now = Date.now() - 24 * HOUR_MS;
    cleanups.push(installSimulatedDate(() => now));
    let runs = 0;
    const run = async (workflow: WorkflowName, input: WorkflowInputRaw) => {
      const startedAt = now;
      const executionName = `${workflow === 'scaleUp' ? 'up' : 'down'}-${input.region}-probe-${++runs}`;
      const result = await runWorkflowLocally(prepared.synthesized.definitions[workflow], input, {
        tasks: prepared.lambdas.tasks,
        executionName,
        onWait: (seconds) => void (now += seconds * 1000),
      });
      if (result.status !== 'SUCCEEDED') {
        throw new Error(`The probe's ${executionName} failed: ${result.error}: ${result.cause}`);
      }
      write(`${executionName} SUCCEEDED after ${Math.round((now - startedAt) / 1000)} s (simulated)`);
      return { executionName, startedAt, finishedAt: now };
    };
    const scaleUp = async (upRegion: string) => {
      const execution = await run('scaleUp', { region: upRegion, reason: 'lead-time probe', requestedBy: 'operator' });
      return leadTimeOf(prepared, upRegion, execution);
    };

    const alwaysOnCold = await scaleUp(alwaysOn);
    const cold = await scaleUp(region);
    if (!isWarmRegion(config, region)) return { alwaysOnCold, cold, warmUnavailable: `${region} is not a warm region` };
    now += config.scaling.minActiveSeconds * 1000 + HOUR_MS;
    await run('scaleDown', { region, reason: 'lead-time probe', requestedBy: 'operator', target: 'WARM' });
    const { status } = await stateStore(prepared).getRegionState(region, new Date(now));
    if (status !== 'WARM') {
      return { alwaysOnCold, cold, warmUnavailable: `the scale-down to WARM left ${region} ${status}` };
    }
    now += config.scaling.cooldownSeconds * 1000 + 60_000;
    return { alwaysOnCold, cold, warm: await scaleUp(region) };
  } finally {
    await runCleanups(cleanups, write);
  }
}

function leadTimeOf(
  prepared: PreparedSandbox,
  region: string,
  execution: { executionName: string; startedAt: number; finishedAt: number },
): ScaleUpLeadTime {
  const leadTime = scaleUpLeadTime(
    {
      ...execution,
      executionArn: execution.executionName,
      region,
      regions: [region],
      direction: 'up',
      status: 'SUCCEEDED',
    },
    prepared.leadTimes,
  );
  return leadTime!;
}

function stateStore(prepared: PreparedSandbox): StateStore {
  const { config, controlPlane } = prepared.deployment;
  const dynamo = new DynamoDBClient({ region: config.homeRegion, endpoint: prepared.urls.moto, maxAttempts: 2 });
  return new StateStore(DynamoDBDocumentClient.from(dynamo), controlPlane.stateTableName);
}
