/**
 * The what-if simulator: replays a demand trace through the deployed system's configuration,
 * CloudWatch alarm evaluation (evaluateAlarm), missing-data treatments (alarm-policy), decision
 * rules (decideScaling), demand forecast (DemandProfile) and pre-warm plans (planPreWarm), with a
 * provisioning model, and compares the outcome with two baselines: every approved region always
 * on, and an oracle with perfect foresight under the same rules.
 *
 * The deployed system, as modelled here:
 * - Always-on regions serve throughout (the reconciler keeps them up).
 * - Each elastic region has a scale-up and a scale-down alarm, evaluated at the end of every alarm
 *   period over an evaluation range of N + 2 periods. A transition into ALARM is an 'alarm'
 *   request; every reconcileIntervalMinutes the reconciler re-requests what a region whose alarm is
 *   still in ALARM has not got yet (up for an INACTIVE or WARM region, down for an ACTIVE one),
 *   tears down a WARM region past warm.keepHours (warmExpired), and acts on the forecast.
 * - Transitions and their durations (config.provisioning): INACTIVE -> ACTIVE scaleUpSeconds,
 *   WARM -> ACTIVE warmScaleUpSeconds, INACTIVE -> WARM (warm-up) warmUpSeconds, ACTIVE -> WARM
 *   warmDownSeconds, ACTIVE -> INACTIVE scaleDownSeconds, WARM -> INACTIVE (warm teardown)
 *   scaleDownSeconds. Where a scale-down ends is decideScaling's verdict (`target`). A region
 *   serves from the end of its scale-up to the start of its scale-down (the record is withdrawn
 *   first). The workflows set lastTransitionAt at the start and at the end of each, activeSince
 *   when serving starts, warmSince when the region becomes WARM; a region is locked meanwhile.
 * - Predictive pre-warm (forecast.mode "on"): every elastic region has a DemandProfile fed, at each
 *   step, only the datapoints of the periods already over (no look-ahead); at each reconcile,
 *   planPreWarm's scale-up or warm-up is asked of decideScaling like any reconciler request. With
 *   "forecast-only" the plans are only recorded (events `pre-warm-planned`).
 * - Demand-ranked slots: every snapshot carries `demand`, the larger of the newest datapoint and
 *   the forecast one cold lead time ahead (the newest datapoint alone while the profile is not
 *   ready; unknown while the datapoint is missing). A scale-up refused with `preempt` scales the
 *   named region down, then asks again.
 * - Alarm datapoints are the Maximum of the trace's values within an alarm period (periods counted
 *   from the trace's first timestamp); the trace's step must divide the alarm period.
 *
 * Accounting is per trace step: a region serves during a step when it is ACTIVE at its start. A
 * region costs the cluster price (clusterPrice) while nodes run: from the start of a scale-up (a
 * warm one included) to the end of a scale-down; the warm price (warmPrice) while it is WARM, warming
 * up or being torn down from WARM. A user-minute is far when the user's region is not serving;
 * missing datapoints count no users.
 */
import { evaluateAlarmOverSeries, evaluationRangeLength, type AlarmState } from '../functions/domain/alarm-evaluation';
import { demandAlarmsFor, type DemandAlarms } from '../functions/domain/alarm-policy';
import { approvedRegions, regionList, type AutoscalerConfig, type RegionList } from '../functions/domain/config';
import { BIN_SECONDS, DemandProfile, forecastSettings } from '../functions/domain/demand-forecast';
import { demandOf, FRESH_PERIODS, type RegionForecast } from '../functions/domain/forecast-actions';
import { leadTimes, planPreWarm, type LeadTimes, type PreWarmPlan } from '../functions/domain/pre-warm';
import { clusterPrice, warmPrice, type ClusterPrice } from '../functions/domain/pricing';
import type { RegionStatus, TransitionTarget } from '../functions/domain/region-state';
import {
  decideScaling,
  scaleDownTarget,
  warmExpired,
  type RegionSnapshot,
  type RequestSource,
  type Verdict,
} from '../functions/domain/scaling-policy';
import { formatIsoUtc, parseIsoUtc, type DemandTrace } from './trace';

export interface Pause {
  region: string;
  /** ISO-8601 UTC. */
  from: string;
  /** ISO-8601 UTC. */
  until: string;
}

export interface SimulationOptions {
  /** Periods during which autoscaling of a region is paused (like `regionctl pause`). */
  pauses?: Pause[];
  /** Node price in USD per hour, replacing the price table's (e.g. for an instance type it lacks). */
  nodeUsdPerHour?: number;
}

export type SimulationAction =
  | 'scale-up-start'
  | 'scale-up-done'
  | 'scale-down-start'
  | 'scale-down-done'
  | 'rejected'
  /** INACTIVE -> WARM. */
  | 'warm-up-start'
  | 'warm-up-done'
  /** WARM -> INACTIVE. */
  | 'warm-teardown-start'
  | 'warm-teardown-done'
  /** forecast.mode "forecast-only": what the pre-warm would have started. */
  | 'pre-warm-planned';

export interface SimulationEvent {
  at: string;
  region: string;
  action: SimulationAction;
  reason: string;
}

