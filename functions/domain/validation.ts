/** Turns zod issues into one readable line each: `<root>.<field> = <value>: <message>`. */
import type { z } from 'zod';

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
