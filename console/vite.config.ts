import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The console is served by billingd at "/": relative API calls, hashed assets
// under assets/ (billingd marks those immutable). `npm run dev` proxies the
// API to a billingd on localhost:4000.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: { '/api': 'http://localhost:4000' },
  },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    environment: 'node',
  },
});
