/**
 * Property: whatever sequence of alarm events, operator requests, reconciler passes and
 * execution outcomes arrives, a small in-memory model that starts an execution exactly when
 * decideScaling (or decideAlwaysOnRestore) allows it never breaks the guardrails.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { approvedRegions, regionList } from '../../../functions/domain/config';
import { occupiesElasticSlot } from '../../../functions/domain/region-state';
import {
  decideAlwaysOnRestore,
  decideScaling,
  failureBackoffSeconds,
  type RegionSnapshot,
  type ScalingRequest,
} from '../../../functions/domain/scaling-policy';
import { exampleConfig } from '../../support/config-fixtures';

const config = exampleConfig((raw) => {
  raw.scaling!.maxElasticActive = 2;
});
const regions = [...approvedRegions(config), 'eu-central-1'];

type Command =
  | { kind: 'advance'; minutes: number }
  | { kind: 'alarm'; region: string; direction: 'up' | 'down'; delayMinutes: number }
  | { kind: 'operator'; region: string; direction: 'up' | 'down'; force: boolean }
  | { kind: 'reconcile' }
  | { kind: 'outcome'; region: string; succeeded: boolean };

const region = fc.constantFrom(...regions);
const direction = fc.constantFrom<'up' | 'down'>('up', 'down');
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('advance' as const), minutes: fc.integer({ min: 1, max: 120 }) }),
  fc.record({ kind: fc.constant('alarm' as const), region, direction, delayMinutes: fc.integer({ min: 0, max: 10 }) }),
  fc.record({ kind: fc.constant('operator' as const), region, direction, force: fc.boolean() }),
  fc.record({ kind: fc.constant('reconcile' as const) }),
  fc.record({ kind: fc.constant('outcome' as const), region, succeeded: fc.boolean() }),
);

interface Model {
  now: Date;
  regions: Map<string, RegionSnapshot>;
}

function initialModel(alwaysOnActive: boolean[]): Model {
  const now = new Date('2026-11-21T00:00:00Z');
  const model: Model = { now, regions: new Map() };
  approvedRegions(config).forEach((r, i) => {
    const active = regionList(config, r) === 'always-on' && (alwaysOnActive[i] ?? true);
    model.regions.set(r, {
      region: r,
      status: active ? 'ACTIVE' : 'INACTIVE',
      since: now.toISOString(),
      activeSince: active ? now.toISOString() : undefined,
      consecutiveFailures: 0,
      locked: false,
      executionRunning: false,
    });
  });
  return model;
}

const seconds = (from: string | undefined, to: Date) => (from ? (to.getTime() - Date.parse(from)) / 1000 : Infinity);

/** Starts an execution in the model after checking every invariant a start must respect. */
function start(model: Model, request: ScalingRequest): void {
  const state = model.regions.get(request.region);
  expect(state).toBeDefined();
  if (!state) return;
  const forced = request.source === 'operator' && request.force === true;
  // never an always-on region scaled down
  if (request.direction === 'down') expect(regionList(config, request.region)).toBe('elastic');
  // never two executions for one region at once
  expect(state.executionRunning || state.locked).toBe(false);
  // cooldowns (and the failure backoff) always honoured unless an operator forces
  if (!forced) {
    const wait =
      state.status === 'FAILED'
        ? failureBackoffSeconds(state.consecutiveFailures, config)
        : config.scaling.cooldownSeconds;
    if (regionList(config, request.region) === 'elastic' || state.status === 'FAILED') {
      expect(seconds(state.lastTransitionAt, model.now)).toBeGreaterThanOrEqual(wait);
    }
  }
  if (request.source === 'alarm' && state.lastDecisionEventAt) {
    expect(request.eventAt.getTime()).toBeGreaterThanOrEqual(Date.parse(state.lastDecisionEventAt));
  }
  const at = model.now.toISOString();
  model.regions.set(request.region, {
    ...state,
    status: request.direction === 'up' ? 'PROVISIONING' : 'DRAINING',
    since: at,
    lastTransitionAt: at,
    executionRunning: true,
    locked: true,
  });
  // never more elastic regions than the maximum (no request here sets allowOverMax)
  const occupied = [...model.regions.values()].filter(
    (r) => regionList(config, r.region) === 'elastic' && occupiesElasticSlot(r),
  );
  expect(occupied.length).toBeLessThanOrEqual(config.scaling.maxElasticActive);
}

