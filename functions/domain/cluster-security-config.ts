/**
 * The configuration of who may manage the edge clusters and from where (`cluster.adminRoleArns`,
 * `cluster.endpointPublicAccessCidrs`): their schemas, each problem reported with its fix.
 *
 * The public endpoint default is 0.0.0.0/0 on purpose. The cluster and edge task Lambdas run
 * outside any VPC, so their requests to the Kubernetes API come from Lambda's shared, changing
 * addresses: any narrower list locks the workflows out of their own clusters unless the Lambdas
 * get fixed egress addresses (a VPC with a NAT gateway and Elastic IPs, about $33/month per AZ in
 * the home region), whose addresses then go in this list. Open to the internet, the endpoint still
 * admits only signed IAM identities that hold an access entry (authentication mode API).
 */
import { z } from 'zod';

/** EKS accepts at most this many CIDR blocks for the public endpoint. */
export const MAX_PUBLIC_ACCESS_CIDRS = 40;
export const DEFAULT_PUBLIC_ACCESS_CIDRS = ['0.0.0.0/0'];

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Address ranges no client on the internet has: they reach the cluster through its private endpoint. */
const NON_PUBLIC_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '169.254.0.0/16'];

interface Cidr {
  address: number;
  length: number;
}

function parseCidr(text: string): Cidr | undefined {
  const match = IPV4_CIDR.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const length = Number(match[5]);
  if (octets.some((o) => o > 255) || length > 32) return undefined;
  return { address: octets.reduce((sum, o) => sum * 256 + o, 0), length };
}

const blockSize = (length: number) => 2 ** (32 - length);
const formatAddress = (address: number) =>
  [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join('.');
const within = (inner: Cidr, outer: Cidr) =>
  inner.length >= outer.length &&
  Math.floor(inner.address / blockSize(outer.length)) === Math.floor(outer.address / blockSize(outer.length));

/** Why `text` cannot restrict the public endpoint, or undefined when it can. */
export function publicCidrProblem(text: string): string | undefined {
  const cidr = parseCidr(text);
  if (!cidr) return 'is not an IPv4 CIDR block; fix: use for example "203.0.113.0/24", or "0.0.0.0/0" for any address';
  const network = cidr.address - (cidr.address % blockSize(cidr.length));
  if (network !== cidr.address) {
    return `has host bits set; fix: use the network address "${formatAddress(network)}/${cidr.length}"`;
  }
  const range = NON_PUBLIC_RANGES.find((r) => within(cidr, parseCidr(r)!));
  if (range) {
    return `is inside ${range}, which no client on the internet has: the public endpoint sees public addresses only, and the VPC reaches the cluster through its private endpoint (always on); fix: give public addresses, e.g. your NAT gateways' Elastic IPs as "<ip>/32"`;
  }
  return undefined;
}

export const endpointPublicAccessCidrsSchema = z
  .array(
    z.string().superRefine((text, ctx) => {
      const problem = publicCidrProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  )
  .min(1, {
    error:
      'must list at least one CIDR block; fix: use ["0.0.0.0/0"] (the default), or the fixed egress addresses of the task Lambdas and of the people who run kubectl',
  })
  .max(MAX_PUBLIC_ACCESS_CIDRS, {
    error: `lists more than the ${MAX_PUBLIC_ACCESS_CIDRS} CIDR blocks EKS accepts; fix: merge neighbouring blocks`,
  })
  .superRefine((list, ctx) => {
    list.forEach((cidr, i) => {
      if (list.indexOf(cidr) !== i)
        ctx.addIssue({ code: 'custom', path: [i], input: cidr, message: `lists ${cidr} twice; fix: keep one entry` });
    });
  })
  .default(DEFAULT_PUBLIC_ACCESS_CIDRS);

const ROLE_ARN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const SESSION_ARN = /^arn:aws(-cn|-us-gov)?:sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\//;

/** Why `text` is not the ARN of an IAM role that can hold an access entry, or undefined. */
export function adminRoleArnProblem(text: string): string | undefined {
  const session = SESSION_ARN.exec(text);
  if (session) {
    const [, partition = '', account, role] = session;
    return `is the ARN of an STS session (as "aws sts get-caller-identity" prints it), which changes with every session; fix: use the role's ARN, "arn:aws${partition}:iam::${account}:role/${role}"`;
  }
  if (ROLE_ARN.test(text)) return undefined;
  if (/^arn:aws(-cn|-us-gov)?:iam::\d{12}:user\//.test(text)) {
    return "is an IAM user; fix: give the people an IAM role (e.g. their SSO permission set role) and list that role's ARN";
  }
  return 'is not an IAM role ARN; fix: use for example "arn:aws:iam::123456789012:role/platform-admins"';
}

export const adminRoleArnsSchema = z
  .array(
    z.string().superRefine((text, ctx) => {
      const problem = adminRoleArnProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  )
  .superRefine((list, ctx) => {
    list.forEach((arn, i) => {
      if (list.indexOf(arn) !== i)
        ctx.addIssue({ code: 'custom', path: [i], input: arn, message: `lists ${arn} twice; fix: keep one entry` });
    });
  })
  .default([]);
