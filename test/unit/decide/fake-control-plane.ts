/**
 * A small in-memory stand-in for the control plane's state table and Step Functions, installed
 * with aws-sdk-client-mock: it keeps items and executions between calls and honours the
 * conditions the decision path relies on (the decision mark moves forward only; a reservation
 * fails when its region's status changed or a counted-free region took a slot, which a warm-up
 * does not; StartExecution with a used name returns the running execution or
 * ExecutionAlreadyExists), so that duplicate
 * and concurrent deliveries can be tested for what they start. CloudWatch DescribeAlarms answers
 * with the alarms' current state (setAlarm).
 */
import { CloudWatchClient, DescribeAlarmsCommand, type DescribeAlarmsCommandInput } from '@aws-sdk/client-cloudwatch';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  type StartExecutionCommandInput,
} from '@aws-sdk/client-sfn';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { DecisionRecord } from '../../../functions/adapters/state-store';
import type { RegionState } from '../../../functions/domain/region-state';

type Item = Record<string, unknown>;

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name });

export const SCALE_UP_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:edgescale-scale-up';
export const SCALE_DOWN_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:edgescale-scale-down';

export interface FakeExecution {
  name: string;
  executionArn: string;
  stateMachineArn: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
}

/**
 * An alarm no test set has been in ALARM since the start of the fixtures' day, so a fixture's
 * ALARM event (12:00 or later) is not older than its alarm's newest change.
 */
export const ALARMS_IN_ALARM_SINCE = '2026-11-21T00:00:00.000Z';

export interface FakeAlarm {
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  /** StateTransitionedTimestamp and StateUpdatedTimestamp. */
  since: string;
}

export class FakeControlPlane {
  readonly items = new Map<string, Item>();
  readonly executions: FakeExecution[] = [];
  readonly alarms = new Map<string, FakeAlarm>();
  readonly dynamo = mockClient(DynamoDBDocumentClient);
  readonly sfn = mockClient(SFNClient);
  readonly cloudWatch = mockClient(CloudWatchClient);

  constructor() {
    this.cloudWatch.on(DescribeAlarmsCommand).callsFake(async (input: DescribeAlarmsCommandInput) => {
      await tick();
      return {
        MetricAlarms: (input.AlarmNames ?? []).map((name) => {
          const alarm = this.alarms.get(name) ?? { state: 'ALARM', since: ALARMS_IN_ALARM_SINCE };
          const since = new Date(alarm.since);
          return {
            AlarmName: name,
            StateValue: alarm.state,
            StateTransitionedTimestamp: since,
            StateUpdatedTimestamp: since,
          };
        }),
      };
    });
    this.dynamo.on(GetCommand).callsFake(async (input: { Key: { pk: string; sk: string } }) => {
      await tick();
      const item = this.items.get(keyOf(input.Key));
      return { Item: item ? structuredClone(item) : undefined };
    });
    this.dynamo.on(PutCommand).callsFake(async (input: { Item: Item }) => {
      await tick();
      this.items.set(keyOf(input.Item as { pk: string; sk: string }), structuredClone(input.Item));
      return {};
    });
    this.dynamo.on(UpdateCommand).callsFake(async (input: UpdateCommandInput) => {
      await tick();
      this.update(input);
      return {};
    });
    this.dynamo.on(TransactWriteCommand).callsFake(async (input: TransactWriteCommandInput) => {
      await tick();
      this.transact(input);
      return {};
    });
    this.sfn.on(ListExecutionsCommand).callsFake(async (input: { stateMachineArn: string; statusFilter?: string }) => {
      await tick();
      return {
        executions: this.executions
          .filter((e) => e.stateMachineArn === input.stateMachineArn && e.status === (input.statusFilter ?? e.status))
          .map(({ name, executionArn, stateMachineArn, status }) => ({ name, executionArn, stateMachineArn, status })),
      };
    });
    this.sfn.on(DescribeExecutionCommand).callsFake(async (input: { executionArn: string }) => {
      await tick();
      const execution = this.executions.find((e) => e.executionArn === input.executionArn);
      if (!execution) throw awsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${input.executionArn}'`);
      return { executionArn: execution.executionArn, name: execution.name, status: execution.status };
    });
    this.sfn.on(StartExecutionCommand).callsFake(async (input: StartExecutionCommandInput) => {
      await tick();
      const existing = this.executions.find(
        (e) => e.stateMachineArn === input.stateMachineArn && e.name === input.name,
      );
      if (existing) {
        // Step Functions: same name and input while running returns that execution; otherwise refuses.
        if (existing.status === 'RUNNING' && existing.input === input.input)
          return { executionArn: existing.executionArn };
        throw awsError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
      }
      const executionArn = `${input.stateMachineArn!.replace(':stateMachine:', ':execution:')}:${input.name}`;
      this.executions.push({
        name: input.name!,
        executionArn,
        stateMachineArn: input.stateMachineArn!,
        input: input.input!,
        status: 'RUNNING',
      });
      return { executionArn, startDate: new Date() };
    });
  }

  restore(): void {
    this.dynamo.restore();
    this.sfn.restore();
    this.cloudWatch.restore();
  }

