/**
 * Static properties of both definition files that the deployed workflows depend on and that no
 * single run shows: a global timeout above the longest path, every EKS status routed explicitly
 * (a failed resource never polled, a creating one never failed), no Wait that can last 0 s, a
 * deadline on every polling loop, and each failure caught where it must end.
 */
import { describe, expect, it } from '@jest/globals';
import { ClusterStatus, NodegroupStatus } from '@aws-sdk/client-eks';
import { ChangeStatus } from '@aws-sdk/client-route-53';
import { AWS_REGIONS } from '../../../functions/domain/aws-regions';
import { configProblems } from '../../../functions/domain/config';
import { ERROR_NAMES } from '../../../functions/domain/errors';
import {
  LONGEST_PATH_SECONDS,
  MAX_CANARY_BAKE_SECONDS,
  PHASE_DEADLINE_SECONDS,
} from '../../../functions/domain/phase-deadlines';
import { TRANSITION_PATHS, type TransitionPath } from '../../../functions/domain/warm-standby';
import { exampleRawConfig } from '../../support/config-fixtures';
import { readDefinitionText, type ScalingWorkflowName as WorkflowName } from '../../../workflows/definitions';

interface Rule {
  Variable?: string;
  StringEquals?: string;
  BooleanEquals?: boolean;
  IsPresent?: boolean;
  And?: Rule[];
  Or?: Rule[];
  Not?: Rule;
  Next?: string;
}

interface Catcher {
  ErrorEquals: string[];
  ResultPath?: string | null;
  Next: string;
}

interface State {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: Rule[];
  Parameters?: Record<string, unknown>;
  ResultPath?: string | null;
  SecondsPath?: string;
  Seconds?: number;
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number; IntervalSeconds?: number }[];
  Catch?: Catcher[];
}

interface Definition {
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, State>;
}

const definitionOf = (workflow: WorkflowName) => JSON.parse(readDefinitionText(workflow)) as Definition;

/** The example configuration with edge.rollout set (raw, for configProblems). */
function withRollout(rollout: Record<string, unknown>): unknown {
  const raw = exampleRawConfig();
  raw.edge.rollout = rollout;
  return raw;
}

// ---------- a tiny Choice evaluator: the operators the definitions use ----------

const MISSING = Symbol('missing');

function valueAt(input: unknown, path: string): unknown {
  let value: unknown = input;
  for (const key of path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)) {
    if (!value || typeof value !== 'object' || !(key in value)) return MISSING;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function matches(rule: Rule, input: unknown): boolean {
  if (rule.And) return rule.And.every((r) => matches(r, input));
  if (rule.Or) return rule.Or.some((r) => matches(r, input));
  if (rule.Not) return !matches(rule.Not, input);
  const value = valueAt(input, rule.Variable ?? '');
  if (rule.IsPresent !== undefined) return (value !== MISSING) === rule.IsPresent;
  if (rule.StringEquals !== undefined) return value === rule.StringEquals;
  if (rule.BooleanEquals !== undefined) return value === rule.BooleanEquals;
  throw new Error(`The test's Choice evaluator does not know the rule ${JSON.stringify(rule)}: teach it`);
}

/** The state a Choice goes to for `input`, and whether only its Default took it there. */
function choose(state: State, input: unknown): { next: string; byDefault: boolean } {
  const rule = state.Choices?.find((r) => matches(r, input));
  return rule?.Next ? { next: rule.Next, byDefault: false } : { next: state.Default ?? '', byDefault: true };
}

function variablesOf(rules: Rule[]): string[] {
  return rules.flatMap((r) => [
    ...(r.Variable ? [r.Variable] : []),
    ...variablesOf([...(r.And ?? []), ...(r.Or ?? []), ...(r.Not ? [r.Not] : [])]),
  ]);
}

/** Next, Choices and Default: where a state goes when nothing fails. */
function normalSuccessors(state: State): string[] {
  return [state.Next, ...(state.Choices ?? []).map((r) => r.Next), state.Default].filter((n): n is string => !!n);
}

/** States reachable from `from` without failures, never entering (nor passing) `stopAt`. */
function reachable(definition: Definition, from: string[], stopAt: Set<string>): Set<string> {
  const seen = new Set<string>();
  const queue = from.filter((n) => !stopAt.has(n));
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const next of normalSuccessors(definition.States[name]!)) if (!stopAt.has(next)) queue.push(next);
  }
  return seen;
}

