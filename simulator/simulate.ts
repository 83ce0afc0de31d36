/**
 * The what-if simulator: replays a demand trace through the deployed system's configuration,
 * CloudWatch alarm evaluation (evaluateAlarm), missing-data treatments (alarm-policy) and decision
 * rules (decideScaling), with a provisioning model, and compares the outcome with two baselines:
 * every approved region always on, and an oracle with perfect foresight under the same rules.
 *
 * The deployed system, as modelled here:
 * - Always-on regions serve throughout (the reconciler keeps them up).
 * - Each elastic region has a scale-up and a scale-down alarm, evaluated at the end of every alarm
 *   period over an evaluation range of N + 2 periods. A transition into ALARM is an 'alarm'
 *   request; every reconcileIntervalMinutes the reconciler re-requests what a region whose alarm is
 *   still in ALARM has not got yet (up for an INACTIVE region, down for an ACTIVE one).
 * - A scale-up holds the region PROVISIONING for provisioning.scaleUpSeconds, then it is ACTIVE and
 *   serves. A scale-down withdraws the record first (the region stops serving when it starts), the
 *   region is DRAINING for provisioning.scaleDownSeconds, then INACTIVE. The workflows set
 *   lastTransitionAt at the start and at the end of each, and activeSince when serving starts.
 * - While a workflow runs, its region is locked.
 * - Alarm datapoints are the Maximum of the trace's values within an alarm period (periods counted
 *   from the trace's first timestamp); the trace's step must divide the alarm period.
 *
 * Accounting is per trace step: a region serves during a step when it is ACTIVE at its start; a
 * cluster costs money from the start of its scale-up to the end of its scale-down. A user-minute
 * is far when the user's region is not serving; missing datapoints count no users.
 */
import { evaluateAlarmOverSeries, evaluationRangeLength, type AlarmState } from '../functions/domain/alarm-evaluation';
import { demandAlarmsFor, type DemandAlarms } from '../functions/domain/alarm-policy';
import { approvedRegions, regionList, type AutoscalerConfig, type RegionList } from '../functions/domain/config';
import { clusterPrice, type ClusterPrice } from '../functions/domain/pricing';
import type { RegionStatus } from '../functions/domain/region-state';
import {
  decideScaling,
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

export type SimulationAction = 'scale-up-start' | 'scale-up-done' | 'scale-down-start' | 'scale-down-done' | 'rejected';

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
}

export interface Totals {
  clusterHours: number;
  costUsd: number;
  userMinutes: number;
  farUserMinutes: number;
  /** Scale-ups and scale-downs started. */
  scaleEvents: number;
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
  /** When each approved region served, in the simulated run and in the oracle's. */
  serving: Map<string, Interval[]>;
  oracleServing: Map<string, Interval[]>;
  /** Trace regions in neither list: never served, all their users are far. */
  unapprovedRegions: string[];
}

const INACTIVE = 0;
const PROVISIONING = 1;
const ACTIVE = 2;
const DRAINING = 3;
const STATUS_NAMES: RegionStatus[] = ['INACTIVE', 'PROVISIONING', 'ACTIVE', 'DRAINING'];

