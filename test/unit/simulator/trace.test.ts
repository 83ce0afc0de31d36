import { describe, expect, it } from '@jest/globals';
import { generateDiurnalTrace, traceToCsv } from '../../../simulator/diurnal-trace';
import { parseIsoUtc, parseTrace, TraceError } from '../../../simulator/trace';

const GOOD = [
  'timestamp,region,users',
  '2026-03-01T00:00:00Z,us-east-1,120',
  '2026-03-01T00:00:00Z,sa-east-1,30',
  '2026-03-01T00:01:00Z,us-east-1,140',
  '2026-03-01T00:01:00Z,sa-east-1,35.5',
  '2026-03-01T00:02:00Z,us-east-1,160',
  // sa-east-1 has no row at 00:02: a missing datapoint
  '2026-03-01T00:03:00Z,sa-east-1,0',
  '',
].join('\n');

function problemsOf(text: string): TraceError {
  try {
    parseTrace(text, 'test.csv');
  } catch (error) {
    if (error instanceof TraceError) return error;
    throw error;
  }
  throw new Error('expected a TraceError');
}

describe('parseTrace', () => {
  it('reads a good file into one series per region, indexed by period', () => {
    const trace = parseTrace(GOOD);
    expect(trace.startMs).toBe(Date.UTC(2026, 2, 1, 0, 0, 0));
    expect(trace.stepSeconds).toBe(60);
    expect(trace.periods).toBe(4);
    expect(trace.regions).toEqual(['us-east-1', 'sa-east-1']);
    expect([...trace.users.get('us-east-1')!]).toEqual([120, 140, 160, NaN]);
    expect([...trace.users.get('sa-east-1')!]).toEqual([30, 35.5, NaN, 0]);
  });

  it('a missing row is a missing datapoint (NaN), also when a whole period has no row', () => {
    const trace = parseTrace(
      [
        'timestamp,region,users',
        '2026-03-01T00:00:00Z,us-east-1,1',
        '2026-03-01T00:01:00Z,us-east-1,2',
        '2026-03-01T00:04:00Z,us-east-1,5',
      ].join('\n'),
    );
    expect(trace.stepSeconds).toBe(60);
    expect(trace.periods).toBe(5);
    expect([...trace.users.get('us-east-1')!]).toEqual([1, 2, NaN, NaN, 5]);
  });

  it('accepts CRLF line ends, a byte-order mark, rows in any order and +00:00 offsets', () => {
    const text =
      '\uFEFFtimestamp,region,users\r\n2026-03-01T00:01:00+00:00,us-east-1,2\r\n2026-03-01T00:00:00.000Z,us-east-1,1\r\n';
    const trace = parseTrace(text);
    expect(trace.startMs).toBe(Date.UTC(2026, 2, 1));
    expect([...trace.users.get('us-east-1')!]).toEqual([1, 2]);
  });

  it('reports every bad row at once, with its line number and the fix', () => {
    const error = problemsOf(
      [
        'timestamp,region,users',
        '2026-03-01T00:00:00Z,us-east-1,10',
        '2026-03-01 00:01,us-east-1,10', // line 3: not ISO UTC
        '2026-03-01T00:01:00Z,us-east-01,10', // line 4: not a region
        '2026-03-01T00:01:00Z,us-east-1,-5', // line 5: negative
        '2026-03-01T00:01:00Z,us-east-1', // line 6: two fields
        '2026-03-01T00:01:00Z,us-east-1,', // line 7: empty users
        '2026-02-30T00:00:00Z,us-east-1,1', // line 8: no such date
        '2026-03-01T00:01:00Z,us-east-1,many', // line 9: not a number
        '2026-03-01T00:01:00Z,us-east-1,1,2', // line 10: four fields
      ].join('\n'),
    );
    expect(error.problems.map((p) => p.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(error.message).toContain(
      'line 3: timestamp "2026-03-01 00:01" is not ISO-8601 UTC; fix: write it like 2026-03-01T12:00:00Z',
    );
    expect(error.message).toContain('line 4: region "us-east-01" is not an AWS region code');
    expect(error.message).toContain('line 5: users "-5" is not a number of users');
    expect(error.message).toContain('line 6: expected 3 fields');
  });

  it('reports a second row for the same region and period with its line number', () => {
    const error = problemsOf(
      ['timestamp,region,users', '2026-03-01T00:00:00Z,us-east-1,1', '2026-03-01T00:00:00Z,us-east-1,2'].join('\n'),
    );
    expect(error.problems).toEqual([
      {
        line: 3,
        message: 'a second row for us-east-1 at 2026-03-01T00:00:00Z; fix: keep one row per region per period',
      },
    ]);
  });

  it('refuses a wrong header and a file without rows', () => {
    expect(problemsOf('time,region,count\n').problems[0]).toMatchObject({ line: 1 });
    expect(problemsOf('timestamp,region,users\n').message).toContain('no data rows');
  });

  it('lists the first 20 problems and counts the rest', () => {
    const rows = Array.from({ length: 25 }, () => 'yesterday,us-east-1,1');
    const error = problemsOf(['timestamp,region,users', ...rows].join('\n'));
    expect(error.problems).toHaveLength(20);
    expect(error.totalProblems).toBe(25);
    expect(error.message).toContain('... and 5 more');
  });

  it('reads back what the diurnal generator writes, gaps included', () => {
    const generated = generateDiurnalTrace({
      start: '2026-03-01T00:00:00Z',
      days: 1,
      regions: [
        { region: 'us-east-1', peakUsers: 900, baseUsers: 50, peakHourUtc: 1 },
        { region: 'ap-south-1', peakUsers: 600, baseUsers: 30, peakHourUtc: 14 },
      ],
      gaps: [{ region: 'ap-south-1', from: '2026-03-01T10:00:00Z', minutes: 30 }],
      seed: 7,
    });
    const parsed = parseTrace(traceToCsv(generated));
    expect(parsed.periods).toBe(1440);
    expect(parsed.users.get('us-east-1')).toEqual(generated.users.get('us-east-1'));
    const gap = parsed.users.get('ap-south-1')!.slice(600, 630);
    expect(gap.every((v) => Number.isNaN(v))).toBe(true);
    expect(Number.isNaN(parsed.users.get('ap-south-1')![630]!)).toBe(false);
  });
});

describe('parseIsoUtc', () => {
  it('parses UTC timestamps and refuses local times and impossible dates', () => {
    expect(parseIsoUtc('2026-03-01T12:30:00Z')).toBe(Date.UTC(2026, 2, 1, 12, 30));
    expect(parseIsoUtc('2026-03-01T12:30Z')).toBe(Date.UTC(2026, 2, 1, 12, 30));
    expect(parseIsoUtc('2026-03-01T12:30:00.5Z')).toBe(Date.UTC(2026, 2, 1, 12, 30, 0, 500));
    expect(parseIsoUtc('2026-03-01T12:30:00')).toBeNaN();
    expect(parseIsoUtc('2026-03-01T12:30:00+01:00')).toBeNaN();
    expect(parseIsoUtc('2026-13-01T00:00:00Z')).toBeNaN();
    expect(parseIsoUtc('2026-02-29T00:00:00Z')).toBeNaN();
  });
});
