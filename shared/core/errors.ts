/**
 * Classified errors for the whole core.
 *
 * Every error that leaves a core module is an `AppError` whose `kind` says what went wrong
 * in a way callers (retry wrappers, the CLI's exit status, the UI's messages) can act on,
 * and whose `hint` tells a person what to do about it.
 */

import { errorKindSchema } from '../contract/api';

/** What kind of failure an error is; retry wrappers retry only `Transient`. Defined once, in the contract. */
export type ErrorKind = (typeof errorKindSchema.options)[number];

/** Every error kind, for schemas and exhaustive checks. */
export const ERROR_KINDS: readonly ErrorKind[] = errorKindSchema.options;

/** Options that add context to an `AppError`. */
export interface AppErrorOptions {
  /** What the person should do about it, in one sentence. */
  readonly hint?: string;
  /** The underlying error. */
  readonly cause?: unknown;
  /** Extra machine-readable facts (never secrets); `command`: the CLI line that does what the hint says, printed by the CLI only. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** For `Transient` errors: how long the server asked us to wait. */
  readonly retryAfterMs?: number;
}

/** A classified, user-presentable error. */
export class AppError extends Error {
  /** The classification. */
  readonly kind: ErrorKind;
  /** What to do about it. */
  readonly hint: string | undefined;
  /** Extra facts (never secrets). */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** Server-requested back-off, for `Transient`. */
  readonly retryAfterMs: number | undefined;

  constructor(kind: ErrorKind, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.kind = kind;
    this.hint = options.hint;
    this.details = options.details;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The serializable shape of an error as it crosses IPC, HTTP and job history. */
export interface SerializedError {
  readonly kind: ErrorKind;
  readonly message: string;
  readonly hint?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** True when `err` is an `AppError`, optionally of the given kind. */
export function isAppError(err: unknown, kind?: ErrorKind): err is AppError {
  return err instanceof AppError && (kind === undefined || err.kind === kind);
}

/** The `Cancelled` error used whenever an AbortSignal fires. */
export function cancelledError(what = 'The operation'): AppError {
  return new AppError('Cancelled', `${what} was cancelled.`);
}

/** Throws `Cancelled` if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw cancelledError(what);
}

/** Turns any thrown value into an `AppError` (unknown errors become `Fatal`). */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR')) {
    return cancelledError();
  }
  const invalid = schemaIssues(err);
  if (invalid) {
    return new AppError('InvalidInput', invalid.map((i) => (i.path.length ? `${i.path.join('.')}: ${issueText(i)}` : issueText(i))).join('; '), { hint: 'Correct the value and try again.', cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  if ((err as { code?: string } | undefined)?.code === 'ENOSPC') {
    return new AppError('Fatal', `The disk is full (${message}).`, { hint: 'Free some space on that disk, or write to another one, and try again; nothing half-written was kept.', cause: err });
  }
  return new AppError('Fatal', message, { cause: err });
}

/** One issue of a schema validation error, as zod reports it. */
export interface SchemaIssue {
  readonly path: PropertyKey[];
  readonly message: string;
  readonly code?: string;
  readonly origin?: string;
  readonly minimum?: number | bigint;
  readonly maximum?: number | bigint;
  readonly values?: unknown[];
}

/** The issues of a schema validation error (zod's), whose message is their JSON dump; else undefined. */
export function schemaIssues(err: unknown): SchemaIssue[] | undefined {
  if (!(err instanceof Error) || err.name !== 'ZodError') return undefined;
  const issues = (err as { issues?: unknown }).issues;
  return Array.isArray(issues) ? (issues as SchemaIssue[]) : undefined;
}

/** What is wrong with a value, in words ("must not be empty"), not zod's ("Too small: expected string to have >=1 characters"). */
export function issueText(i: SchemaIssue): string {
  const n = (x: number | bigint | undefined): string => String(x);
  if (i.code === 'too_small' && i.origin === 'string') return i.minimum === 1 ? 'must not be empty' : `must have at least ${n(i.minimum)} characters`;
  if (i.code === 'too_small' && (i.origin === 'array' || i.origin === 'set')) return i.minimum === 1 ? 'needs at least one value' : `needs at least ${n(i.minimum)} values`;
  if (i.code === 'too_small') return `must be at least ${n(i.minimum)}`;
  if (i.code === 'too_big' && i.origin === 'string') return `must have at most ${n(i.maximum)} characters`;
  if (i.code === 'too_big' && (i.origin === 'array' || i.origin === 'set')) return `takes at most ${n(i.maximum)} values`;
  if (i.code === 'too_big') return `must be at most ${n(i.maximum)}`;
  if (i.code === 'invalid_type' && /received undefined$/.test(i.message)) return 'is missing';
  if (i.code === 'invalid_value' && i.values?.length) return `must be one of ${i.values.map(String).join(', ')}`;
  return i.message;
}

/** Serializes an error for IPC/HTTP/job history. */
export function serializeError(err: unknown): SerializedError {
  const e = toAppError(err);
  return {
    kind: e.kind,
    message: e.message,
    ...(e.hint !== undefined ? { hint: e.hint } : {}),
    ...(e.details !== undefined ? { details: e.details } : {}),
  };
}

/** Rebuilds an `AppError` from its serialized form. */
export function deserializeError(s: SerializedError): AppError {
  return new AppError(s.kind, s.message, {
    ...(s.hint !== undefined ? { hint: s.hint } : {}),
    ...(s.details !== undefined ? { details: s.details } : {}),
  });
}

/** Compile-time exhaustiveness check for discriminated unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new AppError('Fatal', `Unexpected ${what}: ${JSON.stringify(value)}`);
}

/** The InvalidInput error for API arguments that do not match a method's schema (the same words over IPC and `serve`). */
export function invalidArgumentsError(method: string, error: { issues: readonly SchemaIssue[] }): AppError {
  const issues = error.issues.map((i) => `${i.path.map(String).join('.') || '(arguments)'}: ${issueText(i)}`);
  return new AppError('InvalidInput', `Invalid arguments for ${method}: ${issues.join('; ')}`, {
    hint: 'Correct the highlighted values and try again.',
    details: { method, issues },
  });
}

/** An error's message and hint in one line ("Cannot reach X. Check the address."), as a result or a warning shows it. */
export function messageWithHint(e: Pick<AppError, 'message' | 'hint'>): string {
  return `${e.message}${e.hint ? ` ${e.hint}` : ''}`;
}
