/**
 * The region state table (DynamoDB): region state, region locks and the decision history.
 * Items: `pk = region#<region>` with `sk = state` | `lock` | `decision#<time>#<event id>#<delivery id>`.
 * Takes its DynamoDB document client as an argument, so it runs the same in a Lambda, the CLI,
 * the sandbox and the tests.
 *
 * The state item has several writers at once (the workflows' steps, the decisions' claims, the
 * decision mark, an operator's pause or hold). None of them puts the whole item: each writes only
 * the fields it changes, and every write adds 1 to the item's `version`. A writer that derives
 * its new fields from what it read (a workflow step) writes on condition that the version is still
 * the one it read, and reads and decides again when it is not.
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { RegionLockedError, TransientError } from '../domain/errors';
import { initialRegionState, type RegionLock, type RegionState } from '../domain/region-state';

export interface DecisionRecord {
  region: string;
  at: string;
  /** What was asked: scale up or down, and by whom. */
  direction: 'up' | 'down';
  source: 'alarm' | 'reconciler' | 'operator';
  /** forecast-only: what a forecast would have done (forecast.mode "forecast-only"); nothing was started. */
  outcome: 'started' | 'rejected' | 'dropped' | 'forecast-only';
  reason: string;
  executionArn?: string;
  eventId?: string;
}

/** The fields only an operator's command writes; each writes its own, whatever else changes meanwhile. */
export type OperatorFields = Partial<Pick<RegionState, 'pausedUntil' | 'holdUntil'>>;

const DECISION_RETENTION_DAYS = 90;
/** A read-decide-write of the state that keeps meeting concurrent writes gives up after this many reads. */
const STATE_WRITE_ATTEMPTS = 6;
const pk = (region: string) => `region#${region}`;

/** The state item's write counter (not part of RegionState): every write adds 1. */
const VERSION = 'version';

interface VersionedState {
  state: RegionState;
  /** Undefined for an item written before versions existed, or no item at all. */
  version?: number;
  exists: boolean;
}

export class StateStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getRegionState(region: string, now = new Date()): Promise<RegionState> {
    return (await this.readRegionState(region, now)).state;
  }

  async getRegionStates(regions: string[], now = new Date()): Promise<RegionState[]> {
    return Promise.all(regions.map((r) => this.getRegionState(r, now)));
  }

  /**
   * Makes the region's state exactly `state` (tests and repairs that set a scene), through
   * updateRegionState: concurrent writers see the change.
   */
  async putRegionState(state: RegionState, now = new Date()): Promise<void> {
    await this.updateRegionState(state.region, () => state, now);
  }

  /**
   * Reads the region's state, asks `change` for the next one (it may throw to refuse, or return
   * the state unchanged to write nothing), and writes only the fields that differ, on condition
   * that nobody wrote the item since it was read; when somebody did, reads and asks again. So
   * `change` always decides on the current state, and a field another writer set meanwhile (a
   * pause, the decision mark) is never overwritten with what was read before. Returns the new state.
   */
  async updateRegionState(
    region: string,
    change: (current: RegionState) => RegionState,
    now = new Date(),
  ): Promise<RegionState> {
    for (let attempt = 1; attempt <= STATE_WRITE_ATTEMPTS; attempt++) {
      const read = await this.readRegionState(region, now);
      const next = change(read.state);
      if (await this.writeChangedFields(read, next)) return next;
    }
    throw new TransientError(
      `The state of ${region} changed under ${STATE_WRITE_ATTEMPTS} reads in a row (concurrent writers); retry`,
    );
  }

  /**
   * Sets (or, for `undefined`, removes) only these operator fields, unconditionally: they have no
   * other writer. Creates the item with its initial fields if it is missing. Returns the values
   * the fields had before.
   */
  async setOperatorFields(region: string, fields: OperatorFields, now = new Date()): Promise<OperatorFields> {
    const update = new FieldUpdate();
    for (const [field, value] of Object.entries(fields)) update.write(field, value);
    update.initialFields(initialRegionState(region, now));
    const { Attributes = {} } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: pk(region), sk: 'state' },
        ...update.expression(),
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    return Object.fromEntries(
      Object.keys(fields).map((field) => [field, Attributes[field] as unknown]),
    ) as OperatorFields;
  }

  private async readRegionState(region: string, now: Date): Promise<VersionedState> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: pk(region), sk: 'state' }, ConsistentRead: true }),
    );
    if (!Item) return { state: initialRegionState(region, now), exists: false };
    const version = Item[VERSION];
    return {
      state: fromItem<RegionState>(Item),
      version: typeof version === 'number' ? version : undefined,
      exists: true,
    };
  }

  /** Writes what differs between the read state and `next`, if the item is still as read; false when it is not. */
  private async writeChangedFields(read: VersionedState, next: RegionState): Promise<boolean> {
    const current = read.state as unknown as Record<string, unknown>;
    const wanted = next as unknown as Record<string, unknown>;
    const update = new FieldUpdate();
    if (read.exists) {
      for (const field of new Set([...Object.keys(current), ...Object.keys(wanted)])) {
        if (field !== 'region' && !sameValue(current[field], wanted[field])) update.write(field, wanted[field]);
      }
    } else {
      // No item yet: write it whole.
      for (const [field, value] of Object.entries(wanted)) if (value !== undefined) update.write(field, value);
    }
    if (update.isEmpty()) return true;
    const condition = !read.exists
      ? 'attribute_not_exists(pk)'
      : read.version === undefined
        ? 'attribute_not_exists(#version)'
        : '#version = :readVersion';
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pk(next.region), sk: 'state' },
          ...update.expression(condition, read.version === undefined ? {} : { ':readVersion': read.version }),
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async getLock(region: string): Promise<RegionLock | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: pk(region), sk: 'lock' }, ConsistentRead: true }),
    );
    return Item ? fromItem<RegionLock>(Item) : undefined;
  }

  /**
   * Takes the region's lock for `owner` (a conditional write). Taking it again as the same owner
   * succeeds (a retried task); any other holder makes it throw RegionLockedError naming the holder.
   */
  async acquireLock(region: string, owner: string, now = new Date()): Promise<RegionLock> {
    const lock: RegionLock = { region, owner, acquiredAt: now.toISOString() };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: pk(region), sk: 'lock', ...lock },
          ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
      return lock;
    } catch (error) {
      if (
        error instanceof ConditionalCheckFailedException ||
        (error as Error).name === 'ConditionalCheckFailedException'
      ) {
        const holder = await this.getLock(region);
        throw new RegionLockedError(
          `Region ${region} is locked by ${holder?.owner ?? 'another execution'} since ${holder?.acquiredAt ?? 'unknown'}; wait for it to finish`,
        );
      }
      throw error;
    }
  }

  /** Releases the lock if `owner` holds it; returns whether it did. Never releases another owner's lock. */
  async releaseLock(region: string, owner: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: pk(region), sk: 'lock' },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /**
   * Adds the decision to the region's history. Every call adds one record: duplicate deliveries
   * of one event, decided in the same millisecond, each leave theirs (the key ends with an id of
   * its own).
   */
  async recordDecision(decision: DecisionRecord, now = new Date()): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: pk(decision.region),
          sk: `decision#${decision.at}#${decision.eventId ?? 'no-event'}#${randomUUID()}`,
          ...decision,
          expiresAt: Math.floor(now.getTime() / 1000) + DECISION_RETENTION_DAYS * 86_400,
        },
      }),
    );
  }

  /** The region's most recent decisions, newest first. */
  async listDecisions(region: string, limit = 20): Promise<DecisionRecord[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk(region), ':prefix': 'decision#' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return Items.map((item) => fromItem<DecisionRecord>(item));
  }

  /**
   * Conditionally moves a region's newest-decision mark forward: true when `eventAt` is newer
   * than any decision seen so far (or the same event again), false when the event is stale.
   */
  async advanceDecisionMark(region: string, eventAt: string, now = new Date()): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pk(region), sk: 'state' },
          UpdateExpression:
            'SET lastDecisionEventAt = :at, #region = if_not_exists(#region, :region), #status = if_not_exists(#status, :inactive), since = if_not_exists(since, :now), consecutiveFailures = if_not_exists(consecutiveFailures, :zero) ADD #version :one',
          ConditionExpression: 'attribute_not_exists(lastDecisionEventAt) OR lastDecisionEventAt <= :at',
          ExpressionAttributeNames: { '#region': 'region', '#status': 'status', '#version': VERSION },
          ExpressionAttributeValues: {
            ':at': eventAt,
            ':region': region,
            ':inactive': 'INACTIVE',
            ':now': now.toISOString(),
            ':zero': 0,
            ':one': 1,
          },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}

