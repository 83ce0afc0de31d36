import { describe, expect, it } from '@jest/globals';
import { InvalidRequestError, RefusedError } from '../../../functions/domain/errors';
import {
  claimedByAnother,
  describeFailure,
  drainWaitSeconds,
  failedState,
  finishedState,
  isLastServingRegion,
  isOwned,
  refuseAlwaysOnScaleDown,
  refuseLastServingScaleDown,
  requireApprovedRegion,
  scaleDownIsNoop,
  startedState,
} from '../../../functions/domain/lifecycle-rules';
import type { RegionState, RegionStatus } from '../../../functions/domain/region-state';
import { exampleConfig } from '../../support/config-fixtures';

// Example configuration: always-on us-east-1, eu-west-1; elastic ap-southeast-1, ap-northeast-1, sa-east-1, ap-south-1.
const config = exampleConfig();
const now = new Date('2026-11-21T10:00:00Z');
const state = (region: string, status: RegionStatus, extra: Partial<RegionState> = {}): RegionState => ({
  region,
  status,
  since: '2026-11-20T00:00:00.000Z',
  consecutiveFailures: 0,
  ...extra,
});

describe('requireApprovedRegion', () => {
  it('returns the list of an approved region', () => {
    expect(requireApprovedRegion(config, 'us-east-1')).toBe('always-on');
    expect(requireApprovedRegion(config, 'sa-east-1')).toBe('elastic');
  });

  it('rejects any other region, naming it and both lists', () => {
    expect(() => requireApprovedRegion(config, 'eu-central-1')).toThrow(InvalidRequestError);
    expect(() => requireApprovedRegion(config, 'eu-central-1')).toThrow(
      /eu-central-1 is not approved.*regions\.alwaysOn \[us-east-1, eu-west-1\].*regions\.elastic \[ap-southeast-1, ap-northeast-1, sa-east-1, ap-south-1\]/,
    );
  });
});

describe('isOwned', () => {
  it('requires the owner tag with this deployment prefix', () => {
    expect(isOwned({ 'edge-autoscaler:owner': 'edgescale' }, 'edgescale')).toBe(true);
    expect(isOwned({ 'edge-autoscaler:owner': 'other' }, 'edgescale')).toBe(false);
    expect(isOwned({}, 'edgescale')).toBe(false);
    expect(isOwned(undefined, 'edgescale')).toBe(false);
  });
});

describe('scale-down refusals', () => {
  it('refuses an always-on region', () => {
    expect(() => refuseAlwaysOnScaleDown(config, 'eu-west-1')).toThrow(RefusedError);
    expect(() => refuseAlwaysOnScaleDown(config, 'eu-west-1')).toThrow(/always-on/);
    expect(() => refuseAlwaysOnScaleDown(config, 'sa-east-1')).not.toThrow();
  });

  it('finds the last serving region only when it is the one ACTIVE approved region', () => {
    const alone = [state('sa-east-1', 'ACTIVE'), state('us-east-1', 'FAILED'), state('eu-west-1', 'DRAINING')];
    expect(isLastServingRegion(config, 'sa-east-1', alone)).toBe(true);
    expect(() => refuseLastServingScaleDown(config, 'sa-east-1', alone)).toThrow(/last region serving/);

    const two = [state('sa-east-1', 'ACTIVE'), state('us-east-1', 'ACTIVE')];
    expect(isLastServingRegion(config, 'sa-east-1', two)).toBe(false);
    expect(() => refuseLastServingScaleDown(config, 'sa-east-1', two)).not.toThrow();
  });

  it('does not count a region outside the configuration as serving', () => {
    const states = [state('sa-east-1', 'ACTIVE'), state('eu-central-1', 'ACTIVE')];
    expect(isLastServingRegion(config, 'sa-east-1', states)).toBe(true);
  });

  it('treats a region whose own status is not ACTIVE as possibly serving: its record may still be in DNS', () => {
    // A decision claims a region (DRAINING) before the workflow runs; a FAILED one may keep its record.
    expect(isLastServingRegion(config, 'sa-east-1', [state('sa-east-1', 'DRAINING')])).toBe(true);
    expect(isLastServingRegion(config, 'sa-east-1', [state('sa-east-1', 'FAILED')])).toBe(true);
    expect(isLastServingRegion(config, 'sa-east-1', [])).toBe(true);
    expect(
      isLastServingRegion(config, 'sa-east-1', [state('sa-east-1', 'DRAINING'), state('us-east-1', 'ACTIVE')]),
    ).toBe(false);
  });
});

