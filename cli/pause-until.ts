/** How a pause is stored (RegionState.pausedUntil) and shown. */

/** A pause without --for lasts until `regionctl resume` (the policy compares pausedUntil with now). */
export const PAUSED_UNTIL_RESUMED = '9999-12-31T23:59:59.000Z';

export function describePause(pausedUntil: string): string {
  return pausedUntil === PAUSED_UNTIL_RESUMED ? 'until resumed' : `until ${pausedUntil}`;
}
