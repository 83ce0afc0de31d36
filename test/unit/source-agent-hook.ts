/**
 * Per test file of the unit project: points the edge task's source-only hook at the counter the
 * global setup built. Each test file has its own copy of the environment, so the integration
 * project's files never see the hook.
 */
import { EDGE_AGENT_SCRIPT_ENV } from '../../functions/domain/edge-manifests';

export const BUILT_EDGE_AGENT_ENV = 'BUILT_EDGE_AGENT';

const built = process.env[BUILT_EDGE_AGENT_ENV];
if (built) process.env[EDGE_AGENT_SCRIPT_ENV] = built;
