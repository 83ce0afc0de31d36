/**
 * Prints what `cdk deploy --all` would create for the configuration in cdk.json (or --config PATH):
 * the stacks, the regions in each list and the thresholds each elastic region scales on.
 */
import { readFileSync } from 'node:fs';
import { approvedRegions, parseConfig, thresholdsFor, type AutoscalerConfig } from '../functions/domain/config';
import { controlStackName, regionStackName } from '../functions/domain/naming';
import { readConfigFile } from '../infra/config-source';

function loadFromArgs(argv: string[]): AutoscalerConfig {
  const i = argv.indexOf('--config');
  if (i >= 0 && argv[i + 1]) return readConfigFile(argv[i + 1]!);
  return parseConfig(JSON.parse(readFileSync('cdk.json', 'utf8')).context.autoscaler, 'cdk.json context "autoscaler"');
}

export function describeDeployment(config: AutoscalerConfig): string {
  const lines = [
    `Control plane: ${controlStackName(config.prefix)} in ${config.homeRegion}`,
    `Record: ${config.dns.recordName} (zone ${config.dns.hostedZoneId}, TTL ${config.dns.ttlSeconds}s, latency routing)`,
    `Foundation stacks (${approvedRegions(config).length}):`,
  ];
  for (const region of config.regions.alwaysOn) lines.push(`  ${regionStackName(config.prefix, region)}  always-on`);
  for (const region of config.regions.elastic) {
    const t = thresholdsFor(config, region);
    lines.push(
      `  ${regionStackName(config.prefix, region)}  elastic: up above ${t.scaleUp.users} users (${t.scaleUp.datapointsToAlarm} of ${t.scaleUp.evaluationPeriods} x ${t.periodSeconds}s), down below ${t.scaleDown.users} (${t.scaleDown.datapointsToAlarm} of ${t.scaleDown.evaluationPeriods})`,
    );
  }
  const s = config.scaling;
  lines.push(
    `Guardrails: at most ${s.maxElasticActive} elastic regions at once, cooldown ${s.cooldownSeconds}s, minimum active ${s.minActiveSeconds}s, drain ${s.drainSeconds}s`,
  );
  return lines.join('\n');
}

try {
  console.log(describeDeployment(loadFromArgs(process.argv.slice(2))));
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