const onCycle = (definition: Definition, name: string) =>
  reachable(definition, normalSuccessors(definition.States[name]!), new Set()).has(name);

/** The Task that stores its result at `path` (e.g. `$.clusterPoll`). */
function taskWritingTo(definition: Definition, path: string): [string, State] | undefined {
  return Object.entries(definition.States).find(([, s]) => s.Type === 'Task' && s.ResultPath === path);
}

/** A Pass that records a failure the workflow cannot wait out. */
const isFailureRecord = (state: State | undefined) =>
  state?.Type === 'Pass' && state.Parameters?.Error === ERROR_NAMES.resourceFailed;

// ---------- what each workflow must do with its failures ----------

const FAIL_STATE: Record<WorkflowName, string> = { scaleUp: 'ScaleUpFailed', scaleDown: 'ScaleDownFailed' };
/** Where a failure after the lock goes: the scale-up rolls back, the scale-down fails (its record stays withdrawn). */
const AFTER_LOCK: Record<WorkflowName, string> = { scaleUp: 'RollBack', scaleDown: 'FailScaling' };
/** Refusals of LockRegion that changed nothing. */
const LOCK_REFUSALS: Record<WorkflowName, string[]> = {
  // A warm-up of a region that serves is refused under the lock (warm-standby.ts transitionPath).
  scaleUp: [ERROR_NAMES.regionLocked, ERROR_NAMES.refused],
  scaleDown: [ERROR_NAMES.regionLocked, ERROR_NAMES.refused],
};
/** Errors that waiting cannot fix: never retried. */
const NOT_RETRIED = [
  ERROR_NAMES.invalidRequest,
  ERROR_NAMES.refused,
  ERROR_NAMES.regionLocked,
  ERROR_NAMES.notOwned,
  ERROR_NAMES.resourceFailed,
  ERROR_NAMES.deadlineExceeded,
  ERROR_NAMES.edgeUnhealthy,
  'States.ALL',
];
/** Actions that begin a polling phase and return its deadline (contract.ts). */
const PHASE_STARTS = [
  'ensureCluster',
  'ensureNodegroup',
  'deleteCluster',
  'deleteNodegroup',
  'applyEdge',
  'deleteEdge',
  'upsertRecord',
  'deleteRecord',
  'scaleNodegroup',
];

/** The states of each part of a workflow, found by following its transitions. */
function partsOf(workflow: WorkflowName, definition: Definition) {
  const handlers = new Set(['RollBack', 'FailScaling', 'NotifyRefusal', 'LockRegion']);
  const beforeLock = reachable(definition, [definition.StartAt], handlers);
  const afterLock = reachable(definition, [definition.States.LockRegion!.Next!], handlers);
  const rollback =
    workflow === 'scaleUp' ? reachable(definition, ['RollBack'], new Set(['FailScaling'])) : new Set<string>();
  return { beforeLock, afterLock, rollback };
}

// ---------- EKS statuses ----------

const EKS_STATUSES = {
  cluster: [...Object.values(ClusterStatus), 'DELETED'],
  nodegroup: [...Object.values(NodegroupStatus), 'DELETED'],
};
/** Statuses from which a resource can still reach the status its phase awaits. */
const ON_THE_WAY = { ACTIVE: ['CREATING', 'PENDING', 'UPDATING'], DELETED: ['DELETING'] };
/** Statuses no wait can fix. */
const FAILED_STATUSES = ['FAILED', 'CREATE_FAILED', 'DELETE_FAILED', 'DEGRADED'];

interface StatusChoice {
  choice: string;
  /** The result the Choice reads, e.g. `$.clusterPoll`. */
  result: string;
  task: string;
  kind: 'cluster' | 'nodegroup';
  awaiting: 'ACTIVE' | 'DELETED';
}

