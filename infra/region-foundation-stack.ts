/**
 * What one approved region needs before the scale-up workflow can create a cluster there, and
 * that costs (almost) nothing while idle: a VPC with public subnets in two availability zones (no
 * NAT gateway), the EKS cluster and node roles, a security group, the KMS key that encrypts the
 * clusters' Kubernetes secrets ($1/month), the nodegroup's launch template and, with
 * edge.tls.enabled, the region's ACM certificate for the latency record's name (the edge's load
 * balancer ends TLS with it). The workflow reads these from the SSM parameter
 * `/<prefix>/foundation/<region>` in that region.
 *
 * What reaches the nodes: the launch template names no security group, so EKS gives the nodes the
 * cluster security group it creates (inbound only from the cluster's own members: control plane
 * and nodes), to which the cloud provider adds the edge Service's NodePorts for its load balancer.
 * The control plane's additional group here has no inbound rule, and no node has a key pair.
 */
import { Duration, Stack, Tags, Validations, type StackProps, RemovalPolicy } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { AutoscalerConfig } from '../functions/domain/config';
import {
  OWNER_TAG_KEY,
  clusterRoleName,
  foundationParameterName,
  nodeLaunchTemplateName,
  nodeRoleName,
} from '../functions/domain/naming';
import { LOG_RETENTION } from './autoscaler-log-group';
import { acknowledgeControlTowerRule } from './policy-validation';
import { grantsOnlyForAwsResources } from './stack-encryption-key';

export interface RegionFoundationStackProps extends StackProps {
  config: AutoscalerConfig;
  region: string;
}

/** The JSON document stored in the foundation parameter. */
export interface RegionFoundation {
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
  clusterRoleArn: string;
  nodeRoleArn: string;
  /** The region's certificate for dns.recordName, with edge.tls.enabled. */
  certificateArn?: string;
  /** The KMS key of the clusters' Kubernetes secrets (CreateCluster encryptionConfig). */
  secretsKeyArn: string;
  /** The nodegroup's launch template and the version CreateNodegroup uses. */
  nodeLaunchTemplate: { id: string; version: string };
}

export class RegionFoundationStack extends Stack {
  readonly vpc: ec2.Vpc;
  readonly clusterRole: iam.Role;
  readonly nodeRole: iam.Role;
  readonly foundationParameter: ssm.StringParameter;
  readonly secretsKey: kms.Key;
  readonly nodeLaunchTemplate: ec2.CfnLaunchTemplate;
  /** With edge.tls.enabled: the certificate the edge's load balancer serves for dns.recordName. */
  readonly certificate?: acm.Certificate;

  constructor(scope: Construct, id: string, props: RegionFoundationStackProps) {
    super(scope, id, props);
    const { config, region } = props;
    Tags.of(this).add(OWNER_TAG_KEY, config.prefix);

    this.vpc = new ec2.Vpc(this, 'EdgeVpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.80.0.0/16'),
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [
        { name: 'edge-public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 20, mapPublicIpOnLaunch: true },
      ],
    });
    for (const subnet of this.vpc.publicSubnets) {
      // Kubernetes places internet-facing load balancers in subnets carrying this tag.
      Tags.of(subnet).add('kubernetes.io/role/elb', '1');
      acknowledgeControlTowerRule(
        subnet,
        'CT.EC2.PR.11',
        'No NAT gateway on purpose (about $33/month per AZ, even while no cluster runs): the edge nodes run in these public subnets and need a public IP to reach EKS, ECR and the origin. Security groups limit inbound traffic.',
      );
    }

