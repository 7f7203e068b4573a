/** Terminal input for the CLI: hidden prompts (secrets, passphrases) and reading stdin. */
import type { Readable, Writable } from 'node:stream';
import { AppError } from '../core/errors';

/** The streams a CLI run uses (injectable for tests). */
export interface CliIo {
  readonly stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean; columns?: number };
  readonly env: NodeJS.ProcessEnv;
}

/** Reads a line from the terminal without echoing it; `InvalidInput` when stdin is no terminal. */
export async function promptHidden(io: CliIo, question: string): Promise<string> {
  const stdin = io.stdin;
  if (!stdin.isTTY || !stdin.setRawMode) {
    throw new AppError('InvalidInput', 'A secret is needed but there is no terminal to ask for it.', {
      hint: 'Pass it with --secret-stdin or --secret-env VAR (passphrases: --passphrase-file or --passphrase-env).',
    });
  }
  io.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (err?: Error): void => {
      stdin.setRawMode!(false);
      stdin.pause();
      stdin.off('data', onData);
      io.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (data: Buffer | string): void => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new AppError('Cancelled', 'Cancelled at the prompt.'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.setRawMode!(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** Reads all of stdin as UTF-8 (for `--secret-stdin`). */
export async function readStdin(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of io.stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}
