import { describe, expect, it } from '@jest/globals';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { publishDemandCommand } from '../../../cli/commands/publish-demand';
import { exampleConfig } from '../../support/config-fixtures';

const external = exampleConfig((raw) => void (raw.demand = { source: 'external' }));

function run(args: string[], config = external) {
  const cloudWatch = mockClient(CloudWatchClient);
  cloudWatch.on(PutMetricDataCommand).resolves({});
  const errors: string[] = [];
  const command = publishDemandCommand({ loadConfig: () => config, print: () => undefined })
    .exitOverride()
    .configureOutput({ writeErr: (text) => errors.push(text), writeOut: () => undefined });
  return { cloudWatch, errors, done: command.parseAsync(args, { from: 'user' }) };
}

describe('publish-demand command', () => {
  it('sends a high-resolution sample when asked', async () => {
    const { cloudWatch, done } = run(['ap-southeast-1', '900', '--high-resolution']);
    await done;
    const [call] = cloudWatch.commandCalls(PutMetricDataCommand);
    expect(call!.args[0].input.MetricData![0]).toMatchObject({ Value: 900, StorageResolution: 1 });
    cloudWatch.restore();
  });

  it('refuses a user count that is not a number, before any AWS call', async () => {
    const { cloudWatch, errors, done } = run(['ap-southeast-1', 'many']);
    await expect(done).rejects.toThrow();
    expect(errors.join('')).toContain('"many" is not a number of users');
    expect(cloudWatch.commandCalls(PutMetricDataCommand)).toHaveLength(0);
    cloudWatch.restore();
  });

  it('refuses a region outside the lists, before any AWS call', async () => {
    const { cloudWatch, done } = run(['eu-central-1', '5']);
    await expect(done).rejects.toThrow(/region = "eu-central-1": is not an approved region/);
    expect(cloudWatch.commandCalls(PutMetricDataCommand)).toHaveLength(0);
    cloudWatch.restore();
  });

  it('refuses to publish beside the collector (demand.source edge-counters), before any AWS call', async () => {
    const { cloudWatch, done } = run(['ap-southeast-1', '900'], exampleConfig());
    await expect(done).rejects.toThrow(/demand\.source is "edge-counters"/);
    expect(cloudWatch.commandCalls(PutMetricDataCommand)).toHaveLength(0);
    cloudWatch.restore();
  });
});
