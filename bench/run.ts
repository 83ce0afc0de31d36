/**
 * `npm run bench`: the project's speed and cost figures. Prints a readable table and, as its
 * last line, one JSON object with every figure (targets in brackets in the table).
 */
import { measureAttribution } from './attribution-bench';
import { measureBundles } from './bundle-bench';
import { measureCollect } from './collect-bench';
import { measureCounter } from './counter-bench';
import { measureDecisionP50Ms } from './decision-bench';
import { measureDiurnal, measureSimulate } from './simulate-bench';
import { measureSandboxLeadTimes } from './sandbox-bench';
import { measureWorkflows } from './workflow-bench';

interface Row {
  figure: string;
  value: number;
  target?: string;
}

const rows: Row[] = [];
const figures: Record<string, number> = {};
const record = (figure: string, value: number, target?: string) => {
  rows.push({ figure, value, target });
  figures[figure] = value;
};

const workflows = await measureWorkflows();
record('transitionsPerScaleUp', workflows.transitionsPerScaleUp, '<= 40');
record('transitionsPerScaleDown', workflows.transitionsPerScaleDown);
record('lambdaInvocationsPerScaleUp', workflows.lambdaInvocationsPerScaleUp);
record('lambdaInvocationsPerScaleDown', workflows.lambdaInvocationsPerScaleDown);
record('scaleUpSimulatedMinutes', workflows.scaleUpSimulatedMinutes);
record('transitionsPerWarmScaleUp', workflows.transitionsPerWarmScaleUp, '<= 20');

const bundles = await measureBundles();
for (const b of bundles) {
  rows.push({ figure: `  ${b.name}: bytes`, value: b.bytes });
  rows.push({ figure: `  ${b.name}: cold load ms`, value: b.coldLoadMs });
}
record('maxBundleBytes', Math.max(...bundles.map((b) => b.bytes)), '<= 1000000');
record('maxColdLoadMs', Math.max(...bundles.map((b) => b.coldLoadMs)), '<= 150');

record('decisionP50Ms', Math.round((await measureDecisionP50Ms()) * 1000) / 1000, '<= 20');

const simulation = await measureSimulate();
record('simulateSeconds', simulation.simulateSeconds, '<= 2 (864,000 rows)');
record('parseSeconds', simulation.parseSeconds);
record('simulateVsParse', simulation.simulateVsParse, '<= 3');
const diurnal = measureDiurnal();
record('diurnalFarVsOracle', diurnal.diurnalFarVsOracle!, '<= 1.05 (7-day diurnal trace, example cdk.json)');
record('diurnalCostVsOracle', diurnal.diurnalCostVsOracle!, '<= 1.10');
record('diurnalFarVsOracleWithoutFeatures', diurnal.diurnalFarVsOracleWithoutFeatures!, '(no pre-warm, no swaps)');
record('diurnalCostVsOracleWithoutFeatures', diurnal.diurnalCostVsOracleWithoutFeatures!);
record('diurnalFarVsOracleWarmNone', diurnal.diurnalFarVsOracleWarmNone!, '(warm setting: none)');
record('diurnalCostVsOracleWarmNone', diurnal.diurnalCostVsOracleWarmNone!);
record('diurnalFarVsOracleWarmApSouth1', diurnal.diurnalFarVsOracleWarmApSouth1!, '(warm: ap-south-1, keep 1 h)');
record('diurnalCostVsOracleWarmApSouth1', diurnal.diurnalCostVsOracleWarmApSouth1!);

record('attributionPrefixesPerSecond', (await measureAttribution()).attributionPrefixesPerSecond, '>= 1000000');
record('collectSeconds', (await measureCollect()).collectSeconds, '< 5 (20 regions x 50,000 prefixes)');
record(
  'counterBytesAt100kClients',
  (await measureCounter()).counterBytesAt100kClients,
  '<= 16 MiB (x2 at the 200,000 cap, + Node, < the 96Mi request)',
);

const sandbox = await measureSandboxLeadTimes();
record('coldScaleUpSimulatedMinutes', sandbox.coldScaleUpSimulatedMinutes, '15-20 (realistic sandbox timings)');
if (sandbox.warmScaleUpSimulatedMinutes !== undefined)
  record('warmScaleUpSimulatedMinutes', sandbox.warmScaleUpSimulatedMinutes, '<= 4');
else console.error(`warmScaleUpSimulatedMinutes: not measured (${sandbox.warmUnavailable})`);
record('controlPlaneOverheadSeconds', sandbox.controlPlaneOverheadSeconds, '<= 30 (cold scale-up)');

const width = Math.max(...rows.map((r) => r.figure.length));
console.log(`${'figure'.padEnd(width)}  ${'value'.padStart(12)}  target`);
for (const r of rows) console.log(`${r.figure.padEnd(width)}  ${String(r.value).padStart(12)}  ${r.target ?? ''}`);
console.log(JSON.stringify(figures));
