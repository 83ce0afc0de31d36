/**
 * What the Lambdas' Powertools Metrics would send to CloudWatch: the embedded metric format (EMF)
 * documents it prints to stdout, read back as one entry per metric with its dimensions.
 * The handlers must be imported with POWERTOOLS_METRICS_DISABLED=false (see `enableMetrics`).
 */
import { jest } from '@jest/globals';

export interface EmittedMetric {
  namespace: string;
  name: string;
  unit: string;
  value: number;
  dimensions: Record<string, string>;
}

interface EmfDocument {
  _aws: {
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

/** Call before importing a handler: Powertools reads the variable when its Metrics is created. */
export function enableMetrics(): void {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  delete process.env.POWERTOOLS_DEV;
}

/**
 * Runs `action` with stdout and stderr captured; returns the metrics it emitted and the other
 * lines it wrote (e.g. Powertools warnings).
 */
export async function captureMetrics(
  action: () => Promise<unknown>,
): Promise<{ metrics: EmittedMetric[]; otherOutput: string[] }> {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    await action();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  const metrics: EmittedMetric[] = [];
  const otherOutput: string[] = [];
  for (const line of lines) {
    const document = parseEmf(line);
    if (document) metrics.push(...metricsOf(document));
    else otherOutput.push(line);
  }
  return { metrics, otherOutput };
}

function parseEmf(line: string): EmfDocument | undefined {
  try {
    const parsed = JSON.parse(line) as Partial<EmfDocument>;
    return parsed._aws?.CloudWatchMetrics ? (parsed as EmfDocument) : undefined;
  } catch {
    return undefined;
  }
}

function metricsOf(document: EmfDocument): EmittedMetric[] {
  return document._aws.CloudWatchMetrics.flatMap((directive) =>
    directive.Metrics.map((metric) => ({
      namespace: directive.Namespace,
      name: metric.Name,
      unit: metric.Unit,
      value: document[metric.Name] as number,
      dimensions: Object.fromEntries((directive.Dimensions[0] ?? []).map((key) => [key, String(document[key])])),
    })),
  );
}
