/**
 * The documented input of the scale-up and scale-down workflows. The decision Lambda, the
 * reconciler, `regionctl` and an operator using the raw StartExecution API all send this shape:
 *
 *   { "region": "ap-southeast-1", "reason": "launch of ...", "requestedBy": "operator",
 *     "requestedAt": "2026-11-21T10:00:00Z" }
 *
 * `target` (optional) says where the transition ends: a scale-up at ACTIVE (default) or WARM (a
 * warm-up: cluster and load balancer, no node, no record); a scale-down at WARM or INACTIVE. Left
 * out of a scale-down, the workflow decides: WARM for a region of warm.regions while the warm
 * tier's cost cap allows, else INACTIVE.
 */
import { z } from 'zod';
import { TRANSITION_TARGETS } from './region-state';

export const REQUESTERS = ['alarm', 'reconciler', 'operator'] as const;

export const workflowInputSchema = z.strictObject({
  region: z.string().min(1, { error: 'is required: the AWS region code to scale, e.g. "ap-southeast-1"' }),
  reason: z.string().max(500).default('manual request'),
  requestedBy: z.enum(REQUESTERS).default('operator'),
  requestedAt: z.iso.datetime({ offset: true }).optional(),
  target: z
    .enum(TRANSITION_TARGETS, {
      error:
        'must be "ACTIVE" or "WARM" for a scale-up, "WARM" or "INACTIVE" for a scale-down; fix: leave it out for the default',
    })
    .optional(),
});

export type WorkflowInput = z.output<typeof workflowInputSchema>;
export type WorkflowInputRaw = z.input<typeof workflowInputSchema>;
