/** Entry point of the built CLI (`bin/backup-desk.js` runs dist/cli/main.js). */
import { cancelOpenRunsNow } from '../core/history';
import { runCli } from './cli';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  // First Ctrl-C cancels the running job cleanly; a second one quits at once.
  if (interrupt.signal.aborted) {
    // Quitting at once: the runs still open are cancelled ones, not "interrupted" failures.
    cancelOpenRunsNow();
    process.stderr.write('quit at once: what the work had started may be left behind (a temporary database bd_tmp_*, a .bd-tmp-* folder, a temporary upload); `backup-desk cleanup --older-than 0` lists them, and removes them with --yes.\n');
    process.exit(130);
  }
  process.stderr.write('\ncancelling… (press Ctrl-C again to quit at once)\n');
  interrupt.abort();
});
process.on('SIGTERM', () => interrupt.abort());
// `backup-desk list | head`: a closed pipe is not an error.
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const code = await runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env }, interrupt.signal);
process.exitCode = code;
// Do not wait for idle sockets or timers of finished work.
setTimeout(() => process.exit(code), 50).unref();
