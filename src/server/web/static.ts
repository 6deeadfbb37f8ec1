// Serves the built web UI (dist/web, written by `vite build`) as static files.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ServerResponse } from "node:http";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
};

/** dist/web, beside dist/src (this file is dist/src/server/web/static.js once built). */
export function defaultWebRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../web");
}

/** Writes the file for `urlPath` (index.html for `/`); false when there is none. */
export function serveStatic(root: string, urlPath: string, res: ServerResponse): boolean {
  const rel = urlPath === "/" ? "index.html" : decodeURIComponent(urlPath).replace(/^\/+/, "");
  const file = path.resolve(root, rel);
  // never outside the root (`..` in the path)
  if (!file.startsWith(root + path.sep)) return false;
  let body: Buffer;
  try {
    body = fs.readFileSync(file);
  } catch {
    return false;
  }
  res.writeHead(200, {
    "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
    "cache-control": rel === "index.html" ? "no-store" : "max-age=3600",
    "x-content-type-options": "nosniff",
  });
  res.end(body);
  return true;
}
