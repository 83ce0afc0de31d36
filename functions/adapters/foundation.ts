/**
 * Reads a region's foundation (subnets, security groups, EKS roles, the edge's certificate) from
 * the SSM parameter that the region's foundation stack writes in that region.
 */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { InvalidRequestError } from '../domain/errors';
import { foundationParameterName, regionStackName } from '../domain/naming';
import { describeIssues } from '../domain/validation';
import { regionFoundationSchema, type RegionFoundationDoc } from '../tasks/contract';
import { callAws, isAwsError } from './aws-errors';

/** `ssm` must be a client of `region` itself: each foundation parameter lives in its own region. */
export async function loadFoundation(ssm: SSMClient, prefix: string, region: string): Promise<RegionFoundationDoc> {
  const name = foundationParameterName(prefix, region);
  const fix = deployFix(prefix, region);
  let value: string | undefined;
  try {
    const { Parameter } = await callAws('GetParameter', () => ssm.send(new GetParameterCommand({ Name: name })));
    value = Parameter?.Value;
  } catch (error) {
    if (isAwsError(error, 'ParameterNotFound')) {
      throw new InvalidRequestError(
        `The foundation of ${region} is missing: no SSM parameter ${name} in ${region}; ${fix}`,
      );
    }
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(value ?? '');
  } catch {
    throw new InvalidRequestError(`The foundation parameter ${name} in ${region} is not JSON; ${fix}`);
  }
  const parsed = regionFoundationSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error, name, raw).join('; ');
    throw new InvalidRequestError(`The foundation parameter ${name} in ${region} is invalid: ${problems}; ${fix}`);
  }
  return parsed.data;
}

/**
 * The region's certificate for the edge's TLS listener (edge.tls.enabled), from its foundation.
 * A foundation deployed without one (TLS off then, or before TLS existed) is InvalidRequestError.
 */
export async function loadEdgeCertificateArn(ssm: SSMClient, prefix: string, region: string): Promise<string> {
  const { certificateArn } = await loadFoundation(ssm, prefix, region);
  if (certificateArn) return certificateArn;
  throw new InvalidRequestError(
    `The foundation of ${region} has no edge certificate: the SSM parameter ${foundationParameterName(prefix, region)} in ${region} has no certificateArn, and edge.tls.enabled needs one; ${deployFix(prefix, region)}, which issues it, or set edge.tls.enabled to false`,
  );
}

/** The foundation with what creating a cluster and its nodegroup needs: the secrets key and the launch template. */
export type ClusterFoundation = RegionFoundationDoc &
  Required<Pick<RegionFoundationDoc, 'secretsKeyArn' | 'nodeLaunchTemplate'>>;

/**
 * The region's foundation for creating a cluster or nodegroup. A foundation deployed before the
 * secrets key and the launch template existed is InvalidRequestError, naming the stack to deploy.
 */
export async function loadClusterFoundation(
  ssm: SSMClient,
  prefix: string,
  region: string,
): Promise<ClusterFoundation> {
  const foundation = await loadFoundation(ssm, prefix, region);
  const { secretsKeyArn, nodeLaunchTemplate } = foundation;
  if (secretsKeyArn && nodeLaunchTemplate) return { ...foundation, secretsKeyArn, nodeLaunchTemplate };
  const missing = [!secretsKeyArn && 'secretsKeyArn', !nodeLaunchTemplate && 'nodeLaunchTemplate'].filter(Boolean);
  throw new InvalidRequestError(
    `The foundation of ${region} predates encrypted, tagged clusters: the SSM parameter ${foundationParameterName(prefix, region)} in ${region} has no ${missing.join(' and no ')}; ${deployFix(prefix, region)}`,
  );
}

function deployFix(prefix: string, region: string): string {
  const stack = regionStackName(prefix, region);
  return `fix: deploy the stack ${stack} (npx cdk deploy ${stack})`;
}
