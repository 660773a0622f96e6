import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface RunningApiServer {
  /** Base URL, e.g. `http://127.0.0.1:8888` (the real port when 0 was asked for). */
  url: string;
  /** Stops accepting connections and cuts open ones (followed logs never end by themselves). */
  close(): Promise<void>;
}

/** Listens on `host:port` (0 picks a free port); resolves once the server is accepting connections. */
export async function startApiServer(app: Express, opts: { host: string; port: number }): Promise<RunningApiServer> {
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
