import { describe, expect, it } from '@jest/globals';
import { nextWaitSeconds, pollInstants, POLL_PLANS } from '../../../functions/domain/poll-schedule';

const t0 = new Date('2026-11-21T10:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

describe('nextWaitSeconds', () => {
  it('waits until the typical ready time of a cluster first, then polls every minute', () => {
    expect(nextWaitSeconds(POLL_PLANS.clusterCreate, t0, t0)).toBe(540);
    expect(nextWaitSeconds(POLL_PLANS.clusterCreate, t0, at(200))).toBe(340);
    expect(nextWaitSeconds(POLL_PLANS.clusterCreate, t0, at(540))).toBe(60);
    expect(nextWaitSeconds(POLL_PLANS.clusterCreate, t0, at(900))).toBe(60);
  });

  it('never waits less than one poll interval, even just before the typical time', () => {
    expect(nextWaitSeconds(POLL_PLANS.nodegroupCreate, t0, at(140))).toBe(30);
    expect(nextWaitSeconds(POLL_PLANS.nodegroupCreate, t0, at(100))).toBe(50);
  });

  it('polls at the short interval when the start of the operation is unknown', () => {
    expect(nextWaitSeconds(POLL_PLANS.clusterDelete, undefined, t0)).toBe(60);
    expect(nextWaitSeconds(POLL_PLANS.nodegroupDelete, undefined, t0)).toBe(30);
  });

  it('treats a start time in the future (clock skew) as just started', () => {
    expect(nextWaitSeconds(POLL_PLANS.clusterCreate, at(30), t0)).toBe(540);
  });

  it('rounds partial seconds up, so the workflow never looks before the typical time', () => {
    expect(nextWaitSeconds(POLL_PLANS.clusterCreate, t0, new Date(t0.getTime() + 100_500))).toBe(440);
  });
});

describe('pollInstants', () => {
  it('looks at a 10-minute cluster creation twice (9 min, then 10 min)', () => {
    expect(pollInstants(POLL_PLANS.clusterCreate, 600)).toEqual([540, 600]);
  });

  it('looks at a 16-minute cluster creation 8 times, where a fixed 30 s poll would need 32', () => {
    expect(pollInstants(POLL_PLANS.clusterCreate, 960)).toEqual([540, 600, 660, 720, 780, 840, 900, 960]);
  });

  it('looks at a 3-minute nodegroup creation twice', () => {
    expect(pollInstants(POLL_PLANS.nodegroupCreate, 180)).toEqual([150, 180]);
  });

  it('looks once at a resource ready before its typical time', () => {
    expect(pollInstants(POLL_PLANS.loadBalancerCreate, 60)).toEqual([120]);
  });
});
