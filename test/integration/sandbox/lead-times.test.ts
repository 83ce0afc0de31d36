/**
 * Scale-up lead times of what deploys, on the emulated cloud's timings (sandbox/lead-time-probe.ts):
 * the bundled task Lambdas of the integration setup's synthesized deployment and its scale-up and
 * scale-down definitions, against moto through the AWS proxy with the emulated lead times, on a
 * virtual clock. The control plane creates one cold and a warm scale-up of an elastic warm region
 * (after an always-on region, so that the scale-down to WARM is allowed). The cluster takes 11.5
 * minutes here, between two of the workflow's polls, so that its overshoot shows in the overhead.
 * The same with the sandbox's own clock and demand: sandbox-run.test.ts. Unique prefix: other
 * suites share the emulator.
 */
import { beforeAll, expect, it } from '@jest/globals';
import { POLL_PLANS, pollInstants, type PollPlan } from '../../../functions/domain/poll-schedule';
import { TIMING_PROFILES, type AwsTimings } from '../../../sandbox/aws-timings';
import { probeLeadTimes, type LeadTimeProbe } from '../../../sandbox/lead-time-probe';
import { exampleConfig } from '../../support/config-fixtures';
import { uniquePrefix } from '../../support/control-stack-fixture';
import { synthesizedDeployment } from '../../support/deployed-lambdas';
import { describeWithMoto, motoEndpoint, useEmulator } from '../../support/moto';

const ELASTIC = 'ap-south-1';
const TIMINGS: AwsTimings = { ...TIMING_PROFILES.realistic, clusterCreateSeconds: 690 };

/** Seconds between a resource becoming ready and the workflow's poll that sees it. */
const overshoot = (plan: PollPlan, readyAfterSeconds: number) =>
  pollInstants(plan, readyAfterSeconds).at(-1)! - readyAfterSeconds;

describeWithMoto('scale-up lead times of the deployed workflows on the emulated cloud', () => {
  let probe: LeadTimeProbe;

  beforeAll(async () => {
    await useEmulator();
    const config = exampleConfig((raw) => {
      raw.prefix = uniquePrefix('leadtime');
      // One elastic region: fewer foundations to create in the emulator.
      raw.regions.elastic = [ELASTIC];
      raw.scaling.maxElasticActive = 1;
      raw.scaling.regionOverrides = {};
      raw.warm = { ...raw.warm, regions: [ELASTIC] };
      raw.demand = { source: 'external' };
    });
    probe = await probeLeadTimes({
      config,
      region: ELASTIC,
      timings: { name: 'test', timings: TIMINGS },
      motoEndpoint: motoEndpoint(),
      synthesized: synthesizedDeployment(),
    });
  }, 300_000);

  it("serves a cold scale-up after AWS's 15-20 minutes: the cluster, the nodegroup, the load balancer and the DNS change", () => {
    for (const cold of [probe.alwaysOnCold, probe.cold]) {
      expect(cold).toMatchObject({
        tier: 'cold',
        aws: {
          cluster: TIMINGS.clusterCreateSeconds,
          nodegroup: TIMINGS.nodegroupCreateSeconds,
          'load balancer': TIMINGS.loadBalancerCreateSeconds,
          'DNS change': TIMINGS.dnsChangeSeconds,
        },
      });
      expect(cold.awsSeconds).toBe(
        TIMINGS.clusterCreateSeconds +
          TIMINGS.nodegroupCreateSeconds +
          TIMINGS.loadBalancerCreateSeconds +
          TIMINGS.dnsChangeSeconds,
      );
      expect(cold.leadSeconds / 60).toBeGreaterThanOrEqual(15);
      expect(cold.leadSeconds / 60).toBeLessThanOrEqual(20);
    }
  });

  it("counts as the control plane's own overhead what its polls add: each phase's overshoot, here the cluster's", () => {
    const expected =
      overshoot(POLL_PLANS.clusterCreate, TIMINGS.clusterCreateSeconds) +
      overshoot(POLL_PLANS.nodegroupCreate, TIMINGS.nodegroupCreateSeconds) +
      overshoot(POLL_PLANS.loadBalancerCreate, TIMINGS.loadBalancerCreateSeconds) +
      overshoot(POLL_PLANS.dnsChange, TIMINGS.dnsChangeSeconds);
    expect(expected).toBeGreaterThan(0);
    expect(probe.cold.overheadSeconds).toBe(expected);
    expect(probe.cold.leadSeconds).toBe(probe.cold.awsSeconds + expected);
    expect(probe.cold.overheadSeconds).toBeLessThanOrEqual(30);
  });

  it('serves a warm scale-up (WARM -> ACTIVE) in 4 minutes or less: nodes from the warm pool and the DNS change, no cluster', () => {
    expect(probe.warmUnavailable).toBeUndefined();
    const warm = probe.warm!;
    expect(warm.tier).toBe('warm');
    expect(warm.aws).toMatchObject({
      nodes: TIMINGS.nodegroupScaleOutFromWarmPoolSeconds,
      'DNS change': TIMINGS.dnsChangeSeconds,
    });
    expect(warm.aws).not.toHaveProperty('cluster');
    expect(warm.aws).not.toHaveProperty('nodegroup');
    expect(warm.leadSeconds).toBeLessThanOrEqual(240);
    expect(warm.overheadSeconds).toBeGreaterThanOrEqual(0);
  });
});