    const flowLogGroup = new logs.LogGroup(this, 'VpcFlowLogs', {
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeControlTowerRule(
      flowLogGroup,
      'CT.CLOUDWATCH.PR.3',
      "Rejected-connection records only (addresses and ports, no payload), encrypted at rest by CloudWatch Logs' own key; the region's customer-managed key encrypts the clusters' secrets and is usable only through EKS.",
    );
    this.vpc.addFlowLog('RejectedTraffic', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });

    const controlPlaneSecurityGroup = new ec2.SecurityGroup(this, 'ClusterSecurityGroup', {
      vpc: this.vpc,
      description: 'Additional security group of the edge EKS control plane (EKS adds its own cluster group)',
      allowAllOutbound: true,
    });

    this.clusterRole = new iam.Role(this, 'EksClusterRole', {
      roleName: clusterRoleName(config.prefix, region),
      assumedBy: new iam.ServicePrincipal('eks.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEKSClusterPolicy')],
    });
    this.nodeRole = new iam.Role(this, 'EksNodeRole', {
      roleName: nodeRoleName(config.prefix, region),
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEKSWorkerNodePolicy'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEKS_CNI_Policy'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEC2ContainerRegistryReadOnly'),
      ],
    });
    const requiredByEks: [iam.Role, string[]][] = [
      [this.clusterRole, ['AmazonEKSClusterPolicy']],
      [this.nodeRole, ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryReadOnly']],
    ];
    for (const [role, policies] of requiredByEks) {
      for (const policy of policies) {
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policy}]`,
          reason: `EKS requires the AWS-managed ${policy} on this role; AWS keeps it current as EKS evolves.`,
        });
      }
    }

    // The cluster and edge task role uses it through EKS; its IAM policy finds it by region and owner tag.
    this.secretsKey = new kms.Key(this, 'ClusterSecretsKey', {
      description: `Encrypts the Kubernetes secrets of the edge clusters in ${region}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      // A cluster still running when this stack is destroyed can no longer read its secrets:
      // the longest pending window leaves a month to cancel the deletion.
      pendingWindow: Duration.days(30),
    });
    this.secretsKey.addToResourcePolicy(grantsOnlyForAwsResources());

    this.nodeLaunchTemplate = this.nodeTemplate(config.prefix);

    if (config.edge.tls.enabled) {
      // ACM certificates are regional: each region's load balancer needs its own. DNS validation
      // needs only the zone's id (CloudFormation writes the validation record there and waits
      // for ISSUED); the certificates of every region share that one record.
      const zone = route53.HostedZone.fromHostedZoneId(this, 'RecordZone', config.dns.hostedZoneId);
      this.certificate = new acm.Certificate(this, 'EdgeCertificate', {
        domainName: config.dns.recordName.replace(/\.$/, ''),
        validation: acm.CertificateValidation.fromDns(zone),
      });
    }

    const foundation: RegionFoundation = {
      vpcId: this.vpc.vpcId,
      subnetIds: this.vpc.publicSubnets.map((s) => s.subnetId),
      securityGroupIds: [controlPlaneSecurityGroup.securityGroupId],
      clusterRoleArn: this.clusterRole.roleArn,
      nodeRoleArn: this.nodeRole.roleArn,
      ...(this.certificate && { certificateArn: this.certificate.certificateArn }),
      secretsKeyArn: this.secretsKey.keyArn,
      nodeLaunchTemplate: {
        id: this.nodeLaunchTemplate.ref,
        version: this.nodeLaunchTemplate.attrLatestVersionNumber,
      },
    };
    this.foundationParameter = new ssm.StringParameter(this, 'FoundationParameter', {
      parameterName: foundationParameterName(config.prefix, region),
      description: `Edge autoscaler foundation of ${region}: VPC, subnets, security groups, EKS roles (JSON)`,
      stringValue: this.toJsonString(foundation),
    });
  }

  /**
   * The nodegroup's launch template: the owner tag on the instances, their volumes and network
   * interfaces (the nodegroup's own tags stay on the nodegroup), IMDSv2 only with a hop limit of
   * one (pods cannot take the node role's credentials), an encrypted root volume, no key pair and
   * no security group. The AMI, user data and instance types stay EKS's and the nodegroup's.
   */
  private nodeTemplate(prefix: string): ec2.CfnLaunchTemplate {
    const ownerTag = [{ key: OWNER_TAG_KEY, value: prefix }];
    const template = new ec2.CfnLaunchTemplate(this, 'NodeLaunchTemplate', {
      launchTemplateName: nodeLaunchTemplateName(prefix),
      tagSpecifications: [{ resourceType: 'launch-template', tags: ownerTag }],
      launchTemplateData: {
        metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1, httpEndpoint: 'enabled' },
        // The root device of EKS's Amazon Linux 2023 AMIs, the size EKS gives it by default.
        blockDeviceMappings: [
          {
            deviceName: '/dev/xvda',
            ebs: { volumeSize: 20, volumeType: 'gp3', encrypted: true, deleteOnTermination: true },
          },
        ],
        tagSpecifications: ['instance', 'volume', 'network-interface'].map((resourceType) => ({
          resourceType,
          tags: ownerTag,
        })),
      },
    });
    acknowledgeControlTowerRule(
      template,
      'CT.EC2.PR.10',
      "No detailed (1-minute) EC2 monitoring: nothing reads the nodes' EC2 metrics (scaling follows the edge demand, node health is EKS's), and it would cost about $2.10 a month per node.",
    );
    return template;
  }
}
