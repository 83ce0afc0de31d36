/**
 * The four task Lambdas of the scale-up / scale-down workflows, called in-process step by step
 * against the moto emulator (EKS, Route53, ELBv2, SSM, DynamoDB, SNS) and a local server that
 * plays the Kubernetes API (moto's EKS has no API server). Unique prefix: other suites share moto.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CreateClusterCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ListClustersCommand,
  ListNodegroupsCommand,
} from '@aws-sdk/client-eks';
import { CreateLoadBalancerCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { StateStore } from '../../../functions/adapters/state-store';
import { documentClient } from '../../../functions/commons/aws-clients';
import type { AutoscalerConfig } from '../../../functions/domain/config';
import { NotOwnedError, RefusedError, RegionLockedError } from '../../../functions/domain/errors';
import { clusterName, nodegroupName } from '../../../functions/domain/naming';
import type { RegionStatus } from '../../../functions/domain/region-state';
import { EDGE_AGENT_SCRIPT_ENV } from '../../../functions/domain/edge-manifests';
import { shippedEdgeAgent } from '../../support/deployed-lambdas';
import { KUBERNETES_API_OVERRIDE_ENV } from '../../../functions/kubernetes/cluster-access';
import { exampleConfig } from '../../support/config-fixtures';
import { provisionEmulatedDeployment } from '../../../sandbox/emulated-deployment';
import { KubernetesApiDouble } from '../../../sandbox/kubernetes-api-double';
import { lambdaContext, setTaskEnvironment } from '../../support/lambda-context';
import { putLatencyRecordDirectly } from '../../support/latency-record';
import { describeWithMoto, useEmulator } from '../../support/moto';

type Handler = (input: unknown) => Promise<Record<string, unknown>>;
const tasks = {} as Record<'region' | 'cluster' | 'edge' | 'dns', Handler>;
const api = new KubernetesApiDouble();
const servicePath = '/api/v1/namespaces/edge/services/edge';
const client = (region: string) => ({ region, maxAttempts: 1 });

let config: AutoscalerConfig;
let store: StateStore;

describeWithMoto('scale-up and scale-down task Lambdas against the emulator', () => {
  beforeAll(async () => {
    await useEmulator();
    const provisioned = await provisionEmulatedDeployment(
      exampleConfig((raw) => {
        raw.prefix = 'taskslife';
        raw.regions.elastic = ['ap-southeast-1', 'eu-west-3', 'sa-east-1', 'ap-south-1'];
      }),
    );
    config = provisioned.config;
    process.env[KUBERNETES_API_OVERRIDE_ENV] = await api.start();
    // The edge task runs from its source here, with no bundle beside it: the counter the bundle ships.
    process.env[EDGE_AGENT_SCRIPT_ENV] = shippedEdgeAgent();
    setTaskEnvironment(config, provisioned.controlPlane);
    store = new StateStore(documentClient(config.homeRegion), provisioned.controlPlane.stateTableName);
    for (const name of ['region', 'cluster', 'edge', 'dns'] as const) {
      const module = (await import(`../../../functions/tasks/${name}-task`)) as {
        handler: (event: unknown, context: unknown) => Promise<Record<string, unknown>>;
      };
      tasks[name] = (input) => module.handler(input, lambdaContext(`${name}-task`));
    }
    // The always-on region serves, with its own latency record, untouched by everything below.
    await putLatencyRecordDirectly(config, 'us-east-1', 'useast.elb.amazonaws.com');
    await setStatus('us-east-1', 'ACTIVE');
  }, 180_000);
  afterAll(async () => {
    delete process.env[KUBERNETES_API_OVERRIDE_ENV];
    delete process.env[EDGE_AGENT_SCRIPT_ENV];
    await api.stop();
  });

  const latencyRecords = async () => {
    const { ResourceRecordSets = [] } = await new Route53Client(client('us-east-1')).send(
      new ListResourceRecordSetsCommand({ HostedZoneId: config.dns.hostedZoneId }),
    );
    return ResourceRecordSets.filter((r) => r.SetIdentifier);
  };
  const setStatus = (region: string, status: RegionStatus) =>
    store.updateRegionState(region, (s) => ({ ...s, status }));
  const eks = (region: string) => new EKSClient(client(region));

  describe('scale-up of an elastic region, step by step, then scale-down', () => {
    const region = 'ap-southeast-1';
    const owner = 'arn:aws:states:us-east-1:000000000000:execution:taskslife-scale-up:run-1';
    let lbDnsName: string;

    it('validates the request and plans with the region foundation', async () => {
      const plan = await tasks.region({
        action: 'validateScaleUp',
        request: { region, reason: 'demand above 500 users', requestedBy: 'alarm' },
      });
      expect(plan).toMatchObject({
        region,
        clusterName: 'taskslife-edge-ap-southeast-1',
        nodegroupName: 'taskslife-edge-nodes',
        noop: false,
        foundation: { subnetIds: [expect.stringMatching(/^subnet-/), expect.stringMatching(/^subnet-/)] },
      });
    });

    it('locks the region and marks it PROVISIONING, on the cold path from INACTIVE', async () => {
      expect(await tasks.region({ action: 'lockRegion', region, owner, direction: 'up' })).toEqual({
        region,
        from: 'INACTIVE',
        target: 'ACTIVE',
        path: 'create',
      });
      expect(await store.getRegionState(region)).toMatchObject({
        status: 'PROVISIONING',
        executionArn: owner,
        transitionFrom: 'INACTIVE',
        transitionTarget: 'ACTIVE',
      });
      expect((await store.getLock(region))?.owner).toBe(owner);
    });

    it('creates the cluster tagged as ours with control-plane logging, and adopts it the second time', async () => {
      expect(await tasks.cluster({ action: 'ensureCluster', region, executionId: owner })).toMatchObject({
        created: true,
      });
      const { cluster } = await eks(region).send(
        new DescribeClusterCommand({ name: clusterName(config.prefix, region) }),
      );
      expect(cluster?.tags).toMatchObject({ 'edge-autoscaler:owner': 'taskslife' });
      expect(cluster?.version).toBe('1.35');
      expect(cluster?.logging?.clusterLogging).toEqual([{ types: ['api', 'audit', 'authenticator'], enabled: true }]);
      // moto does not keep upgradePolicy / accessConfig; test/unit/tasks/cluster-task.test.ts asserts what is sent.

      expect(await tasks.cluster({ action: 'ensureCluster', region, executionId: `${owner}-other` })).toMatchObject({
        status: 'ACTIVE',
        created: false,
        waitSeconds: 1,
      });
      const { clusters = [] } = await eks(region).send(new ListClustersCommand({}));
      expect(clusters.filter((c) => c === clusterName(config.prefix, region))).toHaveLength(1);
      expect(await tasks.cluster({ action: 'describeCluster', region })).toMatchObject({
        status: 'ACTIVE',
        createdAt: cluster?.createdAt?.toISOString(),
        waitSeconds: 1,
      });
    });

    it('creates the nodegroup from the cluster spec, once', async () => {
      expect(await tasks.cluster({ action: 'ensureNodegroup', region, executionId: owner })).toMatchObject({
        created: true,
      });
      expect(await tasks.cluster({ action: 'ensureNodegroup', region, executionId: `${owner}-other` })).toMatchObject({
        created: false,
      });
      const name = clusterName(config.prefix, region);
      const { nodegroup } = await eks(region).send(
        new DescribeNodegroupCommand({ clusterName: name, nodegroupName: nodegroupName(config.prefix) }),
      );
      expect(nodegroup).toMatchObject({
        instanceTypes: ['t3.medium'],
        scalingConfig: { minSize: 2, desiredSize: 2, maxSize: 4 },
        tags: { 'edge-autoscaler:owner': 'taskslife' },
      });
      expect((await eks(region).send(new ListNodegroupsCommand({ clusterName: name }))).nodegroups).toHaveLength(1);
      expect(await tasks.cluster({ action: 'describeNodegroup', region })).toMatchObject({
        status: 'ACTIVE',
        createdAt: nodegroup?.createdAt?.toISOString(),
        waitSeconds: 1,
      });
    });

    it('applies the edge manifests, then reads the load balancer once the Service has one', async () => {
      expect(await tasks.edge({ action: 'applyEdge', region })).toMatchObject({ ready: false, waitSeconds: 120 });
      expect(api.applied('Namespace').map((o) => o.metadata.name)).toEqual(['edge']);
      const [configMap] = api.applied('ConfigMap');
      const nginx = (configMap?.data as Record<string, string>)['default.conf'];
      expect(nginx).toContain('set $origin "https://origin.example.com";');
      expect(nginx).toContain('location = /health');
      expect(api.applied('Deployment').map((o) => o.metadata.name)).toEqual(['edge-cache']);
      expect(api.applied('Service').map((o) => (o.spec as { type: string }).type)).toEqual(['LoadBalancer']);

      expect(await tasks.edge({ action: 'readEdgeEndpoint', region })).toMatchObject({ ready: false });

      // What the cloud controller does: create the network load balancer and report it on the Service.
      const { foundation } = (await tasks.region({ action: 'validateScaleUp', request: { region } })) as {
        foundation: { subnetIds: string[] };
      };
      const { LoadBalancers } = await new ElasticLoadBalancingV2Client(client(region)).send(
        new CreateLoadBalancerCommand({ Name: 'a0edge', Type: 'network', Subnets: foundation.subnetIds }),
      );
      lbDnsName = LoadBalancers![0]!.DNSName!;
      api.provisionLoadBalancer(servicePath, lbDnsName);

      expect(await tasks.edge({ action: 'readEdgeEndpoint', region })).toMatchObject({
        ready: true,
        dnsName: lbDnsName,
        hostedZoneId: LoadBalancers![0]!.CanonicalHostedZoneId,
        serviceCreatedAt: api.objects.get(servicePath)?.metadata.creationTimestamp,
        waitSeconds: 1,
      });
    });

    it('UPSERTs only its own latency record, once, and waits for the change', async () => {
      const target = { dnsName: lbDnsName, hostedZoneId: 'Z1LMS91P8CMLE5' };
      const change = await tasks.dns({ action: 'upsertRecord', region, target });
      await tasks.dns({ action: 'upsertRecord', region, target });
      expect(change.changeId).toEqual(expect.any(String));
      expect(await tasks.dns({ action: 'getChange', changeId: change.changeId })).toMatchObject({ status: 'INSYNC' });

      const records = await latencyRecords();
      expect(records.map((r) => r.SetIdentifier).sort()).toEqual(['ap-southeast-1', 'us-east-1']);
      expect(records.find((r) => r.SetIdentifier === region)).toMatchObject({
        Name: 'edge.cdn.example.com.',
        Type: 'A',
        Region: region,
        AliasTarget: { HostedZoneId: 'Z1LMS91P8CMLE5', EvaluateTargetHealth: true },
      });
      expect(records.find((r) => r.SetIdentifier === 'us-east-1')?.AliasTarget?.DNSName).toMatch(
        /^useast\.elb\.amazonaws\.com/,
      );
    });

    it('marks the region ACTIVE with its record target and releases the lock', async () => {
      const recordTarget = { dnsName: lbDnsName, hostedZoneId: 'Z1LMS91P8CMLE5' };
      expect(
        await tasks.region({ action: 'finishScaling', region, owner, direction: 'up', recordTarget, reason: 'demand' }),
      ).toMatchObject({ status: 'ACTIVE', recordTarget, consecutiveFailures: 0 });
      const state = await store.getRegionState(region);
      expect(state.activeSince).toEqual(state.lastTransitionAt);
      expect(await store.getLock(region)).toBeUndefined();
    });

    it('scales down: withdraws only its record, deletes the Service, nodegroup and cluster, ends INACTIVE', async () => {
      const downOwner = `${owner}-down`;
      expect(await tasks.region({ action: 'validateScaleDown', request: { region } })).toMatchObject({ noop: false });
      expect(await tasks.region({ action: 'lockRegion', region, owner: downOwner, direction: 'down' })).toMatchObject({
        from: 'ACTIVE',
        path: 'teardown',
      });
      expect((await store.getRegionState(region)).status).toBe('DRAINING');

      expect(await tasks.dns({ action: 'deleteRecord', region })).toMatchObject({ status: 'INSYNC' });
      expect((await latencyRecords()).map((r) => r.SetIdentifier)).toEqual(['us-east-1']);
      expect(await tasks.dns({ action: 'deleteRecord', region })).toMatchObject({ status: 'INSYNC', waitSeconds: 1 });

      expect(await tasks.edge({ action: 'deleteEdge', region })).toMatchObject({ ready: false });
      expect(await tasks.edge({ action: 'deleteEdge', region })).toMatchObject({ ready: true, waitSeconds: 1 });
      expect(api.objects.size).toBe(0);

      // The workflow's steps in order; `step` names the one that differs when this fails.
      const teardown = [
        ['deleteNodegroup', 'DELETING', 120],
        ['describeNodegroup', 'DELETED', 1],
        ['deleteCluster', 'DELETING', 180],
        ['describeCluster', 'DELETED', 1],
        ['deleteCluster', 'DELETED', 1],
      ] as const;
      for (const [action, status, waitSeconds] of teardown) {
        const result = await tasks.cluster({ action, region });
        expect({ step: action, ...result }).toMatchObject({ step: action, status, waitSeconds });
      }

      expect(
        await tasks.region({ action: 'finishScaling', region, owner: downOwner, direction: 'down' }),
      ).toMatchObject({
        status: 'INACTIVE',
      });
      expect(await store.getLock(region)).toBeUndefined();
      expect(await tasks.region({ action: 'validateScaleDown', request: { region } })).toMatchObject({ noop: true });
    });
  });

  describe('refusals', () => {
    it('refuses to scale down an always-on region', async () => {
      await expect(tasks.region({ action: 'validateScaleDown', request: { region: 'eu-west-1' } })).rejects.toThrow(
        RefusedError,
      );
    });

    it('refuses to scale down the last serving region, at validation and again under the lock', async () => {
      await setStatus('us-east-1', 'INACTIVE');
      await setStatus('ap-south-1', 'ACTIVE');
      await expect(tasks.region({ action: 'validateScaleDown', request: { region: 'ap-south-1' } })).rejects.toThrow(
        /last region serving/,
      );

      // Valid while another region serves; that region stops serving before the lock is taken.
      await setStatus('us-east-1', 'ACTIVE');
      await tasks.region({ action: 'validateScaleDown', request: { region: 'ap-south-1' } });
      await setStatus('us-east-1', 'INACTIVE');
      await expect(
        tasks.region({ action: 'lockRegion', region: 'ap-south-1', owner: 'exec-late', direction: 'down' }),
      ).rejects.toThrow(RefusedError);
      expect(await store.getLock('ap-south-1')).toBeUndefined();
      expect((await store.getRegionState('ap-south-1')).status).toBe('ACTIVE');
      await setStatus('us-east-1', 'ACTIVE');
      await setStatus('ap-south-1', 'INACTIVE');
    });

    it('refuses a cluster of our name that is not tagged as ours, and never deletes it', async () => {
      const region = 'eu-west-3';
      const name = clusterName(config.prefix, region);
      const plan = (await tasks.region({ action: 'validateScaleUp', request: { region } })) as {
        foundation: { subnetIds: string[]; clusterRoleArn: string };
      };
      await eks(region).send(
        new CreateClusterCommand({
          name,
          roleArn: plan.foundation.clusterRoleArn,
          resourcesVpcConfig: { subnetIds: plan.foundation.subnetIds },
        }),
      );
      await expect(tasks.region({ action: 'validateScaleDown', request: { region } })).rejects.toThrow(NotOwnedError);
      await expect(tasks.cluster({ action: 'deleteCluster', region })).rejects.toThrow(NotOwnedError);
      await expect(
        tasks.cluster({
          action: 'ensureCluster',
          region,
          executionId: 'arn:aws:states:us-east-1:000000000000:execution:taskslife-scale-up:up-foreign',
        }),
      ).rejects.toThrow(NotOwnedError);
      expect(await tasks.edge({ action: 'deleteEdge', region }).catch((e: Error) => e.name)).toBe('NotOwnedError');
      expect((await eks(region).send(new DescribeClusterCommand({ name }))).cluster?.status).toBe('ACTIVE');
    });
  });

  describe('lock semantics', () => {
    const region = 'sa-east-1';

    it('lets one execution hold a region; the other fails without touching it; failure releases only its own lock', async () => {
      await tasks.region({ action: 'lockRegion', region, owner: 'exec-up', direction: 'up' });
      await tasks.region({ action: 'lockRegion', region, owner: 'exec-up', direction: 'up' });
      await expect(
        tasks.region({ action: 'lockRegion', region, owner: 'exec-down', direction: 'down' }),
      ).rejects.toThrow(RegionLockedError);
      expect(await store.getRegionState(region)).toMatchObject({ status: 'PROVISIONING', executionArn: 'exec-up' });

      const error = { Error: 'RegionLockedError', Cause: 'locked by exec-up' };
      await tasks.region({ action: 'failScaling', region, owner: 'exec-down', direction: 'down', error });
      expect(await store.getRegionState(region)).toMatchObject({ status: 'PROVISIONING' });
      expect((await store.getLock(region))?.owner).toBe('exec-up');

      await expect(
        tasks.region({ action: 'finishScaling', region, owner: 'exec-down', direction: 'down' }),
      ).rejects.toThrow(RegionLockedError);

      const cause = JSON.stringify({
        errorType: 'ResourceFailedError',
        errorMessage: 'cluster CREATE_FAILED',
        trace: [],
      });
      expect(
        await tasks.region({
          action: 'failScaling',
          region,
          owner: 'exec-up',
          direction: 'up',
          error: { Error: 'ResourceFailedError', Cause: cause },
        }),
      ).toMatchObject({
        status: 'FAILED',
        lastFailureCause: 'ResourceFailedError: cluster CREATE_FAILED',
        consecutiveFailures: 1,
      });
      expect(await store.getLock(region)).toBeUndefined();
    });
  });
});
