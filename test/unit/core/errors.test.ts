/** toAppError: what reaches a person from an unexpected throw. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError, toAppError } from '../../../shared/core/errors';

describe('toAppError', () => {
  it("turns a schema validation error into InvalidInput that says what is wrong, not zod's JSON dump", () => {
    const parsed = z.object({ name: z.string().regex(/^[a-z]+$/, 'Use lower-case letters.') }).safeParse({ name: 'bad name' });
    const e = toAppError(parsed.error);
    expect(e).toBeInstanceOf(AppError);
    expect(e.kind).toBe('InvalidInput');
    expect(e.message).toBe('name: Use lower-case letters.');
    expect(e.hint).toBe('Correct the value and try again.');
  });

  it('keeps AppErrors, and makes anything else Fatal with its message', () => {
    const known = new AppError('NotFound', 'gone');
    expect(toAppError(known)).toBe(known);
    expect(toAppError(new Error('boom'))).toMatchObject({ kind: 'Fatal', message: 'boom' });
    expect(toAppError('text')).toMatchObject({ kind: 'Fatal', message: 'text' });
  });
});
