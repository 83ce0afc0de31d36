import { describe, expect, it } from '@jest/globals';
import {
  ConfigError,
  configProblems,
  parseConfig,
  regionList,
  thresholdsFor,
  type AutoscalerConfigInput,
} from '../../../functions/domain/config';
import { exampleConfig, exampleRawConfig } from '../../support/config-fixtures';

/** Problems of the example configuration after one change. */
function problemsAfter(change: (raw: AutoscalerConfigInput & Record<string, unknown>) => void): string[] {
  const raw = exampleRawConfig() as AutoscalerConfigInput & Record<string, unknown>;
  change(raw);
  return configProblems(raw);
}

describe('configuration schema', () => {
  it('accepts the example configuration of cdk.json and fills defaults', () => {
    expect(configProblems(exampleRawConfig())).toEqual([]);
    const config = exampleConfig();
    expect(config.regions.alwaysOn).toHaveLength(2);
    expect(config.regions.elastic.length).toBeGreaterThanOrEqual(3);
    expect(config.edge.namespace).toBe('edge');
    expect(config.provisioning.scaleUpSeconds).toBe(900);
  });

  it('rejects an unknown region code, naming the field, the value and the fix', () => {
    const problems = problemsAfter((raw) => {
      raw.regions.elastic[1] = 'eu-west-01';
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^autoscaler\.regions\.elastic\.1 = "eu-west-01": is not an AWS region code; fix: use/);
  });

  it('rejects a region listed in both lists', () => {
    const problems = problemsAfter((raw) => {
      raw.regions.elastic.push('eu-west-1');
    });
    expect(problems).toEqual([
      'autoscaler.regions.elastic.4 = "eu-west-1": eu-west-1 is in both regions.alwaysOn and regions.elastic; fix: keep it in one list only',
    ]);
  });

  it('rejects a region listed twice in one list', () => {
    const problems = problemsAfter((raw) => {
      raw.regions.alwaysOn.push('us-east-1');
    });
    expect(problems).toEqual([
      'autoscaler.regions.alwaysOn.2 = "us-east-1": lists us-east-1 twice; fix: keep one entry',
    ]);
  });

  it('rejects an empty always-on list', () => {
    const problems = problemsAfter((raw) => {
      raw.regions.alwaysOn = [];
    });
    expect(problems).toEqual([
      'autoscaler.regions.alwaysOn = []: must list at least one region; fix: add the region(s) that must always serve, e.g. ["us-east-1"]',
    ]);
  });

  it('rejects a missing home region', () => {
    const problems = problemsAfter((raw) => {
      delete (raw as Partial<AutoscalerConfigInput>).homeRegion;
    });
    expect(problems).toEqual([
      'autoscaler.homeRegion = missing: is required; fix: add it (see cdk.json for an example)',
    ]);
  });

  it('rejects a scale-down threshold at or above the scale-up threshold (it would flap)', () => {
    const problems = problemsAfter((raw) => {
      raw.scaling.thresholds.scaleDown.users = 500;
    });
    expect(problems).toEqual([
      'autoscaler.scaling.thresholds.scaleDown.users = 500: must be below scaleUp.users (500), or regions would flap up and down; fix: set it lower than 500',
    ]);
  });

  it('checks the thresholds of a region override after merging them with the defaults', () => {
    const problems = problemsAfter((raw) => {
      raw.scaling.regionOverrides = { 'sa-east-1': { scaleUp: { users: 100 } } };
    });
    expect(problems).toEqual([
      'autoscaler.scaling.regionOverrides.sa-east-1.scaleDown.users = 150: must be below scaleUp.users (100), or regions would flap up and down; fix: set it lower than 100',
    ]);
  });

  it('rejects an override for a region that is not elastic', () => {
    const problems = problemsAfter((raw) => {
      raw.scaling.regionOverrides = { 'us-east-1': { periodSeconds: 60 } };
    });
    expect(problems[0]).toMatch(
      /^autoscaler\.scaling\.regionOverrides\.us-east-1 = \{"periodSeconds":60\}: overrides thresholds for us-east-1, which is not in regions.elastic/,
    );
  });

  it('rejects datapoints M greater than evaluation periods N', () => {
    const problems = problemsAfter((raw) => {
      raw.scaling.thresholds.scaleUp.datapointsToAlarm = 6;
    });
    expect(problems).toEqual([
      'autoscaler.scaling.thresholds.scaleUp.datapointsToAlarm = 6: M (6) is greater than evaluationPeriods N (5): the alarm could never fire; fix: set it to at most 5',
    ]);
  });

  it.each<['cooldownSeconds' | 'minActiveSeconds' | 'drainSeconds', number]>([
    ['cooldownSeconds', 0],
    ['minActiveSeconds', -60],
    ['drainSeconds', 0],
  ])('rejects a zero or negative duration in scaling.%s', (field, value) => {
    const problems = problemsAfter((raw) => {
      raw.scaling[field] = value;
    });
    expect(
      problems.some((p) =>
        p.startsWith(`autoscaler.scaling.${field} = ${value}: must be greater than 0 seconds; fix:`),
      ),
    ).toBe(true);
  });

  it('rejects an alarm period CloudWatch does not support', () => {
    const problems = problemsAfter((raw) => {
      raw.scaling.thresholds.periodSeconds = 45;
    });
    expect(problems).toEqual([
      'autoscaler.scaling.thresholds.periodSeconds = 45: is not a CloudWatch alarm period; fix: use 10 or 30 (high resolution) or a multiple of 60',
    ]);
  });

  it('rejects a drain time shorter than the record TTL', () => {
    const problems = problemsAfter((raw) => {
      raw.dns.ttlSeconds = 600;
    });
    expect(problems).toEqual([
      'autoscaler.scaling.drainSeconds = 300: is shorter than dns.ttlSeconds (600): resolvers would still send users to a deleted edge; fix: set it to at least 600',
    ]);
  });

  it('rejects a hosted zone id of the wrong shape', () => {
    const problems = problemsAfter((raw) => {
      raw.dns.hostedZoneId = '/hostedzone/Z0123456789ABCDEFGHIJ';
    });
    expect(problems[0]).toMatch(
      /^autoscaler\.dns\.hostedZoneId = "\/hostedzone\/Z0123456789ABCDEFGHIJ": is not a Route53 hosted zone id; fix:/,
    );
  });

  it('rejects a record name of the wrong shape', () => {
    const problems = problemsAfter((raw) => {
      raw.dns.recordName = 'https://edge.cdn.example.com';
    });
    expect(problems[0]).toMatch(
      /^autoscaler\.dns\.recordName = "https:\/\/edge.cdn.example.com": is not a DNS name; fix:/,
    );
  });

  it('rejects node counts out of order', () => {
    const problems = problemsAfter((raw) => {
      raw.cluster.nodes = { min: 3, desired: 2, max: 4 };
    });
    expect(problems[0]).toMatch(/^autoscaler\.cluster\.nodes = .*must satisfy min <= desired <= max \(got 3\/2\/4\)/);
  });

  it('rejects unknown keys so that typos do not pass silently', () => {
    const problems = problemsAfter((raw) => {
      (raw.scaling as Record<string, unknown>).coolDownSeconds = 60;
    });
    expect(problems[0]).toMatch(/^autoscaler\.scaling = .*coolDownSeconds.*fix: remove it or correct its spelling/);
  });

  it('throws a ConfigError that lists every problem and names its source', () => {
    const raw = exampleRawConfig();
    raw.regions.alwaysOn = [];
    raw.scaling.cooldownSeconds = -1;
    expect(() => parseConfig(raw, 'my.json')).toThrow(ConfigError);
    try {
      parseConfig(raw, 'my.json');
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(2);
      expect((error as Error).message).toMatch(/^Invalid autoscaler configuration \(my\.json\):\n {2}- autoscaler\./);
    }
  });
});

describe('derived per-region values', () => {
  const config = exampleConfig();

  it('tells which list a region belongs to, and undefined for unapproved regions', () => {
    expect(regionList(config, 'us-east-1')).toBe('always-on');
    expect(regionList(config, 'sa-east-1')).toBe('elastic');
    expect(regionList(config, 'eu-north-1')).toBeUndefined();
  });

  it('applies a region override over the default thresholds', () => {
    expect(thresholdsFor(config, 'sa-east-1').scaleUp).toEqual({
      users: 300,
      datapointsToAlarm: 3,
      evaluationPeriods: 5,
    });
    expect(thresholdsFor(config, 'sa-east-1').scaleDown.users).toBe(80);
    expect(thresholdsFor(config, 'ap-south-1').scaleUp.users).toBe(500);
  });
});
