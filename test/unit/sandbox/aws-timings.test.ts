/** The sandbox's timing table (sandbox/aws-timings.ts): its profiles, and a timings file as `--timings FILE` reads it. */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeTimings, readTimings, TIMING_PROFILES } from '../../../sandbox/aws-timings';

function timingsFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'aws-timings-')), 'timings.json');
  writeFileSync(path, content);
  return path;
}

describe('the timing profiles', () => {
  it("realistic takes AWS's figures: a cold scale-up's resources add up to 15-20 minutes, a warm one's to under 4", () => {
    const t = TIMING_PROFILES.realistic;
    const cold = t.clusterCreateSeconds + t.nodegroupCreateSeconds + t.loadBalancerCreateSeconds + t.dnsChangeSeconds;
    expect(cold / 60).toBeGreaterThanOrEqual(15);
    expect(cold / 60).toBeLessThanOrEqual(20);
    const warm = t.nodegroupScaleOutFromWarmPoolSeconds + t.podsReadySeconds + t.dnsChangeSeconds;
    expect(warm / 60).toBeLessThanOrEqual(4);
  });

  it('fast holds nothing, as moto, but rolls a changed edge out in a minute', () => {
    const { edgeRolloutSeconds, ...rest } = TIMING_PROFILES.fast;
    expect(Object.values(rest).every((seconds) => seconds === 0)).toBe(true);
    expect(edgeRolloutSeconds).toBe(60);
  });

  it('reads a profile by name', () => {
    expect(readTimings('fast')).toEqual({ name: 'fast', timings: TIMING_PROFILES.fast });
    expect(describeTimings(readTimings('realistic'))).toMatch(
      /^realistic: EKS cluster 11 min to create, 5 min to delete;/,
    );
  });
});

describe('a timings file', () => {
  it('sets some timings over realistic, or over the base it names', () => {
    const over = readTimings(timingsFile('{ "clusterCreateSeconds": 900 }'));
    expect(over.timings).toEqual({ ...TIMING_PROFILES.realistic, clusterCreateSeconds: 900 });
    const fromFast = readTimings(timingsFile('{ "base": "fast", "dnsChangeSeconds": 30 }'));
    expect(fromFast.timings).toEqual({ ...TIMING_PROFILES.fast, dnsChangeSeconds: 30 });
  });

  it('names each bad field and the fix', () => {
    const path = timingsFile('{ "clusterCreateSecs": 900, "dnsChangeSeconds": -1 }');
    let message = '';
    try {
      readTimings(path);
    } catch (error) {
      message = (error as Error).message;
    }
    const [heading, ...problems] = message.split('\n');
    expect(heading).toBe(`Invalid timings in ${path}:`);
    expect(problems.sort()).toEqual([
      expect.stringMatching(/^ {2}- clusterCreateSecs: not a timing; the timings are base, clusterCreateSeconds, /),
      expect.stringMatching(/^ {2}- dnsChangeSeconds: .*; fix: whole seconds from 0 to 86400$/),
    ]);
  });

  it('says what it takes when the option is neither a profile nor a readable JSON file', () => {
    expect(() => readTimings('slow')).toThrow(/^--timings slow: not "fast", "realistic" or a readable JSON file/);
    expect(() => readTimings(timingsFile('{ nope'))).toThrow(/not "fast", "realistic" or a readable JSON file/);
  });
});
