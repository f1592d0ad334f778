// Destructive commands ask first. Without a terminal (or in CI) nothing ever
// waits for an answer: --yes is required instead.
import type { Context } from '../context.js';
import { ConfigError, UserAbort } from '../errors.js';

export async function confirmOrAbort(ctx: Context, question: string, flag = '--yes'): Promise<void> {
  if (ctx.global.yes) return;
  if (!ctx.interactive) {
    throw new ConfigError(`${question.replace(/\?$/, '')}: this needs confirmation, and there is no terminal to ask on`, {
      hint: `pass ${flag} to confirm`,
    });
  }
  const { confirm } = await import('@inquirer/prompts');
  const ok = await confirm({ message: question, default: false });
  if (!ok) throw new UserAbort('nothing was changed');
}
