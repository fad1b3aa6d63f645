import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

// Two apps from one workspace:
// - index.html: the desktop window, which loads the built files from dist/ (tauri.conf.json
//   `frontendDist`);
// - console.html: the office console, which mingcha-server serves at `/` (its assets at /assets/).
export default defineConfig({
  plugins: [vue()],
  clearScreen: false,
  // `npm run dev`: the console at /console.html talks to an office on 127.0.0.1:8080
  // (`cargo xtask office`, HTTPS with its self-signed certificate, hence `secure: false`) through
  // this proxy, so its cookie stays same-origin.
  server: { port: 5173, strictPort: true, proxy: { '/api': { target: 'https://127.0.0.1:8080', secure: false } } },
  build: {
    target: 'safari15',
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: {
        index: here('./index.html'),
        console: here('./console.html'),
      },
      output: {
        // What both apps share (Vue, Element Plus, the base styles) Rollup names after its first
        // module, Vite's preload helper; call it what it is.
        chunkFileNames: (c) => `assets/${c.name === 'preload-helper' ? 'shared' : '[name]'}-[hash].js`,
        assetFileNames: (a) => `assets/${a.names.includes('preload-helper.css') ? 'shared' : '[name]'}-[hash][extname]`,
      },
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
  },
})
