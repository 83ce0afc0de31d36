/**
 * The edge configuration a region runs, named by one hash: the hash of the manifests the
 * deployment renders (the default nginx edge from the configuration and the built edge agent,
 * or the operator's manifest file). Every region records the hash of what it last applied
 * (RegionState.edgeConfiguration); a region whose hash differs from the deployment's runs an
 * older configuration, and the edge rollout brings it the new one.
 *
 * What differs between regions is left out of the hash: the region's TLS certificate ARN (ACM
 * renews a certificate in place, under the same ARN) is replaced by a placeholder, so one hash
 * names the configuration of every region.
 */
import { createHash } from 'node:crypto';
import type { AutoscalerConfig } from './config';
import { defaultEdgeManifests, type KubernetesManifest } from './edge-manifests';

/** Stands for each region's own certificate ARN in the manifests the hash is taken of. */
export const REGION_CERTIFICATE_PLACEHOLDER = 'arn:aws:acm:<region>:<account>:certificate/<the region certificate>';

export interface EdgeConfigurationInputs {
  /** The built edge agent (the default edge ships it in a ConfigMap). */
  agentScript: string;
  /** The operator's manifests (edge.manifestsPath, validated at synth), which replace the default edge. */
  customManifests?: KubernetesManifest[];
}

/** The manifests a region gets: `certificateArn` is the region's (the placeholder for the hash). */
export function renderEdgeManifests(
  config: AutoscalerConfig,
  inputs: EdgeConfigurationInputs,
  certificateArn?: string,
): KubernetesManifest[] {
  if (inputs.customManifests) return inputs.customManifests;
  return defaultEdgeManifests(config, {
    agentScript: inputs.agentScript,
    certificateArn: config.edge.tls.enabled ? certificateArn : undefined,
  });
}

/** sha256 (hex) of the manifests, with object keys in a fixed order: the same objects give the same hash. */
export function manifestsHash(manifests: KubernetesManifest[]): string {
  return createHash('sha256').update(canonicalJson(manifests)).digest('hex');
}

/** The hash every region of this deployment should run. */
export function edgeConfigurationHash(config: AutoscalerConfig, inputs: EdgeConfigurationInputs): string {
  return manifestsHash(renderEdgeManifests(config, inputs, REGION_CERTIFICATE_PLACEHOLDER));
}

/** The short form people read (regionctl status, notifications): the first 12 hex digits. */
export const shortConfigurationHash = (hash: string) => hash.slice(0, 12);

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
