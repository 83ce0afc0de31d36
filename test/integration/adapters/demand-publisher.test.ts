import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { publishDemand } from '../../../functions/adapters/demand-publisher';
import { cloudWatchClient, resetClients } from '../../../functions/commons/aws-clients';
import { publishDemandCommand } from '../../../cli/commands/publish-demand';
import { exampleConfig } from '../../support/config-fixtures';
import { describeWithMoto, useEmulator } from '../../support/moto';

// A home region of its own, so that no other suite's metrics are read back.
const config = exampleConfig((raw) => {
  raw.homeRegion = 'ca-central-1';
  raw.demand = { source: 'external' };
});
const minute = (m: number) => new Date(Date.UTC(2026, 10, 21, 10, m));

async function readBack(region: string) {
  const { Datapoints = [] } = await cloudWatchClient(config.homeRegion).send(
    new GetMetricStatisticsCommand({
      Namespace: 'EdgeAutoscaler',
      MetricName: 'ActiveUsers',
      Dimensions: [{ Name: 'Region', Value: region }],
      StartTime: minute(0),
      EndTime: minute(10),
      Period: 60,
      Statistics: ['Maximum'],
    }),
  );
  return Datapoints.map((d) => [d.Timestamp!.toISOString(), d.Maximum]).sort();
}

describeWithMoto('demand publisher against the emulator', () => {
  beforeAll(async () => {
    await useEmulator();
  });
  afterAll(() => resetClients());

  it('publishes samples that CloudWatch returns per region, in the home region', async () => {
    const sent = await publishDemand(cloudWatchClient(config.homeRegion), config, [
      { region: 'ap-southeast-1', users: 120, timestamp: minute(1) },
      { region: 'ap-southeast-1', users: 742, timestamp: minute(2) },
      { region: 'sa-east-1', users: 0, timestamp: minute(2) },
    ]);
    expect(sent).toBe(3);
    expect(await readBack('ap-southeast-1')).toEqual([
      ['2026-11-21T10:01:00.000Z', 120],
      ['2026-11-21T10:02:00.000Z', 742],
    ]);
    expect(await readBack('sa-east-1')).toEqual([['2026-11-21T10:02:00.000Z', 0]]);
  });

  it('publishes one sample from the publish-demand command and says what it sent', async () => {
    const lines: string[] = [];
    const command = publishDemandCommand({
      loadConfig: () => config,
      cloudWatch: (region) => cloudWatchClient(region),
      print: (line) => lines.push(line),
    });
    await command.parseAsync(['ap-south-1', '333', '--timestamp', '2026-11-21T10:05:00Z'], { from: 'user' });
    expect(lines).toEqual([
      'Published EdgeAutoscaler/ActiveUsers{Region=ap-south-1} = 333 at 2026-11-21T10:05:00.000Z in ca-central-1',
    ]);
    expect(await readBack('ap-south-1')).toEqual([['2026-11-21T10:05:00.000Z', 333]]);
  });

  it('sends nothing when one sample is invalid', async () => {
    await expect(
      publishDemand(cloudWatchClient(config.homeRegion), config, [
        { region: 'ap-northeast-1', users: 10, timestamp: minute(3) },
        { region: 'eu-central-1', users: 10, timestamp: minute(3) },
      ]),
    ).rejects.toThrow(/region = "eu-central-1": is not an approved region/);
    expect(await readBack('ap-northeast-1')).toEqual([]);
  });
});
