import { describe, expect, it } from '@jest/globals';
import {
  defaultStorageResolution,
  demandEmfDocument,
  demandPutMetricDataInputs,
  demandSampleProblems,
  DemandSampleError,
} from '../../../functions/domain/demand-metric';
import { exampleConfig } from '../../support/config-fixtures';

// Only a deployment whose demand source is external takes samples from a publisher of its own.
const config = exampleConfig((raw) => void (raw.demand = { source: 'external' }));
const at = new Date('2026-11-21T10:00:00Z');

describe('demand metric contract', () => {
  it('builds PutMetricData input: EdgeAutoscaler/ActiveUsers, Region dimension, Count, standard resolution', () => {
    expect(demandPutMetricDataInputs(config, [{ region: 'ap-southeast-1', users: 742, timestamp: at }])).toEqual([
      {
        Namespace: 'EdgeAutoscaler',
        MetricData: [
          {
            MetricName: 'ActiveUsers',
            Dimensions: [{ Name: 'Region', Value: 'ap-southeast-1' }],
            Timestamp: at,
            Value: 742,
            Unit: 'Count',
            StorageResolution: 60,
          },
        ],
      },
    ]);
  });

  it('splits large batches into calls of at most 1000 datums', () => {
    const samples = Array.from({ length: 2500 }, (_, i) => ({ region: 'us-east-1', users: i, timestamp: at }));
    expect(demandPutMetricDataInputs(config, samples, 1).map((input) => input.MetricData.length)).toEqual([
      1000, 1000, 500,
    ]);
  });

  it('builds an embedded metric format document that CloudWatch Logs turns into the same metric', () => {
    expect(demandEmfDocument(config, { region: 'sa-east-1', users: 0, timestamp: at }, 1)).toEqual({
      _aws: {
        Timestamp: at.getTime(),
        CloudWatchMetrics: [
          {
            Namespace: 'EdgeAutoscaler',
            Dimensions: [['Region']],
            Metrics: [{ Name: 'ActiveUsers', Unit: 'Count', StorageResolution: 1 }],
          },
        ],
      },
      Region: 'sa-east-1',
      ActiveUsers: 0,
    });
  });

  it('publishes high resolution by default only when an alarm period is under a minute', () => {
    expect(defaultStorageResolution(config)).toBe(60);
    const fast = exampleConfig((raw) => {
      raw.demand = { source: 'external' };
      raw.scaling!.regionOverrides = { 'ap-south-1': { periodSeconds: 10 } };
    });
    expect(defaultStorageResolution(fast)).toBe(1);
  });

  it('rejects a region outside the lists and negative, infinite or non-numeric users, naming the fix', () => {
    expect(demandSampleProblems(config, { region: 'eu-central-1', users: -1, timestamp: at })).toEqual([
      expect.stringMatching(
        /^region = "eu-central-1": is not an approved region; fix: use one of us-east-1, eu-west-1/,
      ),
      'users = -1: must be a finite number of users, 0 or more; fix: e.g. 420',
    ]);
    for (const users of [Number.POSITIVE_INFINITY, Number.NaN]) {
      expect(() => demandPutMetricDataInputs(config, [{ region: 'us-east-1', users, timestamp: at }])).toThrow(
        DemandSampleError,
      );
    }
    expect(demandSampleProblems(config, { region: 'us-east-1', users: 3, timestamp: new Date('nope') })).toEqual([
      expect.stringContaining('timestamp: is not a valid time'),
    ]);
  });
});

describe('one publisher per period', () => {
  it('refuses samples when the edges count the demand (demand.source edge-counters, the default)', () => {
    const counted = exampleConfig();
    const sample = { region: 'sa-east-1', users: 10, timestamp: new Date('2026-12-01T10:00:00Z') };
    expect(() => demandPutMetricDataInputs(counted, [sample])).toThrow(
      /demand\.source is "edge-counters": the collector publishes ActiveUsers.*fix: set demand\.source to "external"/,
    );
    expect(() => demandEmfDocument(counted, sample)).toThrow(/edge-counters/);
  });
});
