import { DeleteParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { createAwsClients } from '../../../cli/aws-clients';
import { showStatus } from '../../../cli/commands/status';
import { discoverDeployment } from '../../../cli/discovery';
import { EXIT } from '../../../cli/exit-codes';
import { resetClients } from '../../../functions/commons/aws-clients';
import { capturedOutput } from '../../support/captured-output';
import { exampleConfig } from '../../support/config-fixtures';
import { deployControlStack, uniquePrefix } from '../../support/control-stack-fixture';
import { describeWithMoto, useEmulator } from '../../support/moto';
import { regionctlEnv } from '../../support/regionctl-env';

const NOW = new Date('2026-11-21T10:00:00.000Z');

describeWithMoto('regionctl finds the deployed autoscaler', () => {
  let savedEnv: NodeJS.ProcessEnv;
  beforeAll(async () => {
    await useEmulator();
    savedEnv = { ...process.env };
  });
  afterEach(() => {
    process.env = { ...savedEnv };
  });
  afterAll(() => resetClients());

  it('reads the control stack outputs and the deployed configuration', async () => {
    const stack = await deployControlStack(exampleConfig((c) => void (c.prefix = uniquePrefix('ctlfind'))));
    const deployment = await discoverDeployment(createAwsClients({ region: 'us-east-1' }), {
      prefix: stack.config.prefix,
    });
    expect(deployment).toEqual({
      stackName: `${stack.config.prefix}-control`,
      homeRegion: 'us-east-1',
      stateTableName: stack.stateTableName,
      notificationTopicArn: `arn:aws:sns:us-east-1:123456789012:${stack.config.prefix}-notifications`,
      scaleUpStateMachineArn: stack.scaleUpStateMachineArn,
      scaleDownStateMachineArn: stack.scaleDownStateMachineArn,
      configParameterName: `/${stack.config.prefix}/config`,
      dashboardName: `${stack.config.prefix}-autoscaler`,
      purgeFunctionName: `${stack.config.prefix}-purge-handler`,
      edgeRolloutStateMachineArn: stack.edgeRolloutStateMachineArn,
      clusterUpgradeStateMachineArn: stack.clusterUpgradeStateMachineArn,
      config: stack.config,
    });
  });

  it('says which stack is missing in which region, and suggests --region/--prefix', async () => {
    const env = regionctlEnv('nosuchprefix', NOW, 'eu-west-3');
    expect(await showStatus(env)).toBe(EXIT.environment);
    expect(env.out.errors).toEqual([
      'regionctl: The autoscaler is not deployed here: no stack nosuchprefix-control in eu-west-3 for these credentials; fix: pass --region <its home region> and --prefix <its prefix>, or deploy it with "npx cdk deploy --all"',
    ]);
    expect(env.out.lines).toEqual([]);
  });

  it('says when the stack names a configuration parameter that is gone', async () => {
    const stack = await deployControlStack(exampleConfig((c) => void (c.prefix = uniquePrefix('ctlnoparam'))));
    await new SSMClient({ region: 'us-east-1' }).send(new DeleteParameterCommand({ Name: stack.configParameterName }));
    const env = regionctlEnv(stack.config.prefix, NOW);
    expect(await showStatus(env)).toBe(EXIT.environment);
    expect(env.out.errors).toEqual([
      `regionctl: Stack ${stack.stackName} names the configuration parameter ${stack.configParameterName}, but it does not exist in us-east-1; fix: redeploy the control stack ("npx cdk deploy ${stack.stackName}")`,
    ]);
  });

  it('says that there are no credentials, and how to provide them, when the chain finds none', async () => {
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
      delete process.env[name];
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    const env = { ...regionctlEnv('edgescale', NOW), clients: createAwsClients({ region: 'us-east-1' }) };
    expect(await showStatus(env)).toBe(EXIT.environment);
    expect(env.out.errors).toEqual([
      'regionctl: No AWS credentials found (Could not load credentials from any providers); fix: run "aws configure" or "aws sso login", set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or pass --profile NAME',
    ]);

    const withProfile = {
      ...env,
      out: capturedOutput(),
      clients: createAwsClients({ region: 'us-east-1', profile: 'ops' }),
    };
    expect(await showStatus(withProfile)).toBe(EXIT.environment);
    expect(withProfile.out.errors).toEqual(env.out.errors);
  });
});
