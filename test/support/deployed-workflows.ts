/**
 * The workflows as they deploy, end to end: the state machine definitions of the synthesized
 * template executed locally, every Task bound to the bundled task Lambda that `cdk synth`
 * packaged, their AWS calls sent to moto through a fault-injecting proxy, their Kubernetes calls
 * to a local API server that also plays the load-balancer controller. Only the bundles go
 * through the proxy: the controller (part of the emulated cloud) and the test's own reads talk to
 * moto directly, so an injected fault meets the Lambda call it was meant for. Time is virtual: the
 * global Date (which the bundles read) moves only when a Wait state waits, so a phase deadline
 * of 40 minutes passes in milliseconds.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EKSClient, ListClustersCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadBalancerController, loadBalancerName } from '../../sandbox/cloud-controller';
import { provisionEmulatedDeployment } from '../../sandbox/emulated-deployment';
import { KubernetesApiDouble, LOAD_BALANCER_HEALTH_PATH } from '../../sandbox/kubernetes-api-double';
import { EDGE_HEALTH_URL_OVERRIDE_ENV } from '../../functions/adapters/edge-health';
import { installSimulatedDate } from '../../sandbox/simulated-clock';
import { StateStore } from '../../functions/adapters/state-store';
import type { AutoscalerConfig } from '../../functions/domain/config';
import { KUBERNETES_API_OVERRIDE_ENV } from '../../functions/kubernetes/cluster-access';
import type { MaintenanceInputRaw } from '../../functions/domain/region-maintenance';
import type { MaintenanceWorkflowName, TaskLambda, WorkflowName } from '../../workflows/definitions';
import { runWorkflowLocally, type LocalRunResult, type TaskHandler } from '../../workflows/run-locally';
import { startAwsFaultProxy, type AwsFaultProxy } from '../../sandbox/aws-proxy';
import { serveAccessEntries, type EmulatedAccessEntries } from '../../sandbox/eks-access-entries';
import { installEksVersionUpdates, type EmulatedEksVersions } from '../../sandbox/eks-version-updates';
import { installNodegroupConfig, type EmulatedNodegroupConfig } from '../../sandbox/eks-nodegroup-config';
import type { TransitionTarget } from '../../functions/domain/region-state';
import { exampleConfig } from './config-fixtures';
import { loadBundledTasks, synthesizedDeployment } from './deployed-lambdas';
import { setTaskEnvironment } from './lambda-context';
import { motoClientConfig, motoEndpoint, useEmulator } from './moto';

export interface DeployedWorkflows {
  config: AutoscalerConfig;
  store: StateStore;
  proxy: AwsFaultProxy;
  /** The clusters' access entries (moto has none: the proxy answers that API from this store). */
  accessEntries: EmulatedAccessEntries;
  /** Kubernetes version updates (moto has none): the proxy plays them, each taking simulated minutes. */
  eksVersions: EmulatedEksVersions;
  /** UpdateNodegroupConfig (UPDATING for simulated seconds) and warm pools, which moto neither keeps nor shows. */
  nodegroupConfig: EmulatedNodegroupConfig;
  api: KubernetesApiDouble;
  tasks: Record<TaskLambda, TaskHandler>;
  /** Fresh Lambda environments: new loads of the bundles (new SDK clients, retry quotas, caches). */
  reloadTasks(): Promise<void>;
  /**
   * A `cdk deploy` of a changed configuration: the task Lambdas (fresh loads) read `change(config)`
   * from now on. The emulator's resources (zone, table, topic) stay those of the first one.
   */
  redeploy(change: (config: AutoscalerConfig) => AutoscalerConfig): Promise<AutoscalerConfig>;
  /** `target`: the workflow input's (warm-standby.ts), left out by default. */
  run(
    workflow: WorkflowName,
    region: string,
    options?: { executionName?: string; executionId?: string; target?: TransitionTarget },
  ): Promise<LocalRunResult>;
  /** A maintenance workflow (edge rollout, cluster upgrade) with its documented input (region-maintenance.ts). */
  runMaintenance(
    workflow: MaintenanceWorkflowName,
    input: MaintenanceInputRaw,
    options?: { executionName?: string },
  ): Promise<LocalRunResult>;
  /** What the emulator holds for one region: this deployment's clusters and their nodegroups. */
  holdings(region: string): Promise<{ clusters: string[]; nodegroups: string[] }>;
  /** The SetIdentifiers of the zone's latency records for the configured name. */
  latencyRecords(): Promise<string[]>;
  /** This deployment's edge load balancers in a region. */
  loadBalancers(region: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** Provisions a deployment named `prefix` in moto and loads the bundled tasks against it. */
export async function startDeployedWorkflows(prefix: string): Promise<DeployedWorkflows> {
  await useEmulator();
  const provisioned = await provisionEmulatedDeployment(exampleConfig((raw) => void (raw.prefix = prefix)));
  const { config } = provisioned;
  const proxy = await startAwsFaultProxy(motoEndpoint());
  const accessEntries = serveAccessEntries(proxy, motoEndpoint()).entries;
  const eksVersions = installEksVersionUpdates(proxy, motoEndpoint());
  const nodegroupConfig = installNodegroupConfig(proxy, motoEndpoint());
  // The bundles create their SDK clients on first use, reading the endpoint then: the proxy.
  process.env.AWS_ENDPOINT_URL = proxy.endpoint;
  const api = new KubernetesApiDouble();
  const apiUrl = await api.start();
  process.env[KUBERNETES_API_OVERRIDE_ENV] = `${apiUrl}/clusters/{cluster}`;
  // moto's load balancers answer nothing: the double plays them for the edge's /health.
  process.env[EDGE_HEALTH_URL_OVERRIDE_ENV] = `${apiUrl}${LOAD_BALANCER_HEALTH_PATH}`;
  api.cloudController = loadBalancerController(config.prefix, motoEndpoint());
  setTaskEnvironment(config, provisioned.controlPlane);
  const tasks = await loadBundledTasks();
  const reloadTasks = async () => void Object.assign(tasks, await loadBundledTasks());
  const { definitions } = synthesizedDeployment();
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient(motoClientConfig(config.homeRegion)), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const store = new StateStore(dynamo, provisioned.controlPlane.stateTableName);

  let virtualNow = Date.now();
  const restoreDate = installSimulatedDate(() => virtualNow);
  let runs = 0;

  return {
    config,
    store,
    proxy,
    accessEntries,
    eksVersions,
    nodegroupConfig,
    api,
    tasks,
    reloadTasks,
    async redeploy(change) {
      const changed = change(config);
      setTaskEnvironment(changed, provisioned.controlPlane);
      await reloadTasks();
      return changed;
    },
    runMaintenance(workflow, input, options = {}) {
      return runWorkflowLocally(definitions[workflow], input, {
        tasks,
        executionName: options.executionName ?? `${workflow}-test-${++runs}`,
        onWait: (seconds) => void (virtualNow += seconds * 1000),
      });
    },
    run(workflow, region, options = {}) {
      const executionName =
        options.executionName ?? `${workflow === 'scaleUp' ? 'up' : 'down'}-${region}-test-${++runs}`;
      return runWorkflowLocally(
        definitions[workflow],
        {
          region,
          reason: 'integration test',
          requestedBy: 'operator',
          ...(options.target && { target: options.target }),
        },
        {
          tasks,
          executionName,
          executionId: options.executionId,
          onWait: (seconds) => void (virtualNow += seconds * 1000),
        },
      );
    },
    async holdings(region) {
      const eks = new EKSClient(motoClientConfig(region));
      const listed = await eks.send(new ListClustersCommand({}));
      // Only this deployment's clusters: other suites share the emulator.
      const clusters = (listed.clusters ?? []).filter((c) => c.startsWith(`${config.prefix}-`));
      const nodegroups = [];
      for (const cluster of clusters) {
        const groups = await eks.send(new ListNodegroupsCommand({ clusterName: cluster }));
        nodegroups.push(...(groups.nodegroups ?? []));
      }
      return { clusters, nodegroups };
    },
    async latencyRecords() {
      const { ResourceRecordSets = [] } = await new Route53Client(motoClientConfig('us-east-1')).send(
        new ListResourceRecordSetsCommand({ HostedZoneId: config.dns.hostedZoneId }),
      );
      return ResourceRecordSets.filter((r) => r.SetIdentifier && r.Name === `${config.dns.recordName}.`)
        .map((r) => r.SetIdentifier!)
        .sort();
    },
    async loadBalancers(region) {
      const { LoadBalancers = [] } = await new ElasticLoadBalancingV2Client(motoClientConfig(region)).send(
        new DescribeLoadBalancersCommand({}),
      );
      return LoadBalancers.filter((lb) => lb.LoadBalancerName === loadBalancerName(config.prefix)).map(
        (lb) => lb.DNSName!,
      );
    },
    async stop() {
      restoreDate();
      process.env.AWS_ENDPOINT_URL = motoEndpoint();
      delete process.env[KUBERNETES_API_OVERRIDE_ENV];
      delete process.env[EDGE_HEALTH_URL_OVERRIDE_ENV];
      await api.stop();
      await proxy.close();
    },
  };
}
