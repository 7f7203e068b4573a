/** `--json` of commands that judge a backup (verify, drill): a backup too damaged to read is a verdict too. */
import { serializeError, toAppError } from '../../core/errors';
import type { CliContext } from '../context';

/**
 * Runs `work`; with `json`, a failure that is a verdict on the backup (not a cancel) is also
 * printed on stdout as `{"ok": false, "source", "error"}`, so that a monitoring script reading
 * stdout sees it as it sees a backup with problems. The error is rethrown (stderr, exit 1).
 */
export async function withJsonVerdict<T>(ctx: CliContext, json: boolean | undefined, source: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const e = toAppError(err);
    if (json && e.kind !== 'Cancelled') ctx.out(JSON.stringify({ ok: false, source, error: serializeError(e) }, null, 2));
    throw err;
  }
}
