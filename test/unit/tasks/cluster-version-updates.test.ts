import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  DescribeUpdateCommand,
  EKSClient,
  ListUpdatesCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateClusterVersionCommand,
  UpdateNodegroupVersionCommand,
  type ClusterStatus,
  type NodegroupStatus,
  type Update,
} from '@aws-sdk/client-eks';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { ERROR_NAMES } from '../../../functions/domain/errors';
import { PHASE_DEADLINE_SECONDS } from '../../../functions/domain/phase-deadlines';
import { POLL_PLANS, SETTLED_WAIT_SECONDS } from '../../../functions/domain/poll-schedule';
import { runClusterAction } from '../../../functions/tasks/cluster-task';
import { clusterTaskSchema, type ClusterVersions, type VersionUpdateStatus } from '../../../functions/tasks/contract';
import { exampleConfig } from '../../support/config-fixtures';

const eks = mockClient(EKSClient);
const config = exampleConfig();
const region = 'eu-west-1';
const clusterName = 'edgescale-edge-eu-west-1';
const nodegroupName = 'edgescale-edge-nodes';
const ours = { 'edge-autoscaler:owner': 'edgescale' };
const meta = { $metadata: {} };
const NOW = new Date('2026-12-01T12:00:00Z');

function run(input: Record<string, unknown>, now = NOW) {
  return runClusterAction(clusterTaskSchema.parse({ region, ...input }), {
    config,
    eks: new EKSClient({ region }),
    ssm: new SSMClient({ region }),
    sts: new STSClient({ region }),
    now,
  });
}
const versions = (input: Record<string, unknown> = {}) =>
  run({ action: 'readVersions', ...input }) as Promise<ClusterVersions>;
const update = (input: Record<string, unknown>, now = NOW) => run(input, now) as Promise<VersionUpdateStatus>;

function cluster(version: string, status: ClusterStatus = 'ACTIVE', tags: Record<string, string> = ours) {
  eks.on(DescribeClusterCommand).resolves({ cluster: { name: clusterName, version, status, tags } });
}
function nodegroup(
  version: string,
  status: NodegroupStatus = 'ACTIVE',
  tags: Record<string, string> = ours,
  releaseVersion?: string,
) {
  eks
    .on(DescribeNodegroupCommand)
    .resolves({ nodegroup: { nodegroupName, clusterName, version, status, tags, releaseVersion } });
}
function versionUpdate(id: string, fields: Partial<Update> = {}): Update {
  return { id, status: 'InProgress', type: 'VersionUpdate', createdAt: NOW, errors: [], ...fields };
}
async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { name: string; message: string };
  }
  throw new Error('expected the action to fail');
}
const updatesSent = () =>
  eks.commandCalls(UpdateClusterVersionCommand).length + eks.commandCalls(UpdateNodegroupVersionCommand).length;
const isoAfter = (seconds: number) => new Date(NOW.getTime() + seconds * 1000).toISOString();

beforeEach(() => void eks.reset());

describe('upgrade actions input', () => {
  it.each([
    [{ action: 'updateClusterVersion', region }, 'version'],
    [{ action: 'updateClusterVersion', region, version: 'latest' }, 'version'],
    [{ action: 'describeClusterUpdate', region }, 'updateId'],
    [{ action: 'readVersions', region, target: '1.35.1' }, 'target'],
  ])('refuses %j (field %s) before any AWS call', (input, field) => {
    const parsed = clusterTaskSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain(field);
  });
});