/** One approved region in a run: its policy snapshot and its counters. */
interface RegionMachine {
  region: string;
  list: RegionList;
  snapshot: RegionSnapshot;
  status: number;
  /** When the running workflow finishes (epoch ms). */
  doneAtMs: number;
  users: Float64Array | undefined;
  servingSteps: number;
  clusterSteps: number;
  serving: Interval[];
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
        doneAtMs: Infinity,
        users: trace.users.get(region),
        servingSteps: 0,
        clusterSteps: 0,
        serving: on ? [[trace.startMs, Infinity]] : [],
        lastRejectedRule: undefined,
      };
    });
    this.snapshots = this.machines.map((m) => m.snapshot);
    this.unapprovedUsers = trace.regions.filter((r) => !regionList(config, r)).map((r) => trace.users.get(r)!);
  }

  /** Asks the policy; starts the transition when it allows. Returns the verdict. */
  request(m: RegionMachine, direction: 'up' | 'down', source: RequestSource, nowMs: number): Verdict {
    const now = new Date(nowMs);
    const verdict = decideScaling(
      { region: m.region, direction, source, eventAt: now },
      this.snapshots,
      this.config,
      now,
    );
    const iso = formatIsoUtc(nowMs);
    m.snapshot.lastDecisionEventAt = iso;
    if (!verdict.allowed) {
      if (this.recordEvents && verdict.rule !== m.lastRejectedRule) {
        this.events.push({
          at: iso,
          region: m.region,
          action: 'rejected',
          reason: `${direction} (${source}): ${verdict.reason}`,
        });
      }
      m.lastRejectedRule = verdict.rule;
      return verdict;
    }
    m.lastRejectedRule = undefined;
    const { scaleUpSeconds, scaleDownSeconds } = this.config.provisioning;
    if (direction === 'up') {
      this.setStatus(m, PROVISIONING, iso);
      m.doneAtMs = nowMs + scaleUpSeconds * 1000;
      if (m.list === 'elastic') this.elasticOccupied++;
    } else {
      if (m.status === ACTIVE) this.stopServing(m, nowMs);
      if (m.list === 'elastic') this.elasticOccupied--;
      this.setStatus(m, DRAINING, iso);
      m.doneAtMs = nowMs + scaleDownSeconds * 1000;
    }
    this.nextDoneMs = Math.min(this.nextDoneMs, m.doneAtMs);
    m.snapshot.lastTransitionAt = iso;
    m.snapshot.locked = true;
    m.snapshot.executionRunning = true;
    this.scaleEvents++;
    if (this.recordEvents) {
      this.events.push({
        at: iso,
        region: m.region,
        action: direction === 'up' ? 'scale-up-start' : 'scale-down-start',
        reason: verdict.reason,
      });
    }
    return verdict;
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
      m.doneAtMs = Infinity;
      m.snapshot.locked = false;
      m.snapshot.executionRunning = false;
      m.snapshot.lastTransitionAt = iso;
      if (m.status === PROVISIONING) {
        this.setStatus(m, ACTIVE, iso);
        m.snapshot.activeSince = iso;
        m.serving.push([doneAt, Infinity]);
        if (this.recordEvents) {
          const took = this.config.provisioning.scaleUpSeconds / 60;
          this.events.push({
            at: iso,
            region: m.region,
            action: 'scale-up-done',
            reason: `serving after ${took} min of provisioning`,
          });
        }
      } else if (m.status === DRAINING) {
        this.setStatus(m, INACTIVE, iso);
        if (this.recordEvents) {
          const took = this.config.provisioning.scaleDownSeconds / 60;
          this.events.push({
            at: iso,
            region: m.region,
            action: 'scale-down-done',
            reason: `cluster deleted ${took} min after the record was withdrawn`,
          });
        }
      }
    }
  }

  /** Counts serving, cluster time and users for trace step `step`. */
  account(step: number): void {
    for (const m of this.machines) {
      const status = m.status;
      if (status === ACTIVE) m.servingSteps++;
      if (status !== INACTIVE) m.clusterSteps++;
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

  totals(price: ClusterPrice): Totals {
    const stepHours = this.trace.stepSeconds / 3600;
    const clusterHours = this.machines.reduce((sum, m) => sum + m.clusterSteps, 0) * stepHours;
    return {
      clusterHours: round(clusterHours),
      costUsd: round(clusterHours * price.usdPerHour),
      userMinutes: round((this.userSum * this.trace.stepSeconds) / 60),
      farUserMinutes: round((this.farSum * this.trace.stepSeconds) / 60),
      scaleEvents: this.scaleEvents,
    };
  }

  servingIntervals(endMs: number): Map<string, Interval[]> {
    return new Map(
      this.machines.map((m) => [m.region, m.serving.map(([from, to]): Interval => [from, Math.min(to, endMs)])]),
    );
  }

  private stopServing(m: RegionMachine, nowMs: number): void {
    const open = m.serving[m.serving.length - 1];
    if (open) open[1] = nowMs;
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
  // The price on the trace's first day: the version's support status then (extended support costs more).
  const price = clusterPrice(config, options.nodeUsdPerHour, new Date(trace.startMs));
  const pauses = parsePauses(config, options.pauses ?? []);
  const endMs = trace.startMs + trace.periods * trace.stepSeconds * 1000;
  const stepMs = trace.stepSeconds * 1000;

  // --- The simulated deployment ---
  const fleet = new Fleet(config, trace, true);
  const alarms: RegionAlarms[] = fleet.machines
    .filter((m) => m.list === 'elastic')
    .map((machine) => regionAlarms(config, trace, machine));
  const reconcileMs = config.scaling.reconcileIntervalMinutes * 60_000;
  let nextReconcileMs = trace.startMs + reconcileMs;
  let nextPause = 0;

  for (let step = 0; step < trace.periods; step++) {
    const nowMs = trace.startMs + step * stepMs;
    fleet.completeDue(nowMs);
    nextPause = applyPauses(pauses, nextPause, nowMs, fleet);
    for (const a of alarms) {
      if (step === 0 || step % a.stepsPerPeriod !== 0) continue;
      const period = step / a.stepsPerPeriod - 1;
      const up = evaluateAlarmOverSeries(a.alarms.scaleUp, a.datapoints, period, a.upRange, a.up);
      const down = evaluateAlarmOverSeries(a.alarms.scaleDown, a.datapoints, period, a.downRange, a.down);
      const upFired = up === 'ALARM' && a.up !== 'ALARM';
      const downFired = down === 'ALARM' && a.down !== 'ALARM';
      a.up = up;
      a.down = down;
      if (upFired) fleet.request(a.machine, 'up', 'alarm', nowMs);
      if (downFired) fleet.request(a.machine, 'down', 'alarm', nowMs);
    }
    if (nowMs >= nextReconcileMs) {
      nextReconcileMs += reconcileMs;
      for (const a of alarms) {
        // The reconciler re-requests what a region whose alarm is still in ALARM has not got yet.
        const status = a.machine.status;
        if (a.up === 'ALARM' && status === INACTIVE) fleet.request(a.machine, 'up', 'reconciler', nowMs);
        else if (a.down === 'ALARM' && status === ACTIVE) fleet.request(a.machine, 'down', 'reconciler', nowMs);
      }
    }
    fleet.account(step);
  }

  const regions: Record<string, RegionResult> = {};
  const stepMinutes = trace.stepSeconds / 60;
  for (const m of fleet.machines) {
    const clusterHours = (m.clusterSteps * trace.stepSeconds) / 3600;
    regions[m.region] = {
      list: m.list,
      servingMinutes: round(m.servingSteps * stepMinutes),
      clusterHours: round(clusterHours),
      costUsd: round(clusterHours * price.usdPerHour),
    };
  }

  const oracle = runOracle(config, trace, pauses, price);
  return {
    report: {
      events: fleet.events,
      regions,
      totals: fleet.totals(price),
      baselines: { allOn: allOnTotals(config, trace, price), oracle: oracle.totals },
    },
    trace,
    config,
    price,
    serving: fleet.servingIntervals(endMs),
    oracleServing: oracle.serving,
    unapprovedRegions: trace.regions.filter((r) => !regionList(config, r)),
  };
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
  };
}

/**
 * Perfect foresight under the same rules. Each scale-up starts one provisioning time before the
 * region's demand rises above the scale-up threshold, so it serves from that moment. "Falls below"
 * is the scale-down alarm's own condition (M of N below the scale-down threshold), acted on when
 * the deployed system would act (the alarm firing, then the reconciler), unless the demand rises
 * again before the region could be back (scale-down + cooldown + scale-up): with foresight it stays.
 * When more regions want a slot than scaling.maxElasticActive allows, the slots go to the regions
 * with the most users in the coming hour: a region with less than half the users of a waiting one
 * is scaled down for it. decideScaling rules every request (cooldown, minimum active time, maximum
 * elastic regions, pauses).
 */
function runOracle(
  config: AutoscalerConfig,
  trace: DemandTrace,
  pauses: ParsedPause[],
  price: ClusterPrice,
): { totals: Totals; serving: Map<string, Interval[]> } {
  const fleet = new Fleet(config, trace, false);
  const stepMs = trace.stepSeconds * 1000;
  const { scaleUpSeconds, scaleDownSeconds } = config.provisioning;
  const lead = Math.ceil(scaleUpSeconds / trace.stepSeconds);
  const bridge = Math.ceil((scaleDownSeconds + config.scaling.cooldownSeconds + scaleUpSeconds) / trace.stepSeconds);
  const horizon = Math.ceil(3600 / trace.stepSeconds);
  const max = config.scaling.maxElasticActive;
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
      if (machine.status === INACTIVE && risesIn <= lead) waiting.push(plan);
      else if (machine.status === ACTIVE && a.down === 'ALARM' && (downFired || reconciling) && risesIn > bridge) {
        fleet.request(machine, 'down', 'alarm', nowMs);
      }
    }
    if (waiting.length === 0) {
      fleet.account(step);
      continue;
    }
    // Users a waiting region would bring once it serves, in the coming hour.
    const gain = (plan: Plan) => usersBetween(plan, step + lead, step + lead + horizon);
    waiting.sort((a, b) => gain(b) - gain(a));
    for (const plan of waiting) {
      // Skipping requests that the maximum would refuse only saves time; the policy still decides.
      if (fleet.elasticOccupied >= max) {
        const weakest = weakestServing(plans, (p) => usersBetween(p, step, step + lead + horizon));
        if (!weakest || 2 * weakest.users >= gain(plan)) break;
        if (!fleet.request(weakest.plan.machine, 'down', 'alarm', nowMs).allowed) break;
      }
      fleet.request(plan.machine, 'up', 'alarm', nowMs);
    }
    fleet.account(step);
  }
  const endMs = trace.startMs + trace.periods * stepMs;
  return { totals: fleet.totals(price), serving: fleet.servingIntervals(endMs) };
}

/** The ACTIVE elastic region that would lose the fewest users by stopping now. */
function weakestServing<P extends { machine: RegionMachine }>(
  plans: P[],
  usersIfKept: (plan: P) => number,
): { plan: P; users: number } | undefined {
  let weakest: { plan: P; users: number } | undefined;
  for (const plan of plans) {
    if (plan.machine.status !== ACTIVE) continue;
    const users = usersIfKept(plan);
    if (!weakest || users < weakest.users) weakest = { plan, users };
  }
  return weakest;
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
