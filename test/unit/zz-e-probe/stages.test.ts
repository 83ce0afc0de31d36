import { it } from '@jest/globals';
import { appendFileSync } from 'node:fs';

const t0 = performance.now();
const c0 = process.cpuUsage();
function mark(label: string) {
  const c = process.cpuUsage(c0);
  appendFileSync('/tmp/e-probe.log', `${label}: wall ${((performance.now() - t0) / 1000).toFixed(2)} s, cpu ${((c.user + c.system) / 1e6).toFixed(2)} s\n`);
}

it('stages', async () => {
  mark('start');
  await import('aws-cdk-lib');
  mark('aws-cdk-lib');
  await import('aws-cdk-lib/assertions');
  mark('assertions');
  const { buildTestApp } = await import('../../support/app-factory');
  mark('app-factory import');
  const built = buildTestApp();
  mark('buildTestApp 1');
  const { Template } = await import('aws-cdk-lib/assertions');
  Template.fromStack(built.control);
  mark('Template.fromStack control');
  for (const f of built.foundations) Template.fromStack(f);
  mark('Template.fromStack foundations');
  const again = buildTestApp();
  mark('buildTestApp 2');
  Template.fromStack(again.control);
  mark('fromStack control 2');
  again.app.synth();
  mark('app.synth 2 (after fromStack)');
  const third = buildTestApp();
  third.app.synth();
  mark('buildTestApp 3 + app.synth');
  const { AwsSolutionsChecks } = await import('cdk-nag');
  mark('cdk-nag import');
  new AwsSolutionsChecks().validateScope(third.app);
  mark('cdk-nag validateScope');
}, 600_000);
