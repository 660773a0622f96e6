import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Where ports are looked for: below the kernel's ephemeral range, above the well-known services. */
const LOWEST = 10_000;

/**
 * A TCP port that was free on 127.0.0.1 a moment ago (for tests and the bench's private stacks),
 * chosen below the kernel's ephemeral range: a port from that range (what `listen(0)` hands
 * out) can be taken in the meantime as the local end of any outgoing connection, such as the
 * Temporal dev server's own connections while it starts, which then cannot bind it.
 */
export async function freePort(): Promise<number> {
  const below = ephemeralLow();
  for (let tries = 0; tries < 50 && below > LOWEST; tries++) {
    const port = LOWEST + Math.floor(Math.random() * (below - LOWEST));
    if (await canListen(port)) return port;
  }
  return listenAnywhere();
}

/** The lowest port of the kernel's ephemeral range (Linux); 32768 where it cannot be read. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function listenAnywhere(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