function finish(model: Model, regionName: string, succeeded: boolean): void {
  const state = model.regions.get(regionName);
  if (!state?.executionRunning) return;
  const at = model.now.toISOString();
  const up = state.status === 'PROVISIONING';
  model.regions.set(
    regionName,
    succeeded
      ? {
          ...state,
          status: up ? 'ACTIVE' : 'INACTIVE',
          since: at,
          activeSince: up ? at : undefined,
          lastTransitionAt: at,
          consecutiveFailures: 0,
          executionRunning: false,
          locked: false,
        }
      : {
          ...state,
          status: 'FAILED',
          since: at,
          lastTransitionAt: at,
          consecutiveFailures: state.consecutiveFailures + 1,
          executionRunning: false,
          locked: false,
        },
  );
}

function apply(model: Model, cmd: Command): void {
  const snapshots = () => [...model.regions.values()];
  switch (cmd.kind) {
    case 'advance':
      model.now = new Date(model.now.getTime() + cmd.minutes * 60_000);
      return;
    case 'outcome':
      return finish(model, cmd.region, cmd.succeeded);
    case 'alarm': {
      const eventAt = new Date(model.now.getTime() - cmd.delayMinutes * 60_000);
      const request: ScalingRequest = { region: cmd.region, direction: cmd.direction, source: 'alarm', eventAt };
      const verdict = decideScaling(request, snapshots(), config, model.now);
      const state = model.regions.get(cmd.region);
      if (verdict.allowed) start(model, request);
      // the decision Lambda advances the stale-event mark on every event it decides on
      if (state && !(verdict.allowed === false && verdict.rule === 'stale-event')) {
        const current = model.regions.get(cmd.region)!;
        model.regions.set(cmd.region, { ...current, lastDecisionEventAt: eventAt.toISOString() });
      }
      return;
    }
    case 'operator': {
      const request: ScalingRequest = {
        region: cmd.region,
        direction: cmd.direction,
        source: 'operator',
        eventAt: model.now,
        force: cmd.force,
      };
      if (decideScaling(request, snapshots(), config, model.now).allowed) start(model, request);
      return;
    }
    case 'reconcile':
      for (const r of config.regions.alwaysOn) {
        if (decideAlwaysOnRestore(r, snapshots(), config, model.now).allowed) {
          start(model, { region: r, direction: 'up', source: 'reconciler', eventAt: model.now });
        }
      }
      for (const r of config.regions.elastic) {
        for (const d of ['up', 'down'] as const) {
          const request: ScalingRequest = { region: r, direction: d, source: 'reconciler', eventAt: model.now };
          if (decideScaling(request, snapshots(), config, model.now).allowed) start(model, request);
        }
      }
      return;
  }
}

describe('scaling policy properties', () => {
  it('keeps every guardrail over random sequences of events, requests and outcomes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
        fc.array(command, { minLength: 1, maxLength: 120 }),
        (alwaysOnActive, commands) => {
          const model = initialModel(alwaysOnActive);
          for (const cmd of commands) {
            apply(model, cmd);
            // an always-on region is never on its way down
            for (const r of config.regions.alwaysOn) expect(model.regions.get(r)!.status).not.toBe('DRAINING');
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('starts at most one execution per region however often the same alarm is delivered', () => {
    fc.assert(
      fc.property(region, direction, fc.integer({ min: 2, max: 6 }), (r, d, deliveries) => {
        const model = initialModel([true, true]);
        model.now = new Date('2026-11-22T00:00:00Z');
        if (d === 'down' && model.regions.has(r)) {
          model.regions.set(r, {
            ...model.regions.get(r)!,
            status: 'ACTIVE',
            activeSince: '2026-11-20T00:00:00Z',
          });
        }
        let started = 0;
        for (let i = 0; i < deliveries; i++) {
          const request: ScalingRequest = { region: r, direction: d, source: 'alarm', eventAt: model.now };
          if (decideScaling(request, [...model.regions.values()], config, model.now).allowed) {
            start(model, request);
            started++;
          }
        }
        expect(started).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });
});
