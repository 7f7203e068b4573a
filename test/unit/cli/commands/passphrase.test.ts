/** A new passphrase typed at the terminal is asked twice: a typo would make every backup made with it unreadable. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliContext } from '../../../../shared/cli/context';
import { promptNewPassphrase } from '../../../../shared/cli/commands/passphrase';

/** A context on a fake terminal that answers each prompt, in turn, with `answers`. */
function terminal(answers: string[]): CliContext {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
  const stderr = new PassThrough();
  stderr.on('data', (d: Buffer) => {
    if (/: $/.test(d.toString())) setImmediate(() => stdin.write(`${answers.shift() ?? ''}\r`));
  });
  return new CliContext({ stdin: stdin as unknown as NodeJS.ReadStream, stdout: new PassThrough(), stderr, env: {} });
}

describe('promptNewPassphrase', () => {
  it('returns the passphrase typed the same twice', async () => {
    expect(await promptNewPassphrase(terminal(['correct horse', 'correct horse']), 'Backup passphrase: ')).toBe('correct horse');
  });

  it('refuses two that differ, doing nothing', async () => {
    const err = (await promptNewPassphrase(terminal(['correct horse', 'correct hrose']), 'Backup passphrase: ').then(() => undefined, (e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('The two passphrases differ: nothing was done.');
  });
});
