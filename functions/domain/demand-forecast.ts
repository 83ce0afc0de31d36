/**
 * The demand forecast of one region, for predictive pre-warm (pre-warm.ts): what its `ActiveUsers`
 * will be in the next minutes and hours, learnt from its own history only.
 *
 * Method: seasonal naive with a median, on 5-minute bins.
 * - Datapoints are gathered into bins of BIN_SECONDS (or the datapoints' own step when longer);
 *   a bin keeps the Maximum of its datapoints, the statistic the demand alarms compare with their
 *   thresholds (alarm-policy.ts), so "the forecast crosses the scale-up threshold" means what the
 *   alarm would see. Only the last `historyDays` are kept (a ring of bins).
 * - The forecast of a future bin is the median of the same bin one week, two weeks back
 *   (time-of-week seasonality: weekdays and weekends differ) once there are at least 7 days of
 *   history; before that, the median of the same time of day on each past day (time-of-day).
 * - Level adjustment: the ratio of the last hour's actual bins to what the profile says for them
 *   (clamped to [LEVEL_MIN, LEVEL_MAX]) scales the forecast, fading out over LEVEL_FADE_HOURS of
 *   horizon: a day busier than usual is forecast busier, without one spike moving a week.
 *
 * Why it is robust to missing data: a missing (NaN) datapoint is skipped, never read as zero; a
 * bin with no datapoint is not a sample; the median is taken over the past days that have one (one
 * broken or abnormal day does not move it); when no past day covers a time, the forecast is
 * undefined (unknown), never zero, and a caller acts on nothing unknown. The level ratio needs
 * LEVEL_MIN_BINS bins with both an actual and a profile value, else it is 1.
 *
 * Cost: observe is O(1); expected is O(days of history), computed once per future bin (less
 * than a day ahead, all its samples are complete) and once per past bin for the level ratio. A
 * 7-day, 1-minute replay of 4 regions with a look every 5 minutes takes tens of milliseconds.
 *
 * On the built-in diurnal trace (+-10 % from day to day) the level adjustment changes the
 * benchmark's ratios by less than 0.3 %; it is there for days that differ more (a launch, a
 * holiday), bounded so that it can at most double or halve the profile.
 */
import type { AutoscalerConfig } from './config';

export interface ForecastSettings {
  historyDays: number;
  minHistoryHours: number;
}

export function forecastSettings(config: AutoscalerConfig): ForecastSettings {
  return { historyDays: config.forecast.historyDays, minHistoryHours: config.forecast.minHistoryHours };
}

/** Bin length: short enough to place a rise within minutes, long enough to hold several datapoints. */
export const BIN_SECONDS = 300;
const DAY_SECONDS = 86_400;
const WEEK_DAYS = 7;
/** The level ratio looks at this many of the newest complete bins (1 hour of 5-minute bins). */
const LEVEL_BINS = 12;
const LEVEL_MIN_BINS = 6;
const LEVEL_MIN = 0.5;
const LEVEL_MAX = 2;
const LEVEL_FADE_HOURS = 6;

export class DemandProfile {
  /** Length of one bin, in seconds. */
  readonly binSeconds: number;
  private readonly binMs: number;
  private readonly binsPerDay: number;
  private readonly capacity: number;
  /** Ring of bins: the absolute bin number each slot holds (NaN = empty), and its Maximum. */
  private readonly binOf: Float64Array;
  private readonly maxOf: Float64Array;
  private firstMs = NaN;
  private lastMs = -Infinity;
  /** Samples of one seasonal value, kept sorted (at most one a day). */
  private readonly samples: Float64Array;
  private sampleCount = 0;
  /** Seasonal values of future bins, computed once: their past bins are complete and stay kept until they come. */
  private readonly memoBin: Float64Array;
  private readonly memoValue: Float64Array;
  private readonly memoWeekly: Uint8Array;
  /** For the level ratio: what the profile said for each kept bin, as forecast just before it (computed once). */
  private readonly profileBin: Float64Array;
  private readonly profileValue: Float64Array;
  private levelBin = NaN;
  private level = 1;

  constructor(
    private readonly settings: ForecastSettings,
    stepSeconds: number,
  ) {
    this.binSeconds = Math.max(BIN_SECONDS, stepSeconds);
    if (!Number.isInteger(this.binSeconds) || DAY_SECONDS % this.binSeconds !== 0) {
      throw new Error(
        `A demand forecast needs datapoints whose step divides a day; ${stepSeconds} s does not; fix: use a period such as 60 s or 300 s`,
      );
    }
    this.binMs = this.binSeconds * 1000;
    this.binsPerDay = DAY_SECONDS / this.binSeconds;
    this.capacity = settings.historyDays * this.binsPerDay;
    this.binOf = new Float64Array(this.capacity).fill(NaN);
    this.maxOf = new Float64Array(this.capacity);
    this.samples = new Float64Array(settings.historyDays);
    this.memoBin = new Float64Array(this.capacity).fill(NaN);
    this.memoValue = new Float64Array(this.capacity);
    this.memoWeekly = new Uint8Array(this.capacity);
    this.profileBin = new Float64Array(this.capacity).fill(NaN);
    this.profileValue = new Float64Array(this.capacity);
  }

  /** datapoints in time order; NaN/missing ignored (never read as zero); keeps only the last historyDays */
  observe(atMs: number, users: number): void {
    if (!Number.isFinite(users) || users < 0 || !Number.isFinite(atMs) || atMs < this.lastMs) return;
    this.lastMs = atMs;
    if (this.firstMs !== this.firstMs) this.firstMs = atMs;
    const bin = Math.floor(atMs / this.binMs);
    const slot = bin % this.capacity;
    if (this.binOf[slot] !== bin) {
      this.binOf[slot] = bin;
      this.maxOf[slot] = users;
    } else if (users > this.maxOf[slot]!) {
      this.maxOf[slot] = users;
    }
  }

