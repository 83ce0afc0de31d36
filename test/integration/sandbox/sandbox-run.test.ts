/**
 * A short sandbox run in-process against the integration project's moto server: four simulated
 * hours in which one elastic region's demand spikes (with a publisher gap in the middle), falls
 * back (the region, a warm one, goes WARM) and spikes again (it comes back warm), played through what deploys: the bundled decision Lambda, reconciler and task Lambdas and
 * the synthesized workflow definitions (of the deployment the integration setup synthesized), with
 * the emulated cloud's realistic timings (clusters, nodes, load balancers and DNS changes take
 * AWS's time), as `npm start` runs. The emulator's final state is then checked with the AWS APIs
 * themselves. Unique prefix: other suites share the emulator.
 */
import { beforeAll, expect, it } from '@jest/globals';
import { EKSClient, ListClustersCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { namedProfile, TIMING_PROFILES } from '../../../sandbox/aws-timings';
import { loadBalancerName } from '../../../sandbox/cloud-controller';
import { renderSandboxReport } from '../../../sandbox/observed-report';
import { runSandbox, type SandboxResult } from '../../../sandbox/sandbox-run';
import { REAL_CLOCK_MARGIN_MS } from '../../../sandbox/scenario';
import { latencyRecordTargets } from '../../../functions/adapters/latency-records';
import type { TimelineEvent } from '../../../sandbox/timeline';
import { Route53Client } from '@aws-sdk/client-route-53';
import { clusterName, nodegroupName } from '../../../functions/domain/naming';
import type { DemandTrace } from '../../../simulator/trace';
import { exampleConfig } from '../../support/config-fixtures';
import { uniquePrefix } from '../../support/control-stack-fixture';
import { synthesizedDeployment } from '../../support/deployed-lambdas';
import { describeWithMoto, motoEndpoint, useEmulator } from '../../support/moto';

const START = Date.parse('2026-03-01T00:00:00Z');
const MINUTE = 60_000;
const SPIKING = 'ap-southeast-1';
const QUIET = 'sa-east-1';
const ALWAYS_ON = ['us-east-1', 'eu-west-1'];

/** Minutes of demand: `[users, minutes]` pieces, `null` users = the publisher is silent. */
function series(...pieces: Array<[number | null, number]>): Float64Array {
  return Float64Array.from(pieces.flatMap(([users, minutes]) => new Array<number>(minutes).fill(users ?? NaN)));
}

/**
 * 4 hours: the spiking region goes from 100 to 900 users at 00:30, silent 01:00-01:20, falls to 50
 * at 02:00, and is back at 900 from 03:00 to 03:30.
 */
const GAP = { from: START + 60 * MINUTE, to: START + 80 * MINUTE };
const trace: DemandTrace = {
  startMs: START,
  stepSeconds: 60,
  periods: 240,
  regions: [...ALWAYS_ON, SPIKING, QUIET],
  users: new Map([
    ...ALWAYS_ON.map((r): [string, Float64Array] => [r, series([300, 240])]),
    [SPIKING, series([100, 30], [900, 30], [null, 20], [900, 40], [50, 60], [900, 30], [50, 30])],
    [QUIET, series([150, 240])], // between its thresholds (80 and 300): never scales
  ]),
};

const decisions = (events: TimelineEvent[], region: string, direction: 'up' | 'down') =>
  events.filter(
    (e): e is Extract<TimelineEvent, { kind: 'decision' }> =>
      e.kind === 'decision' && e.region === region && e.direction === direction && e.outcome === 'started',
  );

describeWithMoto('the local sandbox, a short run against the emulator', () => {
  let result: SandboxResult;
  let prefix: string;
  const lines: string[] = [];

  beforeAll(async () => {
    await useEmulator();
    prefix = uniquePrefix('sandbox');
    const config = exampleConfig((raw) => {
      raw.prefix = prefix;
      raw.regions.elastic = [SPIKING, QUIET];
      raw.warm = { ...raw.warm, regions: [SPIKING] };
    });
    result = await runSandbox({
      config,
      scenario: { name: 'test spike', trace, ignoredRegions: [], gaps: [] },
      msPerSimulatedMinute: 10,
      motoEndpoint: motoEndpoint(),
      synthesized: synthesizedDeployment(),
      timings: namedProfile('realistic'),
      write: (line) => lines.push(line),
    });
  }, 360_000);

  it('completes and prints a timeline and a summary', () => {
    expect(result.status).toBe('completed');
    expect(lines.some((l) => /^2026-03-01 \d\d:\d\d {2}alarm {5}ap-southeast-1 +\S+: OK -> ALARM$/.test(l))).toBe(true);
    expect(lines).toContain('  Locks held: none');
  });

  it("counted the users at the edges and published them with the bundled collector, the gap as an edge's silence", () => {
    const demand = result.events.filter((e): e is Extract<TimelineEvent, { kind: 'demand' }> => e.kind === 'demand');
    const hourly = demand.filter((e) => e.detail.startsWith('collector: ActiveUsers'));
    expect(hourly.length).toBeGreaterThanOrEqual(3);
    // Every user of the trace located near its region and attributed back to it (at 03:00 the
    // spiking region is WARM: its users reach another region's edge).
    expect(hourly.at(-1)!.detail).toBe(
      'collector: ActiveUsers us-east-1 300, eu-west-1 300, ap-southeast-1 900, sa-east-1 150; unattributed 0',
    );
    // (An edge also goes unheard for the period in which it came up: its counter started during it.)
    const silences = demand.filter((e) => e.detail.startsWith(`collector: no counts from the edge of ${SPIKING}`));
    expect(silences.some((e) => e.at >= GAP.from && e.at < GAP.to)).toBe(true);
  });

  it('brings every always-on region up through the reconciler: cluster, nodegroup and latency record', async () => {
    for (const region of ALWAYS_ON) {
      expect(decisions(result.events, region, 'up')[0]).toMatchObject({ source: 'reconciler' });
      const eks = new EKSClient({ region });
      const { clusters = [] } = await eks.send(new ListClustersCommand({}));
      expect(clusters).toContain(clusterName(prefix, region));
      const { nodegroups } = await eks.send(new ListNodegroupsCommand({ clusterName: clusterName(prefix, region) }));
      expect(nodegroups).toEqual([nodegroupName(prefix)]);
    }
    const records = await latencyRecordTargets(
      new Route53Client({ region: 'us-east-1' }),
      result.config.dns.hostedZoneId,
      result.config.dns.recordName,
    );
    // The spiking region serves again at the end (its second spike).
    expect([...records.keys()].sort()).toEqual([...ALWAYS_ON, SPIKING].sort());
    expect(result.emulator?.regions.filter((s) => s.status === 'ACTIVE').map((s) => s.region)).toEqual([
      ...ALWAYS_ON,
      SPIKING,
    ]);
  });

  it('ran the bundles on the simulated clock: the region states they wrote are dated within the scenario', () => {
    const latest = START + trace.periods * MINUTE + REAL_CLOCK_MARGIN_MS;
    for (const region of [...ALWAYS_ON, SPIKING]) {
      const state = result.emulator!.regions.find((s) => s.region === region)!;
      for (const at of [state.since, state.lastTransitionAt]) {
        expect(at).toEqual(expect.any(String));
        expect(Date.parse(at!)).toBeGreaterThan(START);
        expect(Date.parse(at!)).toBeLessThan(latest);
      }
    }
  });

  it('scaled the spiking region up on its alarm, down to WARM after its demand fell (never in the publisher gap), and up again', () => {
    const [up] = decisions(result.events, SPIKING, 'up');
    const [down] = decisions(result.events, SPIKING, 'down');
    expect(up).toMatchObject({ source: 'alarm' });
    expect(up!.at).toBeGreaterThan(START + 30 * MINUTE);
    expect(up!.at).toBeLessThan(GAP.from);
    expect(down!.at).toBeGreaterThanOrEqual(START + 135 * MINUTE); // 15 low minutes after 02:00
    // Failed executions first, with their error and cause, so that a failure says why.
    expect(result.executions.filter((e) => e.status === 'FAILED')).toEqual([]);
    const outcomes = result.executions.filter((e) => e.region === SPIKING).map((e) => [e.direction, e.status]);
    expect(outcomes).toEqual([
      ['up', 'SUCCEEDED'],
      ['down', 'SUCCEEDED'],
      ['up', 'SUCCEEDED'],
    ]);
    const [, again] = decisions(result.events, SPIKING, 'up');
    expect(again!.at).toBeGreaterThanOrEqual(START + 180 * MINUTE);
    const gapAlarms = result.events.filter(
      (e) => e.kind === 'alarm' && e.region === SPIKING && e.at >= GAP.from && e.at <= GAP.to,
    );
    expect(gapAlarms).toContainEqual(
      expect.objectContaining({ alarmName: `${prefix}-scale-up-${SPIKING}`, to: 'INSUFFICIENT_DATA' }),
    );
    expect(
      gapAlarms.filter((e) => e.kind === 'alarm' && e.to === 'ALARM' && e.alarmName.includes('scale-down')),
    ).toEqual([]);
    expect(decisions(result.events, QUIET, 'up')).toEqual([]);
  });

  it('holds no cluster, record or load balancer for a region that is not ACTIVE, and no lock', async () => {
    const emulator = result.emulator!;
    const active = new Set(emulator.regions.filter((s) => s.status === 'ACTIVE').map((s) => s.region));
    expect(emulator.clusters.map((c) => c.region).sort()).toEqual([...active].sort());
    expect([...emulator.records.keys()].sort()).toEqual([...active].sort());
    expect(emulator.regions.find((s) => s.region === SPIKING)?.status).toBe('ACTIVE');
    expect(emulator.regions.find((s) => s.region === QUIET)?.status).toBe('INACTIVE');
    expect(emulator.locks).toEqual([]);
  });

  it("kept the spiking region's load balancer while it was WARM: its record points at the same one again", async () => {
    const added = result.events.filter(
      (e): e is Extract<TimelineEvent, { kind: 'dns' }> =>
        e.kind === 'dns' && e.region === SPIKING && e.change === 'added',
    );
    expect(added).toHaveLength(2);
    expect(added[1]!.target).toBe(added[0]!.target);
    const { LoadBalancers = [] } = await new ElasticLoadBalancingV2Client({ region: SPIKING }).send(
      new DescribeLoadBalancersCommand({}),
    );
    expect(LoadBalancers.filter((lb) => lb.LoadBalancerName === loadBalancerName(prefix))).toHaveLength(1);
  });

  it('ran every execution to its end and marked it ABORTED in moto, which cannot run Lambda tasks', async () => {
    expect(result.executions.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    const sfn = new SFNClient({ region: 'us-east-1' });
    for (const stateMachineArn of [result.machines.up, result.machines.down]) {
      const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
      expect(executions.map((e) => e.status)).toEqual(executions.map(() => 'ABORTED'));
    }
    expect(result.counts).toMatchObject({ scaleUps: 4, scaleDowns: 1, executionsSucceeded: 5, executionsFailed: 0 });
  });

  it("shows each cold scale-up's lead time: AWS's 15-20 minutes, and the control plane's own overhead in seconds", () => {
    const t = TIMING_PROFILES.realistic;
    const aws = t.clusterCreateSeconds + t.nodegroupCreateSeconds + t.loadBalancerCreateSeconds + t.dnsChangeSeconds;
    expect(result.leadTimes.map((l) => [l.region, l.tier]).sort()).toEqual(
      [...[...ALWAYS_ON, SPIKING].map((region) => [region, 'cold']), [SPIKING, 'warm']].sort(),
    );
    for (const leadTime of result.leadTimes.filter((l) => l.tier === 'cold')) {
      expect(leadTime.awsSeconds).toBe(aws);
      expect(leadTime.leadSeconds / 60).toBeGreaterThanOrEqual(15);
      expect(leadTime.leadSeconds / 60).toBeLessThanOrEqual(20);
      // The sandbox's clock gives the workflow's steps no time, and its waits exactly theirs.
      expect(leadTime.overheadSeconds).toBeGreaterThanOrEqual(0);
      expect(leadTime.overheadSeconds).toBeLessThanOrEqual(30);
    }
    // The spiking region's record appears once the scale-up's DNS change is submitted: after AWS's cold time.
    const [up] = decisions(result.events, SPIKING, 'up');
    const added = result.events.find((e) => e.kind === 'dns' && e.region === SPIKING && e.change === 'added')!;
    expect(added.at - up!.at).toBeGreaterThanOrEqual((aws - t.dnsChangeSeconds) * 1000);
    expect(
      lines.filter((l) =>
        / {2}lead-time [a-z0-9-]+ +cold scale-up serving after 1\d(\.\d)? min: AWS held it 16.5 min /.test(l),
      ),
    ).toHaveLength(3);
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}cold {6}3 x {2}median 1\d(\.\d)? min, AWS 16.5 min, control plane \d+ s/),
    );
  });

  it('shows the warm scale-up serving within 4 minutes: nodes from the warm pool and the DNS change, no cluster', () => {
    const t = TIMING_PROFILES.realistic;
    const warm = result.leadTimes.find((l) => l.tier === 'warm')!;
    expect(warm.region).toBe(SPIKING);
    expect(warm.aws).toEqual({ nodes: t.nodegroupScaleOutFromWarmPoolSeconds, 'DNS change': t.dnsChangeSeconds });
    expect(warm.leadSeconds).toBeLessThanOrEqual(240);
    expect(warm.overheadSeconds).toBeGreaterThanOrEqual(0);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}warm {6}1 x {2}median [0-3](\.\d)? min, AWS 2 min, /));
  });

  it('takes AWS its time to delete too: the scale-down waits for the nodegroup and the cluster to be gone', () => {
    const t = TIMING_PROFILES.realistic;
    const down = result.executions.find((e) => e.region === SPIKING && e.direction === 'down')!;
    expect(down.finishedAt - down.startedAt).toBeGreaterThanOrEqual(
      (t.nodegroupDeleteSeconds + t.clusterDeleteSeconds) * 1000,
    );
  });

  it('writes the lead times into the report, with the timings they were measured with', () => {
    const html = renderSandboxReport(result.config, trace, result.events, undefined, namedProfile('realistic'));
    expect(html).toContain('<h2>Scale-up lead times</h2>');
    expect(html).toContain('(realistic timings)');
    expect(html.match(/<tr><td>\d\d:\d\d<\/td><td>[a-z0-9-]+<\/td><td>cold<\/td>/g)).toHaveLength(3);
    expect(html).toContain('<tr><th>warm</th><td>1</td>');
  });
});
