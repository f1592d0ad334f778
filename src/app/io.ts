// The terminal a command talks to directly (streamed logs, exec output, the
// interactive shell), passed in like the Context so the process is read in
// one place and tests could pass fakes.
export interface AppIO {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Runs fn on Ctrl-C (SIGINT) instead of dying; returns a function that removes it. */
  onInterrupt(fn: () => void): () => void;
}

export function processIO(proc: NodeJS.Process = process): AppIO {
  return {
    stdin: proc.stdin,
    stdout: proc.stdout,
    stderr: proc.stderr,
    onInterrupt(fn) {
      proc.on('SIGINT', fn);
      return () => proc.off('SIGINT', fn);
    },
  };
}

/** `==> h1 <==` before a host's output when several hosts answer (like `tail`), nothing for one. */
export function hostHeader(name: string, hostCount: number): string {
  return hostCount > 1 ? `==> ${name} <==\n` : '';
}

/**
 * With --json, what a command would print raw becomes `output` events (one
 * JSON object per line, redacted like every event), so stdout stays JSON.
 */
export function jsonIO(base: AppIO, emit: (stream: 'stdout' | 'stderr', text: string) => void): AppIO {
  const writer = (stream: 'stdout' | 'stderr') =>
    ({
      write(chunk: string | Uint8Array): boolean {
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        if (text) emit(stream, text);
        return true;
      },
      isTTY: false,
    }) as unknown as NodeJS.WriteStream;
  return { ...base, stdout: writer('stdout'), stderr: writer('stderr') };
}
