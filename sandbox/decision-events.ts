/**
 * What the decision Lambda and the reconciler answered, as timeline events.
 */
import type { AlarmDecision } from '../functions/decide/decision-handler';
import type { ReconcileAction } from '../functions/reconcile/reconciler';
import type { Direction, TimelineEvent } from './timeline';

/** The decision on an alarm change; undefined when the change asks for nothing (a change to OK or INSUFFICIENT_DATA). */
export function alarmDecisionEvent(
  decision: AlarmDecision,
  direction: Direction,
  at: number,
): TimelineEvent | undefined {
  const base = { kind: 'decision' as const, at, source: 'alarm' as const, direction };
  switch (decision.outcome) {
    case 'ignored':
      return undefined;
    case 'started':
    case 'duplicate':
      return {
        ...base,
        region: decision.region,
        outcome: decision.outcome,
        executionName: decision.executionName,
        detail: decision.reason,
      };
    case 'rejected':
    case 'dropped':
      return {
        ...base,
        region: decision.region,
        outcome: decision.outcome,
        rule: decision.rule,
        detail: decision.reason,
      };
  }
}

/**
 * One reconciler action: a scaling decision, or its own repair work (locks, abandoned
 * transitions, drift). A rejection names its direction only in its words ("needs no
 * scale-down"); otherwise `askedDirection` is the one the region's alarm asks for.
 */
export function reconcileActionEvent(action: ReconcileAction, at: number, askedDirection?: Direction): TimelineEvent {
  const base = { kind: 'decision' as const, at, region: action.region, source: 'reconciler' as const };
  switch (action.action) {
    case 'scale-up-started':
      return { ...base, direction: 'up', outcome: 'started', detail: action.detail };
    case 'scale-down-started':
      return { ...base, direction: 'down', outcome: 'started', detail: action.detail };
    case 'rejected': {
      // The reconciler reports `<rule>: <reason>`.
      const cut = action.detail.indexOf(': ');
      const mentioned = /scale-(up|down)/.exec(action.detail)?.[1] as Direction | undefined;
      const direction = mentioned ?? askedDirection;
      return cut < 0
        ? { ...base, direction, outcome: 'rejected', detail: action.detail }
        : {
            ...base,
            direction,
            outcome: 'rejected',
            rule: action.detail.slice(0, cut),
            detail: action.detail.slice(cut + 2),
          };
    }
    case 'edge-rollout-started':
    case 'cluster-upgrade-started':
      // One execution for several regions: its detail names them, its steps show each.
      return { kind: 'reconciler', at, region: '-', action: action.action, detail: action.detail };
    default:
      return { kind: 'reconciler', at, region: action.region, action: action.action, detail: action.detail };
  }
}
