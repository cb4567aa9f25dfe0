import { federation } from '@module-federation/vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The plugin's UI as a module federation remote: dist/ui/remoteEntry.js exposes `./ui`, with
 * react, react/jsx-runtime and react-dom shared as singletons, so the components run on the Piper UI's React.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [
    react(),
    federation({
      name: 'piper_plugin_files',
      filename: 'remoteEntry.js',
      exposes: { './ui': './src/index.ts' },
      shared: {
        react: { singleton: true, requiredVersion: '^19.0.0' },
        'react-dom': { singleton: true, requiredVersion: '^19.0.0' },
        // Named, not left to discovery: the plugin finds subpath imports while it transforms, and
        // a build that wrote its shared map before finding this one made the remote fall back to
        // its own copy after `get` had resolved, so its components rendered with jsx undefined.
        'react/jsx-runtime': { singleton: true, requiredVersion: '^19.0.0' },
      },
      dts: false,
      manifest: true,
    }),
  ],
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: false,
    minify: true,
    // A remote has no page of its own: its entry is the exposed module (remoteEntry.js is added by the plugin).
    rollupOptions: { input: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
});
