/**
 * Fault injection for the real SDK clients the handlers use: a middleware on a client that makes
 * the next N calls of one command fail with a given AWS error, before the request leaves (and
 * outside the SDK's own retries, so the workflow's Retry is what recovers).
 */

let counter = 0;

export function awsError(name: string, httpStatusCode: number, message = `${name} (injected)`): Error {
  return Object.assign(new Error(message), {
    name,
    $metadata: { httpStatusCode },
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
  });
}

/** Makes the next `times` calls of `commandName` on `client` throw `error`; returns a remover. */
/** The part of an SDK v3 client this needs. */
interface WithMiddleware {
  middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
    remove(name: string): boolean;
  };
}

export function failNextCalls(client: WithMiddleware, commandName: string, error: Error, times = 1): () => void {
  let remaining = times;
  const name = `inject-fault-${++counter}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === commandName && remaining > 0) {
        remaining -= 1;
        throw error;
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  return () => void client.middlewareStack.remove(name);
}

/**
 * Rewrites the output of every call of `commandName` on `client` (e.g. to play a state the
 * emulator never reports, such as a CREATING cluster); returns a remover.
 */
export function rewriteOutputs<O>(
  client: WithMiddleware,
  commandName: string,
  rewrite: (output: O) => void,
): () => void {
  const name = `rewrite-output-${++counter}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = (await next(args)) as { output: O };
      if (context.commandName === commandName) rewrite(result.output);
      return result;
    },
    { step: 'initialize', name },
  );
  return () => void client.middlewareStack.remove(name);
}
