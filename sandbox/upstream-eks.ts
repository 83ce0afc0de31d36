/**
 * EKS clients that talk to the emulator behind the AWS proxy directly (not through the proxy), one
 * per region, for the emulations that answer EKS calls moto lacks by reading or writing moto's own
 * state. An AWS error moto returns is rethrown as the proxy's AwsServiceFault, so the caller sees it.
 */
import { EKSClient } from '@aws-sdk/client-eks';
import { AwsServiceFault } from './aws-proxy';

export class UpstreamEksClients {
  private readonly clients = new Map<string, EKSClient>();

  constructor(private readonly upstream: string) {}

  in(region: string): EKSClient {
    let client = this.clients.get(region);
    if (!client) {
      client = new EKSClient({
        region,
        endpoint: this.upstream,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
        maxAttempts: 1,
      });
      this.clients.set(region, client);
    }
    return client;
  }

  /** Sends `command` to moto; its AWS error is answered as the same error. */
  async send<O>(region: string, command: object): Promise<O> {
    try {
      // Any EKS command: the SDK's overloads do not take a union of them.
      return (await this.in(region).send(command as never)) as O;
    } catch (error) {
      const { name, message, $metadata } = error as Error & { $metadata?: { httpStatusCode?: number } };
      throw new AwsServiceFault({ code: name, status: $metadata?.httpStatusCode ?? 500, message });
    }
  }
}
