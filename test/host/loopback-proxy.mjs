// The test harness's loopback proxy: 127.0.0.1:HOST_PORT on the machine to
// 127.0.0.1:GUEST_PORT inside a test host's network namespace. testhost.sh
// starts it as `systemd-socket-activate -l 127.0.0.1:HOST_PORT nsenter
// --net=NETNS node loopback-proxy.mjs 127.0.0.1:GUEST_PORT [RTT_MS]`: the
// listening socket (made outside the namespace) arrives as fd 3, the
// connections to the host are made inside it.
//
// It replaces systemd-socket-proxyd, which leaves Nagle's algorithm on: a
// small write waited for the ACK of the one before, and the receiver delays
// that ACK by 40 ms when it has nothing to send. Every SSH channel opened
// right after another closed paid that, a cost a real network path to a host
// does not add. Both legs here send at once (TCP_NODELAY); half-closes pass
// through; a reset or error on either side closes both.
//
// A side that closes normally is never destroyed from here: the other side is
// ended once everything read has been written (destroying it on 'close'
// dropped the last bytes of a response the server sent just before closing,
// as Caddy's old server does during a reload: the client saw a reset).
//
// RTT_MS gives the path a round-trip time, as a host across the internet has
// (this kernel has no netem): each direction holds every chunk RTT_MS/2
// before passing it on, in order, and the connection's own SYN/SYN-ACK pays
// it too (the upstream connect waits one RTT). Bandwidth is not limited
// beyond a 16 MiB buffer per direction, which is what a fast path's TCP
// windows allow at these delays.
import net from 'node:net';
import { performance } from 'node:perf_hooks';

const target = process.argv[2] ?? '';
const rttMs = Number(process.argv[3] ?? 0);
const at = target.lastIndexOf(':');
const host = target.slice(0, at);
const port = Number(target.slice(at + 1));
if (!host || !(port > 0) || !(rttMs >= 0)) {
  console.error('usage: loopback-proxy.mjs HOST:PORT [RTT_MS] (the listening socket on fd 3)');
  process.exit(2);
}
const oneWay = rttMs / 2;
const HIGH_WATER = 16 * 1024 * 1024;

/** Everything `from` sends reaches `to` `oneWay` ms later, in order; `from`'s end ends `to`. */
function delayLine(from, to) {
  if (!oneWay) {
    from.pipe(to);
    return;
  }
  /** @type {{ due: number, chunk?: Buffer }[]} (no chunk: the end) */
  const queue = [];
  let held = 0;
  let timer = null;
  const flush = () => {
    timer = null;
    const now = performance.now();
    while (queue.length && queue[0].due <= now + 0.5) {
      const { chunk } = queue.shift();
      if (!chunk) {
        to.end();
        continue;
      }
      held -= chunk.length;
      if (!to.write(chunk)) from.pause();
    }
    if (held < HIGH_WATER / 2 && !to.writableNeedDrain) from.resume();
    arm();
  };
  const arm = () => {
    if (timer || !queue.length) return;
    timer = setTimeout(flush, Math.max(0, queue[0].due - performance.now()));
  };
  to.on('drain', () => {
    if (held < HIGH_WATER / 2) from.resume();
  });
  from.on('data', (chunk) => {
    queue.push({ due: performance.now() + oneWay, chunk });
    held += chunk.length;
    if (held >= HIGH_WATER) from.pause();
    arm();
  });
  from.on('end', () => {
    queue.push({ due: performance.now() + oneWay });
    arm();
  });
}

const server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (client) => {
  const open = () => {
    const upstream = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    // Half-closes pass through: one side's end ends the other once all is written.
    delayLine(client, upstream);
    delayLine(upstream, client);
    client.resume();
  };
  // The handshake's round trip: the client's connect returned at once (the
  // kernel accepted it here), so its first bytes wait one RTT before leaving.
  if (rttMs) setTimeout(open, rttMs);
  else open();
});
server.on('error', (e) => {
  console.error(`loopback-proxy: ${e.message}`);
  process.exit(1);
});
server.listen({ fd: 3 });
