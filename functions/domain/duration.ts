/**
 * Operator durations such as `45s`, `90m`, `2h`, `1d` or `1h30m` (regionctl `--hold`, `--for`).
 * Pure: parsing errors name the option and show the accepted forms.
 */
import { InvalidRequestError } from './errors';

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;
/** Longer holds or pauses are almost certainly a typo (and would outlive anyone's memory of them). */
export const MAX_DURATION_SECONDS = 365 * 86_400;

const WHOLE = /^(\d+[smhd])+$/;
const PART = /(\d+)([smhd])/g;

/** Parses a duration into whole seconds; `option` (e.g. `--hold`) names the input in the error. */
export function parseDuration(text: string, option: string): number {
  const value = text.trim().toLowerCase();
  if (!WHOLE.test(value)) {
    throw new InvalidRequestError(
      `${option} ${JSON.stringify(text)} is not a duration; fix: use a number followed by s, m, h or d, e.g. 45s, 90m, 2h, 1d or 1h30m`,
    );
  }
  let seconds = 0;
  for (const [, amount, unit] of value.matchAll(PART)) {
    seconds += Number(amount) * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS];
  }
  if (seconds <= 0) {
    throw new InvalidRequestError(`${option} ${JSON.stringify(text)} is zero; fix: give a positive duration, e.g. 2h`);
  }
  if (seconds > MAX_DURATION_SECONDS) {
    throw new InvalidRequestError(
      `${option} ${JSON.stringify(text)} is longer than 365 days; fix: give a shorter duration, e.g. 7d`,
    );
  }
  return seconds;
}
