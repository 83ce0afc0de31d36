import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  DescribeUpdateCommand,
  EKSClient,
  ListUpdatesCommand,
  UpdateClusterVersionCommand,
  UpdateNodegroupVersionCommand,
} from '@aws-sdk/client-eks';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { startAwsFaultProxy, type AwsFaultProxy } from '../../../sandbox/aws-proxy';
import { EmulatedEksVersions, installEksVersionUpdates } from '../../../sandbox/eks-version-updates';
import { clusterVersionsByRegion } from '../../../functions/adapters/eks-version-updates';
import { installSimulatedDate } from '../../../sandbox/simulated-clock';
import { OWNER_TAG_KEY } from '../../../functions/domain/naming';
import { runClusterAction } from '../../../functions/tasks/cluster-task';
import { clusterTaskSchema, type VersionUpdateStatus } from '../../../functions/tasks/contract';
import { exampleConfig } from '../../support/config-fixtures';
import { describeWithMoto, motoEndpoint } from '../../support/moto';

/** Other suites share the emulator: every name here carries this run's id. */
const id = `ev${Date.now().toString(36)}`;
const region = 'eu-north-1';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

async function failure(call: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  const error = (await call.then(
    () => {
      throw new Error('the call succeeded');
    },
    (e: unknown) => e,
  )) as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
  return { name: error.name, message: error.message, status: error.$metadata?.httpStatusCode };
}

