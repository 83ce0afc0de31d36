/**
 * Plays a demand trace on the simulated clock, period by period, as the deployed system would
 * live it: the users reach the edges and the collector publishes each period's datapoints (or,
 * with demand.source external, the user's publisher puts them) into CloudWatch (the emulator), the alarms
 * are evaluated at the end of their periods, each state change goes to the bundled decision
 * Lambda, the bundled reconciler runs on its schedule, and the executor bridge runs every workflow
 * execution they start; a deploy of a changed configuration (--rollout-at) happens at its time.
 * The timeline shows it all as it happens.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { setTimeout as sleep } from 'node:timers/promises';
import { publishDemand } from '../functions/adapters/demand-publisher';
import type { AutoscalerConfig } from '../functions/domain/config';
import type { DemandSample } from '../functions/domain/demand-metric';
import type { DemandTrace } from '../simulator/trace';
import type { AlarmWatch } from './alarm-watch';
import type { EdgeDemand } from './edge-demand';
import { alarmDecisionEvent, reconcileActionEvent } from './decision-events';
import type { ExecutorBridge } from './executor-bridge';
import type { LocalLambdas } from './local-lambdas';
import type { SimulatedClock } from './simulated-clock';
import type { Timeline } from './timeline';

export interface ScenarioPlayerDeps {
  config: AutoscalerConfig;
  trace: DemandTrace;
  clock: SimulatedClock;
  cloudWatch: CloudWatchClient;
  alarms: AlarmWatch;
  lambdas: Pick<LocalLambdas, 'decide' | 'reconcile'>;
  bridge: ExecutorBridge;
  timeline: Timeline;
  /** With demand.source edge-counters: the users reach the edges' counters and the collector publishes. */
  edgeDemand?: EdgeDemand;
  /** A `cdk deploy` at a simulated time (at the end of the period it falls in, before that pass of the reconciler). */
  deploy?: { atMs: number; run(): Promise<void> };
  signal?: AbortSignal;
}

export class ScenarioPlayer {
  /** The reconciler pass under way, beside the scenario (EventBridge invokes the Lambda on its own). */
  private reconciler: Promise<void> = Promise.resolve();
  /** Elastic regions whose publisher is silent, since when. */
  private silentSince = new Map<string, number>();

  /** The deploy still to come. */
  private deploy: ScenarioPlayerDeps['deploy'];

  constructor(private readonly deps: ScenarioPlayerDeps) {
    this.deploy = deps.deploy;
  }

  /** Plays every period; returns false when interrupted. */
  async play(): Promise<boolean> {
    const { trace, clock, config, signal } = this.deps;
    const stepMs = trace.stepSeconds * 1000;
    const reconcileMs = config.scaling.reconcileIntervalMinutes * 60_000;
    // The reconciler's first pass is what brings the always-on regions up: no manual step. It is
    // the Lambdas' cold start, the slowest pass: the clock waits for it before the first period ends.
    clock.advanceTo(trace.startMs, trace.startMs + stepMs - 1);
    this.reconciler = this.reconcile(trace.startMs);
    for (let period = 0; period < trace.periods; period++) {
      const endMs = trace.startMs + (period + 1) * stepMs;
      await this.deps.edgeDemand?.beginPeriod(endMs - stepMs, trace.stepSeconds, this.usersOf(period));
      try {
        await sleep(clock.realMsUntil(endMs), undefined, { signal });
      } catch {
        return false; // aborted
      }
      // A reconciler pass, like a task Lambda call, takes about a second in AWS: however slow this
      // machine, the simulated clock (capped just before this period's end) waits for it to finish,
      // or the pass would read alarm states that changed minutes after it began.
      await this.reconciler;
      await this.deps.bridge.whenTasksIdle();
      clock.advanceTo(endMs, endMs + stepMs - 1);
      if (this.deploy && endMs >= this.deploy.atMs) {
        await this.deploy.run();
        this.deploy = undefined;
      }
      await this.publish(period);
      await this.evaluateAlarms(endMs);
      if ((endMs - trace.startMs) % reconcileMs === 0) this.reconciler = this.reconcile(endMs);
    }
    await this.reconciler;
    return !signal?.aborted;
  }

  private usersOf(period: number): Map<string, number> {
    const { trace } = this.deps;
    return new Map(trace.regions.map((region) => [region, trace.users.get(region)![period]!]));
  }

  /**
   * The datapoints of one period: the collector's run for it (edge-counted demand), or the user's
   * own publisher (PutMetricData in the home region).
   */
  private async publish(period: number): Promise<void> {
    const { trace, config, timeline, edgeDemand } = this.deps;
    if (edgeDemand) {
      await edgeDemand.collect(trace.startMs + (period + 1) * trace.stepSeconds * 1000);
      return;
    }
    const at = trace.startMs + period * trace.stepSeconds * 1000;
    const samples: DemandSample[] = [];
    for (const region of trace.regions) {
      const users = trace.users.get(region)![period]!;
      if (!Number.isNaN(users)) samples.push({ region, users, timestamp: new Date(at) });
      if (!config.regions.elastic.includes(region)) continue;
      const silent = this.silentSince.get(region);
      if (Number.isNaN(users) && silent === undefined) {
        this.silentSince.set(region, at);
        timeline.record({
          kind: 'demand',
          at: Date.now(),
          region,
          detail: 'publisher silent: no datapoint (the scale-down alarm treats missing data as not breaching)',
        });
      } else if (!Number.isNaN(users) && silent !== undefined) {
        this.silentSince.delete(region);
        timeline.record({
          kind: 'demand',
          at: Date.now(),
          region,
          detail: `datapoints again after ${Math.round((at - silent) / 60_000)} min of silence`,
        });
      }
    }
    if (samples.length) await publishDemand(this.deps.cloudWatch, config, samples);
  }

  /** Each alarm change goes to the decision Lambda as the EventBridge event CloudWatch sends. */
  private async evaluateAlarms(endMs: number): Promise<void> {
    const { alarms, lambdas, timeline, bridge } = this.deps;
    for (const change of await alarms.evaluate(endMs)) {
      const { region, alarmName, direction } = change.alarm;
      timeline.record({ kind: 'alarm', at: change.at, region, alarmName, from: change.from, to: change.to });
      try {
        const event = alarmDecisionEvent(await lambdas.decide(change.event), direction, Date.now());
        if (event) timeline.record(event);
      } catch (error) {
        timeline.record({
          kind: 'failure',
          at: Date.now(),
          region,
          detail: `decision Lambda failed (EventBridge would retry): ${(error as Error).message}`,
        });
      }
      await bridge.pickUpNewExecutions();
    }
  }

  private async reconcile(scheduledAt: number): Promise<void> {
    const { lambdas, timeline, bridge, signal } = this.deps;
    if (signal?.aborted) return;
    try {
      const { actions } = await lambdas.reconcile({
        source: 'aws.events',
        'detail-type': 'Scheduled Event',
        time: new Date(scheduledAt).toISOString(),
      });
      for (const action of actions) {
        timeline.record(reconcileActionEvent(action, Date.now(), this.deps.alarms.askedDirection(action.region)));
      }
      await bridge.pickUpNewExecutions();
    } catch (error) {
      timeline.record({
        kind: 'failure',
        at: Date.now(),
        region: '-',
        detail: `reconciler pass of ${new Date(scheduledAt).toISOString()} failed: ${(error as Error).message}`,
      });
    }
  }
}
