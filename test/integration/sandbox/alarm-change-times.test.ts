/**
 * The sandbox's alarm change times on the simulated clock, as a bundled Lambda's own SDK client
 * reads them: DescribeAlarms through the AWS proxy, the wire answer rewritten. Alarm names carry
 * this run's id: other suites share the emulator.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { stampAlarmChangeTimes } from '../../../sandbox/alarm-change-times';
import { startAwsFaultProxy, type AwsFaultProxy } from '../../../sandbox/aws-proxy';
import { describeWithMoto, motoEndpoint } from '../../support/moto';

const id = `act${Date.now().toString(36)}`;
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const simulated = Date.parse('2026-03-01T00:33:00.123Z');

describeWithMoto('alarm change times on the simulated clock', () => {
  let proxy: AwsFaultProxy;
  let throughProxy: CloudWatchClient;
  const stamped = `${id}-scale-up`;
  const unknown = `${id}-scale-down`;

  beforeAll(async () => {
    const direct = new CloudWatchClient({ region: 'us-east-1', endpoint: motoEndpoint(), credentials });
    for (const alarmName of [stamped, unknown]) {
      await direct.send(
        new PutMetricAlarmCommand({
          AlarmName: alarmName,
          Namespace: `${id}/Edge`,
          MetricName: 'ActiveUsers',
          Statistic: 'Average',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanThreshold',
        }),
      );
      await direct.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'ALARM', StateReason: 'test' }));
    }
    proxy = await startAwsFaultProxy(motoEndpoint());
    stampAlarmChangeTimes(proxy, (alarmName) => (alarmName === stamped ? simulated : undefined));
    throughProxy = new CloudWatchClient({ region: 'us-east-1', endpoint: proxy.endpoint, credentials });
  });

  afterAll(async () => {
    throughProxy.destroy();
    await proxy.close();
  });

  it('gives an alarm whose change the sandbox recorded that time, to the millisecond, as update and transition', async () => {
    const { MetricAlarms = [] } = await throughProxy.send(new DescribeAlarmsCommand({ AlarmNames: [stamped] }));
    expect(MetricAlarms).toHaveLength(1);
    expect(MetricAlarms[0]).toMatchObject({
      StateValue: 'ALARM',
      StateUpdatedTimestamp: new Date(simulated),
      StateTransitionedTimestamp: new Date(simulated),
    });
  });

  it("leaves moto's real-clock time on an alarm the sandbox never changed", async () => {
    const { MetricAlarms = [] } = await throughProxy.send(new DescribeAlarmsCommand({ AlarmNames: [unknown] }));
    const updatedAt = MetricAlarms[0]?.StateUpdatedTimestamp?.getTime();
    expect(Math.abs(updatedAt! - Date.now())).toBeLessThan(5 * 60_000);
    expect(MetricAlarms[0]?.StateTransitionedTimestamp).toBeUndefined();
  });
});