describe('scaleDownIsNoop', () => {
  it('is a no-op only for an INACTIVE region without a cluster', () => {
    expect(scaleDownIsNoop({ status: 'INACTIVE' }, false)).toBe(true);
    expect(scaleDownIsNoop({ status: 'INACTIVE' }, true)).toBe(false);
    for (const status of ['ACTIVE', 'FAILED', 'PROVISIONING', 'DRAINING'] as const) {
      expect(scaleDownIsNoop({ status }, false)).toBe(false);
    }
  });
});

it('drains for the record TTL plus the configured drain time', () => {
  expect(drainWaitSeconds(config)).toBe(60 + 300);
});

describe('state transitions', () => {
  it('marks a locked region PROVISIONING or DRAINING with its execution', () => {
    const up = startedState(state('sa-east-1', 'INACTIVE'), 'up', 'arn:exec:1', now);
    expect(up).toMatchObject({
      status: 'PROVISIONING',
      since: now.toISOString(),
      lastTransitionAt: now.toISOString(),
      executionArn: 'arn:exec:1',
    });
    expect(startedState(state('sa-east-1', 'ACTIVE'), 'down', 'arn:exec:2', now).status).toBe('DRAINING');
  });

  it('finishes a scale-up ACTIVE with its record target and a clean failure record', () => {
    const target = { dnsName: 'lb.example', hostedZoneId: 'Z1' };
    const before = state('sa-east-1', 'PROVISIONING', {
      executionArn: 'arn:exec:1',
      consecutiveFailures: 2,
      lastFailureCause: 'old',
    });
    expect(finishedState(before, 'up', now, target)).toEqual({
      region: 'sa-east-1',
      status: 'ACTIVE',
      since: now.toISOString(),
      activeSince: now.toISOString(),
      lastTransitionAt: now.toISOString(),
      consecutiveFailures: 0,
      recordTarget: target,
    });
  });

  it('records the edge configuration a scale-up applied, and forgets it when the region goes down', () => {
    const before = state('sa-east-1', 'PROVISIONING', { executionArn: 'arn:exec:1', edgeConfiguration: 'old-hash' });
    const up = finishedState(before, 'up', now, undefined, 'new-hash');
    expect(up.edgeConfiguration).toBe('new-hash');
    // A scale-up whose edge task reported none (an older bundle) keeps what was recorded.
    expect(finishedState(before, 'up', now).edgeConfiguration).toBe('old-hash');
    expect(finishedState({ ...up, status: 'DRAINING' }, 'down', now)).not.toHaveProperty('edgeConfiguration');
  });

  it('finishes a scale-down INACTIVE without active time or record target', () => {
    const before = state('sa-east-1', 'DRAINING', {
      activeSince: '2026-11-20T00:00:00.000Z',
      recordTarget: { dnsName: 'lb', hostedZoneId: 'Z1' },
      executionArn: 'arn:exec:2',
      holdUntil: '2026-12-01T00:00:00.000Z',
    });
    expect(finishedState(before, 'down', now)).toEqual({
      region: 'sa-east-1',
      status: 'INACTIVE',
      since: now.toISOString(),
      lastTransitionAt: now.toISOString(),
      consecutiveFailures: 0,
      holdUntil: '2026-12-01T00:00:00.000Z',
    });
  });

  it('marks a failure FAILED with its cause, counting failed scale-ups only', () => {
    const before = state('sa-east-1', 'PROVISIONING', { executionArn: 'arn:exec:1', consecutiveFailures: 1 });
    const up = failedState(before, 'up', 'boom', now);
    expect(up).toMatchObject({ status: 'FAILED', lastFailureCause: 'boom', consecutiveFailures: 2 });
    expect(up.executionArn).toBeUndefined();
    expect(failedState(before, 'down', 'boom', now).consecutiveFailures).toBe(1);
  });

  it('leaves a region claimed for another execution to that execution, and only that one', () => {
    expect(claimedByAnother(state('sa-east-1', 'PROVISIONING', { executionArn: 'arn:exec:2' }), 'arn:exec:1')).toBe(
      true,
    );
    expect(claimedByAnother(state('sa-east-1', 'PROVISIONING', { executionArn: 'arn:exec:1' }), 'arn:exec:1')).toBe(
      false,
    );
    // Claimed for nobody (a step retried after it finished, or a region an operator set): the step may write.
    expect(claimedByAnother(state('sa-east-1', 'ACTIVE'), 'arn:exec:1')).toBe(false);
  });
});

