/**
 * Per test file of the unit project: points the edge task's source-only hook at the counter the
 * global setup built. Each test file has its own copy of the environment, so the integration
 * project's files never see the hook.
 */
import { DEMAND_COUNTER_SCRIPT_ENV } from '../../functions/domain/edge-manifests';

export const BUILT_DEMAND_COUNTER_ENV = 'BUILT_DEMAND_COUNTER';

const built = process.env[BUILT_DEMAND_COUNTER_ENV];
if (built) process.env[DEMAND_COUNTER_SCRIPT_ENV] = built;
