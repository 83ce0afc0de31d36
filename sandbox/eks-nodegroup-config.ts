/**
 * UpdateNodegroupConfig and nodegroup warm pools for the emulated cloud: moto 5.2.1 applies an
 * UpdateNodegroupConfig's sizes at once (the nodegroup stays ACTIVE), and neither keeps nor
 * echoes a nodegroup's `warmPoolConfig`. Installed on the AWS proxy (aws-proxy.ts), this plays
 * them as EKS does:
 *   - CreateNodegroup and UpdateNodegroupConfig are served: sent on to moto (which keeps the rest
 *     of the nodegroup) with an SDK client, their `warmPoolConfig` remembered, and DescribeNodegroup
 *     shows it (a later update's fields merged over the earlier ones);
 *   - after an UpdateNodegroupConfig the nodegroup is UPDATING for `updateSeconds` measured on this
 *     process's Date (which the tests and the sandbox drive virtually), and an update meanwhile is
 *     refused with ResourceInUseException, as EKS refuses it.
 * A served CreateNodegroup's answer passes no other emulation's response rewrite: the EKS version
 * emulation (eks-version-updates.ts) learns a nodegroup's versions from its first describe instead.
 * `proxy.reset()` drops the describe rewrite: install again after it.
 */
import {
  CreateNodegroupCommand,
  UpdateNodegroupConfigCommand,
  type CreateNodegroupCommandInput,
  type CreateNodegroupCommandOutput,
  type UpdateNodegroupConfigCommandInput,
  type UpdateNodegroupConfigCommandOutput,
  type WarmPoolConfig,
} from '@aws-sdk/client-eks';
import { AwsServiceFault, type AwsFaultProxy, type RemoveRule, type ServedRequest } from './aws-proxy';
import { UpstreamEksClients } from './upstream-eks';

export interface NodegroupConfigOptions {
  /** Simulated seconds a nodegroup is UPDATING after UpdateNodegroupConfig (EKS: half a minute to a minute). */
  updateSeconds?: number;
}

type JsonObject = Record<string, unknown>;

/** restJson1 sends timestamps as epoch seconds: an SDK output made wire JSON again. */
function wire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(wire);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wire(v)]));
  }
  return value;
}

/** The region of an EKS ARN (arn:aws:eks:<region>:<account>:nodegroup/<cluster>/<name>/<id>). */
const regionOfArn = (arn: unknown) => (typeof arn === 'string' ? arn.split(':')[3] : undefined);

export class EmulatedNodegroupConfig {
  private readonly updateSeconds: number;
  /** Keyed `region/cluster/nodegroup`. */
  private readonly warmPools = new Map<string, WarmPoolConfig>();
  /** When each nodegroup's update in progress ends (ms of this process's Date). */
  private readonly updatingUntil = new Map<string, number>();
  private readonly moto: UpstreamEksClients;
  private removeRules: RemoveRule = () => undefined;

  constructor(
    /** moto's endpoint, where the served calls are sent on. */
    upstream: string,
    options: NodegroupConfigOptions = {},
  ) {
    this.moto = new UpstreamEksClients(upstream);
    this.updateSeconds = options.updateSeconds ?? 40;
  }

  /** Serves the calls and rewrites the describes on `proxy` (again after a proxy.reset()). */
  install(proxy: AwsFaultProxy): RemoveRule {
    this.removeRules();
    const eks = (operation: string) => ({ service: 'eks', operation });
    const removers = [
      proxy.serve(eks('CreateNodegroup'), (r) => this.createNodegroup(r)),
      proxy.serve(eks('UpdateNodegroupConfig'), (r) => this.updateNodegroupConfig(r)),
      proxy.rewriteJson<{ nodegroup?: JsonObject }>(eks('DescribeNodegroup'), (body) => this.show(body.nodegroup)),
      proxy.rewriteJson<{ nodegroup?: JsonObject }>(eks('DeleteNodegroup'), (body) => this.forget(body.nodegroup)),
    ];
    this.removeRules = () => removers.forEach((remove) => remove());
    return this.removeRules;
  }

  /** The warm pool the nodegroup was given (CreateNodegroup or UpdateNodegroupConfig), if any. */
  warmPool(region: string, cluster: string, nodegroup: string): WarmPoolConfig | undefined {
    return this.warmPools.get(`${region}/${cluster}/${nodegroup}`);
  }

  private async createNodegroup(request: ServedRequest) {
    const [, clusterName = ''] = request.segments;
    const input = { ...request.body, clusterName } as unknown as CreateNodegroupCommandInput;
    const { nodegroup } = await this.moto.send<CreateNodegroupCommandOutput>(
      request.region,
      new CreateNodegroupCommand(input),
    );
    const key = `${request.region}/${clusterName}/${input.nodegroupName}`;
    if (input.warmPoolConfig) this.warmPools.set(key, { ...input.warmPoolConfig });
    return { body: { nodegroup: wire({ ...nodegroup, warmPoolConfig: this.warmPools.get(key) }) } };
  }

  private async updateNodegroupConfig(request: ServedRequest) {
    const [, clusterName = '', , nodegroupName = ''] = request.segments;
    const key = `${request.region}/${clusterName}/${nodegroupName}`;
    if ((this.updatingUntil.get(key) ?? 0) > Date.now()) {
      throw new AwsServiceFault({
        code: 'ResourceInUseException',
        status: 409,
        message: `Nodegroup ${nodegroupName} has an update in progress; wait for it to finish`,
      });
    }
    const input = { ...request.body, clusterName, nodegroupName } as unknown as UpdateNodegroupConfigCommandInput;
    const { update } = await this.moto.send<UpdateNodegroupConfigCommandOutput>(
      request.region,
      new UpdateNodegroupConfigCommand(input),
    );
    if (input.warmPoolConfig) this.warmPools.set(key, { ...this.warmPools.get(key), ...input.warmPoolConfig });
    this.updatingUntil.set(key, Date.now() + this.updateSeconds * 1000);
    return { body: { update: wire({ ...update, status: 'InProgress' }) } };
  }

  private show(nodegroup: JsonObject | undefined): void {
    const key = this.keyOf(nodegroup);
    if (!nodegroup || !key) return;
    const pool = this.warmPools.get(key);
    if (pool) nodegroup.warmPoolConfig = { ...pool };
    if ((this.updatingUntil.get(key) ?? 0) > Date.now() && nodegroup.status === 'ACTIVE') nodegroup.status = 'UPDATING';
  }

  private forget(nodegroup: JsonObject | undefined): void {
    const key = this.keyOf(nodegroup);
    if (!key) return;
    this.warmPools.delete(key);
    this.updatingUntil.delete(key);
  }

  private keyOf(nodegroup: JsonObject | undefined): string | undefined {
    const region = regionOfArn(nodegroup?.nodegroupArn);
    const { clusterName, nodegroupName } = nodegroup ?? {};
    if (!region || typeof clusterName !== 'string' || typeof nodegroupName !== 'string') return undefined;
    return `${region}/${clusterName}/${nodegroupName}`;
  }
}

/** Plays UpdateNodegroupConfig and nodegroup warm pools on `proxy` (moto has neither as EKS does). */
export function installNodegroupConfig(
  proxy: AwsFaultProxy,
  upstream: string,
  options: NodegroupConfigOptions = {},
): EmulatedNodegroupConfig {
  const emulation = new EmulatedNodegroupConfig(upstream, options);
  emulation.install(proxy);
  return emulation;
}
