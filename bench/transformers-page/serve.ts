// A static server for the transformers.js peer page: the built page (/), transformers.js's own
// onnxruntime-web dist (/tjs-ort/), and model folders (/models/<id>/), all with the cross-origin isolation
// headers the lab's vite preview sends (wasm threads need SharedArrayBuffer). Node only; bench and e2e.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/** transformers.js's onnxruntime-web: the copy nested under it (its pinned dev build), else the top-level one. */
export function transformersOrtDir(root = process.cwd()): { dir: string; version: string } {
  for (const candidate of ['node_modules/@huggingface/transformers/node_modules/onnxruntime-web', 'node_modules/onnxruntime-web']) {
    const pkg = path.join(root, candidate, 'package.json');
    if (fs.existsSync(pkg)) return { dir: path.join(root, candidate, 'dist'), version: (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version };
  }
  throw new Error('onnxruntime-web for transformers.js not found under node_modules; run npm ci');
}

export interface PeerServer {
  url: string;
  /** Every path requested, in order (the page's, its workers', and onnxruntime's fetches). */
  requests: string[];
  close(): Promise<void>;
}

export interface PeerServeOptions {
  port: number;
  /** The built page (bench/transformers-page/build.ts). */
  dist: string;
  /** Model folders by id: /models/<id>/… serves <folder>/…. */
  models: Record<string, string>;
}

/** `file` when it lies inside `dir` and exists as a file, else null (no `..` escapes). */
function inside(dir: string, rel: string): string | null {
  const file = path.resolve(dir, '.' + path.posix.normalize('/' + rel));
  if (file !== dir && !file.startsWith(dir + path.sep)) return null;
  return fs.existsSync(file) && fs.statSync(file).isFile() ? file : null;
}

function resolvePath(o: PeerServeOptions, ortDir: string, pathname: string): string | null {
  if (pathname.startsWith('/tjs-ort/')) return inside(ortDir, pathname.slice('/tjs-ort/'.length));
  const model = /^\/models\/([^/]+)\/(.+)$/.exec(pathname);
  if (model) {
    const dir = o.models[model[1]];
    return dir ? inside(path.resolve(dir), model[2]) : null;
  }
  return inside(path.resolve(o.dist), pathname === '/' ? 'index.html' : pathname.slice(1));
}

export function startPeerServer(o: PeerServeOptions): Promise<PeerServer> {
  const { dir: ortDir } = transformersOrtDir();
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(pathname);
    const file = req.method === 'GET' || req.method === 'HEAD' ? resolvePath(o, ortDir, pathname) : null;
    if (!file) {
      res.writeHead(404, { ...ISOLATION_HEADERS, 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const size = fs.statSync(file).size;
    res.writeHead(200, { ...ISOLATION_HEADERS, 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'Content-Length': size, 'Cache-Control': 'no-store' });
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => {
      // Port 0: the system picks a free one (tests running side by side never collide).
      const port = (server.address() as { port: number }).port;
      resolve({
        url: `http://127.0.0.1:${port}/`,
        requests,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}
