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

export type AuthMethod =
  | { type: 'publickey'; username: string; key: Buffer | string; passphrase?: string; source: string }
  | { type: 'agent'; username: string; agent: string; source: string };

export function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

function checkedKey(key: string, source: string, passphrase: string | undefined): string {
  // Parse once here so a bad key or passphrase is a clear error, not a
  // synchronous throw from inside ssh2's connect().
  const parsed = ssh2.utils.parseKey(key, passphrase);
  if (parsed instanceof Error) {
    const encrypted = /encrypted|passphrase/i.test(parsed.message);
    throw new SshError(`cannot use the SSH key from ${source}: ${parsed.message}`, {
      hint: encrypted
        ? 'the key is encrypted: set DEPLOYER_SSH_PASSPHRASE, or load it into ssh-agent (ssh-add) and leave key_file unset'
        : 'check that it is an OpenSSH or PEM private key (ssh-keygen -y -f FILE prints its public key)',
    });
  }
  return key;
}

export function authMethods(host: HostConfig, env: NodeJS.ProcessEnv): AuthMethod[] {
  const username = host.user;
  const passphrase = env.DEPLOYER_SSH_PASSPHRASE || undefined;
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
    methods.push({ type: 'publickey', username, key: checkedKey(key, `$${envName}`, passphrase), passphrase, source: `$${envName}` });
  }
  if (host.keyFile) {
    const path = expandHome(host.keyFile);
    if (!existsSync(path)) {
      throw new SshError(`host ${host.name}: key_file ${host.keyFile} does not exist`, { hint: 'fix key_file in the [[hosts]] entry, or remove it to use ssh-agent' });
    }
    methods.push({ type: 'publickey', username, key: checkedKey(readFileSync(path, 'utf8'), path, passphrase), passphrase, source: path });
  }
  if (methods.length === 0 && env.SSH_AUTH_SOCK) methods.push({ type: 'agent', username, agent: env.SSH_AUTH_SOCK, source: 'ssh-agent' });
  if (methods.length === 0) {
    for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
      const path = join(homedir(), '.ssh', name);
      if (!existsSync(path)) continue;
      try {
        methods.push({ type: 'publickey', username, key: checkedKey(readFileSync(path, 'utf8'), path, passphrase), passphrase, source: path });
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