describeWithMoto('EKS version updates emulated on the proxy', () => {
  let proxy: AwsFaultProxy;
  let emulation: EmulatedEksVersions;
  let eks: EKSClient;
  let virtualNow = Date.now();
  let restoreDate: () => void;
  const advance = (seconds: number) => void (virtualNow += seconds * 1000);

  async function createCluster(name: string, version: string): Promise<void> {
    await eks.send(
      new CreateClusterCommand({
        name,
        version,
        roleArn: 'arn:aws:iam::123456789012:role/cluster',
        resourcesVpcConfig: { subnetIds: ['subnet-1'] },
        tags: { [OWNER_TAG_KEY]: id },
      }),
    );
    // Without a version, as the scale-up creates it: EKS gives it the cluster's.
    await eks.send(
      new CreateNodegroupCommand({
        clusterName: name,
        nodegroupName: 'nodes',
        nodeRole: 'arn:aws:iam::123456789012:role/node',
        subnets: ['subnet-1'],
        tags: { [OWNER_TAG_KEY]: id },
      }),
    );
  }
  const clusterOf = async (name: string) => (await eks.send(new DescribeClusterCommand({ name }))).cluster!;
  const nodegroupOf = async (clusterName: string) =>
    (await eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName: 'nodes' }))).nodegroup!;

  beforeAll(async () => {
    restoreDate = installSimulatedDate(() => virtualNow);
    proxy = await startAwsFaultProxy(motoEndpoint());
    emulation = installEksVersionUpdates(proxy, motoEndpoint(), {
      clusterUpdateSeconds: 600,
      nodegroupUpdateSeconds: 900,
    });
    eks = new EKSClient({ region, endpoint: proxy.endpoint, credentials, maxAttempts: 1 });
  });
  afterAll(async () => {
    eks.destroy();
    await proxy.close();
    restoreDate();
  });

  describe('as EKS plays them', () => {
    const name = `${id}-a`;
    beforeAll(() => createCluster(name, '1.33'));

    it("shows a nodegroup created without a version at its cluster's version (moto would say 1.19)", async () => {
      expect((await clusterOf(name)).version).toBe('1.33');
      const nodegroup = await nodegroupOf(name);
      expect(nodegroup.version).toBe('1.33');
      expect(nodegroup.releaseVersion).toMatch(/^1\.33\.0-\d{8}$/);
    });

    it('refuses a control-plane jump of more than one minor (InvalidParameterException)', async () => {
      expect(await failure(eks.send(new UpdateClusterVersionCommand({ name, version: '1.35' })))).toMatchObject({
        name: 'InvalidParameterException',
        status: 400,
        message: 'Unsupported Kubernetes minor version update from 1.33 to 1.35',
      });
    });

    it('runs a control-plane update for its duration: UPDATING and InProgress, then ACTIVE at the new version', async () => {
      const { update } = await eks.send(new UpdateClusterVersionCommand({ name, version: '1.34' }));
      expect(update).toMatchObject({ status: 'InProgress', type: 'VersionUpdate' });
      expect(update?.params).toContainEqual({ type: 'Version', value: '1.34' });
      expect(await clusterOf(name)).toMatchObject({ status: 'UPDATING', version: '1.33' });

      expect(await failure(eks.send(new UpdateClusterVersionCommand({ name, version: '1.34' })))).toMatchObject({
        name: 'ResourceInUseException',
        status: 409,
      });
      expect((await eks.send(new ListUpdatesCommand({ name }))).updateIds).toEqual([update!.id]);

      advance(599);
      expect((await eks.send(new DescribeUpdateCommand({ name, updateId: update!.id }))).update?.status).toBe(
        'InProgress',
      );
      advance(1);
      expect((await eks.send(new DescribeUpdateCommand({ name, updateId: update!.id }))).update?.status).toBe(
        'Successful',
      );
      expect(await clusterOf(name)).toMatchObject({ status: 'ACTIVE', version: '1.34' });
    });

    it('refuses the next control-plane update while the nodes run an older version', async () => {
      expect(await failure(eks.send(new UpdateClusterVersionCommand({ name, version: '1.35' })))).toMatchObject({
        name: 'InvalidRequestException',
        message: expect.stringContaining('nodes must be updated to 1.34 before the cluster'),
      });
    });

    it('refuses nodes above their control plane, then moves them to it, and lists the update under the nodegroup', async () => {
      const nodes = { clusterName: name, nodegroupName: 'nodes' };
      expect(await failure(eks.send(new UpdateNodegroupVersionCommand({ ...nodes, version: '1.35' })))).toMatchObject({
        name: 'InvalidParameterException',
      });
      const { update } = await eks.send(new UpdateNodegroupVersionCommand({ ...nodes, version: '1.34' }));
      expect(await nodegroupOf(name)).toMatchObject({ status: 'UPDATING', version: '1.33' });
      expect((await eks.send(new ListUpdatesCommand({ name, nodegroupName: 'nodes' }))).updateIds).toEqual([
        update!.id,
      ]);
      advance(900);
      expect(await nodegroupOf(name)).toMatchObject({ status: 'ACTIVE', version: '1.34' });
      expect((await nodegroupOf(name)).releaseVersion).toMatch(/^1\.34\.0-/);
    });

    it('patches nodes to the latest AMI release of their version when no version is given', async () => {
      advance(86_400 * 3);
      const before = (await nodegroupOf(name)).releaseVersion;
      const { update } = await eks.send(
        new UpdateNodegroupVersionCommand({ clusterName: name, nodegroupName: 'nodes' }),
      );
      expect(update?.params?.map((p) => p.type)).toEqual(['ReleaseVersion']);
      advance(900);
      const after = await nodegroupOf(name);
      expect(after.version).toBe('1.34');
      expect(after.releaseVersion).not.toBe(before);
      expect(
        emulation
          .updates(region)
          .filter((u) => u.cluster === name)
          .map((u) => [u.nodegroup ?? 'control plane', u.toVersion, u.patch]),
      ).toEqual([
        ['control plane', '1.34', false],
        ['nodes', '1.34', false],
        ['nodes', '1.34', true],
      ]);
    });

    it('answers ResourceNotFoundException for a missing cluster or update', async () => {
      expect(
        await failure(eks.send(new UpdateClusterVersionCommand({ name: `${id}-missing`, version: '1.34' }))),
      ).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
      expect(await failure(eks.send(new DescribeUpdateCommand({ name, updateId: 'nope' })))).toMatchObject({
        name: 'ResourceNotFoundException',
      });
    });
  });

  describe('driven by the cluster task', () => {
    const config = exampleConfig((raw) => void (raw.prefix = id));
    const name = `${id}-edge-${region}`;
    const deps = () => ({
      config: { ...config, regions: { ...config.regions, elastic: [...config.regions.elastic, region] } },
      eks,
      ssm: new SSMClient({ region, endpoint: proxy.endpoint, credentials }),
      sts: new STSClient({ region, endpoint: proxy.endpoint, credentials }),
      now: new Date(),
    });
    const act = (input: Record<string, unknown>) =>
      runClusterAction(clusterTaskSchema.parse({ region, ...input }), deps());

    beforeAll(async () => {
      await eks.send(
        new CreateClusterCommand({
          name,
          version: '1.34',
          roleArn: 'arn:aws:iam::123456789012:role/cluster',
          resourcesVpcConfig: { subnetIds: ['subnet-1'] },
          tags: { [OWNER_TAG_KEY]: id },
        }),
      );
      await eks.send(
        new CreateNodegroupCommand({
          clusterName: name,
          nodegroupName: `${id}-edge-nodes`,
          nodeRole: 'arn:aws:iam::123456789012:role/node',
          subnets: ['subnet-1'],
          tags: { [OWNER_TAG_KEY]: id },
        }),
      );
    });

    it('moves control plane then nodes to 1.35, polling each update until it is Successful', async () => {
      expect(await act({ action: 'readVersions' })).toMatchObject({
        clusterVersion: '1.34',
        nodegroupVersion: '1.34',
        next: 'controlPlane',
        toVersion: '1.35',
      });
      const started = (await act({ action: 'updateClusterVersion', version: '1.35' })) as VersionUpdateStatus;
      expect(started).toMatchObject({ status: 'InProgress', version: '1.35', waitSeconds: 480 });
      // A retry (first response lost) returns the same update.
      expect(await act({ action: 'updateClusterVersion', version: '1.35' })).toMatchObject({
        updateId: started.updateId,
      });
      advance(started.waitSeconds);
      const poll = { action: 'describeClusterUpdate', updateId: started.updateId, deadline: started.deadline };
      expect(await act(poll)).toMatchObject({ status: 'InProgress', waitSeconds: 60 });
      advance(120);
      expect(await act(poll)).toMatchObject({ status: 'Successful', version: '1.35' });

      expect(await act({ action: 'readVersions' })).toMatchObject({ next: 'nodegroup', toVersion: '1.35' });
      const nodes = (await act({ action: 'updateNodegroupVersion', version: '1.35' })) as VersionUpdateStatus;
      advance(900);
      expect(
        await act({ action: 'describeNodegroupUpdate', updateId: nodes.updateId, deadline: nodes.deadline }),
      ).toMatchObject({ status: 'Successful', version: '1.35' });
      expect(await act({ action: 'readVersions' })).toMatchObject({
        clusterVersion: '1.35',
        nodegroupVersion: '1.35',
        next: 'done',
      });
    });

    it('is what regionctl status reads of each region (a region without our cluster is absent)', async () => {
      const versions = await clusterVersionsByRegion(() => eks, id, [region]);
      expect([...versions.entries()]).toEqual([[region, '1.35']]);
      const elsewhere = await clusterVersionsByRegion(
        () => new EKSClient({ region: 'eu-south-2', endpoint: proxy.endpoint, credentials, maxAttempts: 1 }),
        id,
        ['eu-south-2'],
      );
      expect(elsewhere.size).toBe(0);
    });
  });
});
