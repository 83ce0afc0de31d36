import { describe, expect, it } from '@jest/globals';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildTestApp } from '../../support/app-factory';

describe('cdk-nag AwsSolutions checks', () => {
  it('finds no unsuppressed violation anywhere in the app', () => {
    const { app } = buildTestApp();
    const report = new AwsSolutionsChecks().validateScope(app);
    const violations = report.violations.map(
      (v) =>
        `${v.ruleName}: ${v.description.split('\n')[0]} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(violations).toEqual([]);
  });
});