/**
 * One UpdateItem on the state item: SET / REMOVE of named fields, `if_not_exists` for the
 * initial fields of an item that may not exist yet, and always ADD 1 to the version.
 */
class FieldUpdate {
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];
  private readonly names: Record<string, string> = { '#version': VERSION };
  private readonly values: Record<string, unknown> = { ':one': 1 };
  private readonly written = new Set<string>();

  write(field: string, value: unknown): void {
    const name = this.name(field);
    this.written.add(field);
    if (value === undefined) {
      this.removes.push(name);
    } else {
      this.values[`:v${this.sets.length}`] = value;
      this.sets.push(`${name} = :v${this.sets.length}`);
    }
  }

  /** The fields every state item has, for those this update does not write itself. */
  initialFields(initial: RegionState): void {
    for (const [field, value] of Object.entries(initial)) {
      if (this.written.has(field)) continue;
      const name = this.name(field);
      this.values[`:i${this.sets.length}`] = value;
      this.sets.push(`${name} = if_not_exists(${name}, :i${this.sets.length})`);
    }
  }

  isEmpty(): boolean {
    return this.sets.length === 0 && this.removes.length === 0;
  }

  expression(condition?: string, conditionValues: Record<string, unknown> = {}) {
    const clauses = [
      this.sets.length ? `SET ${this.sets.join(', ')}` : '',
      this.removes.length ? `REMOVE ${this.removes.join(', ')}` : '',
      'ADD #version :one',
    ];
    return {
      UpdateExpression: clauses.filter(Boolean).join(' '),
      ...(condition ? { ConditionExpression: condition } : {}),
      ExpressionAttributeNames: this.names,
      ExpressionAttributeValues: { ...this.values, ...conditionValues },
    };
  }

  private name(field: string): string {
    const placeholder = `#f${Object.keys(this.names).length}`;
    this.names[placeholder] = field;
    return placeholder;
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b));
}

function fromItem<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, expiresAt: _expiresAt, [VERSION]: _version, ...rest } = item;
  return rest as T;
}
