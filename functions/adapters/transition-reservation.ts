/**
 * The transition guard of the decision path. Two deciders (an alarm event and a reconciler pass,
 * or two deliveries of one event) that decide on the same region at the same moment must start
 * one execution, not two that race for the lock; and two different elastic regions decided at
 * the same moment must not both take the last slot (scaling.maxElasticActive).
 *
 * Before it starts an execution, a decision claims its region: PROVISIONING (up) or DRAINING
 * (down), with the planned execution's ARN, the status it claims the region from (transitionFrom:
 * what an execution that never takes over gives back, WARM included) and where the execution ends
 * (transitionTarget), on condition that the region still has the status it decided on. A concurrent decider then fails that condition, reads the fleet again, and its
 * policy refuses (already in the requested state). For an elastic scale-up the same transaction
 * checks the slots, as follows.
 *
 * Why a transaction over the region state items (and not a separate `slots` counter): the slot
 * count is derived from the region states (ACTIVE or PROVISIONING), which the workflows already
 * keep up to date; a counter would have to be released by every path out of a slot (success,
 * failure, rollback, drift repair) and would drift itself. Instead the decision marks its own
 * region PROVISIONING (with the planned execution's ARN) in one DynamoDB transaction that also
 * checks that every elastic region it counted as free is still free, and that its own region
 * still has the status it decided on. DynamoDB serializes transactions on shared items, so of two
 * concurrent reservations of the last slot one fails its condition (or conflicts); the caller
 * then reads the fleet again and decides anew (max-elastic now refuses). A duplicate delivery of
 * the same event fails the own-status condition the same way.
 */
import { TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RegionStatus, TransitionTarget } from '../domain/region-state';
import { isAwsError } from './aws-errors';

const key = (region: string) => ({ pk: `region#${region}`, sk: 'state' });

export interface TransitionReservation {
  region: string;
  direction: 'up' | 'down';
  /** The status the decision saw (the reservation fails if it changed meanwhile). */
  observedStatus: RegionStatus;
  /** When the region entered that status (what releaseReservation gives back); now if unknown. */
  observedSince?: string;
  /** The execution about to be started; stored as the region's executionArn. */
  executionArn: string;
  /** Elastic scale-up only: the elastic regions the decision counted as free (must still be free). */
  freeElasticRegions: string[];
  /**
   * Where the planned execution ends (stored as transitionTarget, with the observed status as
   * transitionFrom): a claim for a warm-up (PROVISIONING towards WARM) holds no elastic slot.
   */
  target: TransitionTarget;
  now: Date;
}

/** The status a claimed region has until its execution takes over. */
export const claimedStatus = (direction: 'up' | 'down'): RegionStatus =>
  direction === 'up' ? 'PROVISIONING' : 'DRAINING';

/** Claims the region for the planned execution if nothing changed since the decision; false when something did. */
export async function reserveTransition(
  client: DynamoDBDocumentClient,
  tableName: string,
  reservation: TransitionReservation,
): Promise<boolean> {
  const { region, direction, observedStatus, executionArn, freeElasticRegions, target, now } = reservation;
  try {
    await client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName,
              Key: key(region),
              UpdateExpression:
                'SET #status = :claimed, since = :now, executionArn = :arn, #region = :region, transitionFrom = :observed, transitionTarget = :target, consecutiveFailures = if_not_exists(consecutiveFailures, :zero) ADD #version :one',
              ConditionExpression:
                observedStatus === 'INACTIVE'
                  ? 'attribute_not_exists(#status) OR #status = :observed'
                  : '#status = :observed',
              ExpressionAttributeNames: { '#status': 'status', '#region': 'region', '#version': 'version' },
              ExpressionAttributeValues: {
                ':claimed': claimedStatus(direction),
                ':observed': observedStatus,
                ':target': target,
                ':now': now.toISOString(),
                ':arn': executionArn,
                ':region': region,
                ':zero': 0,
                ':one': 1,
              },
            },
          },
          ...freeElasticRegions
            .filter((r) => r !== region)
            .map((r) => ({
              ConditionCheck: {
                TableName: tableName,
                Key: key(r),
                // Free: neither serving nor on its way to serve (a warm-up holds no slot), as occupiesElasticSlot says.
                ConditionExpression:
                  'attribute_not_exists(#status) OR NOT (#status IN (:active, :provisioning)) OR (#status = :provisioning AND #target = :warm)',
                ExpressionAttributeNames: { '#status': 'status', '#target': 'transitionTarget' },
                ExpressionAttributeValues: { ':active': 'ACTIVE', ':provisioning': 'PROVISIONING', ':warm': 'WARM' },
              },
            })),
        ],
      }),
    );
    return true;
  } catch (error) {
    if (isAwsError(error, 'TransactionCanceledException', 'TransactionConflictException')) return false;
    throw error;
  }
}

/**
 * Undoes a reservation whose execution never started, never took over, or had already run: back
 * to `status` (and the observed `since`), only while the region is still claimed (PROVISIONING or
 * DRAINING) for that execution. Returns whether it did.
 */
export async function releaseReservation(
  client: DynamoDBDocumentClient,
  tableName: string,
  reservation: Pick<TransitionReservation, 'region' | 'direction' | 'executionArn' | 'observedSince'>,
  status: RegionStatus,
  now: Date,
): Promise<boolean> {
  const { region, direction, executionArn, observedSince } = reservation;
  try {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key(region),
        UpdateExpression: 'SET #status = :status, since = :since REMOVE executionArn, transitionFrom ADD #version :one',
        ConditionExpression: '#status = :claimed AND executionArn = :arn',
        ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
        ExpressionAttributeValues: {
          ':status': status,
          ':claimed': claimedStatus(direction),
          ':arn': executionArn,
          ':since': observedSince ?? now.toISOString(),
          ':one': 1,
        },
      }),
    );
    return true;
  } catch (error) {
    if (isAwsError(error, 'ConditionalCheckFailedException')) return false;
    throw error;
  }
}

export interface AbandonedTransition {
  region: string;
  /** PROVISIONING or DRAINING: the status the abandoned execution left. */
  fromStatus: RegionStatus;
  executionArn: string;
  toStatus: RegionStatus;
  cause?: string;
  /** A scale-up that never finished counts as a failed attempt (backoff, three strikes). */
  countFailure: boolean;
  now: Date;
}

/**
 * Settles a region left PROVISIONING or DRAINING by an execution that is no longer running
 * (refused before it took over, aborted, or timed out), only if nothing touched it meanwhile.
 */
export async function settleAbandonedTransition(
  client: DynamoDBDocumentClient,
  tableName: string,
  t: AbandonedTransition,
): Promise<boolean> {
  const at = t.now.toISOString();
  try {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key(t.region),
        UpdateExpression: `SET #status = :to, since = :now, lastTransitionAt = :now${t.cause ? ', lastFailureCause = :cause' : ''}${t.countFailure ? ', consecutiveFailures = consecutiveFailures + :one' : ''} REMOVE executionArn, transitionFrom ADD #version :one`,
        ConditionExpression: '#status = :from AND executionArn = :arn',
        ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
        ExpressionAttributeValues: {
          ':to': t.toStatus,
          ':from': t.fromStatus,
          ':arn': t.executionArn,
          ':now': at,
          ':one': 1,
          ...(t.cause ? { ':cause': t.cause.slice(0, 500) } : {}),
        },
      }),
    );
    return true;
  } catch (error) {
    if (isAwsError(error, 'ConditionalCheckFailedException')) return false;
    throw error;
  }
}
