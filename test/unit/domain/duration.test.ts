import { describe, expect, it } from '@jest/globals';
import { MAX_DURATION_SECONDS, parseDuration } from '../../../functions/domain/duration';
import { InvalidRequestError } from '../../../functions/domain/errors';

describe('parseDuration', () => {
  it.each([
    ['45s', 45],
    ['90m', 5_400],
    ['2h', 7_200],
    ['1d', 86_400],
    ['1h30m', 5_400],
    ['1d12h', 129_600],
    [' 2H ', 7_200],
  ])('reads %j as %i seconds', (text, seconds) => {
    expect(parseDuration(text, '--hold')).toBe(seconds);
  });

  it.each(['', '2', 'h', '2 h', '1.5h', '-2h', '2w', '2hours', 'abc'])(
    'rejects %j with an error naming the option and the accepted forms',
    (text) => {
      expect(() => parseDuration(text, '--for')).toThrow(InvalidRequestError);
      expect(() => parseDuration(text, '--for')).toThrow(
        `--for ${JSON.stringify(text)} is not a duration; fix: use a number followed by s, m, h or d, e.g. 45s, 90m, 2h, 1d or 1h30m`,
      );
    },
  );

  it('rejects a zero duration', () => {
    expect(() => parseDuration('0m', '--hold')).toThrow('--hold "0m" is zero; fix: give a positive duration, e.g. 2h');
  });

  it('accepts up to 365 days and rejects longer', () => {
    expect(parseDuration('365d', '--hold')).toBe(MAX_DURATION_SECONDS);
    expect(() => parseDuration('366d', '--hold')).toThrow('--hold "366d" is longer than 365 days');
  });
});
