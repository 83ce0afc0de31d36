import { describe, expect, it } from '@jest/globals';
import {
  clusterPrice,
  EKS_CONTROL_PLANE_USD_PER_HOUR,
  EKS_EXTENDED_SUPPORT_USD_PER_HOUR,
  INSTANCE_USD_PER_HOUR,
  NLB_USD_PER_HOUR,
  warmPrice,
} from '../../../functions/domain/pricing';
import { exampleConfig } from '../../support/config-fixtures';

describe('clusterPrice', () => {
  it('is the control plane plus nodes.desired nodes of the first instance type', () => {
    const config = exampleConfig((raw) => {
      raw.cluster.instanceTypes = ['m6i.large', 't3.medium'];
      raw.cluster.nodes = { min: 2, desired: 3, max: 4 };
    });
    const price = clusterPrice(config);
    expect(price.usdPerHour).toBeCloseTo(EKS_CONTROL_PLANE_USD_PER_HOUR + 3 * INSTANCE_USD_PER_HOUR['m6i.large']!, 10);
    expect(price.breakdown).toContain('3 x m6i.large');
  });

  it('takes a node price for a type the table lacks, and otherwise names the field and the fix', () => {
    const config = exampleConfig((raw) => {
      raw.cluster.instanceTypes = ['x2iedn.32xlarge'];
    });
    expect(() => clusterPrice(config)).toThrow(
      /No price for instance type x2iedn.32xlarge \(autoscaler.cluster.instanceTypes\[0\]\); fix: /,
    );
    expect(clusterPrice(config, 1).usdPerHour).toBeCloseTo(EKS_CONTROL_PLANE_USD_PER_HOUR + 2, 10);
  });
});

describe('clusterPrice and the Kubernetes version', () => {
  const TODAY = new Date('2026-12-01T12:00:00Z');
  const withVersion = (version: string) =>
    exampleConfig((raw) => {
      raw.cluster.kubernetesVersion = version;
      raw.cluster.instanceTypes = ['t3.medium'];
      raw.cluster.nodes = { min: 2, desired: 2, max: 4 };
    });
  const nodes = 2 * INSTANCE_USD_PER_HOUR['t3.medium']!;

  it('costs $0.10/h for the control plane of a version in standard support', () => {
    const price = clusterPrice(withVersion('1.35'), undefined, TODAY);
    expect(price.usdPerHour).toBeCloseTo(0.1 + nodes, 10);
    expect(price.breakdown).toMatch(/^EKS control plane \$0\.10\/h \+ 2 x t3\.medium/);
    expect(price.breakdown).not.toContain('extended');
  });

  it('costs $0.60/h, and says "extended support", once the version has left standard support', () => {
    const price = clusterPrice(withVersion('1.33'), undefined, TODAY);
    expect(EKS_EXTENDED_SUPPORT_USD_PER_HOUR).toBe(0.6);
    expect(price.usdPerHour).toBeCloseTo(0.6 + nodes, 10);
    expect(price.breakdown).toMatch(
      /^EKS control plane \$0\.60\/h \(Kubernetes 1\.33 in extended support\) \+ 2 x t3\.medium/,
    );
  });

  it('changes on the day standard support ends (1.34: 2 December 2026, 00:00 UTC)', () => {
    const config = withVersion('1.34');
    expect(clusterPrice(config, undefined, new Date('2026-12-01T23:59:59Z')).usdPerHour).toBeCloseTo(0.1 + nodes, 10);
    expect(clusterPrice(config, undefined, new Date('2026-12-02T00:00:00Z')).usdPerHour).toBeCloseTo(0.6 + nodes, 10);
  });
});

describe('warmPrice', () => {
  const AT = new Date('2026-12-01T12:00:00Z');
  it("is the control plane, the kept load balancer and the stopped warm-pool nodes' volumes: no node running", () => {
    const price = warmPrice(exampleConfig(), undefined, AT);
    // 2 nodes x 20 GiB of gp3 at $0.08 per GiB-month, 730 hours a month.
    expect(price.usdPerHour).toBeCloseTo(EKS_CONTROL_PLANE_USD_PER_HOUR + NLB_USD_PER_HOUR + (2 * 20 * 0.08) / 730, 10);
    expect(price.usdPerHour).toBeLessThan(clusterPrice(exampleConfig(), undefined, AT).usdPerHour);
    expect(price.breakdown).toBe(
      'EKS control plane $0.10/h + NLB $0.0225/h + warm pool: 2 x 20 GiB gp3 $0.0044/h (instances stopped) (us-east-1 prices of 2025, no node running)',
    );
  });

  it('has no volume cost without the warm pool, and the extended-support control plane when the version left standard support', () => {
    const noPool = exampleConfig((raw) => {
      raw.warm = { nodeWarmPool: false };
    });
    expect(warmPrice(noPool, undefined, AT).usdPerHour).toBeCloseTo(
      EKS_CONTROL_PLANE_USD_PER_HOUR + NLB_USD_PER_HOUR,
      10,
    );
    const old = exampleConfig((raw) => {
      raw.cluster.kubernetesVersion = '1.33';
      raw.warm = { nodeWarmPool: false };
    });
    const price = warmPrice(old, undefined, AT);
    expect(price.usdPerHour).toBeCloseTo(EKS_EXTENDED_SUPPORT_USD_PER_HOUR + NLB_USD_PER_HOUR, 10);
    expect(price.breakdown).toContain('(Kubernetes 1.33 in extended support)');
  });
});
