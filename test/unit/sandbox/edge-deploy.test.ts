import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reconcileActionEvent } from '../../../sandbox/decision-events';
import {
  changedEdgeConfig,
  formatEdgeRollout,
  observeEdgeRollout,
  rolloutOffsetMs,
} from '../../../sandbox/edge-deploy';
import { formatEvent } from '../../../sandbox/timeline';
import type { RegionState } from '../../../functions/domain/region-state';
import { exampleConfig } from '../../support/config-fixtures';

const MINUTE = 60_000;
const START = Date.parse('2026-11-20T00:00:00Z');
const BEFORE = 'b'.repeat(64);
const AFTER = 'a'.repeat(64);

describe('--rollout-at', () => {
  const day = { startMs: START, endMs: START + 24 * 60 * MINUTE };

  it('is the time from the scenario start to that time of day (UTC), the next day when the start is later', () => {
    expect(rolloutOffsetMs('12:30', day)).toBe(12.5 * 60 * MINUTE);
    expect(rolloutOffsetMs('00:00', day)).toBe(0);
    const fromTen = { startMs: START + 10 * 60 * MINUTE, endMs: START + 34 * 60 * MINUTE };
    expect(rolloutOffsetMs('09:00', fromTen)).toBe(23 * 60 * MINUTE);
  });

  it.each(['7pm', '24:00', '12:60', '9:00', ''])('refuses %p, naming the option and the form', (text) => {
    expect(() => rolloutOffsetMs(text, day)).toThrow(
      `--rollout-at "${text}" is not a time of day; fix: use HH:MM (UTC, 00:00 to 23:59) within the scenario, e.g. --rollout-at 12:00`,
    );
  });

  it('refuses a time after the scenario, saying how to reach it', () => {
    expect(() => rolloutOffsetMs('05:00', { startMs: START, endMs: START + 4 * 60 * MINUTE })).toThrow(
      "--rollout-at 05:00 is after the scenario's end (2026-11-20 04:00 UTC, simulated); fix: choose a time before it, or play more hours (--hours)",
    );
  });

  it('is refused by npm start before anything runs', () => {
    const projectDir = fileURLToPath(new URL('../../../', import.meta.url));
    const result = spawnSync(
      join(projectDir, 'node_modules', '.bin', 'tsx'),
      ['sandbox/main.ts', '--hours', '2', '--rollout-at', '03:00'],
      { cwd: projectDir, encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("--rollout-at 03:00 is after the scenario's end");
    expect(result.stdout).toBe('');
  }, 180_000);
});

describe('the deploy of a changed edge configuration', () => {
  it('doubles the HTML cache TTL and changes nothing else', () => {
    const config = exampleConfig();
    const { config: changed, description } = changedEdgeConfig(config);
    expect(description).toBe('edge.cache.html.ttlSeconds 300 -> 600');
    expect(changed.edge.cache.html.ttlSeconds).toBe(600);
    expect({ ...changed, edge: { ...changed.edge, cache: config.edge.cache } }).toEqual(config);
  });

  it("observes each region's configuration at the deploy and at the end, and when the rollout reached it", () => {
    const state = (region: string, status: RegionState['status'], edgeConfiguration?: string): RegionState => ({
      region,
      status,
      since: '2026-11-20T00:00:00Z',
      consecutiveFailures: 0,
      edgeConfiguration,
    });
    const reached = {
      ...state('us-east-1', 'ACTIVE', AFTER),
      maintenance: {
        edgeRollout: { status: 'SUCCEEDED' as const, target: AFTER, executionArn: 'x', at: '2026-11-20T12:07:00.000Z' },
      },
    };
    const observation = observeEdgeRollout(
      {
        deployedAt: START + 12 * 60 * MINUTE,
        description: 'edge.cache.html.ttlSeconds 300 -> 600',
        desiredBefore: BEFORE,
        desiredAfter: AFTER,
      },
      [state('us-east-1', 'ACTIVE', BEFORE), state('eu-west-1', 'ACTIVE', BEFORE), state('sa-east-1', 'INACTIVE')],
      [
        reached,
        state('eu-west-1', 'ACTIVE', BEFORE),
        state('sa-east-1', 'ACTIVE', AFTER),
        state('ap-south-1', 'INACTIVE'),
      ],
    );
    expect(observation.regions).toEqual([
      { region: 'us-east-1', before: BEFORE, after: AFTER, updatedAt: '2026-11-20T12:07:00.000Z' },
      { region: 'eu-west-1', before: BEFORE, after: BEFORE },
      { region: 'sa-east-1', before: undefined, after: AFTER },
    ]);
    expect(formatEdgeRollout(observation)).toEqual([
      'Edge rollout (--rollout-at 2026-11-20 12:00: cdk deploy of edge.cache.html.ttlSeconds 300 -> 600):',
      '  desired edge configuration bbbbbbbbbbbb -> aaaaaaaaaaaa',
      '  us-east-1       bbbbbbbbbbbb -> aaaaaaaaaaaa   rolled out at 2026-11-20 12:07',
      '  eu-west-1       bbbbbbbbbbbb -> bbbbbbbbbbbb   NOT reached',
      '  sa-east-1       - -> aaaaaaaaaaaa              not serving at the deploy; came up later on it',
    ]);
  });
});

describe('the timeline of a rollout', () => {
  it('shows the reconciler starting one for several regions under no single region, with a space after the kind', () => {
    const event = reconcileActionEvent(
      {
        region: 'us-east-1, eu-west-1',
        action: 'edge-rollout-started',
        detail: 'rollout-aaaaaaaaaaaa-reconcile-x: behind',
      },
      START,
    );
    expect(formatEvent(event)).toBe(
      '2026-11-20 00:00  reconciler -               reconciler edge-rollout-started: rollout-aaaaaaaaaaaa-reconcile-x: behind',
    );
  });

  it('counts a poll that repeats instead of printing it again', () => {
    expect(
      formatEvent({
        kind: 'workflow',
        at: START,
        region: 'eu-west-1',
        direction: 'rollout',
        states: ['ReadRollout'],
        waitSeconds: 15,
        repeats: 3,
      }),
    ).toBe('2026-11-20 00:00  workflow  eu-west-1       rollout: ReadRollout, then waits 15 s, 3 more times');
  });
});