describe('state transitions of the warm tier', () => {
  it('records where a locked transition comes from and goes to (defaults: the status it had; ACTIVE up, INACTIVE down)', () => {
    expect(startedState(state('sa-east-1', 'WARM'), 'up', 'arn:exec:1', now)).toMatchObject({
      status: 'PROVISIONING',
      transitionFrom: 'WARM',
      transitionTarget: 'ACTIVE',
    });
    const claimed = state('sa-east-1', 'DRAINING', { executionArn: 'arn:exec:2' });
    expect(startedState(claimed, 'down', 'arn:exec:2', now, { from: 'ACTIVE', target: 'WARM' })).toMatchObject({
      status: 'DRAINING',
      transitionFrom: 'ACTIVE',
      transitionTarget: 'WARM',
    });
    expect(startedState(state('sa-east-1', 'ACTIVE'), 'down', 'arn:exec:2', now).transitionTarget).toBe('INACTIVE');
  });

  it('finishes at the target the lock recorded: WARM keeps the edge configuration and drops record and active time', () => {
    const draining = state('sa-east-1', 'DRAINING', {
      executionArn: 'arn:exec:2',
      transitionTarget: 'WARM',
      activeSince: '2026-11-20T00:00:00.000Z',
      recordTarget: { dnsName: 'lb', hostedZoneId: 'Z1' },
      edgeConfiguration: 'hash',
      consecutiveFailures: 1,
    });
    expect(finishedState(draining, 'down', now)).toEqual({
      region: 'sa-east-1',
      status: 'WARM',
      since: now.toISOString(),
      warmSince: now.toISOString(),
      lastTransitionAt: now.toISOString(),
      consecutiveFailures: 1,
      edgeConfiguration: 'hash',
      transitionTarget: 'WARM',
    });
    // A warm-up that succeeds ends a run of failures, as a scale-up does.
    const warmingUp = state('sa-east-1', 'PROVISIONING', { transitionTarget: 'WARM', consecutiveFailures: 2 });
    expect(finishedState(warmingUp, 'up', now, undefined, 'new')).toMatchObject({
      status: 'WARM',
      consecutiveFailures: 0,
      edgeConfiguration: 'new',
    });
  });

  it('forgets where a transition came from once it ends, so no later claim reads a stale one', () => {
    const running = state('sa-east-1', 'PROVISIONING', { transitionFrom: 'WARM', transitionTarget: 'ACTIVE' });
    expect(finishedState(running, 'up', now)).not.toHaveProperty('transitionFrom');
    expect(failedState(running, 'up', 'boom', now)).not.toHaveProperty('transitionFrom');
  });

  it('forgets when a region became WARM once it is ACTIVE or INACTIVE', () => {
    const resumed = state('sa-east-1', 'PROVISIONING', {
      transitionTarget: 'ACTIVE',
      warmSince: '2026-11-20T00:00:00.000Z',
    });
    expect(finishedState(resumed, 'up', now)).not.toHaveProperty('warmSince');
    const torn = state('sa-east-1', 'DRAINING', {
      transitionTarget: 'INACTIVE',
      warmSince: '2026-11-20T00:00:00.000Z',
    });
    expect(finishedState(torn, 'down', now)).not.toHaveProperty('warmSince');
  });

  it('has nothing to do for a WARM region kept WARM with its cluster, and everything otherwise', () => {
    expect(scaleDownIsNoop({ status: 'WARM' }, true, 'WARM')).toBe(true);
    expect(scaleDownIsNoop({ status: 'WARM' }, true, 'INACTIVE')).toBe(false);
    expect(scaleDownIsNoop({ status: 'WARM' }, false, 'WARM')).toBe(false);
    expect(scaleDownIsNoop({ status: 'ACTIVE' }, true, 'WARM')).toBe(false);
    expect(scaleDownIsNoop({ status: 'INACTIVE' }, false)).toBe(true);
  });
});

describe('describeFailure', () => {
  it('keeps the message of a Lambda error cause and drops its stack trace', () => {
    const cause = JSON.stringify({ errorType: 'NotOwnedError', errorMessage: 'not ours', trace: ['at x', 'at y'] });
    expect(describeFailure({ Error: 'NotOwnedError', Cause: cause })).toBe('NotOwnedError: not ours');
  });

  it('copes with plain-text causes, no cause and very long causes', () => {
    expect(describeFailure({ Error: 'States.Timeout', Cause: 'Task timed\n out' })).toBe(
      'States.Timeout: Task timed out',
    );
    expect(describeFailure({})).toBe('Error');
    expect(describeFailure({ Error: 'E', Cause: 'x'.repeat(2000) }).length).toBe(500);
  });
});
