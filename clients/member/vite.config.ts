import { VantResolver } from "@vant/auto-import-resolver";
import vue from "@vitejs/plugin-vue";
import Components from "unplugin-vue-components/vite";
import { defineConfig } from "vitest/config";

// Served by the gateway at /m/ (services/gateway: static mount with an index.html fallback).
export default defineConfig({
  base: "/m/",
  plugins: [vue(), Components({ resolvers: [VantResolver()], dts: false })],
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
