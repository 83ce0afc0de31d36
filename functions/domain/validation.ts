/** Validation helpers: zod issues as one readable line each (`<root>.<field> = <value>: <message>`), and the number schemas the configuration modules share. */
import { z } from 'zod';

export function describeIssues(error: z.ZodError, root: string, input: unknown): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String);
    const value = valueAt(input, path);
    const shown = value === undefined ? 'missing' : JSON.stringify(value);
    return `${[root, ...path].join('.')} = ${shown}: ${issue.message}`;
  });
}

export function valueAt(root: unknown, path: string[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** A whole, positive number of seconds, with the fix in each message. */
export const positiveSeconds = (example: number) =>
  z
    .number({ error: `must be a number of seconds; fix: use for example ${example}` })
    .int({ error: `must be a whole number of seconds; fix: use for example ${example}` })
    .positive({ error: `must be greater than 0 seconds; fix: use for example ${example}` });

/** A whole, positive count of `what`, with the fix in each message. */
export const positiveInt = (what: string, example: number) =>
  z
    .number({ error: `must be a number (${what}); fix: use for example ${example}` })
    .int({ error: `must be a whole number (${what}); fix: use for example ${example}` })
    .positive({ error: `must be greater than 0 (${what}); fix: use for example ${example}` });