describe('readVersions', () => {
  it('reads both versions and moves the control plane one minor towards the configured version (1.35)', async () => {
    cluster('1.33');
    nodegroup('1.33', 'ACTIVE', ours, '1.33.5-20261101');
    expect(await versions()).toEqual({
      clusterVersion: '1.33',
      nodegroupVersion: '1.33',
      releaseVersion: '1.33.5-20261101',
      target: '1.35',
      next: 'controlPlane',
      toVersion: '1.34',
    });
    expect(eks.commandCalls(DescribeClusterCommand)[0]?.args[0].input).toEqual({ name: clusterName });
    expect(eks.commandCalls(DescribeNodegroupCommand)[0]?.args[0].input).toEqual({ clusterName, nodegroupName });
  });

  it('brings nodes behind their control plane first, and is done at the target', async () => {
    cluster('1.34');
    nodegroup('1.33');
    expect(await versions()).toMatchObject({ next: 'nodegroup', toVersion: '1.34' });
    cluster('1.35');
    nodegroup('1.35');
    expect(await versions()).toMatchObject({ next: 'done', target: '1.35' });
    expect((await versions()).toVersion).toBeUndefined();
  });

  it('takes an explicit target', async () => {
    cluster('1.35');
    nodegroup('1.35');
    expect(await versions({ target: '1.36' })).toMatchObject({ next: 'controlPlane', toVersion: '1.36' });
  });

  it('refuses a cluster or nodegroup without our owner tag (NotOwnedError), and a control plane newer than the target', async () => {
    cluster('1.33', 'ACTIVE', { 'edge-autoscaler:owner': 'someone-else' });
    nodegroup('1.33');
    expect(await failure(versions())).toMatchObject({
      name: ERROR_NAMES.notOwned,
      message: expect.stringContaining('has edge-autoscaler:owner=someone-else'),
    });
    cluster('1.33');
    nodegroup('1.33', 'ACTIVE', {});
    expect(await failure(versions())).toMatchObject({ name: ERROR_NAMES.notOwned });
    cluster('1.36');
    nodegroup('1.36');
    expect(await failure(versions())).toMatchObject({ name: ERROR_NAMES.refused });
  });

  it('fails (ResourceFailedError) when the cluster does not exist', async () => {
    eks.on(DescribeClusterCommand).rejects(new ResourceNotFoundException({ message: 'No cluster found', ...meta }));
    expect(await failure(versions())).toMatchObject({
      name: ERROR_NAMES.resourceFailed,
      message: expect.stringContaining(`The EKS cluster ${clusterName} does not exist`),
    });
  });
});

describe('updateClusterVersion', () => {
  it('starts the update to the next minor and begins its phase: deadline and a first wait of the typical 8 minutes', async () => {
    cluster('1.33');
    nodegroup('1.33');
    eks.on(UpdateClusterVersionCommand).resolves({
      update: versionUpdate('u-1', { params: [{ type: 'Version', value: '1.34' }] }),
    });
    expect(await update({ action: 'updateClusterVersion', version: '1.34' })).toEqual({
      updateId: 'u-1',
      status: 'InProgress',
      version: '1.34',
      releaseVersion: undefined,
      deadline: isoAfter(PHASE_DEADLINE_SECONDS.clusterVersionUpdate),
      waitSeconds: POLL_PLANS.clusterVersionUpdate.typicalSeconds,
    });
    expect(eks.commandCalls(UpdateClusterVersionCommand).map((c) => c.args[0].input)).toEqual([
      { name: clusterName, version: '1.34' },
    ]);
  });

  it.each([
    ['a jump of two minors', '1.35'],
    ['a downgrade', '1.32'],
  ])('refuses %s (RefusedError) without calling UpdateClusterVersion', async (_what, version) => {
    cluster('1.33');
    nodegroup('1.33');
    expect(await failure(update({ action: 'updateClusterVersion', version }))).toMatchObject({
      name: ERROR_NAMES.refused,
      message: expect.stringContaining('one minor version up at a time and never down; fix: update it to 1.34'),
    });
    expect(updatesSent()).toBe(0);
  });

  it('starts nothing when the control plane runs the version already', async () => {
    cluster('1.34');
    nodegroup('1.34');
    expect(await update({ action: 'updateClusterVersion', version: '1.34' })).toMatchObject({
      status: 'Successful',
      version: '1.34',
      waitSeconds: SETTLED_WAIT_SECONDS,
    });
    expect((await update({ action: 'updateClusterVersion', version: '1.34' })).updateId).toBeUndefined();
    expect(updatesSent()).toBe(0);
  });

  it('returns the update in progress instead of starting a second one (a retry whose first response was lost)', async () => {
    cluster('1.33', 'UPDATING');
    eks.on(ListUpdatesCommand).resolves({ updateIds: ['old', 'u-1'] });
    eks
      .on(DescribeUpdateCommand, { name: clusterName, updateId: 'old' })
      .resolves({ update: versionUpdate('old', { status: 'Successful' }) })
      .on(DescribeUpdateCommand, { name: clusterName, updateId: 'u-1' })
      .resolves({
        update: versionUpdate('u-1', {
          createdAt: new Date(NOW.getTime() - 60_000),
          params: [{ type: 'Version', value: '1.34' }],
        }),
      });
    const result = await update({ action: 'updateClusterVersion', version: '1.34' });
    expect(result).toMatchObject({ updateId: 'u-1', status: 'InProgress', version: '1.34' });
    expect(result.waitSeconds).toBe(POLL_PLANS.clusterVersionUpdate.typicalSeconds - 60);
    expect(updatesSent()).toBe(0);
  });

  it('waits out another update in progress (TransientError, retried by the workflow)', async () => {
    cluster('1.33', 'UPDATING');
    eks.on(ListUpdatesCommand).resolves({ updateIds: ['cfg'] });
    eks.on(DescribeUpdateCommand).resolves({ update: versionUpdate('cfg', { type: 'AccessConfigUpdate' }) });
    expect(await failure(update({ action: 'updateClusterVersion', version: '1.34' }))).toMatchObject({
      name: ERROR_NAMES.transient,
      message: expect.stringContaining('busy with another update (AccessConfigUpdate cfg)'),
    });
    expect(updatesSent()).toBe(0);
  });

  it('refuses while the nodes are behind their control plane: EKS updates a control plane only over nodes of its version', async () => {
    cluster('1.34');
    nodegroup('1.33');
    expect(await failure(update({ action: 'updateClusterVersion', version: '1.35' }))).toMatchObject({
      name: ERROR_NAMES.refused,
      message: expect.stringContaining('update the nodegroup to 1.34 first'),
    });
    expect(updatesSent()).toBe(0);
  });

  it('never updates a cluster without our owner tag', async () => {
    cluster('1.33', 'ACTIVE', {});
    nodegroup('1.33');
    expect(await failure(update({ action: 'updateClusterVersion', version: '1.34' }))).toMatchObject({
      name: ERROR_NAMES.notOwned,
    });
    expect(updatesSent()).toBe(0);
  });

  it("turns EKS's ResourceInUseException (an update that began meanwhile) into TransientError", async () => {
    cluster('1.33');
    nodegroup('1.33');
    eks.on(UpdateClusterVersionCommand).rejects(new ResourceInUseException({ message: 'in progress', ...meta }));
    expect(await failure(update({ action: 'updateClusterVersion', version: '1.34' }))).toMatchObject({
      name: ERROR_NAMES.transient,
    });
  });
});

