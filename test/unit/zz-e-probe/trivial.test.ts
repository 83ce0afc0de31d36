import { expect, it } from '@jest/globals';
it('nothing', () => expect(1).toBe(1));