export interface RegionResult {
  list: RegionList;
  servingMinutes: number;
  clusterHours: number;
  costUsd: number;
  /** Hours WARM, warming up or torn down from WARM (at the warm price); the simulator always sets it. */
  warmHours?: number;
}

export interface Totals {
  /** Hours of clusters with nodes (provisioning, serving, draining), at the cluster price. */
  clusterHours: number;
  /** Cluster hours at the cluster price plus warm hours at the warm price. */
  costUsd: number;
  userMinutes: number;
  farUserMinutes: number;
  /** Transitions started: scale-ups and scale-downs, warm-ups and warm teardowns included. */
  scaleEvents: number;
  /** Hours of the warm tier (at the warm price); the simulator always sets it. */
  warmHours?: number;
}

/** What `regionctl simulate --json` prints. */
export interface SimulationReport {
  events: SimulationEvent[];
  regions: Record<string, RegionResult>;
  totals: Totals;
  baselines: { allOn: Totals; oracle: Totals };
}

/** [start, end) in epoch ms. */
export type Interval = [number, number];

/** The report plus what the text and HTML reports draw. */
export interface SimulationRun {
  report: SimulationReport;
  trace: DemandTrace;
  config: AutoscalerConfig;
  price: ClusterPrice;
  /** What one WARM region costs per hour. */
  warmPrice: ClusterPrice;
  /** When each approved region served, in the simulated run and in the oracle's. */
  serving: Map<string, Interval[]>;
  oracleServing: Map<string, Interval[]>;
  /** When each approved region was WARM, in the simulated run and in the oracle's. */
  warm: Map<string, Interval[]>;
  oracleWarm: Map<string, Interval[]>;
  /**
   * Per elastic region and trace step, the forecast the simulated run had for that step one cold
   * lead time earlier (NaN: none yet, or forecast.mode off). What the pre-warm acted on.
   */
  forecast: Map<string, Float64Array>;
  /** Trace regions in neither list: never served, all their users are far. */
  unapprovedRegions: string[];
}

const INACTIVE = 0;
const PROVISIONING = 1;
const ACTIVE = 2;
const DRAINING = 3;
const WARM = 4;
const STATUS_NAMES: RegionStatus[] = ['INACTIVE', 'PROVISIONING', 'ACTIVE', 'DRAINING', 'WARM'];

/** What a region costs during a step. */
const NO_COST = 0;
const WARM_COST = 1;
const CLUSTER_COST = 2;

/** One approved region in a run: its policy snapshot and its counters. */
interface RegionMachine {
  region: string;
  list: RegionList;
  snapshot: RegionSnapshot;
  status: number;
  cost: number;
  /** When the running workflow finishes (epoch ms). */
  doneAtMs: number;
  /** When it started, and how it was described (for the done event). */
  startedAtMs: number;
  users: Float64Array | undefined;
  servingSteps: number;
  clusterSteps: number;
  warmSteps: number;
  serving: Interval[];
  warm: Interval[];
  /** Rule of the last rejection recorded since the last transition (repeats are reported once). */
  lastRejectedRule: string | undefined;
}

/** The regions of one run, the policy calls and the accounting, shared by the simulated and the oracle run. */
class Fleet {
  readonly machines: RegionMachine[];
  readonly snapshots: RegionSnapshot[];
  readonly events: SimulationEvent[] = [];
  elasticOccupied = 0;
  scaleEvents = 0;
  /** Earliest time a running workflow finishes (epoch ms). */
  private nextDoneMs = Infinity;
  userSum = 0;
  farSum = 0;
  private readonly unapprovedUsers: Float64Array[];
  private readonly byRegion: Map<string, RegionMachine>;

  constructor(
    private readonly config: AutoscalerConfig,
    private readonly trace: DemandTrace,
    private readonly recordEvents: boolean,
  ) {
    const startIso = formatIsoUtc(trace.startMs);
    this.machines = approvedRegions(config).map((region) => {
      const list = regionList(config, region)!;
      const on = list === 'always-on';
      const snapshot: RegionSnapshot = {
        region,
        status: on ? 'ACTIVE' : 'INACTIVE',
        since: startIso,
        consecutiveFailures: 0,
        locked: false,
        executionRunning: false,
        ...(on ? { activeSince: startIso } : {}),
      };
      return {
        region,
        list,
        snapshot,
        status: on ? ACTIVE : INACTIVE,
        cost: on ? CLUSTER_COST : NO_COST,
        doneAtMs: Infinity,
        startedAtMs: trace.startMs,
        users: trace.users.get(region),
        servingSteps: 0,
        clusterSteps: 0,
        warmSteps: 0,
        serving: on ? [[trace.startMs, Infinity]] : [],
        warm: [],
        lastRejectedRule: undefined,
      };
    });
    this.snapshots = this.machines.map((m) => m.snapshot);
    this.byRegion = new Map(this.machines.map((m) => [m.region, m]));
    this.unapprovedUsers = trace.regions.filter((r) => !regionList(config, r)).map((r) => trace.users.get(r)!);
  }

