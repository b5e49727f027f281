/**
 * A file server on 127.0.0.1 for downloads in tests: each path answers its bytes (or a handler
 * that misbehaves); it also acts as an HTTP proxy (CONNECT tunnels back to itself, whatever host
 * was asked for). `requests` lists what it was asked, in order.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";

export interface FileServer {
  url: string;
  requests: string[];
  close(): void;
}

export async function serve(
  routes: Record<string, Buffer | ((res: ServerResponse) => void)>,
): Promise<FileServer> {
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? "";
    requests.push(req.url ?? "");
    const route = routes[path];
    if (typeof route === "function") return route(res);
    if (!route) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "Content-Length": String(route.length) }).end(route);
  });
  // as a proxy: a CONNECT tunnel to itself, whatever host was asked for
  server.on("connect", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    requests.push(`CONNECT ${req.url}`);
    const upstream = connect((server.address() as AddressInfo).port, "127.0.0.1", () => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => server.close() };
}
