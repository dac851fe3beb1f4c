import { VantResolver } from "@vant/auto-import-resolver";
import vue from "@vitejs/plugin-vue";
import Components from "unplugin-vue-components/vite";
import { VitePWA } from "vite-plugin-pwa";
import { defineConfig } from "vitest/config";

// Served by the gateway at /m/ (services/gateway: static mount with an index.html fallback).
export default defineConfig({
  base: "/m/",
  plugins: [
    vue(),
    Components({ resolvers: [VantResolver()], dts: false }),
    // A service worker (Workbox) that precaches the app shell, so the app opens without a network
    // after one visit; API calls are never cached (they go to the network and fail offline, where the
    // app says so). The manifest is public/manifest.webmanifest; the worker is registered by a small
    // same-origin script (the CSP allows no inline script). ADR 19.
    VitePWA({
      manifest: false,
      injectRegister: "script",
      registerType: "autoUpdate",
      workbox: {
        globPatterns: ["**/*.{js,css,html,svg,webmanifest}"],
        navigateFallback: "/m/index.html",
        navigateFallbackDenylist: [/^\/api\//],
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true,
      },
    }),
  ],
  server: {
    proxy: { "/api": process.env.GATEWAY_URL ?? "http://127.0.0.1:8000" },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2020",
    chunkSizeWarningLimit: 600,
  },
  test: {
    environment: "happy-dom",
    include: ["tests/unit/**/*.test.ts"],
  },
});
