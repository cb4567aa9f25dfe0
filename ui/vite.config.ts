import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The SPA the core serves from ui/dist; `npm run dev -w @piper/ui` proxies the API of a server on :3000. */
const backend = process.env.PIPER_URL ?? 'http://localhost:3000';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000 },
  server: {
    proxy: Object.fromEntries(['/api', '/hooks', '/plugin-ui', '/socket.io', '/health'].map((prefix) => [prefix, { target: backend, ws: prefix === '/socket.io' }])),
  },
});
