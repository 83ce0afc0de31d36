import { describe, expect, it } from '@jest/globals';
import { clusterPrice, EKS_CONTROL_PLANE_USD_PER_HOUR, INSTANCE_USD_PER_HOUR } from '../../../functions/domain/pricing';
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