  /** Asks the policy; starts the transition when it allows. Returns the verdict. */
  request(
    m: RegionMachine,
    direction: 'up' | 'down',
    source: RequestSource,
    nowMs: number,
    target?: TransitionTarget,
    why?: string,
  ): Verdict {
    const now = new Date(nowMs);
    const verdict = decideScaling(
      { region: m.region, direction, source, eventAt: now, ...(target ? { target } : {}) },
      this.snapshots,
      this.config,
      now,
    );
    const iso = this.isoOf(nowMs);
    m.snapshot.lastDecisionEventAt = iso;
    if (!verdict.allowed) {
      if (this.recordEvents && verdict.rule !== m.lastRejectedRule) {
        const what = target === 'WARM' && direction === 'up' ? 'warm-up' : direction;
        this.events.push({
          at: iso,
          region: m.region,
          action: 'rejected',
          reason: `${what} (${source}): ${verdict.reason}${why ? ` [${why}]` : ''}`,
        });
      }
      m.lastRejectedRule = verdict.rule;
      return verdict;
    }
    m.lastRejectedRule = undefined;
    const ends = verdict.target ?? (direction === 'up' ? 'ACTIVE' : 'INACTIVE');
    const p = this.config.provisioning;
    let seconds: number;
    let action: SimulationAction;
    const from = m.status;
    if (direction === 'up') {
      if (ends === 'WARM') {
        seconds = p.warmUpSeconds;
        action = 'warm-up-start';
        m.cost = WARM_COST;
      } else {
        seconds = from === WARM ? p.warmScaleUpSeconds : p.scaleUpSeconds;
        action = 'scale-up-start';
        m.cost = CLUSTER_COST;
        if (m.list === 'elastic') this.elasticOccupied++;
      }
      if (from === WARM) this.closeInterval(m.warm, nowMs);
      this.setStatus(m, PROVISIONING, iso);
    } else {
      if (from === ACTIVE) {
        this.closeInterval(m.serving, nowMs);
        if (m.list === 'elastic') this.elasticOccupied--;
      }
      if (from === WARM) {
        this.closeInterval(m.warm, nowMs);
        seconds = p.scaleDownSeconds;
        action = 'warm-teardown-start';
        m.cost = WARM_COST;
      } else {
        seconds = ends === 'WARM' ? p.warmDownSeconds : p.scaleDownSeconds;
        action = 'scale-down-start';
      }
      this.setStatus(m, DRAINING, iso);
    }
    m.snapshot.transitionTarget = ends;
    m.snapshot.transitionFrom = STATUS_NAMES[from]!;
    m.doneAtMs = nowMs + seconds * 1000;
    m.startedAtMs = nowMs;
    this.nextDoneMs = Math.min(this.nextDoneMs, m.doneAtMs);
    m.snapshot.lastTransitionAt = iso;
    m.snapshot.locked = true;
    m.snapshot.executionRunning = true;
    this.scaleEvents++;
    if (this.recordEvents) {
      this.events.push({
        at: iso,
        region: m.region,
        action,
        reason: why ? `${why}; ${verdict.reason}` : verdict.reason,
      });
    }
    return verdict;
  }

  /**
   * A scale-up (target ACTIVE or WARM) with demand-ranked slots: a max-elastic rejection that names a
   * region to preempt scales that region down, then asks again.
   */
  requestUp(m: RegionMachine, source: RequestSource, nowMs: number, target?: TransitionTarget, why?: string): Verdict {
    const verdict = this.request(m, 'up', source, nowMs, target, why);
    if (verdict.allowed || !verdict.preempt) return verdict;
    const weakest = this.byRegion.get(verdict.preempt.region)!;
    if (!this.request(weakest, 'down', 'reconciler', nowMs, undefined, verdict.preempt.reason).allowed) return verdict;
    return this.request(m, 'up', source, nowMs, target, why);
  }

  /** Finishes the workflows due by `nowMs`. */
  completeDue(nowMs: number): void {
    if (nowMs < this.nextDoneMs) return;
    this.nextDoneMs = Infinity;
    for (const m of this.machines) {
      if (m.doneAtMs > nowMs) {
        this.nextDoneMs = Math.min(this.nextDoneMs, m.doneAtMs);
        continue;
      }
      const doneAt = m.doneAtMs;
      const iso = formatIsoUtc(doneAt);
      const took = `${Number(((doneAt - m.startedAtMs) / 60_000).toFixed(1))} min`;
      m.doneAtMs = Infinity;
      m.snapshot.locked = false;
      m.snapshot.executionRunning = false;
      m.snapshot.lastTransitionAt = iso;
      const target = m.snapshot.transitionTarget;
      let action: SimulationAction;
      let reason: string;
      if (m.status === PROVISIONING && target === 'WARM') {
        this.becomeWarm(m, doneAt, iso);
        action = 'warm-up-done';
        reason = `WARM after ${took} of warm-up (control plane and load balancer, no node)`;
      } else if (m.status === PROVISIONING) {
        this.setStatus(m, ACTIVE, iso);
        m.snapshot.activeSince = iso;
        m.serving.push([doneAt, Infinity]);
        action = 'scale-up-done';
        reason = `serving after ${took} of provisioning`;
      } else if (target === 'WARM') {
        this.becomeWarm(m, doneAt, iso);
        action = 'scale-down-done';
        reason = `WARM ${took} after the record was withdrawn (nodes stopped, control plane kept)`;
      } else {
        const fromWarm = m.cost === WARM_COST;
        this.setStatus(m, INACTIVE, iso);
        m.cost = NO_COST;
        action = fromWarm ? 'warm-teardown-done' : 'scale-down-done';
        reason = fromWarm
          ? `cluster deleted ${took} after leaving WARM`
          : `cluster deleted ${took} after the record was withdrawn`;
      }
      if (this.recordEvents) this.events.push({ at: iso, region: m.region, action, reason });
    }
  }

