// The test harness's loopback proxy: 127.0.0.1:HOST_PORT on the machine to
// 127.0.0.1:GUEST_PORT inside a test host's network namespace. testhost.sh
// starts it as `systemd-socket-activate -l 127.0.0.1:HOST_PORT nsenter
// --net=NETNS node loopback-proxy.mjs 127.0.0.1:GUEST_PORT`: the listening
// socket (made outside the namespace) arrives as fd 3, the connections to the
// host are made inside it.
//
// It replaces systemd-socket-proxyd, which leaves Nagle's algorithm on: a
// small write waited for the ACK of the one before, and the receiver delays
// that ACK by 40 ms when it has nothing to send. Every SSH channel opened
// right after another closed paid that, a cost a real network path to a host
// does not add. Both legs here send at once (TCP_NODELAY); half-closes pass
// through; a reset or error on either side closes both.
//
// A side that closes normally is never destroyed from here: pipe() ends the
// other side once everything read has been written (destroying it on 'close'
// dropped the last bytes of a response the server sent just before closing,
// as Caddy's old server does during a reload: the client saw a reset).
import net from 'node:net';

const target = process.argv[2] ?? '';
const at = target.lastIndexOf(':');
const host = target.slice(0, at);
const port = Number(target.slice(at + 1));
if (!host || !(port > 0)) {
  console.error('usage: loopback-proxy.mjs HOST:PORT (the listening socket on fd 3)');
  process.exit(2);
}

const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
  const upstream = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
  const closeBoth = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', closeBoth);
  upstream.on('error', closeBoth);
  // pipe() ends the other side when one side ends: a half-close passes through.
  client.pipe(upstream);
  upstream.pipe(client);
});
server.on('error', (e) => {
  console.error(`loopback-proxy: ${e.message}`);
  process.exit(1);
});
server.listen({ fd: 3 });
