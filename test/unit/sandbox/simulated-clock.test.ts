import { describe, expect, it } from '@jest/globals';
import { installSimulatedDate, SimulatedClock } from '../../../sandbox/simulated-clock';

const START = Date.parse('2026-11-20T00:00:00Z');
const MINUTE = 60_000;

/** A real clock the test moves by hand. */
function manualRealClock() {
  let now = 1_000;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('SimulatedClock', () => {
  it('runs one simulated minute per msPerSimulatedMinute of real time', () => {
    const real = manualRealClock();
    const clock = new SimulatedClock(START, 40, real.now);
    expect(clock.now()).toBe(START);
    real.advance(40);
    expect(clock.now()).toBe(START + MINUTE);
    real.advance(20);
    expect(clock.now()).toBe(START + 1.5 * MINUTE);
    expect(clock.realMsPerSimulatedSecond).toBeCloseTo(40 / 60);
  });

  it('says how long to wait in real time for a simulated moment', () => {
    const real = manualRealClock();
    const clock = new SimulatedClock(START, 40, real.now);
    expect(clock.realMsUntil(START + 3 * MINUTE)).toBe(120);
    real.advance(200);
    expect(clock.realMsUntil(START + 3 * MINUTE)).toBe(0);
  });

  it('never passes the ceiling: a loop that falls behind holds simulated time back', () => {
    const real = manualRealClock();
    const clock = new SimulatedClock(START, 40, real.now);
    clock.advanceTo(START + MINUTE, START + 2 * MINUTE - 1);
    real.advance(400); // ten simulated minutes of real time, while the loop is busy
    expect(clock.now()).toBe(START + 2 * MINUTE - 1);
    clock.advanceTo(START + 2 * MINUTE, START + 3 * MINUTE - 1);
    expect(clock.now()).toBe(START + 2 * MINUTE);
    real.advance(20);
    expect(clock.now()).toBe(START + 2.5 * MINUTE);
  });

  it('never goes backwards', () => {
    const real = manualRealClock();
    const clock = new SimulatedClock(START, 40, real.now);
    real.advance(400);
    clock.advanceTo(START + MINUTE);
    expect(clock.now()).toBe(START + 10 * MINUTE);
  });

  it('refuses a speed that is not a positive number', () => {
    expect(() => new SimulatedClock(START, 0)).toThrow(/positive number of real ms per simulated minute/);
  });
});

describe('SimulatedClock: a workflow takes simulated time only in its Wait states', () => {
  it('stands still while held (an execution runs its steps), and flows on from there once released', () => {
    const real = manualRealClock();
    const clock = new SimulatedClock(START, 40, real.now);
    clock.hold();
    clock.hold();
    real.advance(400);
    expect(clock.now()).toBe(START);
    clock.release();
    expect(clock.now()).toBe(START);
    clock.release();
    real.advance(40);
    expect(clock.now()).toBe(START + MINUTE);
    expect(() => clock.release()).toThrow(/without a hold/);
  });

  it('lets the scenario move it while held, from the release on', () => {
    const real = manualRealClock();
    const clock = new SimulatedClock(START, 40, real.now);
    clock.hold();
    clock.advanceTo(START + MINUTE, START + 2 * MINUTE - 1);
    expect(clock.now()).toBe(START);
    clock.release();
    expect(clock.now()).toBe(START + MINUTE);
  });

  it("does not pass a Wait's end until the execution resumes there, however far it is moved", () => {
    const real = manualRealClock();
    const clock = new SimulatedClock(START, 40, real.now);
    const resumed = clock.stopAt(START + 30_000);
    clock.advanceTo(START + 5 * MINUTE);
    expect(clock.now()).toBe(START + 30_000);
    real.advance(400);
    expect(clock.now()).toBe(START + 30_000);
    clock.hold();
    resumed();
    expect(clock.now()).toBe(START + 30_000);
    clock.release();
    real.advance(40);
    expect(clock.now()).toBe(START + 30_000 + MINUTE);
  });

  it('resolves reach() once the moment has come, when the clock is moved or released', async () => {
    const clock = new SimulatedClock(START, 40, () => 0);
    let reached = false;
    const reaching = clock.reach(START + MINUTE).then(() => void (reached = true));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(reached).toBe(false);
    clock.advanceTo(START + MINUTE);
    await reaching;
    expect(reached).toBe(true);
    await clock.reach(START); // a moment past: at once
  });

  it('ends at endAt(): what waits for a later moment goes on there', async () => {
    const clock = new SimulatedClock(START, 40, () => 0);
    const reaching = clock.reach(START + 3 * MINUTE);
    clock.endAt(START + MINUTE);
    clock.advanceTo(START + MINUTE, START + MINUTE);
    await reaching;
    expect(clock.now()).toBe(START + MINUTE);
  });
});

describe('installSimulatedDate', () => {
  it('makes new Date() and Date.now() read the simulated clock, and leaves every other form alone', () => {
    const RealDate = Date;
    let simulated = START;
    const uninstall = installSimulatedDate(() => simulated);
    try {
      expect(new Date().toISOString()).toBe('2026-11-20T00:00:00.000Z');
      expect(Date.now()).toBe(START);
      simulated += MINUTE;
      expect(new Date().getTime()).toBe(START + MINUTE);
      expect(new Date(0).toISOString()).toBe('1970-01-01T00:00:00.000Z');
      expect(new Date('2026-03-01T12:00:00Z').getTime()).toBe(RealDate.parse('2026-03-01T12:00:00Z'));
      expect(Date.parse('2026-03-01T12:00:00Z')).toBe(RealDate.parse('2026-03-01T12:00:00Z'));
      expect(Date.UTC(2026, 2, 1)).toBe(RealDate.UTC(2026, 2, 1));
      expect(new Date()).toBeInstanceOf(RealDate);
      expect(new RealDate(5)).toBeInstanceOf(Date);
      expect(Date()).toBe(new RealDate(START + MINUTE).toString());
    } finally {
      uninstall();
    }
    expect(Date).toBe(RealDate);
    expect(Math.abs(Date.now() - RealDate.now())).toBeLessThan(1000);
  });
});