  /** Counts serving, cluster and warm time and users for trace step `step`. */
  account(step: number): void {
    for (const m of this.machines) {
      const status = m.status;
      if (status === ACTIVE) m.servingSteps++;
      if (m.cost === CLUSTER_COST) m.clusterSteps++;
      else if (m.cost === WARM_COST) m.warmSteps++;
      const users = m.users;
      if (users === undefined) continue;
      const u = users[step]!;
      if (u !== u) continue; // missing datapoint
      this.userSum += u;
      if (status !== ACTIVE) this.farSum += u;
    }
    for (const users of this.unapprovedUsers) {
      const u = users[step]!;
      if (u === u) {
        this.userSum += u;
        this.farSum += u;
      }
    }
  }

  totals(price: ClusterPrice, warm: ClusterPrice): Totals {
    const stepHours = this.trace.stepSeconds / 3600;
    const clusterHours = this.machines.reduce((sum, m) => sum + m.clusterSteps, 0) * stepHours;
    const warmHours = this.machines.reduce((sum, m) => sum + m.warmSteps, 0) * stepHours;
    return {
      clusterHours: round(clusterHours),
      costUsd: round(clusterHours * price.usdPerHour + warmHours * warm.usdPerHour),
      userMinutes: round((this.userSum * this.trace.stepSeconds) / 60),
      farUserMinutes: round((this.farSum * this.trace.stepSeconds) / 60),
      scaleEvents: this.scaleEvents,
      warmHours: round(warmHours),
    };
  }

  regionResults(price: ClusterPrice, warm: ClusterPrice): Record<string, RegionResult> {
    const regions: Record<string, RegionResult> = {};
    const stepSeconds = this.trace.stepSeconds;
    for (const m of this.machines) {
      const clusterHours = (m.clusterSteps * stepSeconds) / 3600;
      const warmHours = (m.warmSteps * stepSeconds) / 3600;
      regions[m.region] = {
        list: m.list,
        servingMinutes: round((m.servingSteps * stepSeconds) / 60),
        clusterHours: round(clusterHours),
        costUsd: round(clusterHours * price.usdPerHour + warmHours * warm.usdPerHour),
        warmHours: round(warmHours),
      };
    }
    return regions;
  }

  intervals(endMs: number, which: 'serving' | 'warm'): Map<string, Interval[]> {
    return new Map(
      this.machines.map((m) => [m.region, m[which].map(([from, to]): Interval => [from, Math.min(to, endMs)])]),
    );
  }

  /** The region's scale-down would end WARM (decideScaling's rule for a request without a target). */
  wouldGoWarm(m: RegionMachine, nowMs: number): boolean {
    return scaleDownTarget(m.region, this.snapshots, this.config, new Date(nowMs)) === 'WARM';
  }

  private isoMs = NaN;
  private iso = '';

  /** formatIsoUtc, remembered for the step (a step asks many times). */
  private isoOf(ms: number): string {
    if (ms !== this.isoMs) {
      this.isoMs = ms;
      this.iso = formatIsoUtc(ms);
    }
    return this.iso;
  }

  private becomeWarm(m: RegionMachine, doneAt: number, iso: string): void {
    this.setStatus(m, WARM, iso);
    m.snapshot.warmSince = iso;
    m.cost = WARM_COST;
    m.warm.push([doneAt, Infinity]);
  }

  private closeInterval(intervals: Interval[], nowMs: number): void {
    const open = intervals[intervals.length - 1];
    if (open && open[1] === Infinity) open[1] = nowMs;
  }

  private setStatus(m: RegionMachine, status: number, iso: string): void {
    m.status = status;
    m.snapshot.status = STATUS_NAMES[status]!;
    m.snapshot.since = iso;
  }
}

/** Demand alarms of one elastic region, evaluated over its alarm-period series. */
interface RegionAlarms {
  machine: RegionMachine;
  alarms: DemandAlarms;
  /** Trace steps per alarm period. */
  stepsPerPeriod: number;
  /** Alarm datapoints (Maximum per period; NaN = missing). */
  datapoints: Float64Array;
  upRange: number;
  downRange: number;
  up: AlarmState;
  down: AlarmState;
}

