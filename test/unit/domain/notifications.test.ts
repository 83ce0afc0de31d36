import { describe, expect, it } from '@jest/globals';
import { scalingFailed, scalingFinished, scalingRefused } from '../../../functions/domain/notifications';

const request = { reason: 'demand above 500 users', requestedBy: 'alarm' };

describe('notification text', () => {
  it('says a scaled-up region serves, where its record points and why', () => {
    const n = scalingFinished('edgescale', 'ap-southeast-1', 'up', request, { dnsName: 'abc.elb.amazonaws.com' });
    expect(n.subject).toBe('[edgescale] ap-southeast-1 is serving');
    expect(n.message).toBe(
      '[edgescale] Scale-up of ap-southeast-1 finished: the region is ACTIVE and in DNS (latency record -> abc.elb.amazonaws.com). Requested by alarm: demand above 500 users.',
    );
  });

  it('says a scaled-down region is down', () => {
    const n = scalingFinished('edgescale', 'sa-east-1', 'down', { reason: 'quiet night', requestedBy: 'reconciler' });
    expect(n.subject).toBe('[edgescale] sa-east-1 is down');
    expect(n.message).toContain('record withdrawn, edge cluster deleted, region INACTIVE');
    expect(n.message).toContain('Requested by reconciler: quiet night.');
  });

  it('says a region warmed up or scaled down to WARM is warm, and what it keeps', () => {
    const up = scalingFinished('edgescale', 'sa-east-1', 'up', request, undefined, 'WARM');
    expect(up.subject).toBe('[edgescale] sa-east-1 is warm');
    expect(up.message).toContain(
      'Warm-up of sa-east-1 finished: cluster, load balancer and nodegroup (at zero nodes) ready, no record; region WARM.',
    );
    const down = scalingFinished('edgescale', 'sa-east-1', 'down', request, undefined, 'WARM');
    expect(down.subject).toBe('[edgescale] sa-east-1 is warm');
    expect(down.message).toContain(
      'record withdrawn, pods and nodes stopped, cluster and load balancer kept; region WARM',
    );
  });

  it('names the failed direction, the region and the cause, on one line', () => {
    const n = scalingFailed('edgescale', 'ap-south-1', 'up', 'ResourceFailedError: cluster CREATE_FAILED', request);
    expect(n.subject).toBe('[edgescale] Scale-up of ap-south-1 FAILED');
    expect(n.message).toContain('rolled back');
    expect(n.message).toContain('ResourceFailedError: cluster CREATE_FAILED');
    expect(n.message).not.toContain('\n');
  });

  it('says a refusal changed nothing, and copes with a request that had no region', () => {
    const n = scalingRefused('edgescale', 'us-east-1', 'down', 'RefusedError: always-on', {});
    expect(n.message).toBe(
      '[edgescale] Scale-down of us-east-1 refused, nothing was changed: RefusedError: always-on.',
    );
    expect(scalingRefused('edgescale', undefined, 'up', 'InvalidRequestError: x', {}).subject).toBe(
      '[edgescale] Scale-up of an unnamed region refused',
    );
  });

  it('keeps a multi-line reason and cause on one line', () => {
    const n = scalingFailed('edgescale', 'sa-east-1', 'down', 'TransientError: throttled\n  retry later', {
      reason: 'quiet\r\nnight',
      requestedBy: 'operator',
    });
    expect(n.message).toBe(
      '[edgescale] Scale-down of sa-east-1 FAILED, region marked FAILED (the region may be partly torn down): TransientError: throttled retry later. Requested by operator: quiet night.',
    );
  });

  it('replaces what SNS refuses in a subject (a request may name any region)', () => {
    const n = scalingRefused('edgescale', 'région\ninconnue', 'up', 'InvalidRequestError: not approved', {});
    expect(n.subject).toBe('[edgescale] Scale-up of r?gion inconnue refused');
    expect(n.message).toContain('Scale-up of région inconnue refused');
  });

  it('keeps subjects ASCII and under the 100 characters SNS accepts', () => {
    const n = scalingRefused('edgescale', 'x'.repeat(150), 'up', 'cause', {});
    expect(n.subject.length).toBeLessThan(100);
    expect(n.subject).toMatch(/^[\x20-\x7e]+$/);
    expect(n.subject.endsWith('...')).toBe(true);
  });
});