  setAlarm(alarmName: string, state: FakeAlarm['state'], since: string): void {
    this.alarms.set(alarmName, { state, since });
  }

  /** Every item of a region's partition (state, lock, decisions, notices). */
  regionItems(region: string): Item[] {
    return [...this.items.values()].filter((i) => i.pk === `region#${region}`);
  }

  setState(state: Partial<RegionState> & { region: string }): void {
    this.items.set(keyOf({ pk: `region#${state.region}`, sk: 'state' }), {
      pk: `region#${state.region}`,
      sk: 'state',
      status: 'INACTIVE',
      since: '2026-11-01T00:00:00.000Z',
      consecutiveFailures: 0,
      ...state,
    });
  }

  setLock(region: string, owner: string): void {
    this.items.set(keyOf({ pk: `region#${region}`, sk: 'lock' }), {
      pk: `region#${region}`,
      sk: 'lock',
      region,
      owner,
      acquiredAt: '2026-11-21T11:00:00.000Z',
    });
  }

  state(region: string): Item | undefined {
    return this.items.get(keyOf({ pk: `region#${region}`, sk: 'state' }));
  }

  decisions(): DecisionRecord[] {
    return [...this.items.values()]
      .filter((i) => String(i.sk).startsWith('decision#'))
      .map((i) => i as unknown as DecisionRecord);
  }

  started(): FakeExecution[] {
    return this.executions;
  }

  runExecution(stateMachineArn: string, name: string): void {
    this.executions.push({
      name,
      executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
      stateMachineArn,
      input: '{}',
      status: 'RUNNING',
    });
  }

  /** Counts the calls that change something in AWS. */
  mutations(): number {
    return (
      this.dynamo.commandCalls(PutCommand).length +
      this.dynamo.commandCalls(UpdateCommand).length +
      this.dynamo.commandCalls(TransactWriteCommand).length +
      this.sfn.commandCalls(StartExecutionCommand).length
    );
  }

  private update(input: UpdateCommandInput): void {
    const key = keyOf(input.Key as { pk: string; sk: string });
    const values = input.ExpressionAttributeValues ?? {};
    const current = this.items.get(key);
    if (input.UpdateExpression?.includes('lastDecisionEventAt')) {
      // advanceDecisionMark: the mark moves forward only.
      const mark = current?.lastDecisionEventAt as string | undefined;
      if (mark !== undefined && mark > (values[':at'] as string)) throw awsError('ConditionalCheckFailedException');
      this.items.set(key, {
        pk: (input.Key as Item).pk,
        sk: 'state',
        region: values[':region'],
        status: 'INACTIVE',
        since: values[':now'],
        consecutiveFailures: 0,
        ...current,
        lastDecisionEventAt: values[':at'],
      });
      return;
    }
    if (values[':claimed'] && values[':arn']) {
      // releaseReservation
      if (!current || current.status !== values[':claimed'] || current.executionArn !== values[':arn'])
        throw awsError('ConditionalCheckFailedException');
      const { executionArn: _gone, transitionFrom: _given, ...rest } = current;
      this.items.set(key, { ...rest, status: values[':status'], since: values[':since'] });
      return;
    }
    throw new Error(`FakeControlPlane: unexpected UpdateCommand ${input.UpdateExpression}`);
  }

  private transact(input: TransactWriteCommandInput): void {
    const failed: string[] = [];
    for (const op of input.TransactItems ?? []) {
      if (op.Update) {
        const values = op.Update.ExpressionAttributeValues ?? {};
        const status = this.items.get(keyOf(op.Update.Key as { pk: string; sk: string }))?.status;
        const missingAllowed = op.Update.ConditionExpression?.includes('attribute_not_exists');
        if (!(status === values[':observed'] || (status === undefined && missingAllowed))) failed.push('own status');
      } else if (op.ConditionCheck) {
        const other = this.items.get(keyOf(op.ConditionCheck.Key as { pk: string; sk: string }));
        // Holds a slot: ACTIVE, or PROVISIONING anywhere but towards WARM (a warm-up holds none).
        const holdsSlot =
          other?.status === 'ACTIVE' || (other?.status === 'PROVISIONING' && other.transitionTarget !== 'WARM');
        if (holdsSlot) failed.push(String(op.ConditionCheck.Key?.pk));
      }
    }
    if (failed.length) throw awsError('TransactionCanceledException', `Transaction cancelled: ${failed.join(', ')}`);
    for (const op of input.TransactItems ?? []) {
      if (!op.Update) continue;
      const values = op.Update.ExpressionAttributeValues ?? {};
      const key = keyOf(op.Update.Key as { pk: string; sk: string });
      this.items.set(key, {
        pk: (op.Update.Key as Item).pk,
        sk: 'state',
        consecutiveFailures: 0,
        ...this.items.get(key),
        region: values[':region'],
        status: values[':claimed'],
        since: values[':now'],
        executionArn: values[':arn'],
        transitionFrom: values[':observed'],
        transitionTarget: values[':target'],
      });
    }
  }
}

function keyOf(key: { pk: string; sk: string }): string {
  return `${key.pk}|${key.sk}`;
}

/** Yields to other pending work, as a network call would, so concurrent deliveries interleave. */
function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
