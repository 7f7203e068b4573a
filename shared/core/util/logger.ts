/** Structured, secret-free logging for the core. */

/** Log levels, most verbose first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A minimal logger; implementations must never be handed secrets. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line. */
  child(fields: Record<string, unknown>): Logger;
}

/** A logger that drops everything. */
export const nullLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => nullLogger,
};

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A logger writing JSON lines to a sink (a file stream, stderr…) at or above `level`. */
export function jsonLogger(write: (line: string) => void, level: LogLevel = 'info', base: Record<string, unknown> = {}): Logger {
  const emit = (l: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (ORDER[l] < ORDER[level]) return;
    write(JSON.stringify({ at: new Date().toISOString(), level: l, message, ...base, ...fields }) + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => jsonLogger(write, level, { ...base, ...fields }),
  };
}
