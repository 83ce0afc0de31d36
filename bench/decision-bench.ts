/**
 * decisionP50Ms: median wall time of the decision Lambda's handler (parse, read the alarm's state,
 * read the fleet, policy, slot reservation, StartExecution, decision record) with every AWS call answered
 * at once by aws-sdk-client-mock. Measures the Lambda's own work, not AWS latency.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_FILE_ENV } from '../functions/commons/bundled-files';
import { loadCdkJsonConfig } from '../infra/config-source';

const PREFIX = 'edgescale';
const UP_ARN = `arn:aws:states:us-east-1:123456789012:stateMachine:${PREFIX}-scale-up`;
const DOWN_ARN = `arn:aws:states:us-east-1:123456789012:stateMachine:${PREFIX}-scale-down`;

const context = {
  functionName: `${PREFIX}-decision-handler`,
  awsRequestId: 'bench',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${PREFIX}-decision-handler`,
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

export async function measureDecisionP50Ms(invocations = 200): Promise<number> {
  // The handler runs from source, which has no bundle: the configuration of ./cdk.json in a file.
  const configDir = mkdtempSync(join(tmpdir(), 'decision-bench-'));
  const configFile = join(configDir, 'autoscaler-config.json');
  writeFileSync(configFile, JSON.stringify(loadCdkJsonConfig(fileURLToPath(new URL('..', import.meta.url)))));
  process.env[CONFIG_FILE_ENV] = configFile;
  process.env.STATE_TABLE_NAME = `${PREFIX}-region-state`;
  process.env.SCALE_UP_STATE_MACHINE_ARN = UP_ARN;
  process.env.SCALE_DOWN_STATE_MACHINE_ARN = DOWN_ARN;
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.AWS_REGION ??= 'us-east-1';
  const event = JSON.parse(
    readFileSync(fileURLToPath(new URL('../test/fixtures/alarm-events/scale-up-alarm.json', import.meta.url)), 'utf8'),
  );

  const dynamo = mockClient(DynamoDBDocumentClient);
  const sfn = mockClient(SFNClient);
  const cloudWatch = mockClient(CloudWatchClient);
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  // The handler's log lines and metric flushes would flood the benchmark's table; they go to
  // stdout, which is silenced while the handler runs (the modules may have been loaded earlier
  // by another benchmark with other settings, so the environment alone is not enough).
  const write = process.stdout.write;
  const warn = console.warn;
  try {
    process.stdout.write = (() => true) as typeof process.stdout.write;
    console.warn = () => undefined;
    dynamo.on(GetCommand).callsFake(async (input: { Key: { pk: string; sk: string } }) => ({
      Item:
        input.Key.sk === 'state' && ['region#us-east-1', 'region#eu-west-1'].includes(input.Key.pk)
          ? {
              status: 'ACTIVE',
              since: '2026-11-01T00:00:00Z',
              activeSince: '2026-11-01T00:00:00Z',
              consecutiveFailures: 0,
            }
          : undefined,
    }));
    dynamo.on(PutCommand).resolves({});
    dynamo.on(UpdateCommand).resolves({});
    dynamo.on(TransactWriteCommand).resolves({});
    // The alarm is still in ALARM from the event's change: the decision goes on to start the workflow.
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: event.detail.alarmName,
          StateValue: 'ALARM',
          StateTransitionedTimestamp: new Date(event.detail.state.timestamp),
        },
      ],
    });
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    sfn.on(StartExecutionCommand).callsFake(async (input: { name: string }) => ({
      executionArn: `${UP_ARN.replace(':stateMachine:', ':execution:')}:${input.name}`,
      startDate: new Date(),
    }));

    const { handler } = (await import('../functions/decide/decision-handler')) as unknown as {
      handler: (event: unknown, context: Context) => Promise<unknown>;
    };
    for (let i = 0; i < 20; i++) await handler(event, context); // warm up (module load, JIT)
    const times: number[] = [];
    for (let i = 0; i < invocations; i++) {
      const start = performance.now();
      await handler(event, context);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const middle = Math.floor(times.length / 2);
    return times.length % 2 ? times[middle]! : (times[middle - 1]! + times[middle]!) / 2;
  } finally {
    process.stdout.write = write;
    console.warn = warn;
    dynamo.restore();
    sfn.restore();
    cloudWatch.restore();
    rmSync(configDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  measureDecisionP50Ms().then((ms) => console.log(JSON.stringify({ decisionP50Ms: Number(ms.toFixed(2)) })));
}
