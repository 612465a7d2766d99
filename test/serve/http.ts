/** Raw HTTP for the serve tests: fetch and http.request normalise or complete what these tests must send as is. */
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Send `request` byte for byte on a fresh connection and read the reply until the server closes it. */
export function rawRequest(port: number, request: string, address = '127.0.0.1'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, address);
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (e) => (chunks.length ? finish() : reject(e)));
    socket.on('close', finish);
    socket.write(request);
    let done = false;
    function finish() {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('latin1');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    }
  });
}

/** A GET with the given raw target and Host (the bound one by default), closing the connection. */
export function get(
  port: number,
  target: string,
  host = `127.0.0.1:${port}`,
  method = 'GET',
  address = '127.0.0.1',
): Promise<RawResponse> {
  return rawRequest(port, `${method} ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, address);
}
