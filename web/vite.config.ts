// Builds the console (`vite build web`) into web/dist, which the server's web-console plugin
// serves at GET /. Everything is bundled: the console must never load from another origin.
import { defineConfig } from 'vite';

export default defineConfig({
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  // `npx vite web` serves the sources with hot reload against thumbforge on its default port.
  server: {
    proxy: Object.fromEntries(['/tenants', '/rollouts', '/videos', '/thumbnails', '/uploads', '/webhooks'].map((path) => [path, 'http://127.0.0.1:3000'])),
  },
});
