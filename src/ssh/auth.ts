// Where the private key comes from, in order: the environment variable named
// by the host's key_env (or DEPLOYER_SSH_KEY, for CI), the host's key_file,
// ssh-agent (SSH_AUTH_SOCK), then the usual ~/.ssh/id_* files. ssh2 does not
// read ~/.ssh/config, so nothing else is guessed.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { HostConfig } from '../config/types.js';
import { SshError } from '../errors.js';
import { expandHome } from './home.js';

export type AuthMethod =
  | { type: 'publickey'; username: string; key: Buffer | string; passphrase?: string; source: string }
  | { type: 'agent'; username: string; agent: string; source: string };

/** Asks for a key's passphrase on the terminal (only when deployer runs interactively). */
export type AskPassphrase = (source: string) => Promise<string>;

function isEncrypted(key: string): boolean {
  const parsed = ssh2.utils.parseKey(key);
  return parsed instanceof Error && /encrypted|passphrase/i.test(parsed.message);
}

function checkedKey(key: string, source: string, passphrase: string | undefined, passphraseFrom: string): string {
  // Parse once here so a bad key or passphrase is a clear error, not a
  // synchronous throw from inside ssh2's connect().
  const parsed = ssh2.utils.parseKey(key, passphrase);
  if (parsed instanceof Error) {
    const encrypted = /encrypted|passphrase|bad decrypt/i.test(parsed.message);
    const wrong = encrypted && passphrase !== undefined;
    throw new SshError(
      wrong
        ? `cannot use the SSH key from ${source}: the passphrase from ${passphraseFrom} does not decrypt it`
        : `cannot use the SSH key from ${source}: ${parsed.message}`,
      {
        hint: wrong
          ? `check ${passphraseFrom}`
          : encrypted
            ? 'the key is encrypted: run deployer in a terminal to be asked for its passphrase, set key_passphrase_env = "NAME" in the [[hosts]] entry and export NAME (CI), or load the key into ssh-agent (ssh-add) and leave key_file unset'
            : 'check that it is an OpenSSH or PEM private key (ssh-keygen -y -f FILE prints its public key)',
      },
    );
  }
  return key;
}

export async function authMethods(
  host: HostConfig & { identityFiles?: string[]; identitiesOnly?: boolean },
  env: NodeJS.ProcessEnv,
  ask?: AskPassphrase,
): Promise<AuthMethod[]> {
  const username = host.user;
  let passphraseFrom = '$DEPLOYER_SSH_PASSPHRASE';
  let passphrase = env.DEPLOYER_SSH_PASSPHRASE || undefined;
  if (host.keyPassphraseEnv) {
    passphraseFrom = `$${host.keyPassphraseEnv} (key_passphrase_env)`;
    passphrase = env[host.keyPassphraseEnv];
    if (passphrase === undefined) {
      throw new SshError(
        `host ${host.name}: key_passphrase_env names the environment variable ${host.keyPassphraseEnv}, but it is not set`,
        {
          hint: `export ${host.keyPassphraseEnv}=... (in GitHub Actions: env: ${host.keyPassphraseEnv}: \${{ secrets.SSH_KEY_PASSPHRASE }})`,
        },
      );
    }
  }
  const keyMethod = async (key: string, source: string): Promise<AuthMethod> => {
    let pass = passphrase;
    let from = passphraseFrom;
    if (pass === undefined && ask && isEncrypted(key)) {
      pass = await ask(source);
      from = 'the terminal';
    }
    return { type: 'publickey', username, key: checkedKey(key, source, pass, from), passphrase: pass, source };
  };
  const methods: AuthMethod[] = [];
  const envName = host.keyEnv ?? (env.DEPLOYER_SSH_KEY ? 'DEPLOYER_SSH_KEY' : undefined);
  if (envName) {
    const text = env[envName];
    if (!text) {
      throw new SshError(`host ${host.name}: key_env names the environment variable ${envName}, but it is not set`, {
        hint: `export ${envName}="$(cat ~/.ssh/id_ed25519)" (in GitHub Actions: env: ${envName}: \${{ secrets.SSH_KEY }})`,
      });
    }
    // CI secrets often lose the final newline or get \r\n; OpenSSH keys need it.
    const key = text.replace(/\r\n/g, '\n').trim() + '\n';
    methods.push(await keyMethod(key, `$${envName}`));
  }
  if (host.keyFile) {
    const path = expandHome(host.keyFile);
    if (!existsSync(path)) {
      throw new SshError(`host ${host.name}: key_file ${host.keyFile} does not exist`, {
        hint: 'fix key_file in the [[hosts]] entry, or remove it to use ssh-agent',
      });
    }
    methods.push(await keyMethod(readFileSync(path, 'utf8'), path));
  }
  // IdentityFile lines of ~/.ssh/config (after what deployer.toml names). A
  // missing one is skipped, as ssh does.
  if (methods.length === 0) {
    for (const path of host.identityFiles ?? []) {
      if (existsSync(path)) methods.push(await keyMethod(readFileSync(path, 'utf8'), path));
    }
  }
  if (methods.length === 0 && env.SSH_AUTH_SOCK && !host.identitiesOnly)
    methods.push({ type: 'agent', username, agent: env.SSH_AUTH_SOCK, source: 'ssh-agent' });
  if (methods.length === 0) {
    for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
      const path = join(homedir(), '.ssh', name);
      if (!existsSync(path)) continue;
      try {
        methods.push(await keyMethod(readFileSync(path, 'utf8'), path));
      } catch {
        // An encrypted default key without a passphrase: skip it, as ssh does in batch mode.
      }
    }
  }
  if (methods.length === 0) {
    throw new SshError(`host ${host.name}: no SSH key to log in with`, {
      hint: 'set key_file in the [[hosts]] entry, start ssh-agent with your key, or put the key in DEPLOYER_SSH_KEY',
    });
  }
  return methods;
}
