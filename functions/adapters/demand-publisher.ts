/**
 * Publishes demand samples (the contract in functions/domain/demand-metric.ts) with
 * PutMetricData, at most 1000 datums per call. Give it a CloudWatch client of the home region.
 */
import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { AutoscalerConfig } from '../domain/config';
import {
  defaultStorageResolution,
  demandPutMetricDataInputs,
  type DemandSample,
  type StorageResolution,
} from '../domain/demand-metric';

export interface PublishOptions {
  /** 1 (high resolution) or 60; defaults to 1 only when an alarm period is under a minute. */
  resolution?: StorageResolution;
}

/** Validates every sample first (nothing is sent if one is bad), then sends them; returns the datums sent. */
export async function publishDemand(
  cloudWatch: CloudWatchClient,
  config: AutoscalerConfig,
  samples: DemandSample[],
  options: PublishOptions = {},
): Promise<number> {
  const inputs = demandPutMetricDataInputs(config, samples, options.resolution ?? defaultStorageResolution(config));
  for (const input of inputs) await cloudWatch.send(new PutMetricDataCommand(input));
  return samples.length;
}
