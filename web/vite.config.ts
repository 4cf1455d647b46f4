/**
 * The page: `vite build web` writes web/dist, which `vitrine serve` serves at /.
 * `npx vite web` serves it with live reload, sending /api to a running
 * `vitrine serve` (VITRINE_API, default http://127.0.0.1:8080).
 */
import { defineConfig } from 'vite';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', reportCompressedSize: false },
  server: { proxy: { '/api': { target: process.env.VITRINE_API ?? 'http://127.0.0.1:8080', changeOrigin: false } } },
});
