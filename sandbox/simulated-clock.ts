/**
 * The sandbox's simulated clock. The Lambda code reads the time with `new Date()` and
 * `Date.now()`; for the sandbox's process the global Date is replaced by one whose
 * no-argument constructor and `now()` answer simulated time (the bundles loaded in the process
 * share that global, and read it at each call). Timers stay real: a Wait state of the
 * local workflow runner and the scenario's pacing use setTimeout scaled to the clock's speed.
 *
 * Simulated time flows with real time at a fixed speed (`msPerSimulatedMinute` real ms per
 * simulated minute) from where the scenario loop last moved it, but never past the loop's
 * ceiling: when the loop falls behind (the machine is slower than the speed asks), simulated time
 * waits for it instead of running ahead of the demand it has published.
 *
 * The sandbox's workflows take simulated time only in their Wait states, as in AWS, where a
 * Lambda call takes well under a second however long it takes here: while held (an execution
 * runs its steps), simulated time stands still; a stop (a Wait state's end) is a moment simulated
 * time does not pass until it is removed (the execution resumed there), so a Wait lasts exactly
 * its seconds, however the clock jumps; `reach` waits, in real time, for a simulated moment.
 */

/** `npm start`'s default speed: a simulated day in about a minute. */
export const DEFAULT_MS_PER_SIMULATED_MINUTE = 40;

export type RealClock = () => number;

export class SimulatedClock {
  private anchorSimulatedMs: number;
  private anchorRealMs: number;
  private ceilingMs = Infinity;
  /** Holds under way (hold() minus release()), the moment simulated time stands at meanwhile, and where advanceTo() moved it then. */
  private holds = 0;
  private heldAtMs = 0;
  private advancedWhileHeldMs = -Infinity;
  /** Moments simulated time does not pass (stopAt). */
  private readonly stops = new Set<{ atMs: number }>();
  /** Who waits in reach(), woken whenever the clock moves other than by flowing. */
  private readonly sleepers = new Set<() => void>();
  /** Set by endAt(): simulated time goes no further, and reach() stops waiting there. */
  private ended = false;
  /** Simulated ms per real ms. */
  readonly rate: number;

  constructor(
    startMs: number,
    readonly msPerSimulatedMinute: number,
    private readonly realNow: RealClock = () => performance.now(),
  ) {
    if (!(msPerSimulatedMinute > 0)) {
      throw new Error(`speed ${msPerSimulatedMinute}: must be a positive number of real ms per simulated minute`);
    }
    this.rate = 60_000 / msPerSimulatedMinute;
    this.anchorSimulatedMs = startMs;
    this.anchorRealMs = realNow();
  }

  /** Simulated epoch ms. */
  now(): number {
    if (this.holds > 0) return this.heldAtMs;
    const flowing = this.anchorSimulatedMs + (this.realNow() - this.anchorRealMs) * this.rate;
    let limit = this.ceilingMs;
    for (const stop of this.stops) limit = Math.min(limit, stop.atMs);
    return Math.floor(Math.min(limit, flowing));
  }

  /**
   * Moves the clock to `simulatedMs` (never backwards, never past a stop), from where it flows on
   * up to `ceilingMs`; while held, once released.
   */
  advanceTo(simulatedMs: number, ceilingMs = Infinity): void {
    const at = Math.max(this.now(), simulatedMs);
    if (this.holds > 0) this.advancedWhileHeldMs = Math.max(this.advancedWhileHeldMs, at);
    this.anchorSimulatedMs = at;
    this.anchorRealMs = this.realNow();
    this.ceilingMs = Math.max(ceilingMs, at);
    this.wakeSleepers();
  }

  /** Simulated time stands still until as many release() calls: something that takes no simulated time runs. */
  hold(): void {
    if (this.holds === 0) {
      this.heldAtMs = this.now();
      this.advancedWhileHeldMs = -Infinity;
    }
    this.holds += 1;
  }

  /** Ends one hold(); after the last, simulated time flows on from where it stood (or where advanceTo moved it meanwhile). */
  release(): void {
    if (this.holds === 0) throw new Error('SimulatedClock.release() without a hold()');
    this.holds -= 1;
    if (this.holds > 0) return;
    this.anchorSimulatedMs = Math.max(this.heldAtMs, this.advancedWhileHeldMs);
    this.anchorRealMs = this.realNow();
    this.wakeSleepers();
  }

  /** Simulated time does not pass `atMs` (at the earliest now) until the returned function is called. */
  stopAt(atMs: number): () => void {
    const stop = { atMs: Math.max(atMs, this.now()) };
    this.stops.add(stop);
    return () => {
      if (this.stops.delete(stop)) this.wakeSleepers();
    };
  }

  /** Resolves once simulated time has reached `simulatedMs` (at once if it has), or the end set by endAt(). */
  async reach(simulatedMs: number): Promise<void> {
    while (this.now() < simulatedMs && !(this.ended && this.now() >= this.ceilingMs)) {
      await new Promise<void>((resolve) => {
        // Flowing freely, the clock is there by then; held, capped or moved, it says so (wakeSleepers).
        const timer = setTimeout(() => wake(), Math.max(1, this.realMsUntil(simulatedMs)));
        const wake = () => {
          clearTimeout(timer);
          this.sleepers.delete(wake);
          resolve();
        };
        this.sleepers.add(wake);
      });
    }
  }

  /** Simulated time flows on to `simulatedMs` and stops there for good: what waits for later moments goes on at once. */
  endAt(simulatedMs: number): void {
    this.ended = true;
    this.advanceTo(this.now(), simulatedMs);
  }

  private wakeSleepers(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  /** Real ms until the clock, flowing freely, reaches `simulatedMs` (0 when it is there already). */
  realMsUntil(simulatedMs: number): number {
    return Math.max(0, (simulatedMs - this.now()) / this.rate);
  }

  /** Real ms that one simulated second lasts (for the local runner's Wait states). */
  get realMsPerSimulatedSecond(): number {
    return this.msPerSimulatedMinute / 60;
  }
}

/**
 * Replaces `globalThis.Date` with a Date whose `new Date()` and `Date.now()` read `now`; every
 * other form (`new Date(ms)`, `Date.parse`, `Date.UTC`, `instanceof Date`) behaves as before.
 * Returns the function that puts the real Date back.
 */
export function installSimulatedDate(now: () => number): () => void {
  const RealDate = globalThis.Date;
  // A Proxy rather than a subclass: `Date()` called without `new` (it returns a string) keeps working.
  const SimulatedDate = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget);
    },
    apply() {
      return new RealDate(now()).toString();
    },
    get(target, property, receiver) {
      if (property === 'now') return now;
      return Reflect.get(target, property, receiver);
    },
  });
  globalThis.Date = SimulatedDate;
  return () => {
    if (globalThis.Date === SimulatedDate) globalThis.Date = RealDate;
  };
}