/** Runs the simulation. Throws a clear error when the trace cannot drive this configuration. */
export function simulate(config: AutoscalerConfig, trace: DemandTrace, options: SimulationOptions = {}): SimulationRun {
  // The prices on the trace's first day: the version's support status then (extended support costs more).
  const price = clusterPrice(config, options.nodeUsdPerHour, new Date(trace.startMs));
  const warm = warmPrice(config, options.nodeUsdPerHour, new Date(trace.startMs));
  const pauses = parsePauses(config, options.pauses ?? []);
  const endMs = trace.startMs + trace.periods * trace.stepSeconds * 1000;
  const stepMs = trace.stepSeconds * 1000;

  // --- The simulated deployment ---
  const fleet = new Fleet(config, trace, true);
  const alarms: RegionAlarms[] = fleet.machines
    .filter((m) => m.list === 'elastic')
    .map((machine) => regionAlarms(config, trace, machine));
  const forecast = new SimulatedForecast(config, trace, alarms);
  const reconcileMs = config.scaling.reconcileIntervalMinutes * 60_000;
  let nextReconcileMs = trace.startMs + reconcileMs;
  let nextPause = 0;

  for (let step = 0; step < trace.periods; step++) {
    const nowMs = trace.startMs + step * stepMs;
    fleet.completeDue(nowMs);
    nextPause = applyPauses(pauses, nextPause, nowMs, fleet);
    forecast.advance(step, nowMs);
    for (const a of alarms) {
      if (step === 0 || step % a.stepsPerPeriod !== 0) continue;
      const period = step / a.stepsPerPeriod - 1;
      const up = evaluateAlarmOverSeries(a.alarms.scaleUp, a.datapoints, period, a.upRange, a.up);
      const down = evaluateAlarmOverSeries(a.alarms.scaleDown, a.datapoints, period, a.downRange, a.down);
      const upFired = up === 'ALARM' && a.up !== 'ALARM';
      const downFired = down === 'ALARM' && a.down !== 'ALARM';
      a.up = up;
      a.down = down;
      // The decision Lambda asks once per alarm event; a demand-ranked swap is the reconciler's (below).
      if (upFired) fleet.request(a.machine, 'up', 'alarm', nowMs);
      if (downFired) fleet.request(a.machine, 'down', 'alarm', nowMs);
    }
    if (nowMs >= nextReconcileMs) {
      nextReconcileMs += reconcileMs;
      forecast.updateDemand(nowMs);
      for (let i = 0; i < alarms.length; i++) reconcile(fleet, alarms[i]!, forecast, i, config, nowMs);
    }
    fleet.account(step);
  }

  const oracle = runOracle(config, trace, pauses, price, warm);
  return {
    report: {
      events: fleet.events,
      regions: fleet.regionResults(price, warm),
      totals: fleet.totals(price, warm),
      baselines: { allOn: allOnTotals(config, trace, price), oracle: oracle.totals },
    },
    trace,
    config,
    price,
    warmPrice: warm,
    serving: fleet.intervals(endMs, 'serving'),
    oracleServing: oracle.serving,
    warm: fleet.intervals(endMs, 'warm'),
    oracleWarm: oracle.warm,
    forecast: forecast.series,
    unapprovedRegions: trace.regions.filter((r) => !regionList(config, r)),
  };
}

/**
 * One reconciler pass for one elastic region, in the deployed reconciler's order, at most one
 * request per region: what its alarms still ask (a scale-up with demand-ranked slots, or a
 * scale-down of an ACTIVE region), else the forecast's pre-warm, else the warm tier's expiry.
 */
function reconcile(
  fleet: Fleet,
  a: RegionAlarms,
  forecast: SimulatedForecast,
  index: number,
  config: AutoscalerConfig,
  nowMs: number,
): void {
  const m = a.machine;
  const idle = m.status === INACTIVE || m.status === WARM;
  if (a.up === 'ALARM' && idle) {
    fleet.requestUp(m, 'reconciler', nowMs);
    return;
  }
  if (a.down === 'ALARM' && m.status === ACTIVE) {
    fleet.request(m, 'down', 'reconciler', nowMs);
    return;
  }
  if (!idle) return;
  const now = new Date(nowMs);
  const plan = forecast.plan(index, m.snapshot, now);
  if (config.forecast.mode === 'forecast-only') forecast.recordPlanned(fleet, m, plan, nowMs);
  if (plan.kind !== 'none') {
    if (config.forecast.mode === 'on') {
      fleet.requestUp(m, 'reconciler', nowMs, plan.kind === 'warm-up' ? 'WARM' : 'ACTIVE', plan.reason);
    }
    return;
  }
  if (m.status === WARM && warmExpired(m.snapshot, config, now)) {
    fleet.request(m, 'down', 'reconciler', nowMs, 'INACTIVE', `WARM for warm.keepHours (${config.warm.keepHours} h)`);
  }
}

/**
 * The simulated reconciler's forecast: a DemandProfile per elastic region fed, at each step, the
 * datapoint of the step just over (the past only); the snapshots' `demand` (demandOf, as the
 * deployed reconciler computes it); and the series the report draws.
 */
class SimulatedForecast {
  readonly series = new Map<string, Float64Array>();
  private readonly forecasts: RegionForecast[];
  private readonly lead: LeadTimes;
  private readonly aheadMs: number;
  private readonly aheadSteps: number;
  /** The series is drawn per forecast bin. */
  private readonly drawEvery: number;
  private readonly stepMs: number;
  private readonly planned = new Map<string, string | undefined>();
  /** forecast.mode is not off: the profiles learn. */
  private readonly learning: boolean;
  /** Step of each region's newest datapoint (-Infinity: none yet). */
  private readonly latestStep: number[];

