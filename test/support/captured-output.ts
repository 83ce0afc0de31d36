/** A regionctl Output that records what a command wrote, for assertions. */
import type { Output } from '../../cli/output';

export interface CapturedOutput extends Output {
  /** stdout lines, in order. */
  readonly lines: string[];
  /** stderr lines, in order. */
  readonly errors: string[];
  /** Every status line shown (TTY mode), in order. */
  readonly statuses: string[];
  readonly stdout: string;
  readonly stderr: string;
}

export function capturedOutput(isTTY = false): CapturedOutput {
  const lines: string[] = [];
  const errors: string[] = [];
  const statuses: string[] = [];
  return {
    isTTY,
    lines,
    errors,
    statuses,
    line: (text = '') => void lines.push(text),
    error: (text) => void errors.push(text),
    status: (text) => void statuses.push(text),
    clearStatus: () => undefined,
    get stdout() {
      return lines.join('\n');
    },
    get stderr() {
      return errors.join('\n');
    },
  };
}
