/**
 * The sandbox's live timeline: one plain-text line per event, prefixed with the simulated time,
 * readable in a terminal and in a CI log alike. Every event is kept (the summary, the report and
 * the tests read them); a rejection that repeats for the same rule is printed once until its
 * region next changes, as the reconciler asks again every few minutes.
 */
import { describeLeadTime, type ScaleUpLeadTime } from './lead-times';

export type Direction = 'up' | 'down';
/** What a workflow execution does: a scaling direction, or a maintenance of serving regions. */
export type WorkflowKind = Direction | 'rollout' | 'upgrade';

export type TimelineEvent =
  | { kind: 'alarm'; at: number; region: string; alarmName: string; from: string; to: string }
  | {
      kind: 'decision';
      at: number;
      region: string;
      source: 'alarm' | 'reconciler';
      direction?: Direction;
      outcome: 'started' | 'duplicate' | 'rejected' | 'dropped';
      rule?: string;
      detail: string;
      executionName?: string;
    }
  | { kind: 'reconciler'; at: number; region: string; action: string; detail: string }
  | {
      kind: 'workflow';
      at: number;
      region: string;
      direction: WorkflowKind;
      states: string[];
      waitSeconds?: number;
      /** The same steps and wait came this many more times in a row (a poll that waits again). */
      repeats?: number;
    }
  | { kind: 'dns'; at: number; region: string; change: 'added' | 'removed' | 'changed'; target: string }
  | {
      kind: 'execution';
      at: number;
      region: string;
      direction: WorkflowKind;
      executionName: string;
      status: 'SUCCEEDED' | 'FAILED';
      detail: string;
    }
  | { kind: 'demand'; at: number; region: string; detail: string }
  /** A scale-up that succeeded: how long it took to serve, and how much of it AWS took (lead-times.ts). */
  | { kind: 'lead-time'; at: number; region: string; leadTime: ScaleUpLeadTime }
  /** A `cdk deploy` of a changed configuration (the sandbox's --rollout-at). */
  | { kind: 'deploy'; at: number; region: string; detail: string }
  | { kind: 'failure'; at: number; region: string; detail: string };

export type Writer = (line: string) => void;

const KIND_WIDTH = 10;
const REGION_WIDTH = 15;

/** `2026-11-20 05:24` (UTC). */
export function formatSimulatedTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

export function describeEvent(event: TimelineEvent): string {
  switch (event.kind) {
    case 'alarm':
      return `${event.alarmName}: ${event.from} -> ${event.to}`;
    case 'decision': {
      const what = event.direction ? `scale-${event.direction}` : 'request';
      const by = event.source === 'alarm' ? 'the alarm' : 'the reconciler';
      return event.outcome === 'started'
        ? `${what} started by ${by}${event.executionName ? ` (${event.executionName})` : ''}: ${event.detail}`
        : `${what} ${event.outcome} (${by}): ${event.detail}`;
    }
    case 'reconciler':
      return `reconciler ${event.action}: ${event.detail}`;
    case 'workflow': {
      const wait = event.waitSeconds !== undefined ? `, then waits ${event.waitSeconds} s` : '';
      const again = event.repeats ? `, ${event.repeats} more time${event.repeats > 1 ? 's' : ''}` : '';
      return `${event.direction}: ${event.states.join(' > ')}${wait}${again}`;
    }
    case 'dns':
      return `${{ added: '+', removed: '-', changed: '~' }[event.change]} latency record ${event.region} -> ${event.target}`;
    case 'execution':
      return `${event.executionName} ${event.status}${event.detail ? `: ${event.detail}` : ''}`;
    case 'lead-time':
      return describeLeadTime(event.leadTime);
    case 'demand':
    case 'deploy':
    case 'failure':
      return event.detail;
  }
}

export function formatEvent(event: TimelineEvent): string {
  // A kind as wide as its column ("reconciler") still gets a space before the region.
  return `${formatSimulatedTime(event.at)}  ${event.kind.padEnd(KIND_WIDTH - 1)} ${event.region.padEnd(REGION_WIDTH)} ${describeEvent(event)}`;
}

export class Timeline {
  readonly events: TimelineEvent[] = [];
  /** Per region, the rule of the last rejection printed since the region last changed. */
  private lastRejection = new Map<string, string>();

  constructor(private readonly write: Writer) {}

  record(event: TimelineEvent): void {
    this.events.push(event);
    if (event.kind === 'decision' && event.outcome !== 'started') {
      const key = `${event.direction ?? ''}|${event.rule ?? event.outcome}`;
      if (this.lastRejection.get(event.region) === key) return;
      this.lastRejection.set(event.region, key);
    } else if (event.kind === 'decision' || event.kind === 'execution') {
      this.lastRejection.delete(event.region);
    }
    this.write(formatEvent(event));
  }

  /** A line that is not an event (headings, notes). */
  note(line: string): void {
    this.write(line);
  }
}
