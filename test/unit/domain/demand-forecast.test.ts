import { describe, expect, it } from '@jest/globals';
import { BIN_SECONDS, DemandProfile, forecastSettings } from '../../../functions/domain/demand-forecast';
import { exampleConfig } from '../../support/config-fixtures';

const START = Date.parse('2026-03-02T00:00:00Z'); // a Monday
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const settings = { historyDays: 14, minHistoryHours: 24 };

/** Feeds one datapoint a minute from START for `days` days; `users(atMs)` NaN = missing. */
function feed(profile: DemandProfile, days: number, users: (atMs: number) => number): number {
  const end = START + days * DAY;
  for (let at = START; at < end; at += MINUTE) profile.observe(at, users(at));
  return end;
}

/** 100 users at night, 1000 between 12:00 and 14:00 UTC. */
const lunchPeak = (at: number) => {
  const hour = (((at % DAY) + DAY) % DAY) / HOUR;
  return hour >= 12 && hour < 14 ? 1000 : 100;
};

describe('DemandProfile', () => {
  it('takes its settings from the configuration', () => {
    expect(forecastSettings(exampleConfig())).toEqual({ historyDays: 14, minHistoryHours: 24 });
  });

  it('forecasts the same time of day from the past days, per 5-minute bin', () => {
    const profile = new DemandProfile(settings, 60);
    const now = feed(profile, 2, lunchPeak);
    expect(profile.binSeconds).toBe(BIN_SECONDS);
    expect(profile.expected(now + 12 * HOUR + 10 * MINUTE, now)).toBe(1000);
    expect(profile.expected(now + 3 * HOUR, now)).toBe(100);
    expect(profile.firstCrossing(now, now + DAY, 500)).toBe(now + 12 * HOUR);
    expect(profile.firstCrossing(now, now + 11 * HOUR, 500)).toBeUndefined();
  });

  it('keeps the Maximum of a bin (the alarms statistic), so a short rise within 5 minutes counts', () => {
    const profile = new DemandProfile(settings, 60);
    const now = feed(profile, 1, (at) => (at % DAY === 10 * HOUR + 2 * MINUTE ? 800 : 100));
    expect(profile.expected(now + 10 * HOUR, now)).toBe(800);
  });

  it('uses the median of the past days, so one abnormal day does not move it', () => {
    const profile = new DemandProfile(settings, 60);
    const now = feed(profile, 4, (at) => (at >= START + DAY && at < START + 2 * DAY ? 5000 : lunchPeak(at)));
    expect(profile.expected(now + 3 * HOUR, now)).toBe(100);
  });

  it('never reads missing data as zero: a missing day is skipped, no data at all is unknown', () => {
    const profile = new DemandProfile(settings, 60);
    // Day 2's lunch hours are missing: the forecast comes from day 1 alone.
    const now = feed(profile, 2, (at) =>
      at >= START + DAY + 11 * HOUR && at < START + DAY + 15 * HOUR ? NaN : lunchPeak(at),
    );
    expect(profile.expected(now + 12 * HOUR + 30 * MINUTE, now)).toBe(1000);
    const sparse = new DemandProfile(settings, 60);
    const end = feed(sparse, 2, (at) => ((at % DAY) / HOUR < 6 ? 100 : NaN));
    expect(sparse.expected(end + 12 * HOUR, end)).toBeUndefined();
    expect(sparse.firstCrossing(end, end + DAY, 50)).toBe(end + 5 * MINUTE);
    expect(new DemandProfile(settings, 60).expected(end + HOUR, end)).toBeUndefined();
  });

  it('switches to time-of-week seasonality once it has 7 days: a quiet Sunday is forecast from last Sunday', () => {
    const profile = new DemandProfile(settings, 60);
    const sundayQuiet = (at: number) => (new Date(at).getUTCDay() === 0 ? 100 : lunchPeak(at));
    const sunday = feed(profile, 13, sundayQuiet); // ends Sunday 15 March 00:00
    expect(new Date(sunday).getUTCDay()).toBe(0);
    expect(profile.expected(sunday + 12 * HOUR + 5 * MINUTE, sunday)).toBe(100);
    // With less than a week of history the same question is answered from the past days.
    const young = new DemandProfile(settings, 60);
    const end = feed(young, 6, sundayQuiet); // ends Sunday 8 March 00:00, 6 days of history
    expect(young.expected(end + 12 * HOUR + 5 * MINUTE, end)).toBe(1000);
  });

  it('scales the forecast by the last hour against the profile (a busier day), fading with the horizon', () => {
    const profile = new DemandProfile(settings, 60);
    const busier = (at: number) => (at >= START + 2 * DAY ? 1.5 : 1) * lunchPeak(at);
    const now = feed(profile, 2, lunchPeak);
    for (let at = now; at < now + 11 * HOUR; at += MINUTE) profile.observe(at, busier(at));
    const later = now + 11 * HOUR;
    const soon = profile.expected(later + 10 * MINUTE, later)!;
    expect(soon).toBeGreaterThan(145);
    expect(soon).toBeLessThanOrEqual(150);
    const nextDay = profile.expected(later + 20 * HOUR, later)!;
    expect(nextDay).toBeLessThan(soon);
    expect(nextDay).toBeGreaterThan(100);
  });

  it('keeps only historyDays of history and becomes ready after minHistoryHours', () => {
    const profile = new DemandProfile({ historyDays: 2, minHistoryHours: 24 }, 60);
    expect(profile.historyHours(START)).toBe(0);
    expect(profile.ready(START)).toBe(false);
    feed(profile, 1, () => 100);
    expect(profile.ready(START + 23 * HOUR)).toBe(false);
    expect(profile.ready(START + DAY)).toBe(true);
    const now = START + 5 * DAY;
    for (let at = START + DAY; at < now; at += MINUTE) profile.observe(at, at < START + 2 * DAY ? 5000 : 100);
    expect(profile.historyHours(now)).toBe(48);
    // Day 1 (5000) is older than 2 days: forgotten.
    expect(profile.expected(now + HOUR, now)).toBe(100);
  });

  it('ignores datapoints out of time order and refuses a step that does not divide a day', () => {
    const profile = new DemandProfile(settings, 60);
    const now = feed(profile, 1, () => 100);
    profile.observe(now - DAY + HOUR, 9000);
    expect(profile.expected(now + HOUR, now)).toBe(100);
    expect(() => new DemandProfile(settings, 7 * 60)).toThrow(/fix: use a period such as 60 s or 300 s/);
  });
});