  constructor(
    private readonly config: AutoscalerConfig,
    private readonly trace: DemandTrace,
    private readonly alarms: RegionAlarms[],
  ) {
    this.lead = leadTimes(config, {});
    this.aheadMs = this.lead.coldSeconds * 1000;
    this.stepMs = trace.stepSeconds * 1000;
    this.aheadSteps = Math.round(this.aheadMs / this.stepMs);
    this.drawEvery = Math.max(1, Math.round(BIN_SECONDS / trace.stepSeconds));
    this.learning = config.forecast.mode !== 'off';
    const settings = forecastSettings(config);
    this.forecasts = alarms.map(() => ({ profile: new DemandProfile(settings, trace.stepSeconds), lead: this.lead }));
    this.latestStep = alarms.map(() => -Infinity);
    if (this.learning) {
      for (const a of alarms) this.series.set(a.machine.region, new Float64Array(trace.periods).fill(NaN));
    }
  }

  /** At the start of `step`: learn the step just over; every 5 minutes, note the forecast one cold lead ahead. */
  advance(step: number, nowMs: number): void {
    const drawing = this.learning && step % this.drawEvery === 0;
    for (let i = 0; i < this.alarms.length; i++) {
      const m = this.alarms[i]!.machine;
      const forecast = this.forecasts[i]!;
      const latest = step > 0 && m.users ? m.users[step - 1]! : NaN;
      if (latest === latest) {
        if (this.learning) forecast.profile.observe(nowMs - this.stepMs, latest);
        forecast.latestUsers = latest;
        this.latestStep[i] = step - 1;
      } else if (step - 1 - this.latestStep[i]! >= FRESH_PERIODS) {
        forecast.latestUsers = undefined;
      }
      if (drawing && forecast.profile.ready(nowMs)) {
        const ahead = forecast.profile.expected(nowMs + this.aheadMs, nowMs);
        const from = step + this.aheadSteps;
        if (ahead !== undefined)
          this.series.get(m.region)!.fill(ahead, from, Math.min(this.trace.periods, from + this.drawEvery));
      }
    }
  }

  /** Each snapshot's demand, as the deployed reconciler computes it at the start of its pass (demandOf). */
  updateDemand(nowMs: number): void {
    const now = new Date(nowMs);
    for (let i = 0; i < this.alarms.length; i++) {
      const m = this.alarms[i]!.machine;
      m.snapshot.demand = demandOf(m.snapshot, this.forecasts[i]!, this.config, now);
    }
  }

  plan(index: number, snapshot: RegionSnapshot, now: Date): PreWarmPlan {
    return planPreWarm(snapshot, this.forecasts[index]!.profile, this.config, this.lead, now);
  }
  /** forecast-only: one event per plan, until the region's plan changes. */
  recordPlanned(fleet: Fleet, m: RegionMachine, plan: PreWarmPlan, nowMs: number): void {
    const key = plan.kind === 'none' ? undefined : `${plan.kind} ${m.status}`;
    if (this.planned.get(m.region) === key) return;
    this.planned.set(m.region, key);
    if (plan.kind === 'none') return;
    fleet.events.push({
      at: formatIsoUtc(nowMs),
      region: m.region,
      action: 'pre-warm-planned',
      reason: `forecast-only, not acted on: ${plan.kind}; ${plan.reason}`,
    });
  }
}

function regionAlarms(config: AutoscalerConfig, trace: DemandTrace, machine: RegionMachine): RegionAlarms {
  const alarms = demandAlarmsFor(config, machine.region);
  const stepsPerPeriod = alarms.periodSeconds / trace.stepSeconds;
  if (!Number.isInteger(stepsPerPeriod)) {
    throw new Error(
      `The trace has one datapoint every ${trace.stepSeconds} s, which does not divide the ${alarms.periodSeconds} s alarm period of ${machine.region}; fix: give the trace a period that divides ${alarms.periodSeconds} s (e.g. 60 s for 60 s alarms) or change scaling.thresholds.periodSeconds`,
    );
  }
  const users = machine.users ?? new Float64Array(trace.periods).fill(NaN);
  return {
    machine,
    alarms,
    stepsPerPeriod,
    datapoints: stepsPerPeriod === 1 ? users : maximumPerPeriod(users, stepsPerPeriod),
    upRange: evaluationRangeLength(alarms.scaleUp.evaluationPeriods),
    downRange: evaluationRangeLength(alarms.scaleDown.evaluationPeriods),
    up: 'INSUFFICIENT_DATA',
    down: 'INSUFFICIENT_DATA',
  };
}

/** The Maximum statistic (DEMAND_ALARM_STATISTIC) per alarm period over the trace steps it holds (NaN when all are missing). */
function maximumPerPeriod(users: Float64Array, stepsPerPeriod: number): Float64Array {
  const periods = Math.floor(users.length / stepsPerPeriod);
  const out = new Float64Array(periods);
  for (let p = 0; p < periods; p++) {
    let max = NaN;
    for (let i = p * stepsPerPeriod; i < (p + 1) * stepsPerPeriod; i++) {
      const u = users[i]!;
      if (u === u && !(u <= max)) max = u;
    }
    out[p] = max;
  }
  return out;
}

