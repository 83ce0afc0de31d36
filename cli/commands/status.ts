/**
 * `regionctl status [--json]`: per approved region, its list, state and since when, DNS record,
 * demand against thresholds, alarm states, pause/hold, running execution and last decision, its
 * Kubernetes version with a warning near or past the end of EKS standard support, and its edge
 * configuration against the desired one with its last rollout.
 */
import { clusterVersionsByRegion } from '../../functions/adapters/eks-version-updates';
import { readDeploymentTargets } from '../../functions/adapters/deployment-targets';
import { listRunningMaintenance } from '../../functions/adapters/maintenance-executions';
import { loadFleetView } from '../../functions/adapters/region-snapshots';
import { StateStore, type DecisionRecord } from '../../functions/adapters/state-store';
import { approvedRegions } from '../../functions/domain/config';
import { latestDemand, regionsWithDnsRecord, scalingAlarmStates, stateMachinesOf } from '../aws-reads';
import { reportingFailures, type CommandEnv } from '../command-env';
import { discoverDeployment } from '../discovery';
import { EXIT, type ExitCode } from '../exit-codes';
import { buildStatusReport, renderStatusReport } from '../status-report';

export function showStatus(env: CommandEnv, options: { json?: boolean } = {}): Promise<ExitCode> {
  return reportingFailures(env.out, async () => {
    const deployment = await discoverDeployment(env.clients, env.target);
    const { config } = deployment;
    const now = env.now();
    const store = new StateStore(env.clients.dynamo, deployment.stateTableName);
    const regions = approvedRegions(config);
    const unavailable: string[] = [];
    // The state table and the workflows are the core of the report; DNS, demand and alarms are
    // extras that an operator's role may not be allowed to read: show the rest without them.
    const optional = <T>(what: string, read: Promise<T>): Promise<T | undefined> =>
      read.catch((error: Error) => {
        unavailable.push(`${what}: ${error.name}: ${error.message.split('\n')[0]}`);
        return undefined;
      });
    const [fleet, decisions, dnsRecords, demand, alarms, clusterVersions, deploymentTargets, rollouts] =
      await Promise.all([
        loadFleetView(store, env.clients.sfn, config, stateMachinesOf(deployment), now),
        Promise.all(regions.map((region) => store.listDecisions(region, 1))),
        optional(
          `DNS records (Route53 zone ${config.dns.hostedZoneId})`,
          regionsWithDnsRecord(env.clients.route53, config),
        ),
        optional('demand (CloudWatch GetMetricData)', latestDemand(env.clients.cloudWatch, config, now)),
        optional('alarm states (CloudWatch DescribeAlarms)', scalingAlarmStates(env.clients.cloudWatch, config)),
        optional(
          'Kubernetes versions (EKS DescribeCluster in each region)',
          clusterVersionsByRegion(env.clients.eks, config.prefix, regions),
        ),
        readDeploymentTargets(env.clients.dynamo, deployment.stateTableName),
        listRunningMaintenance(env.clients.sfn, { edgeRollout: deployment.edgeRolloutStateMachineArn }),
      ]);
    const lastDecisions = new Map<string, DecisionRecord>();
    decisions.forEach(([latest], i) => latest && lastDecisions.set(regions[i]!, latest));
    const report = buildStatusReport({
      deployment,
      snapshots: fleet.snapshots,
      runningExecutions: fleet.running.map((e) => e.name),
      lastDecisions,
      dnsRecords,
      demand,
      alarms,
      clusterVersions,
      deploymentTargets,
      runningRollouts: rollouts.map((e) => e.name),
      unavailable,
      now,
    });
    if (options.json) env.out.line(JSON.stringify(report, null, 2));
    else renderStatusReport(report).forEach((line) => env.out.line(line));
    return EXIT.ok;
  });
}
