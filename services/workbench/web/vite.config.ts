// The workbench is served by fazhi itself from the binary: relative asset paths, no inline
// script or style (the server's Content-Security-Policy forbids both), no source maps shipped.
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  build: {
    outDir: process.env.FAZHI_WEB_OUT ?? "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
});
