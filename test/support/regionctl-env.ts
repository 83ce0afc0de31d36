/** A regionctl CommandEnv for in-process tests: real SDK clients (AWS_ENDPOINT_URL), a fixed clock, captured output. */
import { createAwsClients } from '../../cli/aws-clients';
import type { CommandEnv } from '../../cli/command-env';
import { capturedOutput, type CapturedOutput } from './captured-output';

export function regionctlEnv(
  prefix: string,
  now: Date,
  homeRegion = 'us-east-1',
): CommandEnv & { out: CapturedOutput } {
  return {
    target: { prefix, homeRegion },
    clients: createAwsClients({ region: homeRegion }),
    out: capturedOutput(),
    now: () => now,
    sleep: async () => undefined,
  };
}
