import { describe, expect, it } from '@jest/globals';
import { staleAlarmEvent } from '../../../functions/domain/scaling-policy';

const alarmName = 'edgescale-scale-up-ap-southeast-1';
const event = { alarmName, changedAt: new Date('2026-11-21T12:00:40.989Z') };
const now = new Date('2026-11-21T15:10:40.989Z');

describe('staleAlarmEvent: an ALARM event acts only while its alarm still is in ALARM from that change', () => {
  it('lets through an event whose alarm is in ALARM since that very change, however late it arrives', () => {
    expect(staleAlarmEvent(event, { state: 'ALARM', changedAt: event.changedAt }, now)).toBeUndefined();
  });

  it('lets through an event whose alarm is in ALARM and reports no newer change', () => {
    expect(staleAlarmEvent(event, { state: 'ALARM' }, now)).toBeUndefined();
    expect(
      staleAlarmEvent(event, { state: 'ALARM', changedAt: new Date('2026-11-21T11:00:00Z') }, now),
    ).toBeUndefined();
  });

  it.each([
    ['OK', '2026-11-21T12:30:40.000Z'],
    ['INSUFFICIENT_DATA', '2026-11-21T13:00:00.000Z'],
  ])('drops an event whose alarm is now %s, naming that state, since when, and how late it came', (state, at) => {
    expect(staleAlarmEvent(event, { state, changedAt: new Date(at) }, now)).toEqual({
      allowed: false,
      rule: 'stale-event',
      reason: `stale event: alarm ${alarmName} is ${state} since ${at}, no longer in ALARM as this event of 2026-11-21T12:00:40.989Z says (delivered 3 h 10 min after it)`,
    });
  });

  it('drops an event whose alarm is not in ALARM even when CloudWatch gives no time', () => {
    expect(staleAlarmEvent(event, { state: 'OK' }, now)).toMatchObject({
      rule: 'stale-event',
      reason: expect.stringContaining(`alarm ${alarmName} is OK, no longer in ALARM`),
    });
  });

  it('drops an event older than its alarm newest change, even when the alarm is back in ALARM', () => {
    expect(staleAlarmEvent(event, { state: 'ALARM', changedAt: new Date('2026-11-21T12:20:00.000Z') }, now)).toEqual({
      allowed: false,
      rule: 'stale-event',
      reason: `stale event: alarm ${alarmName} changed state again after this event of 2026-11-21T12:00:40.989Z (delivered 3 h 10 min after it); it is ALARM since 2026-11-21T12:20:00.000Z, and its newest change decides`,
    });
  });

  it('drops an event of an alarm that no longer exists', () => {
    expect(staleAlarmEvent(event, undefined, now)).toMatchObject({
      rule: 'stale-event',
      reason: expect.stringContaining('no longer exists'),
    });
  });
});
