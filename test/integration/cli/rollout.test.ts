/**
 * regionctl rollout and the edge configuration in regionctl status, against the emulator: the
 * control stack as regionctl finds it, with the edge rollout as a Pass state machine (moto cannot
 * run the real one). Each test deploys under its own prefix.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { startRollout, startUpgrade } from '../../../cli/commands/maintenance';
import { showStatus } from '../../../cli/commands/status';
import { EXIT } from '../../../cli/exit-codes';
import type { StatusReport } from '../../../cli/status-report';
import { recordDeploymentTargets } from '../../../functions/adapters/deployment-targets';
import { StateStore } from '../../../functions/adapters/state-store';
import { documentClient, resetClients } from '../../../functions/commons/aws-clients';
import { exampleConfig } from '../../support/config-fixtures';
import { deployControlStack, uniquePrefix } from '../../support/control-stack-fixture';
import { describeWithMoto, useEmulator } from '../../support/moto';
import { regionctlEnv } from '../../support/regionctl-env';

const NOW = new Date('2026-11-21T10:00:00.000Z');
const NAME = 'rollout-manual-20261121T100000Z';
const DESIRED = 'c'.repeat(64);

describeWithMoto('regionctl rollout against the emulator', () => {
  const sfn = new SFNClient({ region: 'us-east-1' });
  beforeAll(async () => {
    await useEmulator();
  });
  afterAll(() => resetClients());

  const deployment = () => deployControlStack(exampleConfig((c) => void (c.prefix = uniquePrefix('ctlroll'))));
  const executions = async (stateMachineArn: string) =>
    (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions ?? [];

  it('starts the edge rollout with the documented input, and refuses a second one while it runs', async () => {
    const stack = await deployment();
    const env = regionctlEnv(stack.config.prefix, NOW);
    expect(await startRollout(env, { reason: 'new cache TTLs' })).toBe(EXIT.ok);
    expect(env.out.errors).toEqual([]);
    const [started] = await executions(stack.edgeRolloutStateMachineArn);
    expect(started!.name).toBe(NAME);
    const { input } = await sfn.send(new DescribeExecutionCommand({ executionArn: started!.executionArn }));
    expect(JSON.parse(input!)).toEqual({
      reason: 'new cache TTLs',
      requestedBy: 'operator',
      requestedAt: NOW.toISOString(),
    });
    expect(env.out.lines).toEqual([
      `Started edge rollout: ${NAME}`,
      '  regions: every ACTIVE region not on the desired edge configuration, one at a time, the canary first',
      `  execution: ${started!.executionArn}`,
      "  follow it with regionctl status (each region's edge configuration), or run with --wait",
    ]);

    const again = regionctlEnv(stack.config.prefix, new Date(NOW.getTime() + 60_000));
    expect(await startRollout(again, { edgeRegion: ['eu-west-1'] })).toBe(EXIT.refused);
    expect(again.out.errors).toEqual([
      `regionctl: An edge rollout is already running: ${NAME}; fix: wait for it to end (regionctl status shows each region), then run this again`,
    ]);
    expect(await executions(stack.edgeRolloutStateMachineArn)).toHaveLength(1);
  });

  it('refuses a region the deployed configuration does not approve, starting nothing', async () => {
    const stack = await deployment();
    const env = regionctlEnv(stack.config.prefix, NOW);
    expect(await startRollout(env, { edgeRegion: ['eu-west-1', 'ca-central-1'] })).toBe(EXIT.refused);
    expect(env.out.errors[0]).toMatch(
      /^regionctl: --edge-region ca-central-1: not an approved region of ctlroll\w+ in the deployed configuration; approved regions: .*; fix: name approved regions, or leave --edge-region out/,
    );
    expect(await executions(stack.edgeRolloutStateMachineArn)).toEqual([]);
  });

  it('--json --wait names the regions, waits for the end and exits non-zero when it did not succeed', async () => {
    const stack = await deployment();
    const env = regionctlEnv(stack.config.prefix, NOW);
    // moto never ends an execution: the wait's first pause stops it, as an operator in the console would.
    env.sleep = async () => {
      const [running] = await executions(stack.edgeRolloutStateMachineArn);
      await sfn.send(new StopExecutionCommand({ executionArn: running!.executionArn }));
    };
    expect(await startRollout(env, { edgeRegion: ['sa-east-1', 'eu-west-1'], json: true, wait: true })).toBe(
      EXIT.failed,
    );
    expect(JSON.parse(env.out.lines.join('\n'))).toEqual({
      executionName: NAME,
      executionArn: expect.stringContaining(`:execution:${stack.config.prefix}-edge-rollout:${NAME}`),
      input: {
        regions: ['sa-east-1', 'eu-west-1'],
        reason: 'edge rollout requested by an operator (regionctl)',
        requestedBy: 'operator',
        requestedAt: NOW.toISOString(),
      },
      status: 'ABORTED',
    });
  });

  it("status shows each serving region's configuration against the one the reconciler recorded", async () => {
    const stack = await deployment();
    const dynamo = documentClient('us-east-1');
    const store = new StateStore(dynamo, stack.stateTableName);
    const active = { status: 'ACTIVE' as const, since: NOW.toISOString(), activeSince: NOW.toISOString() };
    await store.updateRegionState('us-east-1', (s) => ({ ...s, ...active, edgeConfiguration: DESIRED }), NOW);
    await store.updateRegionState('eu-west-1', (s) => ({ ...s, ...active, edgeConfiguration: 'b'.repeat(64) }), NOW);
    await recordDeploymentTargets(dynamo, stack.stateTableName, {
      edgeConfiguration: DESIRED,
      kubernetesVersion: stack.config.cluster.kubernetesVersion,
      observedAt: NOW.toISOString(),
    });

    const json = regionctlEnv(stack.config.prefix, NOW);
    expect(await showStatus(json, { json: true })).toBe(EXIT.ok);
    const report = JSON.parse(json.out.lines.join('\n')) as StatusReport;
    expect(report.desiredEdge).toEqual({ configuration: DESIRED, observedAt: NOW.toISOString() });
    expect(report.regions['us-east-1']!.edge.state).toBe('current');
    expect(report.regions['eu-west-1']!.edge.state).toBe('pending rollout');

    const text = regionctlEnv(stack.config.prefix, NOW);
    expect(await showStatus(text)).toBe(EXIT.ok);
    expect(text.out.lines).toEqual(
      expect.arrayContaining([
        'Edge configuration (desired cccccccccccc, as the reconciler saw it at 2026-11-21 10:00Z):',
        '  us-east-1       cccccccccccc  current',
        '  eu-west-1       bbbbbbbbbbbb  pending rollout',
      ]),
    );
  });

  it('starts the cluster upgrade with the documented input, --patch-nodes included', async () => {
    const stack = await deployment();
    const env = regionctlEnv(stack.config.prefix, NOW);
    expect(await startUpgrade(env, { edgeRegion: ['eu-west-1'], patchNodes: true })).toBe(EXIT.ok);
    expect(env.out.errors).toEqual([]);
    const [started] = await executions(stack.clusterUpgradeStateMachineArn);
    expect(started!.name).toBe('upgrade-manual-20261121T100000Z');
    const { input } = await sfn.send(new DescribeExecutionCommand({ executionArn: started!.executionArn }));
    expect(JSON.parse(input!)).toEqual({
      regions: ['eu-west-1'],
      reason: 'cluster upgrade requested by an operator (regionctl)',
      requestedBy: 'operator',
      requestedAt: NOW.toISOString(),
      patchNodes: true,
    });
    expect(await executions(stack.edgeRolloutStateMachineArn)).toEqual([]);
  });
});
