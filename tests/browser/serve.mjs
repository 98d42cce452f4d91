// A tiny static file server for the preview page (tests only): serves one folder on
// 127.0.0.1 with the right content types (application/wasm for streaming instantiation).
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".ts": "text/plain; charset=utf-8",
};

/** Starts serving `root`; resolves to { url, close }. Port 0 picks a free port. */
export function serve(root, port = 0) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    const file = normalize(join(root, path.endsWith("/") ? path + "index.html" : path));
    if (!file.startsWith(normalize(root + sep)) && file !== normalize(root)) {
      res.writeHead(403).end("forbidden");
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path}`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port: actual } = server.address();
      resolve({ url: `http://127.0.0.1:${actual}/`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

// `node tests/browser/serve.mjs DIR [PORT]` serves DIR until interrupted (for looking at the page by hand).
if (import.meta.url === `file://${process.argv[1]}`) {
  const root = process.argv[2] ?? "bindings-wasm/www";
  serve(normalize(join(process.cwd(), root)), Number(process.argv[3] ?? 8765)).then(({ url }) => console.log(`preview: open ${url} in a browser (serving ${root}; Ctrl-C stops)`));
}
