/**
 * The sandbox's --rollout-at, a short run in-process against the integration project's moto
 * server (demand published directly, not counted at the edges: this suite is about the rollout):
 * the always-on regions and one elastic region come up, then a deploy of a changed edge
 * configuration at 00:40 (simulated) reaches every ACTIVE region through the edge rollout the
 * reconciler starts by itself, one region at a time, the elastic one (the canary) first, without
 * a scale cycle. Played through what deploys (the integration setup's synthesized deployment).
 */
import { beforeAll, expect, it } from '@jest/globals';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { runSandbox, type SandboxResult } from '../../../sandbox/sandbox-run';
import type { TimelineEvent } from '../../../sandbox/timeline';
import type { DemandTrace } from '../../../simulator/trace';
import { exampleConfig } from '../../support/config-fixtures';
import { uniquePrefix } from '../../support/control-stack-fixture';
import { synthesizedDeployment } from '../../support/deployed-lambdas';
import { describeWithMoto, motoEndpoint, useEmulator } from '../../support/moto';

const START = Date.parse('2026-03-01T00:00:00Z');
const MINUTE = 60_000;
const DEPLOY_AT = START + 40 * MINUTE;
const ELASTIC = 'ap-southeast-1';
const ALWAYS_ON = ['us-east-1', 'eu-west-1'];
const PERIODS = 70;
const HOME = 'us-west-2';

const constant = (users: number) => new Float64Array(PERIODS).fill(users);
/** 70 minutes: the elastic region's users rise above its scale-up threshold (500) at 00:05 and stay. */
const trace: DemandTrace = {
  startMs: START,
  stepSeconds: 60,
  periods: PERIODS,
  regions: [...ALWAYS_ON, ELASTIC],
  users: new Map([
    ...ALWAYS_ON.map((r): [string, Float64Array] => [r, constant(300)]),
    [ELASTIC, Float64Array.from({ length: PERIODS }, (_, i) => (i < 5 ? 100 : 900))],
  ]),
};

type Event<K extends TimelineEvent['kind']> = Extract<TimelineEvent, { kind: K }>;
const ofKind = <K extends TimelineEvent['kind']>(events: TimelineEvent[], kind: K) =>
  events.filter((e): e is Event<K> => e.kind === kind);

describeWithMoto(
  'the local sandbox with --rollout-at: a changed edge configuration reaches every ACTIVE region',
  () => {
    let result: SandboxResult;
    const lines: string[] = [];

    beforeAll(async () => {
      await useEmulator();
      const config = exampleConfig((raw) => {
        raw.prefix = uniquePrefix('sbroll');
        // A home region of its own: the other sandbox suite's alarms read ActiveUsers in us-east-1.
        raw.homeRegion = HOME;
        raw.regions.elastic = [ELASTIC, 'sa-east-1'];
        // Published as a user's publisher would (fast): the edge counters have a suite of their own.
        raw.demand = { source: 'external' };
      });
      result = await runSandbox({
        config,
        scenario: { name: 'test rollout', trace, ignoredRegions: [], gaps: [] },
        msPerSimulatedMinute: 10,
        motoEndpoint: motoEndpoint(),
        synthesized: synthesizedDeployment(),
        rolloutAt: '00:40',
        write: (line) => lines.push(line),
      });
    }, 540_000);

    it('deploys at 00:40 and starts nothing but the rollout, which the reconciler starts at its next pass', () => {
      expect(result.status).toBe('completed');
      const [deploy] = ofKind(result.events, 'deploy');
      expect(deploy).toMatchObject({
        at: expect.any(Number),
        detail: expect.stringContaining('edge.cache.html.ttlSeconds 300 -> 600'),
      });
      expect(deploy!.at).toBeGreaterThanOrEqual(DEPLOY_AT);
      expect(deploy!.at).toBeLessThan(DEPLOY_AT + MINUTE);
      const started = ofKind(result.events, 'reconciler').filter((e) => e.action === 'edge-rollout-started');
      expect(started).toHaveLength(1);
      expect(started[0]!.at).toBeGreaterThanOrEqual(deploy!.at);
      // Every region scaled before the deploy only: no scale cycle brought the new configuration.
      const scalingStarts = ofKind(result.events, 'decision').filter((e) => e.outcome === 'started');
      expect(scalingStarts.map((e) => e.region).sort()).toEqual([ELASTIC, ...ALWAYS_ON].sort());
      for (const decision of scalingStarts) expect(decision.at).toBeLessThan(DEPLOY_AT);
    });

    it('ran one rollout execution, region by region, the elastic region (the canary) first', async () => {
      const rollouts = result.executions.filter((e) => e.direction === 'rollout');
      expect(rollouts.map((e) => [e.status, e.regions])).toEqual([['SUCCEEDED', [ELASTIC, ...ALWAYS_ON]]]);
      expect(result.executions.filter((e) => e.status === 'FAILED')).toEqual([]);
      const steps = ofKind(result.events, 'workflow').filter((e) => e.direction === 'rollout' && e.region !== '-');
      const order = steps.map((e) => e.region).filter((r, i, all) => all.indexOf(r) === i);
      expect(order).toEqual([ELASTIC, ...ALWAYS_ON]);
      // One region at a time: a region's steps all come before the next region's.
      for (const [i, region] of order.entries()) {
        const last = steps.findLastIndex((e) => e.region === region);
        const nextFirst = steps.findIndex((e) => e.region === order[i + 1]);
        if (nextFirst >= 0) expect(last).toBeLessThan(nextFirst);
      }
      expect(steps.flatMap((e) => e.states)).toEqual(
        expect.arrayContaining(['ApplyEdge', 'CheckHealth', 'FinishRegion']),
      );
      const { executions = [] } = await new SFNClient({ region: HOME }).send(
        new ListExecutionsCommand({ stateMachineArn: result.maintenanceMachines.edgeRollout }),
      );
      expect(executions.map((e) => e.status)).toEqual(['ABORTED']);
    });

    it("reports each region's configuration before and after: every ACTIVE region moved to the new one", () => {
      const rollout = result.edgeRollout!;
      expect(rollout.desiredAfter).not.toBe(rollout.desiredBefore);
      expect(rollout.regions.map((r) => r.region).sort()).toEqual([ELASTIC, ...ALWAYS_ON].sort());
      for (const region of rollout.regions) {
        expect(region).toEqual({
          region: region.region,
          before: rollout.desiredBefore,
          after: rollout.desiredAfter,
          updatedAt: expect.any(String),
        });
      }
      const active = result.emulator!.regions.filter((s) => s.status === 'ACTIVE');
      expect(active.map((s) => s.edgeConfiguration)).toEqual(active.map(() => rollout.desiredAfter));
      expect(result.emulator!.locks).toEqual([]);
      const summary = lines.slice(lines.findIndex((l) => l.startsWith('Edge rollout (--rollout-at 2026-03-01 00:40')));
      expect(summary[1]).toBe(
        `  desired edge configuration ${rollout.desiredBefore.slice(0, 12)} -> ${rollout.desiredAfter.slice(0, 12)}`,
      );
      expect(summary.slice(2, 5).every((l) => / -> .* rolled out at 2026-03-01 00:\d\d$/.test(l))).toBe(true);
    });
  },
);
