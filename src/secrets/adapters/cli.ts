// Shared by the adapters that ask a vendor's CLI for one secret.
import { SecretLookupError, type AdapterContext } from './types.js';

export async function readFromCli(
  ctx: AdapterContext,
  cmd: string,
  args: string[],
  hint: string,
  env: NodeJS.ProcessEnv = ctx.env,
): Promise<string> {
  let out: string;
  try {
    out = await ctx.runCommand(cmd, args, env);
  } catch (err) {
    // runCommand's messages carry the exit status and stderr, never stdout.
    throw new SecretLookupError(err instanceof Error ? err.message : String(err), hint);
  }
  // CLIs end their output with a newline that is not part of the secret.
  return out.replace(/\r?\n$/, '');
}