interface ParsedPause {
  machineRegion: string;
  fromMs: number;
  untilIso: string;
}

function parsePauses(config: AutoscalerConfig, pauses: Pause[]): ParsedPause[] {
  return pauses
    .map((p, i) => {
      const fromMs = parseIsoUtc(p.from);
      const untilMs = parseIsoUtc(p.until);
      if (!regionList(config, p.region)) {
        throw new Error(
          `pauses[${i}].region = ${p.region}: not an approved region; fix: name a region of regions.alwaysOn or regions.elastic`,
        );
      }
      if (Number.isNaN(fromMs) || Number.isNaN(untilMs) || untilMs <= fromMs) {
        throw new Error(`pauses[${i}] (${p.from} .. ${p.until}): fix: give ISO-8601 UTC times with from before until`);
      }
      return { machineRegion: p.region, fromMs, untilIso: formatIsoUtc(untilMs) };
    })
    .sort((a, b) => a.fromMs - b.fromMs);
}

/** Sets `pausedUntil` on the regions whose pause has begun; returns the next pause to watch. */
function applyPauses(pauses: ParsedPause[], next: number, nowMs: number, fleet: Fleet): number {
  while (next < pauses.length && pauses[next]!.fromMs <= nowMs) {
    const p = pauses[next]!;
    const snapshot = fleet.snapshots.find((s) => s.region === p.machineRegion)!;
    if (!snapshot.pausedUntil || snapshot.pausedUntil < p.untilIso) snapshot.pausedUntil = p.untilIso;
    next++;
  }
  return next;
}

function allOnTotals(config: AutoscalerConfig, trace: DemandTrace, price: ClusterPrice): Totals {
  const hours = (trace.periods * trace.stepSeconds) / 3600;
  const clusterHours = approvedRegions(config).length * hours;
  let users = 0;
  let far = 0;
  for (const region of trace.regions) {
    const series = trace.users.get(region)!;
    const approved = regionList(config, region) !== undefined;
    for (let i = 0; i < series.length; i++) {
      const u = series[i]!;
      if (u !== u) continue;
      users += u;
      if (!approved) far += u;
    }
  }
  const stepMinutes = trace.stepSeconds / 60;
  return {
    clusterHours: round(clusterHours),
    costUsd: round(clusterHours * price.usdPerHour),
    userMinutes: round(users * stepMinutes),
    farUserMinutes: round(far * stepMinutes),
    scaleEvents: 0,
    warmHours: 0,
  };
}

/**
 * Perfect foresight under the same rules. Each scale-up starts one provisioning time of its tier
 * (scaleUpSeconds, or warmScaleUpSeconds from WARM) before the region's demand rises above the
 * scale-up threshold, so it serves from that moment. "Falls below" is the scale-down alarm's own
 * condition (M of N below the scale-down threshold), acted on when the deployed system would act
 * (the alarm firing, then the reconciler), unless the demand rises again before the region could
 * be back (scale-down + cooldown + scale-up of the tier it goes to): with foresight it stays. A
 * warm region goes WARM (an explicit target, within the cost cap) only when its demand rises again
 * within warm.keepHours, else INACTIVE; a WARM region is torn down after warm.keepHours, as
 * deployed. The oracle never warms a region up: its scale-ups start exactly in time. When more regions want a slot than
 * scaling.maxElasticActive allows, the regions with the most users in the coming hour ask first,
 * and each snapshot's `demand` is its mean users over the coming hour (from when it could serve,
 * for a waiting region): decideScaling's demand-ranked slots decide the swaps, and its rules every
 * request (cooldown, minimum active time, maximum elastic regions, pauses, the warm cost cap).
 */
