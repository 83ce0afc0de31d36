/**
 * The region state table (DynamoDB): region state, region locks and the decision history.
 * Items: `pk = region#<region>` with `sk = state` | `lock` | `decision#<time>#<id>`.
 * Takes its DynamoDB document client as an argument, so it runs the same in a Lambda, the CLI,
 * the sandbox and the tests.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { RegionLockedError } from '../domain/errors';
import { initialRegionState, type RegionLock, type RegionState } from '../domain/region-state';

export interface DecisionRecord {
  region: string;
  at: string;
  /** What was asked: scale up or down, and by whom. */
  direction: 'up' | 'down';
  source: 'alarm' | 'reconciler' | 'operator';
  outcome: 'started' | 'rejected' | 'dropped';
  reason: string;
  executionArn?: string;
  eventId?: string;
}

const DECISION_RETENTION_DAYS = 90;
const pk = (region: string) => `region#${region}`;

export class StateStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getRegionState(region: string, now = new Date()): Promise<RegionState> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: pk(region), sk: 'state' }, ConsistentRead: true }),
    );
    return Item ? fromItem<RegionState>(Item) : initialRegionState(region, now);
  }

  async getRegionStates(regions: string[], now = new Date()): Promise<RegionState[]> {
    return Promise.all(regions.map((r) => this.getRegionState(r, now)));
  }

  async putRegionState(state: RegionState): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { pk: pk(state.region), sk: 'state', ...state } }),
    );
  }

  /** Read-modify-write of one region's state; returns the new state. */
  async updateRegionState(
    region: string,
    change: (current: RegionState) => RegionState,
    now = new Date(),
  ): Promise<RegionState> {
    const next = change(await this.getRegionState(region, now));
    await this.putRegionState(next);
    return next;
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

  async recordDecision(decision: DecisionRecord, now = new Date()): Promise<void> {
    const id = decision.eventId ?? Math.random().toString(36).slice(2, 10);
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: pk(decision.region),
          sk: `decision#${decision.at}#${id}`,
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
            'SET lastDecisionEventAt = :at, #region = if_not_exists(#region, :region), #status = if_not_exists(#status, :inactive), since = if_not_exists(since, :now), consecutiveFailures = if_not_exists(consecutiveFailures, :zero)',
          ConditionExpression: 'attribute_not_exists(lastDecisionEventAt) OR lastDecisionEventAt <= :at',
          ExpressionAttributeNames: { '#region': 'region', '#status': 'status' },
          ExpressionAttributeValues: {
            ':at': eventAt,
            ':region': region,
            ':inactive': 'INACTIVE',
            ':now': now.toISOString(),
            ':zero': 0,
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

function fromItem<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, expiresAt: _expiresAt, ...rest } = item;
  return rest as T;
}
