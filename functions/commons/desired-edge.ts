/**
 * The edge this deployment wants every region to run, in one place: the manifests rendered from
 * the configuration and the files the Lambda ships (the built edge agent, the operator's custom
 * manifests), and their hash. The edge task applies them and reports the hash; the reconciler
 * compares each ACTIVE region's recorded hash with it to start a rollout.
 */
import type { AutoscalerConfig } from '../domain/config';
import { edgeConfigurationHash, type EdgeConfigurationInputs } from '../domain/edge-configuration';
import { customEdgeManifests, edgeAgentScript } from './bundled-files';

/** The shipped inputs of the edge manifests (read once per Lambda environment). */
export function desiredEdgeInputs(config: AutoscalerConfig): EdgeConfigurationInputs {
  return { agentScript: edgeAgentScript(), customManifests: customEdgeManifests(config) };
}

/** The edge configuration hash every region of this deployment should run (RegionState.edgeConfiguration). */
export function desiredEdgeConfiguration(config: AutoscalerConfig): string {
  return edgeConfigurationHash(config, desiredEdgeInputs(config));
}
