/**
 * The purge Lambda's input, `{ "path": "/images/", "prefix": true, "regions": ["eu-west-1"] }`:
 * `path` in cache-key form (decoded, no query: see purgePathProblem), `prefix` whether every path
 * under it is purged, `regions` (optional) the approved regions to purge instead of every serving
 * one. Checked whole before any AWS call; each problem names its field and the fix.
 */
import { z } from 'zod';
import { purgePathProblem } from '../domain/cache-purge';

export function purgeInputSchema(approvedRegions: () => readonly string[]) {
  return z.strictObject({
    path: z.string({ error: 'must be the path to purge, e.g. "/images/logo.png"' }).superRefine((path, context) => {
      const problem = purgePathProblem(path);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    }),
    prefix: z.boolean({
      error: 'must be true (every path that starts with path) or false (the path itself, each of its variants)',
    }),
    regions: z
      .array(z.string({ error: 'must be a region code, e.g. "eu-west-1"' }), {
        error: 'must be a list of approved regions, e.g. ["eu-west-1"]; leave it out to purge every serving region',
      })
      .min(1, { error: 'must name at least one region; leave it out to purge every serving region' })
      .superRefine((regions, context) => {
        const approved = approvedRegions();
        regions.forEach((region, i) => {
          if (!approved.includes(region)) {
            context.addIssue({
              code: 'custom',
              path: [i],
              message: `is not an approved region of this autoscaler; fix: use one of ${approved.join(', ')}`,
            });
          }
        });
      })
      .optional(),
  });
}

export type PurgeInput = z.output<ReturnType<typeof purgeInputSchema>>;
