import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { scaleDown, scaleUp } from '../../../cli/commands/scale';
import { EXIT } from '../../../cli/exit-codes';
import { StateStore } from '../../../functions/adapters/state-store';
import { documentClient, resetClients } from '../../../functions/commons/aws-clients';
import type { RegionStatus } from '../../../functions/domain/region-state';
import { exampleConfig } from '../../support/config-fixtures';
import { deployControlStack, uniquePrefix, type EmulatedControlStack } from '../../support/control-stack-fixture';
import { describeWithMoto, useEmulator } from '../../support/moto';
import { regionctlEnv } from '../../support/regionctl-env';

const NOW = new Date('2026-11-21T10:00:00.000Z');

describeWithMoto('regionctl up / down against the emulator', () => {
  beforeAll(async () => {
    await useEmulator();
  });
  afterAll(() => resetClients());

  async function deployment(
    warmRegions: string[] = [],
  ): Promise<EmulatedControlStack & { store: StateStore; sfn: SFNClient }> {
    const stack = await deployControlStack(
      exampleConfig((c) => {
        c.prefix = uniquePrefix('ctlscale');
        c.warm = { regions: warmRegions };
      }),
    );
    return {
      ...stack,
      store: new StateStore(documentClient('us-east-1'), stack.stateTableName),
      sfn: new SFNClient({ region: 'us-east-1' }),
    };
  }

  async function setStatus(store: StateStore, region: string, status: RegionStatus, activeSince?: string) {
    await store.updateRegionState(region, (s) => ({ ...s, status, since: NOW.toISOString(), activeSince }), NOW);
  }

  async function executions(sfn: SFNClient, stateMachineArn: string) {
    return (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions ?? [];
  }

  /** The input an execution was started with, as Step Functions holds it. */
  async function executionInput(sfn: SFNClient, executionArn: string | undefined): Promise<unknown> {
    return JSON.parse((await sfn.send(new DescribeExecutionCommand({ executionArn }))).input!);
  }

  it('up starts the scale-up workflow with the documented input and a manual execution name', async () => {
    const d = await deployment();
    const env = regionctlEnv(d.config.prefix, NOW);
    const code = await scaleUp(env, 'ap-southeast-1', { reason: 'launch in Singapore' });
    expect(env.out.errors).toEqual([]);
    expect(code).toBe(EXIT.ok);

    const [started] = await executions(d.sfn, d.scaleUpStateMachineArn);
    expect(started!.name).toBe('up-ap-southeast-1-manual-20261121T100000Z');
    expect(await executionInput(d.sfn, started!.executionArn)).toEqual({
      region: 'ap-southeast-1',
      reason: 'launch in Singapore',
      requestedBy: 'operator',
      requestedAt: '2026-11-21T10:00:00.000Z',
    });
    expect(await executions(d.sfn, d.scaleDownStateMachineArn)).toEqual([]);
    expect(env.out.lines).toEqual([
      'Started scale-up of ap-southeast-1: up-ap-southeast-1-manual-20261121T100000Z',
      '  scale-up of ap-southeast-1 allowed (operator request, forced); 1 of 2 elastic slots in use after it',
      `  execution: ${started!.executionArn}`,
      '  note: autoscaling may take ap-southeast-1 down once its minimum active time (60 min) has passed; keep it up with --hold DURATION',
    ]);
    const [decision] = await d.store.listDecisions('ap-southeast-1');
    expect(decision).toMatchObject({
      direction: 'up',
      source: 'operator',
      outcome: 'started',
      reason: 'launch in Singapore',
      executionArn: started!.executionArn,
    });
    expect((await d.store.getRegionState('ap-southeast-1')).holdUntil).toBeUndefined();
  });

  it('up --hold keeps the region up: holdUntil is written and announced', async () => {
    const d = await deployment();
    const env = regionctlEnv(d.config.prefix, NOW);
    expect(await scaleUp(env, 'sa-east-1', { hold: '6h' })).toBe(EXIT.ok);
    expect((await d.store.getRegionState('sa-east-1')).holdUntil).toBe('2026-11-21T16:00:00.000Z');
    expect(env.out.lines).toContain(
      '  hold: automatic scale-down of sa-east-1 is suppressed until 2026-11-21T16:00:00.000Z (6 h)',
    );
    const [decision] = await d.store.listDecisions('sa-east-1');
    expect(decision!.reason).toBe('forced scale-up by an operator (regionctl)');
  });

  it('a second up while the first execution runs is refused, naming the running execution', async () => {
    const d = await deployment();
    expect(await scaleUp(regionctlEnv(d.config.prefix, NOW), 'ap-northeast-1')).toBe(EXIT.ok);
    const later = regionctlEnv(d.config.prefix, new Date(NOW.getTime() + 60_000));
    expect(await scaleUp(later, 'ap-northeast-1')).toBe(EXIT.refused);
    expect(later.out.errors).toEqual([
      'regionctl: An execution is already running for ap-northeast-1: up-ap-northeast-1-manual-20261121T100000Z; fix: wait for it to end (regionctl status), or stop it in the Step Functions console',
    ]);
    expect(await executions(d.sfn, d.scaleUpStateMachineArn)).toHaveLength(1);
    const [refusal] = await d.store.listDecisions('ap-northeast-1');
    expect(refusal).toMatchObject({ outcome: 'rejected', source: 'operator' });
  });

  it('refuses a region that is not approved, listing the approved ones, and touches nothing', async () => {
    const d = await deployment();
    const env = regionctlEnv(d.config.prefix, NOW);
    expect(await scaleUp(env, 'eu-central-1')).toBe(EXIT.refused);
    expect(env.out.errors).toEqual([
      'regionctl: Region eu-central-1 is not approved for this autoscaler; approved regions: us-east-1, eu-west-1 (always-on), ap-southeast-1, ap-northeast-1, sa-east-1, ap-south-1 (elastic); fix: use one of them, or add it to the configuration and deploy',
    ]);
    expect(await d.store.listDecisions('eu-central-1')).toEqual([]);
    expect(await executions(d.sfn, d.scaleUpStateMachineArn)).toEqual([]);
  });

  it('refuses to take an always-on region down', async () => {
    const d = await deployment();
    await setStatus(d.store, 'us-east-1', 'ACTIVE', NOW.toISOString());
    await setStatus(d.store, 'eu-west-1', 'ACTIVE', NOW.toISOString());
    const env = regionctlEnv(d.config.prefix, NOW);
    expect(await scaleDown(env, 'us-east-1')).toBe(EXIT.refused);
    expect(env.out.errors).toEqual([
      'regionctl: Refused by rule "always-on": always-on: us-east-1 is an always-on region and is never scaled down',
    ]);
    expect(await executions(d.sfn, d.scaleDownStateMachineArn)).toEqual([]);
    const [refusal] = await d.store.listDecisions('us-east-1');
    expect(refusal).toMatchObject({
      direction: 'down',
      outcome: 'rejected',
      reason: expect.stringMatching(/^always-on:/),
    });
  });

  it('refuses to take down the last serving region, and takes a region down when another serves', async () => {
    const d = await deployment();
    await setStatus(d.store, 'sa-east-1', 'ACTIVE', NOW.toISOString());
    const env = regionctlEnv(d.config.prefix, NOW);
    expect(await scaleDown(env, 'sa-east-1')).toBe(EXIT.refused);
    expect(env.out.errors).toEqual([
      'regionctl: Refused by rule "last-serving-region": last serving region: no region other than sa-east-1 is serving users',
    ]);

    await setStatus(d.store, 'us-east-1', 'ACTIVE', NOW.toISOString());
    // Forced: neither the minimum active time nor the cooldown stops an operator.
    const again = regionctlEnv(d.config.prefix, NOW);
    expect(await scaleDown(again, 'sa-east-1', { reason: 'event over' })).toBe(EXIT.ok);
    const [started] = await executions(d.sfn, d.scaleDownStateMachineArn);
    expect(started!.name).toBe('down-sa-east-1-manual-20261121T100000Z');
    expect(await executionInput(d.sfn, started!.executionArn)).toEqual({
      region: 'sa-east-1',
      reason: 'event over',
      requestedBy: 'operator',
      requestedAt: '2026-11-21T10:00:00.000Z',
    });
  });

  it('refuses a scale-up beyond the maximum of elastic regions unless --allow-over-max', async () => {
    const d = await deployment();
    await setStatus(d.store, 'ap-southeast-1', 'ACTIVE', NOW.toISOString());
    await setStatus(d.store, 'ap-northeast-1', 'PROVISIONING');
    const env = regionctlEnv(d.config.prefix, NOW);
    expect(await scaleUp(env, 'sa-east-1')).toBe(EXIT.refused);
    expect(env.out.errors).toEqual([
      'regionctl: Refused by rule "max-elastic": max elastic: 2 of 2 elastic regions already active or provisioning (ap-southeast-1, ap-northeast-1); pass --allow-over-max to exceed it deliberately',
    ]);
    expect(await executions(d.sfn, d.scaleUpStateMachineArn)).toEqual([]);

    const over = regionctlEnv(d.config.prefix, NOW);
    expect(await scaleUp(over, 'sa-east-1', { allowOverMax: true })).toBe(EXIT.ok);
    expect(over.out.lines[1]).toBe(
      '  scale-up of sa-east-1 allowed (operator request, forced, over max allowed); 3 of 2 elastic slots in use after it',
    );
    expect((await executions(d.sfn, d.scaleUpStateMachineArn)).map((e) => e.name)).toEqual([
      'up-sa-east-1-manual-20261121T100000Z',
    ]);
  });

  it('refuses a region whose lock another execution holds', async () => {
    const d = await deployment();
    await d.store.acquireLock(
      'ap-south-1',
      'arn:aws:states:us-east-1:123456789012:execution:other:down-ap-south-1-x',
      NOW,
    );
    const env = regionctlEnv(d.config.prefix, NOW);
    expect(await scaleUp(env, 'ap-south-1')).toBe(EXIT.refused);
    expect(env.out.errors).toEqual([
      'regionctl: Refused by rule "locked": locked: another execution holds the lock of ap-south-1',
    ]);
    expect(await executions(d.sfn, d.scaleUpStateMachineArn)).toEqual([]);
  });

  it('up --wait follows the started execution until it ends (moto answers with a canned successful history)', async () => {
    const d = await deployment();
    const env = regionctlEnv(d.config.prefix, NOW);
    expect(await scaleUp(env, 'ap-south-1', { wait: true })).toBe(EXIT.ok);
    const name = 'up-ap-south-1-manual-20261121T100000Z';
    expect(env.out.lines).toContain(`Waiting for ${name} (Ctrl-C stops waiting; the workflow goes on):`);
    expect(env.out.lines.at(-1)).toMatch(new RegExp(`^${name} SUCCEEDED after \\d+:\\d{2} \\(\\d+ states\\)$`));
  });

  it('refuses a malformed --hold before touching anything', async () => {
    const d = await deployment();
    const env = regionctlEnv(d.config.prefix, NOW);
    expect(await scaleUp(env, 'ap-south-1', { hold: '2 weeks' })).toBe(EXIT.usage);
    expect(env.out.errors[0]).toMatch(/^regionctl: --hold "2 weeks" is not a duration; fix: /);
    expect(await d.store.listDecisions('ap-south-1')).toEqual([]);
  });

  it('up --warm starts a warm-up of a warm region; down --to names where it ends, checked by the policy', async () => {
    const d = await deployment(['ap-south-1']);
    await setStatus(d.store, 'us-east-1', 'ACTIVE', NOW.toISOString());
    const env = regionctlEnv(d.config.prefix, NOW);
    expect(await scaleUp(env, 'ap-south-1', { warm: true, reason: 'the final starts in an hour' })).toBe(EXIT.ok);
    const [warmUp] = await executions(d.sfn, d.scaleUpStateMachineArn);
    expect(await executionInput(d.sfn, warmUp!.executionArn)).toEqual({
      region: 'ap-south-1',
      reason: 'the final starts in an hour',
      requestedBy: 'operator',
      requestedAt: '2026-11-21T10:00:00.000Z',
      target: 'WARM',
    });
    expect(env.out.lines[0]).toBe('Started warm-up of ap-south-1: up-ap-south-1-manual-20261121T100000Z');

    // sa-east-1 is not a warm region: a scale-down to WARM is refused, and nothing starts.
    await setStatus(d.store, 'sa-east-1', 'ACTIVE', NOW.toISOString());
    const refused = regionctlEnv(d.config.prefix, NOW);
    expect(await scaleDown(refused, 'sa-east-1', { to: 'warm' })).toBe(EXIT.refused);
    expect(refused.out.errors[0]).toMatch(
      /^regionctl: Refused by rule "not-warm-region": not a warm region: sa-east-1/,
    );
    expect(await executions(d.sfn, d.scaleDownStateMachineArn)).toEqual([]);

    const down = regionctlEnv(d.config.prefix, NOW);
    expect(await scaleDown(down, 'sa-east-1', { to: 'inactive' })).toBe(EXIT.ok);
    const [started] = await executions(d.sfn, d.scaleDownStateMachineArn);
    expect(await executionInput(d.sfn, started!.executionArn)).toMatchObject({
      region: 'sa-east-1',
      target: 'INACTIVE',
    });
  });

  it('refuses --to other than warm or inactive, and --warm with --hold, before touching anything', async () => {
    const d = await deployment(['ap-south-1']);
    const env = regionctlEnv(d.config.prefix, NOW);
    expect(await scaleDown(env, 'ap-south-1', { to: 'cold' })).toBe(EXIT.usage);
    expect(env.out.errors[0]).toBe(
      'regionctl: --to cold: a scale-down ends warm or inactive; fix: pass --to warm or --to inactive, or leave it out',
    );
    expect(await scaleUp(env, 'ap-south-1', { warm: true, hold: '2h' })).toBe(EXIT.usage);
    expect(env.out.errors[1]).toBe(
      'regionctl: --hold keeps a serving region up, and --warm ends WARM; fix: pass one of them',
    );
    expect(await d.store.listDecisions('ap-south-1')).toEqual([]);
  });
});