function runOracle(
  config: AutoscalerConfig,
  trace: DemandTrace,
  pauses: ParsedPause[],
  price: ClusterPrice,
  warm: ClusterPrice,
): { totals: Totals; serving: Map<string, Interval[]>; warm: Map<string, Interval[]> } {
  const fleet = new Fleet(config, trace, false);
  const stepMs = trace.stepSeconds * 1000;
  const p = config.provisioning;
  const steps = (seconds: number) => Math.ceil(seconds / trace.stepSeconds);
  const coldLead = steps(p.scaleUpSeconds);
  const warmLead = steps(p.warmScaleUpSeconds);
  const cooldown = config.scaling.cooldownSeconds;
  const coldBridge = steps(p.scaleDownSeconds + cooldown + p.scaleUpSeconds);
  const warmBridge = steps(p.warmDownSeconds + cooldown + p.warmScaleUpSeconds);
  const horizon = steps(3600);
  const keepSteps = steps(config.warm.keepHours * 3600);
  const max = config.scaling.maxElasticActive;
  const preempting = config.scaling.preemptRatio > 0;
  const reconcileMs = config.scaling.reconcileIntervalMinutes * 60_000;
  let nextReconcileMs = trace.startMs + reconcileMs;
  const plans = fleet.machines
    .filter((m) => m.list === 'elastic')
    .map((machine) => {
      const alarms = regionAlarms(config, trace, machine);
      return {
        machine,
        alarms,
        nextRise: nextStepAbove(machine.users, alarms.alarms.scaleUp.threshold, trace.periods),
        cumulative: cumulativeUsers(machine.users, trace.periods),
      };
    });
  type Plan = (typeof plans)[number];
  const usersBetween = (plan: Plan, from: number, to: number): number =>
    plan.cumulative[Math.min(to, trace.periods)]! - plan.cumulative[Math.min(from, trace.periods)]!;
  const waiting: Plan[] = [];
  const gains = new Map<Plan, number>();
  let nextPause = 0;

  for (let step = 0; step < trace.periods; step++) {
    const nowMs = trace.startMs + step * stepMs;
    fleet.completeDue(nowMs);
    nextPause = applyPauses(pauses, nextPause, nowMs, fleet);
    const reconciling = nowMs >= nextReconcileMs;
    if (reconciling) nextReconcileMs += reconcileMs;
    waiting.length = 0;
    for (const plan of plans) {
      const { machine, alarms: a, nextRise } = plan;
      let downFired = false;
      if (step > 0 && step % a.stepsPerPeriod === 0) {
        const down = evaluateAlarmOverSeries(
          a.alarms.scaleDown,
          a.datapoints,
          step / a.stepsPerPeriod - 1,
          a.downRange,
          a.down,
        );
        downFired = down === 'ALARM' && a.down !== 'ALARM';
        a.down = down;
      }
      const risesIn = nextRise[step]! - step;
      const status = machine.status;
      if ((status === INACTIVE && risesIn <= coldLead) || (status === WARM && risesIn <= warmLead)) {
        waiting.push(plan);
      } else if (status === ACTIVE && a.down === 'ALARM' && (downFired || reconciling)) {
        // With foresight a region goes WARM only when its demand comes back within warm.keepHours.
        const warmer = risesIn <= keepSteps && fleet.wouldGoWarm(machine, nowMs);
        if (risesIn > (warmer ? warmBridge : coldBridge)) {
          fleet.request(machine, 'down', 'alarm', nowMs, warmer ? 'WARM' : 'INACTIVE');
        }
      } else if (status === WARM && reconciling && warmExpired(machine.snapshot, config, new Date(nowMs))) {
        fleet.request(machine, 'down', 'reconciler', nowMs, 'INACTIVE');
      }
    }
    if (waiting.length === 0) {
      fleet.account(step);
      continue;
    }
    // Users a waiting region would bring once it serves, in the coming hour.
    gains.clear();
    for (const plan of waiting) {
      const lead = plan.machine.status === WARM ? warmLead : coldLead;
      gains.set(plan, usersBetween(plan, step + lead, step + lead + horizon));
    }
    waiting.sort((a, b) => gains.get(b)! - gains.get(a)!);
    let weakest = Infinity;
    let swapping = false;
    if (fleet.elasticOccupied >= max && preempting) {
      for (const plan of plans) {
        const m = plan.machine;
        const keep =
          m.status === ACTIVE ? usersBetween(plan, step, step + coldLead + horizon) / (coldLead + horizon) : undefined;
        m.snapshot.demand = keep;
        if (keep !== undefined && keep < weakest) weakest = keep;
        if (m.status === DRAINING) swapping = true;
      }
      for (const plan of waiting) plan.machine.snapshot.demand = gains.get(plan)! / horizon;
    }
    for (const plan of waiting) {
      // Requests the maximum would refuse with no swap possible are skipped (this only saves time:
      // the conditions are necessary ones of the demand-ranked slots; the policy still decides).
      if (fleet.elasticOccupied >= max) {
        if (!preempting || swapping) break;
        if (!(plan.machine.snapshot.demand! > config.scaling.preemptRatio * weakest)) continue;
      }
      fleet.requestUp(plan.machine, 'alarm', nowMs);
      if (fleet.elasticOccupied >= max)
        swapping = fleet.machines.some((m) => m.status === DRAINING && m.list === 'elastic');
    }
    fleet.account(step);
  }
  const endMs = trace.startMs + trace.periods * stepMs;
  return {
    totals: fleet.totals(price, warm),
    serving: fleet.intervals(endMs, 'serving'),
    warm: fleet.intervals(endMs, 'warm'),
  };
}

/** cumulative[i] = users of steps 0 .. i-1 (missing datapoints count none). */
function cumulativeUsers(users: Float64Array | undefined, periods: number): Float64Array {
  const cumulative = new Float64Array(periods + 1);
  for (let i = 0; i < periods; i++) {
    const u = users ? users[i]! : NaN;
    cumulative[i + 1] = cumulative[i]! + (u === u ? u : 0);
  }
  return cumulative;
}

/** For each step, the first step at or after it whose demand is above `threshold` (Infinity if none). */
function nextStepAbove(users: Float64Array | undefined, threshold: number, periods: number): Float64Array {
  const next = new Float64Array(periods);
  let upcoming = Infinity;
  for (let i = periods - 1; i >= 0; i--) {
    if (users && users[i]! > threshold) upcoming = i;
    next[i] = upcoming;
  }
  return next;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
