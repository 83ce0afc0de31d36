/**
 * "Notify once": an item `pk = region#<region>, sk = notice#<topic>#<occurrence>` written with a
 * condition, so that of all the reconciler runs that see the same situation only the first one
 * sends the notification. Expires with the table's TTL.
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { isAwsError } from './aws-errors';

const NOTICE_RETENTION_DAYS = 30;

/** True the first time it is called for (region, topic, occurrence); false afterwards. */
export async function claimNotice(
  client: DynamoDBDocumentClient,
  tableName: string,
  region: string,
  topic: string,
  occurrence: string,
  now: Date,
): Promise<boolean> {
  try {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: `region#${region}`,
          sk: `notice#${topic}#${occurrence}`,
          sentAt: now.toISOString(),
          expiresAt: Math.floor(now.getTime() / 1000) + NOTICE_RETENTION_DAYS * 86_400,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (isAwsError(error, 'ConditionalCheckFailedException')) return false;
    throw error;
  }
}

/** SNS subjects are at most 100 characters. */
export async function notify(sns: SNSClient, topicArn: string, subject: string, message: string): Promise<void> {
  await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: subject.length > 100 ? `${subject.slice(0, 99)}…` : subject,
      Message: message,
    }),
  );
}