describe('describeClusterUpdate', () => {
  const deadline = isoAfter(600);
  const poll = (now = NOW) => update({ action: 'describeClusterUpdate', updateId: 'u-1', deadline }, now);

  it('polls a running update at the short interval once the typical time has passed, carrying the deadline', async () => {
    eks.on(DescribeUpdateCommand).resolves({
      update: versionUpdate('u-1', {
        createdAt: new Date(NOW.getTime() - 900_000),
        params: [{ type: 'Version', value: '1.34' }],
      }),
    });
    expect(await poll()).toEqual({
      updateId: 'u-1',
      status: 'InProgress',
      version: '1.34',
      releaseVersion: undefined,
      deadline,
      waitSeconds: POLL_PLANS.clusterVersionUpdate.pollSeconds,
    });
    expect(eks.commandCalls(DescribeUpdateCommand)[0]?.args[0].input).toEqual({ name: clusterName, updateId: 'u-1' });
  });

  it('is done when EKS says Successful', async () => {
    eks.on(DescribeUpdateCommand).resolves({
      update: versionUpdate('u-1', { status: 'Successful', params: [{ type: 'Version', value: '1.34' }] }),
    });
    expect(await poll()).toMatchObject({ status: 'Successful', version: '1.34', waitSeconds: SETTLED_WAIT_SECONDS });
  });

  it('fails with ResourceFailedError and EKS errors when the update failed', async () => {
    eks.on(DescribeUpdateCommand).resolves({
      update: versionUpdate('u-1', {
        status: 'Failed',
        errors: [{ errorCode: 'InsufficientFreeAddresses', errorMessage: 'subnet full' }],
      }),
    });
    expect(await failure(poll())).toMatchObject({
      name: ERROR_NAMES.resourceFailed,
      message: expect.stringContaining('Failed (InsufficientFreeAddresses: subnet full)'),
    });
  });

  it('gives up past the deadline (DeadlineExceededError)', async () => {
    eks.on(DescribeUpdateCommand).resolves({ update: versionUpdate('u-1') });
    expect(await failure(poll(new Date(Date.parse(deadline) + 1000)))).toMatchObject({
      name: ERROR_NAMES.deadlineExceeded,
      message: expect.stringContaining(`the control plane update u-1 of ${clusterName} to finish`),
    });
  });
});

