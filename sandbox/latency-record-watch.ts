/**
 * Watches the latency record set in the emulator's hosted zone and reports each record that
 * appears, disappears or changes target (one per region, SetIdentifier = region), so the
 * timeline shows when a region starts and stops receiving users.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import { latencyRecordTargets } from '../functions/adapters/latency-records';
import type { Timeline } from './timeline';

export class LatencyRecordWatch {
  private known = new Map<string, string>();
  /** Checks never overlap, so one change is reported once. */
  private last: Promise<void> = Promise.resolve();

  constructor(
    private readonly route53: Route53Client,
    private readonly hostedZoneId: string,
    private readonly recordName: string,
    private readonly timeline: Timeline,
  ) {}

  /** Regions whose record is in the zone, as of the last check. */
  get servingRegions(): ReadonlySet<string> {
    return new Set(this.known.keys());
  }

  get records(): ReadonlyMap<string, string> {
    return this.known;
  }

  check(): Promise<void> {
    const next = this.last.then(() => this.compare());
    this.last = next.catch(() => undefined);
    return next;
  }

  private async compare(): Promise<void> {
    const current = await latencyRecordTargets(this.route53, this.hostedZoneId, this.recordName);
    const at = Date.now();
    for (const [region, target] of current) {
      const before = this.known.get(region);
      if (before === target) continue;
      this.timeline.record({ kind: 'dns', at, region, change: before === undefined ? 'added' : 'changed', target });
    }
    for (const [region, target] of this.known) {
      if (!current.has(region)) this.timeline.record({ kind: 'dns', at, region, change: 'removed', target });
    }
    this.known = current;
  }
}
