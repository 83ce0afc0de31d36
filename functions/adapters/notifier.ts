/** Publishes the workflows' notifications to the SNS topic of the control plane. */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notification } from '../domain/notifications';
import { callAws } from './aws-errors';

export async function publishNotification(sns: SNSClient, topicArn: string, notification: Notification): Promise<void> {
  await callAws('Publish', () =>
    sns.send(new PublishCommand({ TopicArn: topicArn, Subject: notification.subject, Message: notification.message })),
  );
}
