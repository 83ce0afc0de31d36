/** A scale-up's lead time as the sandbox reports it (sandbox/lead-times.ts): its tier, its line, the summary and the report's section. */
import { describe, expect, it } from '@jest/globals';
import { TIMING_PROFILES } from '../../../sandbox/aws-timings';
import { EmulatedLeadTimes } from '../../../sandbox/emulated-lead-times';
import type { ExecutionOutcome } from '../../../sandbox/executor-bridge';
import {
  describeLeadTime,
  formatLeadTimeSummary,
  leadTimeEvent,
  leadTimesHtml,
  leadTimesOf,
  scaleUpLeadTime,
  type ScaleUpLeadTime,
} from '../../../sandbox/lead-times';
import { formatEvent } from '../../../sandbox/timeline';

const START = Date.parse('2026-11-20T10:00:00Z');

const leadTime = (tier: ScaleUpLeadTime['tier'], leadSeconds: number, awsSeconds: number): ScaleUpLeadTime => ({
  region: 'sa-east-1',
  executionName: `up-sa-east-1-${tier}-${leadSeconds}`,
  tier,
  startedAt: START,
  servingAt: START + leadSeconds * 1000,
  leadSeconds,
  awsSeconds,
  aws:
    tier === 'cold'
      ? { cluster: 660, nodegroup: 150, 'load balancer': 120, 'DNS change': awsSeconds - 930 }
      : { nodes: 60, 'DNS change': 60 },
  overheadSeconds: leadSeconds - awsSeconds,
});

const outcome = (direction: ExecutionOutcome['direction'], status: ExecutionOutcome['status']): ExecutionOutcome => ({
  executionArn: 'arn',
  executionName: 'x',
  region: 'sa-east-1',
  regions: ['sa-east-1'],
  direction,
  status,
  startedAt: START,
  finishedAt: START + 60_000,
});

describe('scaleUpLeadTime', () => {
  it('is only for a scale-up that succeeded; one that created nothing is "adopted"', () => {
    const layer = new EmulatedLeadTimes(TIMING_PROFILES.realistic);
    expect(scaleUpLeadTime(outcome('down', 'SUCCEEDED'), layer)).toBeUndefined();
    expect(scaleUpLeadTime(outcome('up', 'FAILED'), layer)).toBeUndefined();
    expect(scaleUpLeadTime(outcome('up', 'SUCCEEDED'), layer)).toMatchObject({
      tier: 'adopted',
      leadSeconds: 60,
      awsSeconds: 0,
      overheadSeconds: 60,
    });
  });
});

describe('how the sandbox shows lead times', () => {
  const cold = leadTime('cold', 1000, 990);
  const warm = leadTime('warm', 150, 120);

  it('gives each its timeline line', () => {
    expect(formatEvent(leadTimeEvent(cold))).toBe(
      '2026-11-20 10:16  lead-time sa-east-1       cold scale-up serving after 16.7 min: AWS held it 16.5 min ' +
        "(cluster 11 min, nodegroup 2.5 min, load balancer 2 min, DNS change 1 min), the control plane's own overhead 10 s",
    );
    expect(describeLeadTime(warm)).toBe(
      "warm scale-up serving after 2.5 min: AWS held it 2 min (nodes 1 min, DNS change 1 min), the control plane's own overhead 30 s",
    );
  });

  it('sums them up per tier at the end, cold first', () => {
    const events = [leadTimeEvent(warm), leadTimeEvent(cold), leadTimeEvent(leadTime('cold', 1060, 990))];
    expect(leadTimesOf(events)).toHaveLength(3);
    expect(formatLeadTimeSummary(leadTimesOf(events), 'realistic')).toEqual([
      "Scale-up lead times (workflow start to serving; AWS = the emulated cloud's realistic timings):",
      '  cold      2 x  median 17.2 min, AWS 16.5 min, control plane 40 s (at most 70 s)',
      '  warm      1 x  median 2.5 min, AWS 2 min, control plane 30 s (at most 30 s)',
    ]);
    expect(formatLeadTimeSummary([], 'fast')).toEqual([]);
  });

  it("writes the report's section: the tiers, then every scale-up", () => {
    const html = leadTimesHtml([cold, warm], 'realistic');
    expect(html).toContain('<h2>Scale-up lead times</h2>');
    expect(html).toContain(
      '<tr><th>cold</th><td>1</td><td>16.7 min</td><td>16.5 min</td><td>10 s</td><td>10 s</td></tr>',
    );
    expect(html).toContain(
      '<tr><td>10:00</td><td>sa-east-1</td><td>warm</td><td>2.5 min</td><td>2 min</td><td>nodes 1 min, DNS change 1 min</td><td>30 s</td></tr>',
    );
    expect(leadTimesHtml([], 'fast')).toBe('');
  });
});
