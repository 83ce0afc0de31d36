import { describe, expect, it } from '@jest/globals';
import {
  clusterAdminPolicyArn,
  clusterArnParts,
  eksOperatorRoleArn,
  planAccessEntries,
  type ExistingAccessEntry,
  type WantedAccess,
} from '../../../functions/domain/access-entries';
import { OWNER_TAG_KEY, PRINCIPAL_ID_TAG_KEY } from '../../../functions/domain/naming';

const CLUSTER_ARN = 'arn:aws:eks:ap-southeast-1:123456789012:cluster/edgescale-edge-ap-southeast-1';
const OPERATOR = 'arn:aws:iam::123456789012:role/edgescale-eks-operator';
const ALICE = 'arn:aws:iam::123456789012:role/platform/alice';
const BOB = 'arn:aws:iam::123456789012:role/bob';
const NODES = 'arn:aws:iam::123456789012:role/edgescale-ap-southeast-1-eks-node';

const wanted = (adminRoleArns: string[] = [ALICE]): WantedAccess => ({
  prefix: 'edgescale',
  operatorRoleArn: OPERATOR,
  operatorRoleId: 'AROAOPERATORNOW',
  adminRoleArns,
});
const ours = { [OWNER_TAG_KEY]: 'edgescale' };
const operatorEntry = (roleId = 'AROAOPERATORNOW', clusterAdmin = true): ExistingAccessEntry => ({
  principalArn: OPERATOR,
  tags: { ...ours, [PRINCIPAL_ID_TAG_KEY]: roleId },
  clusterAdmin,
});

describe('access entry names', () => {
  it('derives the operator role ARN from the cluster ARN: its partition and account, the fixed role name', () => {
    expect(eksOperatorRoleArn('edgescale', CLUSTER_ARN)).toBe(OPERATOR);
    expect(eksOperatorRoleArn('edgescale', 'arn:aws-cn:eks:cn-north-1:210987654321:cluster/edgescale-edge-x')).toBe(
      'arn:aws-cn:iam::210987654321:role/edgescale-eks-operator',
    );
    expect(() => clusterArnParts('edgescale-edge-ap-southeast-1')).toThrow(/Not an EKS cluster ARN/);
  });

  it('names the cluster admin access policy of the partition', () => {
    expect(clusterAdminPolicyArn('aws')).toBe('arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy');
  });
});

describe('planAccessEntries', () => {
  it('creates an entry for the operator (tagged with its role id) and each admin on a cluster without any', () => {
    expect(planAccessEntries(wanted([ALICE, BOB]), [])).toEqual({
      changes: [
        { action: 'create', principalArn: OPERATOR, tags: { ...ours, [PRINCIPAL_ID_TAG_KEY]: 'AROAOPERATORNOW' } },
        { action: 'create', principalArn: ALICE, tags: ours },
        { action: 'create', principalArn: BOB, tags: ours },
      ],
      unchanged: [],
      leftAlone: [],
    });
  });

  it('changes nothing when every wanted entry is ours and holds the policy', () => {
    const existing = [operatorEntry(), { principalArn: ALICE, tags: ours, clusterAdmin: true }];
    expect(planAccessEntries(wanted(), existing)).toEqual({ changes: [], unchanged: [OPERATOR, ALICE], leftAlone: [] });
  });

  it('creates only what is missing and associates the policy where our entry lacks it', () => {
    const existing = [operatorEntry('AROAOPERATORNOW', false)];
    expect(planAccessEntries(wanted(), existing).changes).toEqual([
      { action: 'associate', principalArn: OPERATOR },
      { action: 'create', principalArn: ALICE, tags: ours },
    ]);
  });

  it("makes the operator's entry again when it was made for an earlier role of the same name (or its id is unknown)", () => {
    const expected = [
      {
        action: 'recreate',
        principalArn: OPERATOR,
        tags: { ...ours, [PRINCIPAL_ID_TAG_KEY]: 'AROAOPERATORNOW' },
      },
    ];
    expect(planAccessEntries(wanted([]), [operatorEntry('AROAOPERATORBEFORE')]).changes).toEqual(expected);
    expect(planAccessEntries(wanted([]), [{ principalArn: OPERATOR, tags: ours, clusterAdmin: true }]).changes).toEqual(
      expected,
    );
  });

  it('removes our entries of roles no longer configured', () => {
    const existing = [operatorEntry(), { principalArn: BOB, tags: ours, clusterAdmin: true }];
    expect(planAccessEntries(wanted([]), existing)).toEqual({
      changes: [{ action: 'delete', principalArn: BOB }],
      unchanged: [OPERATOR],
      leftAlone: [],
    });
  });

  it('leaves entries it did not create alone, a wanted role or not: the nodes, an entry made by hand', () => {
    const existing = [
      operatorEntry(),
      { principalArn: NODES, tags: {} },
      // Someone gave Alice a view-only entry by hand: it stays as it is.
      { principalArn: ALICE, tags: { team: 'platform' } },
      // Another deployment's entry.
      { principalArn: BOB, tags: { [OWNER_TAG_KEY]: 'otherscale' } },
    ];
    expect(planAccessEntries(wanted(), existing)).toEqual({
      changes: [],
      unchanged: [OPERATOR],
      leftAlone: [ALICE, NODES, BOB],
    });
  });

  it('wants each role once, also when the operator is listed among the admins', () => {
    expect(planAccessEntries(wanted([OPERATOR, ALICE, ALICE]), []).changes.map((c) => c.principalArn)).toEqual([
      OPERATOR,
      ALICE,
    ]);
  });
});
