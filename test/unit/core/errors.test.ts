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

  it('says in words what zod says in its own terms', () => {
    const schema = z.object({ db: z.string().min(1), to: z.array(z.string()).min(1), keep: z.number().int().min(1).max(10), format: z.enum(['zip', 'dump']), tz: z.string() });
    const parsed = schema.safeParse({ db: '', to: [], keep: 20, format: 'tar' });
    expect(toAppError(parsed.error).message).toBe('db: must not be empty; to: needs at least one value; keep: must be at most 10; format: must be one of zip, dump; tz: is missing');
  });

  it('keeps AppErrors, and makes anything else Fatal with its message', () => {
    const known = new AppError('NotFound', 'gone');
    expect(toAppError(known)).toBe(known);
    expect(toAppError(new Error('boom'))).toMatchObject({ kind: 'Fatal', message: 'boom' });
    expect(toAppError('text')).toMatchObject({ kind: 'Fatal', message: 'text' });
  });
});
