/**
 * Where commands write. Results go to stdout, errors to stderr; on a terminal the workflow
 * progress is one line rewritten in place, elsewhere (pipes, CI logs) it is plain lines.
 */
export interface Output {
  /** One line of the command's result (stdout). */
  line(text?: string): void;
  /** One line of error (stderr). */
  error(text: string): void;
  /** True on an interactive terminal: `status` then rewrites one line in place. */
  readonly isTTY: boolean;
  /** Replaces the current status line (TTY only). */
  status(text: string): void;
  /** Clears the status line, so that the next `line` starts on an empty line. */
  clearStatus(): void;
}

const CLEAR_LINE = '\r\x1b[2K';

/** The part of a terminal stream that regionctl uses. */
export type TextStream = Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean; columns?: number };

export function processOutput(stdout: TextStream = process.stdout, stderr: TextStream = process.stderr): Output {
  let statusShown = false;
  const clearStatus = () => {
    if (statusShown) stdout.write(CLEAR_LINE);
    statusShown = false;
  };
  return {
    isTTY: Boolean(stdout.isTTY),
    line(text = '') {
      clearStatus();
      stdout.write(`${text}\n`);
    },
    error(text) {
      clearStatus();
      stderr.write(`${text}\n`);
    },
    status(text) {
      // A status line that wraps could not be rewritten in place: keep it within the terminal width.
      const width = Math.max(20, (stdout.columns ?? 100) - 1);
      stdout.write(CLEAR_LINE + (text.length > width ? `${text.slice(0, width - 1)}…` : text));
      statusShown = true;
    },
    clearStatus,
  };
}
