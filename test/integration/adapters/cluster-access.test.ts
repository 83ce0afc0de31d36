/**
 * ensureClusterAccess against the emulated EKS access-entry API (sandbox/eks-access-entries.ts,
 * answered by the AWS proxy for clusters that exist in moto): missing entries are created, our
 * entries repaired, present ones untouched, and entries the autoscaler did not create left alone.
 * Unique prefix and region: other suites share moto.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { CreateClusterCommand, DeleteClusterCommand, DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { STSClient } from '@aws-sdk/client-sts';
import { startAwsFaultProxy, type AwsFaultProxy } from '../../../sandbox/aws-proxy';
import {
  serveAccessEntries,
  type EmulatedAccessEntries,
  type EmulatedCluster,
} from '../../../sandbox/eks-access-entries';
import { ensureClusterAccess } from '../../../functions/adapters/eks-access';
import { clusterAdminPolicyArn } from '../../../functions/domain/access-entries';
import { NotOwnedError } from '../../../functions/domain/errors';
import { clusterName, OWNER_TAG_KEY, PRINCIPAL_ID_TAG_KEY } from '../../../functions/domain/naming';
import { describeWithMoto, motoClientConfig, motoEndpoint } from '../../support/moto';

const PREFIX = 'accessfix';
const REGION = 'eu-central-2';
const CLUSTER = clusterName(PREFIX, REGION);
const ACCOUNT = '123456789012';
const OPERATOR = `arn:aws:iam::${ACCOUNT}:role/${PREFIX}-eks-operator`;
const ALICE = `arn:aws:iam::${ACCOUNT}:role/platform/alice`;
const BOB = `arn:aws:iam::${ACCOUNT}:role/bob`;
const NODES = `arn:aws:iam::${ACCOUNT}:role/${PREFIX}-${REGION}-eks-node`;
const ADMIN_POLICY = clusterAdminPolicyArn('aws');
const VIEW_POLICY = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy';
const ours = { [OWNER_TAG_KEY]: PREFIX };

let proxy: AwsFaultProxy;
let entries: EmulatedAccessEntries;
let eks: EKSClient;
let sts: STSClient;
const moto = () => new EKSClient(motoClientConfig(REGION));

/** The cluster as the emulated access-entry API knows it (by its moto creation). */
async function cluster(): Promise<EmulatedCluster> {
  const { cluster: found } = await moto().send(new DescribeClusterCommand({ name: CLUSTER }));
  return { name: CLUSTER, arn: found!.arn!, createdAt: found!.createdAt! };
}

async function createCluster(tags: Record<string, string> = ours): Promise<void> {
  await moto().send(
    new CreateClusterCommand({
      name: CLUSTER,
      roleArn: `arn:aws:iam::${ACCOUNT}:role/${PREFIX}-${REGION}-eks-cluster`,
      resourcesVpcConfig: { subnetIds: ['subnet-1', 'subnet-2'] },
      tags,
    }),
  );
}

const ensure = (adminRoleArns: string[] = [ALICE, BOB]) =>
  ensureClusterAccess(eks, sts, { clusterName: CLUSTER, prefix: PREFIX, adminRoleArns });

/** Each entry of the cluster with its tags and policies, as EKS holds them. */
async function holdings() {
  const c = await cluster();
  return Object.fromEntries(
    entries
      .list(c)
      .sort()
      .map((principal) => [
        principal,
        { tags: entries.describe(c, principal).tags, policies: entries.associatedPolicies(c, principal) },
      ]),
  );
}

const changes = () =>
  ['CreateAccessEntry', 'AssociateAccessPolicy', 'DeleteAccessEntry'].reduce(
    (sum, operation) => sum + proxy.calls({ service: 'eks', operation }),
    0,
  );

