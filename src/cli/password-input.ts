import { LatchkeyError } from '../shared/errors.js';

/**
 * The password of `user create` when `--password` is left out: typed at a prompt that
 * does not echo it (on a terminal), or the first line of standard input (a pipe, a file).
 * On the command line a password shows in the process list, the shell history and npm's
 * own echo of the command it runs; neither of these forms does.
 */
export async function readPassword(
  prompt: string,
  stdin: NodeJS.ReadStream = process.stdin,
  stderr: NodeJS.WriteStream = process.stderr,
): Promise<string> {
  const password = stdin.isTTY ? await promptHidden(prompt, stdin, stderr) : await firstLine(stdin);
  if (password === '')
    throw new LatchkeyError(
      'invalid_input',
      'no password given (type it at the prompt, pipe it, or use --password)',
    );
  return password;
}

/** One line of a non-terminal input, without its line ending. */
async function firstLine(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += String(chunk);
    const end = text.search(/\r?\n/);
    if (end >= 0) return text.slice(0, end);
  }
  return text;
}

/** Raw mode: the terminal echoes nothing; we handle Enter, Backspace and Ctrl-C/Ctrl-D ourselves. */
function promptHidden(prompt: string, stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream): Promise<string> {
  // Echo goes off before the prompt shows, so nothing typed after seeing it is ever echoed.
  stdin.setRawMode(true);
  stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (err: Error | null) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (data: Buffer | string) => {
      for (const ch of String(data)) {
        if (ch === '\r' || ch === '\n') return finish(null);
        if (ch === '\u0003' || ch === '\u0004')
          return finish(new LatchkeyError('invalid_input', 'cancelled: no password given'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += ch;
      }
    };
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
  });
}
