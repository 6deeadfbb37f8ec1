// Builds the web UI into dist/web (served by `spool app-server --listen`); no CDN, everything bundled.
import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

export default defineConfig({
  root: import.meta.dirname,
  base: "/",
  plugins: [preact()],
  build: { outDir: "../dist/web", emptyOutDir: true, chunkSizeWarningLimit: 1000 },
});