describeWithMoto('cluster access entries against the emulated EKS API', () => {
  beforeAll(async () => {
    proxy = await startAwsFaultProxy(motoEndpoint());
    entries = serveAccessEntries(proxy, motoEndpoint()).entries;
    const clients = { region: REGION, endpoint: proxy.endpoint, credentials: motoClientConfig(REGION).credentials };
    eks = new EKSClient({ ...clients, maxAttempts: 1 });
    sts = new STSClient({ ...clients, maxAttempts: 1 });
  });
  afterAll(async () => {
    await proxy.close();
  });
  beforeEach(async () => {
    await moto()
      .send(new DeleteClusterCommand({ name: CLUSTER }))
      .catch(() => undefined);
    await createCluster();
    proxy.reset();
  });

  it('makes the operator role and each admin role cluster admins on a cluster without entries', async () => {
    const result = await ensure();
    expect(result).toEqual({
      created: [OPERATOR, ALICE, BOB],
      repaired: [],
      removed: [],
      unchanged: [],
      leftAlone: [],
    });
    const held = await holdings();
    expect(Object.keys(held)).toEqual([BOB, OPERATOR, ALICE].sort());
    for (const principal of [OPERATOR, ALICE, BOB])
      expect(held[principal]!.policies).toEqual([
        expect.objectContaining({ policyArn: ADMIN_POLICY, accessScope: { type: 'cluster' } }),
      ]);
    // The operator's entry names the role it was made for by its unique id (here moto's identity).
    expect(held[OPERATOR]!.tags).toEqual({ ...ours, [PRINCIPAL_ID_TAG_KEY]: expect.stringMatching(/^[A-Z0-9]+$/) });
    expect(held[ALICE]!.tags).toEqual(ours);
  });

  it('changes nothing when every entry is in place', async () => {
    await ensure();
    const before = await holdings();
    proxy.reset();
    expect(await ensure()).toEqual({
      created: [],
      repaired: [],
      removed: [],
      unchanged: [OPERATOR, ALICE, BOB],
      leftAlone: [],
    });
    expect(changes()).toBe(0);
    expect(await holdings()).toEqual(before);
  });

  it('repairs an adopted cluster: creates the missing entries, associates a missing policy, leaves the rest untouched', async () => {
    await ensure();
    const c = await cluster();
    entries.delete(c, ALICE);
    // As if a run had created the operator's entry and died before associating its policy.
    const operatorTags = entries.describe(c, OPERATOR).tags;
    entries.delete(c, OPERATOR);
    entries.create(c, { principalArn: OPERATOR, tags: operatorTags });
    const bob = structuredClone((await holdings())[BOB]);
    proxy.reset();

    const result = await ensure();
    expect(result).toEqual({ created: [ALICE], repaired: [OPERATOR], removed: [], unchanged: [BOB], leftAlone: [] });
    expect(proxy.calls({ service: 'eks', operation: 'CreateAccessEntry' })).toBe(1);
    expect(proxy.calls({ service: 'eks', operation: 'AssociateAccessPolicy' })).toBe(2);
    const held = await holdings();
    expect(held[BOB]).toEqual(bob);
    expect(held[OPERATOR]!.policies.map((p) => p.policyArn)).toEqual([ADMIN_POLICY]);
  });

  it("leaves entries it did not create alone: the nodes' entry, and one made by hand for a configured admin", async () => {
    const c = await cluster();
    entries.create(c, { principalArn: NODES, type: 'EC2_LINUX' });
    entries.create(c, { principalArn: BOB, tags: { team: 'platform' } });
    entries.associate(c, BOB, { policyArn: VIEW_POLICY, accessScope: { type: 'cluster' } });
    const before = await holdings();

    const result = await ensure();
    expect(result).toMatchObject({ created: [OPERATOR, ALICE], leftAlone: [BOB, NODES] });
    const held = await holdings();
    expect(held[NODES]).toEqual(before[NODES]);
    expect(held[BOB]).toEqual(before[BOB]);
  });

  it('removes its entry of a role no longer in cluster.adminRoleArns', async () => {
    await ensure([ALICE, BOB]);
    expect(await ensure([ALICE])).toMatchObject({ removed: [BOB], unchanged: [OPERATOR, ALICE] });
    expect(Object.keys(await holdings())).toEqual([OPERATOR, ALICE].sort());
  });

  it("makes the operator's entry again when it was made for an earlier role of the same name (a replaced control stack)", async () => {
    const c = await cluster();
    entries.create(c, { principalArn: OPERATOR, tags: { ...ours, [PRINCIPAL_ID_TAG_KEY]: 'AROAREPLACEDROLE' } });
    entries.associate(c, OPERATOR, { policyArn: ADMIN_POLICY, accessScope: { type: 'cluster' } });

    const result = await ensure([]);
    expect(result).toEqual({ created: [], repaired: [OPERATOR], removed: [], unchanged: [], leftAlone: [] });
    const operator = (await holdings())[OPERATOR]!;
    expect(operator.tags[PRINCIPAL_ID_TAG_KEY]).not.toBe('AROAREPLACEDROLE');
    expect(operator.policies.map((p) => p.policyArn)).toEqual([ADMIN_POLICY]);
  });

  it('refuses a cluster that is not ours before touching any entry', async () => {
    await moto().send(new DeleteClusterCommand({ name: CLUSTER }));
    await createCluster({ team: 'video' });
    proxy.reset();
    await expect(ensure()).rejects.toThrow(NotOwnedError);
    expect(proxy.calls({ service: 'eks', operation: 'ListAccessEntries' })).toBe(0);
  });

  it('finds a cluster created again under the same name without the entries of the one before', async () => {
    await ensure();
    await moto().send(new DeleteClusterCommand({ name: CLUSTER }));
    await createCluster();
    expect(await holdings()).toEqual({});
    expect((await ensure()).created).toEqual([OPERATOR, ALICE, BOB]);
  });
});
