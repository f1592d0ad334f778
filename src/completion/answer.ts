// `deployer --completion generate [shell]` prints a script;
// `deployer --completion complete [--shell S] -- <words...>` answers one TAB.
// Handled before commander parses (see main() in program.ts) and never fails
// loudly: a shell calling us on every TAB must not see stack traces.
import type { Command } from 'commander';
import { completeWords, type Candidate, type Completion } from './complete.js';
import { detectShell, isCompletionShell, renderCompletionScript } from './shellScripts.js';
import { createValueReader } from './values.js';

export interface CompletionIO {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export async function runCompletion(args: string[], program: Command, io: CompletionIO): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'generate') {
    const shell = rest[0] ? (isCompletionShell(rest[0]) ? rest[0] : undefined) : detectShell(io.env.SHELL);
    if (!shell) {
      io.stderr.write(
        `✗ no completion script for ${rest[0] ?? `SHELL=${io.env.SHELL ?? ''}`}\nhint: pass one of bash, zsh, fish: deployer --completion generate bash\n`,
      );
      return 2;
    }
    io.stdout.write(renderCompletionScript(shell));
    return 0;
  }
  if (action === 'complete') {
    const dash = rest.indexOf('--');
    const opts = dash === -1 ? rest : rest.slice(0, dash);
    const words = dash === -1 ? [] : rest.slice(dash + 1);
    const shellAt = opts.indexOf('--shell');
    const shell = shellAt === -1 ? undefined : opts[shellAt + 1];
    io.stdout.write(await answerCompletion(program, words, shell, io.cwd));
    return 0;
  }
  io.stderr.write('✗ usage: deployer --completion generate [bash|zsh|fish] | complete [--shell S] -- <words...>\n');
  return 2;
}

/** The text a shell script reads back: one candidate per line, in that shell's format. */
export async function answerCompletion(program: Command, words: string[], shell: string | undefined, cwd: string): Promise<string> {
  const joined = shell === 'bash' ? joinBashWords(words) : { words, split: false };
  let result: Completion;
  try {
    result = await completeWords(program, joined.words, createValueReader(cwd));
  } catch {
    return '';
  }
  if (result.files) return ':files\n';
  const current = joined.words[joined.words.length - 1] ?? '';
  // bash replaces only the text after `=`, so it wants the bare value back.
  const strip = joined.split && current.startsWith('--') ? current.indexOf('=') + 1 : 0;
  return result.candidates.map((c) => formatCandidate(c, shell, strip) + '\n').join('');
}

function formatCandidate(c: Candidate, shell: string | undefined, strip: number): string {
  const value = c.value.slice(strip);
  const desc = c.description?.replace(/\s+/g, ' ').trim();
  if (shell === 'bash') return value;
  if (shell === 'zsh') return value.replace(/\\/g, '\\\\').replace(/:/g, '\\:') + (desc ? `:${desc}` : '');
  return desc ? `${value}\t${desc}` : value;
}

/** Undo bash's split of `--host=web` into `--host` `=` `web`. */
export function joinBashWords(words: string[]): { words: string[]; split: boolean } {
  const out: string[] = [];
  let lastJoined = false;
  for (let i = 0; i < words.length; i++) {
    const prev = out[out.length - 1];
    lastJoined = words[i] === '=' && out.length > 0 && prev.startsWith('--') && !prev.includes('=');
    if (lastJoined) out[out.length - 1] = prev + '=' + (i + 1 < words.length ? words[++i] : '');
    else out.push(words[i]);
  }
  return { words: out, split: lastJoined };
}
