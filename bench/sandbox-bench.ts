/**
 * Scale-up lead times with AWS's timings (the sandbox's realistic table, sandbox/aws-timings.ts):
 * what deploys (a fresh synth: the bundled task Lambdas and the synthesized definitions) run
 * against a moto server of its own through the emulated cloud's lead times, on a virtual clock
 * (sandbox/lead-time-probe.ts). The cold figure is an elastic region's first scale-up, the warm
 * one its scale-up from WARM; the overhead is the cold lead time minus the emulated AWS time in it.
 */
import { namedProfile } from '../sandbox/aws-timings';
import { probeLeadTimes } from '../sandbox/lead-time-probe';
import { exampleConfig } from '../test/support/config-fixtures';

export interface SandboxFigures {
  coldScaleUpSimulatedMinutes: number;
  /** Undefined while the workflows have no warm path (`warmUnavailable` says why). */
  warmScaleUpSimulatedMinutes?: number;
  controlPlaneOverheadSeconds: number;
  warmUnavailable?: string;
}

const ELASTIC = 'ap-southeast-1';
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

export async function measureSandboxLeadTimes(): Promise<SandboxFigures> {
  const config = exampleConfig((raw) => {
    raw.regions.elastic = [ELASTIC];
    raw.scaling.maxElasticActive = 1;
    raw.scaling.regionOverrides = {};
    raw.warm = { ...raw.warm, regions: [ELASTIC] };
    raw.demand = { source: 'external' };
  });
  const probe = await probeLeadTimes({
    config,
    region: ELASTIC,
    timings: namedProfile('realistic'),
    write: (line) => console.error(line),
  });
  if (probe.cold.tier !== 'cold') throw new Error(`bench: the first scale-up of ${ELASTIC} was ${probe.cold.tier}`);
  return {
    coldScaleUpSimulatedMinutes: round(probe.cold.leadSeconds / 60, 1),
    warmScaleUpSimulatedMinutes: probe.warm && round(probe.warm.leadSeconds / 60, 1),
    controlPlaneOverheadSeconds: round(probe.cold.overheadSeconds, 0),
    warmUnavailable: probe.warmUnavailable,
  };
}
