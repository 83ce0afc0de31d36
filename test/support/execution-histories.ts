/** Recorded GetExecutionHistory responses (test/fixtures/execution-history), as the SDK returns them. */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type RecordedHistory = 'scale-up-succeeded' | 'scale-up-failed';

export function recordedHistory(name: RecordedHistory): { executionArn: string; events: HistoryEvent[] } {
  const path = fileURLToPath(new URL(`../fixtures/execution-history/${name}.json`, import.meta.url));
  const raw = JSON.parse(readFileSync(path, 'utf8')) as {
    executionArn: string;
    events: Array<Omit<HistoryEvent, 'timestamp'> & { timestamp: string }>;
  };
  // The SDK parses timestamps into Dates.
  return {
    executionArn: raw.executionArn,
    events: raw.events.map((e) => ({ ...e, timestamp: new Date(e.timestamp) })),
  };
}
