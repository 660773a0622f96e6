import { STATUS_CODES, createServer, maxHeaderSize } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Express } from 'express';
import { toErrorBody } from './errors';

export interface RunningApiServer {
  /** Base URL, e.g. `http://127.0.0.1:8888` (the real port when 0 was asked for). */
  url: string;
  /** Stops accepting connections and cuts open ones (followed logs never end by themselves). */
  close(): Promise<void>;
}

/** Listens on `host:port` (0 picks a free port); resolves once the server is accepting connections. */
export async function startApiServer(app: Express, opts: { host: string; port: number }): Promise<RunningApiServer> {
  const server = createServer(app);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => answerUnparsable(err, socket));
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

/**
 * A request Node's HTTP parser refuses before Express sees it (a URL or headers over
 * `maxHeaderSize`, a malformed request line) still gets KFP's JSON error body, like every other
 * refusal, instead of Node's bare status line.
 */
function answerUnparsable(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const description = tooLarge ? `the URL and headers are larger than the ${maxHeaderSize} byte limit` : `malformed HTTP request (${err.code ?? err.message})`;
  const { body } = toErrorBody({ kind: 'INVALID_ARGUMENT', message: `request: ${description}`, violations: [{ field: 'request', description }] });
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}