describe('updateNodegroupVersion', () => {
  it("moves the nodegroup to its control plane's version (first wait: the typical 10 minutes)", async () => {
    cluster('1.34');
    nodegroup('1.33');
    eks.on(UpdateNodegroupVersionCommand).resolves({
      update: versionUpdate('n-1', { params: [{ type: 'Version', value: '1.34' }] }),
    });
    expect(await update({ action: 'updateNodegroupVersion', version: '1.34' })).toMatchObject({
      updateId: 'n-1',
      status: 'InProgress',
      version: '1.34',
      deadline: isoAfter(PHASE_DEADLINE_SECONDS.nodegroupVersionUpdate),
      waitSeconds: POLL_PLANS.nodegroupVersionUpdate.typicalSeconds,
    });
    expect(eks.commandCalls(UpdateNodegroupVersionCommand).map((c) => c.args[0].input)).toEqual([
      { clusterName, nodegroupName, version: '1.34' },
    ]);
  });

  it('without a version patches the nodes to the latest AMI release of their own version', async () => {
    cluster('1.35');
    nodegroup('1.35', 'ACTIVE', ours, '1.35.1-20261101');
    eks.on(UpdateNodegroupVersionCommand).resolves({
      update: versionUpdate('p-1', { params: [{ type: 'ReleaseVersion', value: '1.35.2-20261128' }] }),
    });
    expect(await update({ action: 'updateNodegroupVersion' })).toMatchObject({
      updateId: 'p-1',
      version: '1.35',
      releaseVersion: '1.35.2-20261128',
    });
    expect(eks.commandCalls(UpdateNodegroupVersionCommand)[0]?.args[0].input).toEqual({
      clusterName,
      nodegroupName,
      version: undefined,
    });
  });

  it('refuses any version but the control plane’s, starts nothing at that version, and never updates nodes not ours', async () => {
    cluster('1.34');
    nodegroup('1.33');
    expect(await failure(update({ action: 'updateNodegroupVersion', version: '1.35' }))).toMatchObject({
      name: ERROR_NAMES.refused,
      message: expect.stringContaining("nodes move to their control plane's version, which is 1.34"),
    });
    nodegroup('1.34');
    expect(await update({ action: 'updateNodegroupVersion', version: '1.34' })).toMatchObject({
      status: 'Successful',
      waitSeconds: SETTLED_WAIT_SECONDS,
    });
    nodegroup('1.33', 'ACTIVE', { 'edge-autoscaler:owner': 'other' });
    expect(await failure(update({ action: 'updateNodegroupVersion', version: '1.34' }))).toMatchObject({
      name: ERROR_NAMES.notOwned,
    });
    expect(updatesSent()).toBe(0);
  });

  it('returns the nodegroup update in progress instead of starting another', async () => {
    cluster('1.34');
    nodegroup('1.33', 'UPDATING');
    eks.on(ListUpdatesCommand).resolves({ updateIds: ['n-1'] });
    eks.on(DescribeUpdateCommand).resolves({
      update: versionUpdate('n-1', { params: [{ type: 'Version', value: '1.34' }] }),
    });
    expect(await update({ action: 'updateNodegroupVersion', version: '1.34' })).toMatchObject({
      updateId: 'n-1',
      status: 'InProgress',
    });
    expect(eks.commandCalls(ListUpdatesCommand)[0]?.args[0].input).toMatchObject({ name: clusterName, nodegroupName });
    expect(updatesSent()).toBe(0);
  });
});

describe('describeNodegroupUpdate', () => {
  it("asks for the nodegroup's update, and reads a patch's version from the nodegroup", async () => {
    nodegroup('1.35', 'ACTIVE', ours, '1.35.2-20261128');
    eks.on(DescribeUpdateCommand).resolves({
      update: versionUpdate('p-1', {
        status: 'Successful',
        params: [{ type: 'ReleaseVersion', value: '1.35.2-20261128' }],
      }),
    });
    expect(await update({ action: 'describeNodegroupUpdate', updateId: 'p-1', deadline: isoAfter(60) })).toMatchObject({
      updateId: 'p-1',
      status: 'Successful',
      version: '1.35',
      releaseVersion: '1.35.2-20261128',
    });
    expect(eks.commandCalls(DescribeUpdateCommand)[0]?.args[0].input).toEqual({
      name: clusterName,
      nodegroupName,
      updateId: 'p-1',
    });
  });
});
