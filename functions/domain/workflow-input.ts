/**
 * The documented input of the scale-up and scale-down workflows. The decision Lambda, the
 * reconciler, `regionctl` and an operator using the raw StartExecution API all send this shape:
 *
 *   { "region": "ap-southeast-1", "reason": "launch of ...", "requestedBy": "operator",
 *     "requestedAt": "2026-11-21T10:00:00Z" }
 */
import { z } from 'zod';

export const REQUESTERS = ['alarm', 'reconciler', 'operator'] as const;

export const workflowInputSchema = z.strictObject({
  region: z.string().min(1, { error: 'is required: the AWS region code to scale, e.g. "ap-southeast-1"' }),
  reason: z.string().max(500).default('manual request'),
  requestedBy: z.enum(REQUESTERS).default('operator'),
  requestedAt: z.iso.datetime({ offset: true }).optional(),
});

export type WorkflowInput = z.output<typeof workflowInputSchema>;
export type WorkflowInputRaw = z.input<typeof workflowInputSchema>;
