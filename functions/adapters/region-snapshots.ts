/**
 * What the scaling policy needs to know about every approved region right now: its state item,
 * whether its lock item exists, and whether one of its workflow executions runs.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import { approvedRegions, type AutoscalerConfig } from '../domain/config';
import type { RegionSnapshot } from '../domain/scaling-policy';
import {
  isExecutionFor,
  listRunningExecutions,
  type RunningExecution,
  type ScalingStateMachines,
} from './scaling-executions';
import type { StateStore } from './state-store';

export interface FleetView {
  snapshots: RegionSnapshot[];
  running: RunningExecution[];
}

export async function loadFleetView(
  store: StateStore,
  sfn: SFNClient,
  config: AutoscalerConfig,
  machines: ScalingStateMachines,
  now: Date,
): Promise<FleetView> {
  const regions = approvedRegions(config);
  const [states, locks, running] = await Promise.all([
    store.getRegionStates(regions, now),
    Promise.all(regions.map((r) => store.getLock(r))),
    listRunningExecutions(sfn, machines),
  ]);
  const snapshots = states.map((state, i) => ({
    ...state,
    locked: locks[i] !== undefined,
    executionRunning: running.some((e) => isExecutionFor(e.name, state.region)),
  }));
  return { snapshots, running };
}
