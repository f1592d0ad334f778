// The TCP connection to a host, opened before ssh2 is loaded: the host's sshd
// starts its side of the connection (a process, its keys, its banner) while
// this process loads ssh2, and over a real network the TCP handshake's round
// trip is spent then too. Only node:net here, so nothing waits on ssh2.
import { connect, type Socket } from 'node:net';

/**
 * A connected socket, or undefined when it did not connect within
 * `timeoutMs` (or failed): ssh2 then dials itself, and its error is the one
 * the user sees.
 */
export function dialTcp(host: string, port: number, timeoutMs: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, noDelay: true });
    // Errors before ssh2 takes the socket over must not be unhandled; ssh2 adds its own listener.
    socket.on('error', () => undefined);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}