  /** Hours from the oldest datapoint kept (at most historyDays back) to nowMs; 0 before any datapoint. */
  historyHours(nowMs: number): number {
    if (this.firstMs !== this.firstMs) return 0;
    const oldest = Math.max(this.firstMs, nowMs - this.settings.historyDays * DAY_SECONDS * 1000);
    return Math.max(0, (nowMs - oldest) / 3_600_000);
  }

  /** has >= minHistoryHours of history */
  ready(nowMs: number): boolean {
    return this.historyHours(nowMs) >= this.settings.minHistoryHours;
  }

  /** expected users at atMs (> nowMs), from data observed so far only; undefined when no seasonal data covers it */
  expected(atMs: number, nowMs: number): number | undefined {
    const nowBin = Math.floor(nowMs / this.binMs);
    const bin = Math.floor(atMs / this.binMs);
    const base = this.seasonal(bin, nowBin, this.historyHours(nowMs));
    if (base === undefined) return undefined;
    const level = this.levelAt(nowBin);
    if (level === 1) return base;
    const fade = Math.exp(-Math.max(0, atMs - nowMs) / (LEVEL_FADE_HOURS * 3_600_000));
    return base * (1 + (level - 1) * fade);
  }

  /** first time in (nowMs, untilMs] the forecast exceeds threshold, else undefined */
  firstCrossing(nowMs: number, untilMs: number, threshold: number): number | undefined {
    for (let at = (Math.floor(nowMs / this.binMs) + 1) * this.binMs; at <= untilMs; at += this.binMs) {
      const users = this.expected(at, nowMs);
      if (users !== undefined && users > threshold) return at;
    }
    return undefined;
  }

  /** The Maximum of a bin observed and still kept, else undefined. */
  private actual(bin: number, nowBin: number): number | undefined {
    if (bin > nowBin || bin <= nowBin - this.capacity) return undefined;
    const slot = bin % this.capacity;
    return this.binOf[slot] === bin ? this.maxOf[slot] : undefined;
  }

  /**
   * Median of the same bin in past weeks (7 days of history or more) or past days, using only
   * complete bins before nowBin. Undefined when none of them was observed.
   */
  private seasonal(bin: number, nowBin: number, historyHours: number): number | undefined {
    const weekly = historyHours >= WEEK_DAYS * 24 ? 1 : 0;
    // A future bin less than a day ahead: every bin it is made of is complete, so it is computed once.
    const memo = bin > nowBin && bin - nowBin < this.binsPerDay ? bin % this.capacity : -1;
    if (memo >= 0 && this.memoBin[memo] === bin && this.memoWeekly[memo] === weekly) {
      const value = this.memoValue[memo]!;
      return value === value ? value : undefined;
    }
    this.sampleCount = 0;
    if (weekly) this.collect(bin, nowBin, WEEK_DAYS * this.binsPerDay);
    if (this.sampleCount === 0) this.collect(bin, nowBin, this.binsPerDay);
    const value = this.sampleCount === 0 ? undefined : this.sampleMedian();
    if (memo >= 0) {
      this.memoBin[memo] = bin;
      this.memoWeekly[memo] = weekly;
      this.memoValue[memo] = value ?? NaN;
    }
    return value;
  }

  /** Adds the kept bins `lag`, 2 x `lag`, ... before `bin` to the samples, in sorted order. */
  private collect(bin: number, nowBin: number, lag: number): void {
    const samples = this.samples;
    for (let past = bin - lag; past > nowBin - this.capacity; past -= lag) {
      if (past >= nowBin) continue; // the current bin is still filling
      const value = this.actual(past, nowBin);
      if (value === undefined) continue;
      let i = this.sampleCount++;
      for (; i > 0 && samples[i - 1]! > value; i--) samples[i] = samples[i - 1]!;
      samples[i] = value;
    }
  }

  private sampleMedian(): number {
    const mid = this.sampleCount >> 1;
    return this.sampleCount % 2 === 1 ? this.samples[mid]! : (this.samples[mid - 1]! + this.samples[mid]!) / 2;
  }

  /** The profile of a past bin as it would have been forecast just before it (its own past only), computed once. */
  private profileBefore(bin: number): number | undefined {
    const slot = bin % this.capacity;
    if (this.profileBin[slot] !== bin) {
      this.profileBin[slot] = bin;
      this.profileValue[slot] = this.seasonal(bin, bin, this.historyHours((bin - 1) * this.binMs)) ?? NaN;
    }
    const value = this.profileValue[slot]!;
    return value === value ? value : undefined;
  }

  /** Ratio of the last hour's actual bins to the profile's values for them, clamped (1 when unknown). */
  private levelAt(nowBin: number): number {
    if (this.levelBin === nowBin) return this.level;
    this.levelBin = nowBin;
    let actual = 0;
    let profile = 0;
    let bins = 0;
    for (let bin = nowBin - LEVEL_BINS; bin < nowBin; bin++) {
      const value = this.actual(bin, nowBin);
      if (value === undefined) continue;
      const expected = this.profileBefore(bin);
      if (expected === undefined) continue;
      actual += value;
      profile += expected;
      bins++;
    }
    this.level = bins >= LEVEL_MIN_BINS && profile > 0 ? Math.min(LEVEL_MAX, Math.max(LEVEL_MIN, actual / profile)) : 1;
    return this.level;
  }
}
