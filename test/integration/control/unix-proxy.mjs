// unix-proxy.mjs HOST:PORT=SOCKET ...: forwards TCP connections on loopback to unix sockets, so a
// Prometheus in a test namespace can scrape keepvip metrics served on unix sockets (Prometheus
// scrapes TCP only). Prints "ready" once every listener is up.
import { connect, createServer } from 'node:net';

let pending = process.argv.length - 2;
for (const spec of process.argv.slice(2)) {
  const [listen, socket] = spec.split('=');
  const [host, port] = listen.split(':');
  const server = createServer((c) => {
    const u = connect(socket);
    c.pipe(u).pipe(c);
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
  });
  server.listen(Number(port), host, () => {
    if (--pending === 0) console.log('ready');
  });
}
