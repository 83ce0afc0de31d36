/**
 * The bearer token with which an IAM identity authenticates to an EKS cluster's API server, as
 * `aws eks get-token` makes it: `k8s-aws-v1.` + base64url(a presigned STS GetCallerIdentity
 * URL that signs the header `x-k8s-aws-id: <cluster name>`). EKS calls that URL to learn who we
 * are. No kubectl or aws-iam-authenticator binary is needed.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

type CredentialSource = () => Promise<AwsCredentials>;

let lambdaCredentials: CredentialSource | undefined;

/** The Lambda's own credentials (environment, then the rest of the SDK's chain), cached. */
function defaultCredentials(): CredentialSource {
  lambdaCredentials ??= defaultProvider();
  return lambdaCredentials;
}

/** EKS accepts tokens up to 15 minutes old; a short expiry limits what a leaked token is worth. */
const TOKEN_EXPIRES_SECONDS = 60;

export async function eksBearerToken(
  clusterName: string,
  region: string,
  credentials: CredentialSource = defaultCredentials(),
): Promise<string> {
  const hostname = `sts.${region}.amazonaws.com`;
  const signer = new SignatureV4({ credentials, region, service: 'sts', sha256: Sha256 });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, 'x-k8s-aws-id': clusterName },
    },
    { expiresIn: TOKEN_EXPIRES_SECONDS },
  );
  const query = Object.entries(presigned.query ?? {})
    .flatMap(([key, value]) => (Array.isArray(value) ? value : [value]).map((v) => [key, v ?? ''] as const))
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&');
  const url = `https://${hostname}/?${query}`;
  return `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;
}
