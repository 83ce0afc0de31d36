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
 */

export type RealClock = () => number;

export class SimulatedClock {
  private anchorSimulatedMs: number;
  private anchorRealMs: number;
  private ceilingMs = Infinity;
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
    const flowing = this.anchorSimulatedMs + (this.realNow() - this.anchorRealMs) * this.rate;
    return Math.floor(Math.min(this.ceilingMs, flowing));
  }

  /**
   * Moves the clock to `simulatedMs` (never backwards), from where it flows on up to `ceilingMs`.
   */
  advanceTo(simulatedMs: number, ceilingMs = Infinity): void {
    this.anchorSimulatedMs = Math.max(this.now(), simulatedMs);
    this.anchorRealMs = this.realNow();
    this.ceilingMs = Math.max(ceilingMs, this.anchorSimulatedMs);
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