/** Every Choice on the `status` of a cluster-task result, with what its phase awaits. */
function eksStatusChoices(definition: Definition): StatusChoice[] {
  return Object.entries(definition.States).flatMap(([choice, state]) => {
    if (state.Type !== 'Choice') return [];
    const statusVariable = variablesOf(state.Choices ?? []).find((v) => v.endsWith('.status'));
    if (!statusVariable) return [];
    const result = statusVariable.slice(0, -'.status'.length);
    const [task, source] = taskWritingTo(definition, result) ?? [];
    const action = String(source?.Parameters?.action ?? '');
    const kind = /Cluster$/.test(action) ? 'cluster' : /Nodegroup$/.test(action) ? 'nodegroup' : undefined;
    if (!task || !kind) return [];
    const awaiting = (source?.Parameters?.awaiting ?? (action.startsWith('delete') ? 'DELETED' : 'ACTIVE')) as
      'ACTIVE' | 'DELETED';
    return [{ choice, result, task, kind, awaiting }];
  });
}

describe.each<WorkflowName>(['scaleUp', 'scaleDown'])('the %s definition', (workflow) => {
  const definition = definitionOf(workflow);
  const states = Object.entries(definition.States);
  const tasks = states.filter(([, s]) => s.Type === 'Task');
  const stateOf = (name: string) => definition.States[name];

  it('has a global TimeoutSeconds above the sum of the phase deadlines of its longest path', () => {
    expect(definition.TimeoutSeconds).toBeDefined();
    expect(definition.TimeoutSeconds).toBeGreaterThan(LONGEST_PATH_SECONDS[workflow]);
  });

  it('routes every EKS status to an explicit branch: a failed resource to a failure, one on its way to a Wait', () => {
    const choices = eksStatusChoices(definition);
    expect(choices.length).toBeGreaterThanOrEqual(workflow === 'scaleUp' ? 4 : 2);
    for (const { choice, result, task, kind, awaiting } of choices) {
      for (const status of EKS_STATUSES[kind]) {
        const { next, byDefault } = choose(stateOf(choice)!, { [result.slice(2)]: { status } });
        const target = stateOf(next);
        const route = { choice, status, next, byDefault };
        expect(route).toEqual({ ...route, byDefault: false });
        if (status === awaiting) {
          expect({ ...route, type: target?.Type }).not.toMatchObject({ type: 'Wait' });
          expect(isFailureRecord(target)).toBe(false);
        } else if (ON_THE_WAY[awaiting].includes(status)) {
          // Waits, then polls the same resource again (the poll's deadline ends a resource stuck there).
          expect({ ...route, type: target?.Type, then: target?.Next }).toEqual({ ...route, type: 'Wait', then: task });
        } else if (FAILED_STATUSES.includes(status) || awaiting === 'ACTIVE') {
          expect({ ...route, failure: isFailureRecord(target) }).toEqual({ ...route, failure: true });
        }
      }
    }
  });

  it('routes every Route53 change status and both answers of the edge to an explicit branch', () => {
    for (const [choice, state] of states.filter(([, s]) => s.Type === 'Choice')) {
      for (const variable of new Set(variablesOf(state.Choices ?? []))) {
        const [path, field] = [
          variable.slice(2, variable.lastIndexOf('.')),
          variable.slice(variable.lastIndexOf('.') + 1),
        ];
        const action = String(taskWritingTo(definition, `$.${path}`)?.[1].Parameters?.action ?? '');
        const values: unknown[] =
          field === 'ready'
            ? [true, false]
            : field === 'status' && /Record|getChange/.test(action)
              ? Object.values(ChangeStatus)
              : [];
        for (const value of values) {
          const { next, byDefault } = choose(state, { [path]: { [field]: value } });
          expect({ choice, value, next, byDefault }).toEqual({ choice, value, next, byDefault: false });
        }
      }
    }
  });

  it('never waits less than a second: each Wait reads a task result (waitSeconds >= 1 by contract) or lasts >= 1 s', () => {
    const resultPaths = new Set(tasks.map(([, s]) => s.ResultPath));
    for (const [name, wait] of states.filter(([, s]) => s.Type === 'Wait')) {
      const path = wait.SecondsPath ?? '';
      const atLeastASecond =
        wait.Seconds !== undefined ? wait.Seconds >= 1 : resultPaths.has(path.slice(0, path.lastIndexOf('.')));
      expect({ name, atLeastASecond }).toEqual({ name, atLeastASecond: true });
    }
  });

  it('waits on the result it just decided on: a poll Wait reads the waitSeconds of the result before it', () => {
    for (const [name, state] of states) {
      for (const next of normalSuccessors(state)) {
        const wait = stateOf(next);
        if (wait?.Type !== 'Wait' || !wait.SecondsPath?.endsWith('.waitSeconds')) continue;
        const result = wait.SecondsPath.slice(0, -'.waitSeconds'.length);
        const decidedOn =
          state.Type === 'Task'
            ? [state.ResultPath]
            : variablesOf(state.Choices ?? []).map((v) => v.slice(0, v.lastIndexOf('.')));
        expect({ from: name, wait: next, decidedOn: decidedOn.includes(result) }).toEqual({
          from: name,
          wait: next,
          decidedOn: true,
        });
      }
    }
  });

  it('bounds every polling loop: each poll on a cycle passes the deadline its phase began with, kept apart from the poll results', () => {
    const polls = tasks.filter(([name]) => onCycle(definition, name));
    expect(polls.length).toBeGreaterThanOrEqual(workflow === 'scaleUp' ? 7 : 4);
    for (const [name, poll] of polls) {
      const deadlinePath = String(poll.Parameters?.['deadline.$'] ?? '');
      const start = deadlinePath.replace(/\.deadline$/, '');
      const [startName, startState] = taskWritingTo(definition, start) ?? [];
      const startAction = String(startState?.Parameters?.action ?? '');
      expect({ name, deadlinePath, startsAPhase: PHASE_STARTS.includes(startAction) }).toEqual({
        name,
        deadlinePath: `${start}.deadline`,
        startsAPhase: true,
      });
      // The start's result (and its deadline) is never overwritten by a poll result.
      expect({ name, resultPath: poll.ResultPath }).not.toEqual({ name, resultPath: start });
      expect(onCycle(definition, startName!)).toBe(false);
      // deleteEdge begins its phase without a deadline and polls it with one.
      if (startAction === 'deleteEdge') expect(startState?.Parameters?.['deadline.$']).toBeUndefined();
      if (/^describe/.test(String(poll.Parameters?.action))) {
        expect({ name, awaiting: poll.Parameters?.awaiting }).toEqual({ name, awaiting: expect.any(String) });
      }
    }
    for (const [name, wait] of states.filter(([n, s]) => s.Type === 'Wait' && onCycle(definition, n))) {
      expect({ name, next: stateOf(wait.Next ?? '')?.Type }).toEqual({ name, next: 'Task' });
    }
  });

  it('retries TransientError on every task, and never an error that waiting cannot fix', () => {
    for (const [name, task] of tasks) {
      const transient = task.Retry?.find((r) => r.ErrorEquals.includes(ERROR_NAMES.transient));
      expect({ name, retriesTransient: (transient?.MaxAttempts ?? 0) >= 2 }).toEqual({ name, retriesTransient: true });
      const retried = (task.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect({ name, retried: retried.filter((e) => NOT_RETRIED.includes(e)) }).toEqual({ name, retried: [] });
    }
  });

  it('catches every failure where it must end: refusal before the lock, rollback or FailScaling after it', () => {
    const { beforeLock, afterLock, rollback } = partsOf(workflow, definition);
    const catchAll = (state: State) => state.Catch?.at(-1);
    const expectCatch = (name: string, next: string, resultPath: string | null) =>
      expect({ name, catchAll: catchAll(stateOf(name)!) }).toEqual({
        name,
        catchAll: { ErrorEquals: ['States.ALL'], ResultPath: resultPath, Next: next },
      });

    const placed = new Set<string>();
    for (const [name] of tasks) {
      if (beforeLock.has(name)) expectCatch(name, 'NotifyRefusal', '$.error');
      else if (name === 'LockRegion') {
        expect(stateOf(name)?.Catch?.[0]).toEqual({
          ErrorEquals: LOCK_REFUSALS[workflow],
          ResultPath: '$.error',
          Next: 'NotifyRefusal',
        });
        expectCatch(name, 'FailScaling', '$.error');
      } else if (afterLock.has(name)) expectCatch(name, AFTER_LOCK[workflow], '$.error');
      else if (rollback.has(name)) expectCatch(name, 'FailScaling', '$.error.rollback');
      else if (name === 'FailScaling') expectCatch(name, FAIL_STATE[workflow], null);
      else if (name === 'NotifyRefusal') expectCatch(name, 'Refused', null);
      else continue;
      placed.add(name);
    }
    expect(tasks.map(([name]) => name).filter((name) => !placed.has(name))).toEqual([]);

    // A failure found by a Choice is recorded like a caught one, and goes the same way.
    for (const [name, pass] of states.filter(([, s]) => isFailureRecord(s))) {
      const expected = rollback.has(name)
        ? { ResultPath: '$.error.rollback', Next: 'FailScaling' }
        : { ResultPath: '$.error', Next: AFTER_LOCK[workflow] };
      expect({ name, ResultPath: pass.ResultPath, Next: pass.Next }).toEqual({ name, ...expected });
    }
  });
});

/** The paths lockRegion decides (warm-standby.ts), by workflow, and the state each must lead to first. */
const PATH_ENTRIES: Record<WorkflowName, Partial<Record<TransitionPath, string>>> = {
  scaleUp: { create: 'EnsureCluster', resume: 'EnsureWarmClusterAccess', warmUp: 'WithdrawStrayRecord' },
  scaleDown: { teardown: 'WithdrawRecord', park: 'WithdrawRecord', warmTeardown: 'EnsureClusterAccess' },
};

describe.each<WorkflowName>(['scaleUp', 'scaleDown'])('the warm paths of the %s definition', (workflow) => {
  const definition = definitionOf(workflow);
  const stateOf = (name: string) => definition.States[name]!;
  const entries = PATH_ENTRIES[workflow];
  const handlers = new Set(['RollBack', 'FailScaling', 'NotifyRefusal']);
  /** The states a path goes through when nothing fails, from the lock to its end. */
  const pathStates = (path: TransitionPath) => {
    const seen = new Set<string>();
    const queue = [choose(stateOf('ChoosePath'), { lock: { path } }).next];
    while (queue.length > 0) {
      const name = queue.shift()!;
      if (seen.has(name) || handlers.has(name)) continue;
      seen.add(name);
      const state = stateOf(name);
      // A Choice on the lock follows the branch this path takes (its edge ready); any other, every branch.
      const next =
        state.Type === 'Choice' && variablesOf(state.Choices ?? []).some((v) => v.startsWith('$.lock.'))
          ? [choose(state, { lock: { path, target: targetOf(path) }, edgePoll: { ready: true } }).next]
          : normalSuccessors(state);
      queue.push(...next);
    }
    return seen;
  };
  const targetOf = (path: TransitionPath) =>
    ({
      create: 'ACTIVE',
      resume: 'ACTIVE',
      warmUp: 'WARM',
      teardown: 'INACTIVE',
      park: 'WARM',
      warmTeardown: 'INACTIVE',
    })[path];

  it('routes every path the lock can decide for it to that path’s first state, never by default', () => {
    expect(Object.keys(entries).sort()).toEqual(
      TRANSITION_PATHS.filter((p) => (workflow === 'scaleUp') === ['create', 'resume', 'warmUp'].includes(p)).sort(),
    );
    for (const [path, first] of Object.entries(entries)) {
      expect({ path, ...choose(stateOf('ChoosePath'), { lock: { path } }) }).toEqual({
        path,
        next: first,
        byDefault: false,
      });
    }
    expect(stateOf('LockRegion').ResultPath).toBe('$.lock');
    expect(stateOf('LockRegion').Parameters?.['target.$']).toBe('$.plan.target');
  });

  it('has a global TimeoutSeconds above the longest warm path too', () => {
    const warm = workflow === 'scaleUp' ? LONGEST_PATH_SECONDS.resume : LONGEST_PATH_SECONDS.park;
    expect(definition.TimeoutSeconds).toBeGreaterThan(warm);
    expect(LONGEST_PATH_SECONDS[workflow]).toBeGreaterThanOrEqual(warm);
  });

  if (workflow === 'scaleUp') {
    it('resumes a WARM region without cluster or nodegroup creation, and warms one up without a record', () => {
      const resume = pathStates('resume');
      for (const cold of ['EnsureCluster', 'EnsureNodegroup', 'WaitForCluster', 'ApplyEdge'])
        expect({ cold, onResume: resume.has(cold) }).toEqual({ cold, onResume: false });
      expect([...resume]).toEqual(
        expect.arrayContaining([
          'ScaleEdgeUp',
          'ResumeNodegroup',
          'WaitForNodes',
          'ReadEdgeEndpoint',
          'UpsertRecord',
          'FinishScaleUp',
        ]),
      );
      const warmUp = pathStates('warmUp');
      expect(warmUp.has('UpsertRecord')).toBe(false);
      expect(warmUp.has('FinishWarmUp')).toBe(true);
      expect(pathStates('create').has('FinishWarmUp')).toBe(false);
      // The rollback stops again what a failed resume started, and only a resume.
      expect(choose(stateOf('ReturnToWarmIfResumed'), { lock: { path: 'resume' } }).next).toBe('ParkEdgeOnRollback');
      for (const path of ['create', 'warmUp'])
        expect(choose(stateOf('ReturnToWarmIfResumed'), { lock: { path } }).next).toBe('FailScaling');
    });
  } else {
    it('parks without deleting anything, and tears a WARM region down without a withdrawal or a drain', () => {
      const park = pathStates('park');
      for (const deletion of ['DeleteEdge', 'DeleteNodegroup', 'DeleteCluster'])
        expect({ deletion, onPark: park.has(deletion) }).toEqual({ deletion, onPark: false });
      expect([...park]).toEqual(
        expect.arrayContaining(['WithdrawRecord', 'Drain', 'ParkEdge', 'ParkNodegroup', 'FinishPark']),
      );
      const warmTeardown = pathStates('warmTeardown');
      expect(warmTeardown.has('WithdrawRecord')).toBe(false);
      expect(warmTeardown.has('Drain')).toBe(false);
      expect([...warmTeardown]).toEqual(
        expect.arrayContaining(['DeleteEdge', 'DeleteNodegroup', 'DeleteCluster', 'FinishScaleDown']),
      );
    });
  }
});

describe('the edgeRollout definition', () => {
  const definition = JSON.parse(readDefinitionText('edgeRollout')) as Definition;
  const states = Object.entries(definition.States);
  const tasks = states.filter(([, s]) => s.Type === 'Task');
  const stateOf = (name: string) => definition.States[name];
  /** One region's turn: from its lock to the step that moves to the next region. */
  const NEXT_REGION = new Set(['AdvanceRegion']);
  const onRegionCycle = (name: string) =>
    reachable(definition, normalSuccessors(stateOf(name)!), NEXT_REGION).has(name);

  it('has a global TimeoutSeconds above every approved region rolled out to its deadline, plus the longest canary bake', () => {
    expect(definition.TimeoutSeconds).toBeGreaterThan(LONGEST_PATH_SECONDS.edgeRollout);
    expect(LONGEST_PATH_SECONDS.edgeRollout).toBeGreaterThanOrEqual(
      AWS_REGIONS.length * PHASE_DEADLINE_SECONDS.edgeRollout + MAX_CANARY_BAKE_SECONDS,
    );
    // The longest bake the configuration accepts is the one counted.
    const bake = (canaryBakeSeconds: number) => configProblems(withRollout({ canaryBakeSeconds }));
    expect(bake(MAX_CANARY_BAKE_SECONDS)).toEqual([]);
    expect(bake(MAX_CANARY_BAKE_SECONDS + 1)).toEqual([expect.stringContaining('edge.rollout.canaryBakeSeconds')]);
  });

  it('routes both answers of the rollout poll to an explicit branch', () => {
    const choice = stateOf('RolloutComplete')!;
    expect(taskWritingTo(definition, '$.rollout')?.[1].Parameters?.action).toBe('readEdgeRollout');
    for (const ready of [true, false]) expect(choose(choice, { rollout: { ready } }).byDefault).toBe(false);
    expect(isFailureRecord(stateOf(choose(choice, {}).next))).toBe(true);
  });

  it('never waits less than a second, and each poll Wait reads the result it just decided on', () => {
    const resultPaths = new Set(tasks.map(([, s]) => s.ResultPath));
    for (const [name, wait] of states.filter(([, s]) => s.Type === 'Wait')) {
      const path = wait.SecondsPath ?? '';
      expect({ name, readsATaskResult: resultPaths.has(path.slice(0, path.lastIndexOf('.'))) }).toEqual({
        name,
        readsATaskResult: true,
      });
    }
    expect(stateOf('WaitForRollout')?.SecondsPath).toBe(`${stateOf('ApplyEdge')?.ResultPath}.waitSeconds`);
    expect(stateOf('WaitForRolloutAgain')?.SecondsPath).toBe(`${stateOf('ReadRollout')?.ResultPath}.waitSeconds`);
  });

  it('bounds its one polling loop by the deadline the rollout began with', () => {
    const polls = tasks.filter(([name]) => onRegionCycle(name));
    expect(polls.map(([name]) => name)).toEqual(['ReadRollout']);
    const [, poll] = polls[0]!;
    expect(poll.Parameters?.['deadline.$']).toBe('$.applied.deadline');
    expect(taskWritingTo(definition, '$.applied')?.[1].Parameters?.action).toBe('rolloutEdge');
    expect(onRegionCycle('ApplyEdge')).toBe(false);
  });

  it('retries TransientError on every task, and never an error that waiting cannot fix', () => {
    for (const [name, task] of tasks) {
      const transient = task.Retry?.find((r) => r.ErrorEquals.includes(ERROR_NAMES.transient));
      expect({ name, retriesTransient: (transient?.MaxAttempts ?? 0) >= 2 }).toEqual({ name, retriesTransient: true });
      const retried = (task.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect({ name, retried: retried.filter((e) => NOT_RETRIED.includes(e)) }).toEqual({ name, retried: [] });
    }
  });

  it('catches every failure where it must end: refused before the lock, skipped at it, restored after the apply, and the run stops', () => {
    const catchAll = (name: string) => stateOf(name)?.Catch?.at(-1);
    const expectCatch = (name: string, next: string, resultPath: string | null) =>
      expect({ name, catchAll: catchAll(name) }).toEqual({
        name,
        catchAll: { ErrorEquals: ['States.ALL'], ResultPath: resultPath, Next: next },
      });
    const beforeLock = reachable(
      definition,
      [definition.StartAt],
      new Set(['SelectRegion', 'NotifyDone', 'RolloutRefused']),
    );
    // Changed in the region from the apply on: everything up to the record of the update.
    const applied = reachable(definition, ['ApplyEdge'], new Set(['RegionUpdated', 'RestoreEdge']));
    const placed = new Set<string>();
    for (const [name] of tasks) {
      if (beforeLock.has(name)) expectCatch(name, 'RolloutRefused', '$.error');
      else if (name === 'LockRegion') {
        expect(stateOf(name)?.Catch?.[0]).toEqual({
          ErrorEquals: [ERROR_NAMES.regionLocked, ERROR_NAMES.refused],
          ResultPath: '$.error',
          Next: 'RegionSkipped',
        });
        expectCatch(name, 'FailRegion', '$.error');
      } else if (name === 'EnsureClusterAccess' || name === 'SnapshotEdge') expectCatch(name, 'FailRegion', '$.error');
      else if (applied.has(name)) expectCatch(name, 'RestoreEdge', '$.error');
      // The restore's own failure is kept beside the region's error, which FailRegion reports.
      else if (name === 'RestoreEdge') expectCatch(name, 'FailRegion', '$.error.restore');
      else if (name === 'FailRegion') expectCatch(name, 'RegionFailed', '$.failError');
      else if (name === 'NotifyStopped') expectCatch(name, 'RolloutStopped', '$.notifyError');
      else if (name === 'NotifyDone') expectCatch(name, 'SummaryNotSent', '$.notifyError');
      else continue;
      placed.add(name);
    }
    expect(tasks.map(([name]) => name).filter((name) => !placed.has(name))).toEqual([]);
    expect(stateOf('RestoreEdge')?.Next).toBe('FailRegion');
    for (const [name, pass] of states.filter(([, s]) => isFailureRecord(s))) {
      expect({ name, ResultPath: pass.ResultPath, Next: pass.Next }).toEqual({
        name,
        ResultPath: '$.error',
        Next: 'RestoreEdge',
      });
    }
    // After a failure no other region is touched: the run ends.
    const afterFailure = reachable(definition, ['FailRegion'], new Set());
    expect([...afterFailure].filter((s) => s === 'LockRegion' || s === 'SelectRegion')).toEqual([]);
    expect(stateOf([...afterFailure].at(-1)!)?.Type).toBe('Fail');
  });
});
