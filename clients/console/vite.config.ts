import vue from "@vitejs/plugin-vue";
import Components from "unplugin-vue-components/vite";
import { ElementPlusResolver } from "unplugin-vue-components/resolvers";
import { defineConfig } from "vitest/config";

// Served by the gateway at /console/ (services/gateway: static mount with an index.html fallback).
// Element Plus components are imported on demand (with their CSS) as templates use them; function
// APIs (ElMessage, ElMessageBox) are imported explicitly, their styles in src/main.ts.
export default defineConfig({
  base: "/console/",
  plugins: [vue(), Components({ resolvers: [ElementPlusResolver({ importStyle: "css" })], dts: false })],
  server: {
    proxy: { "/api": process.env.GATEWAY_URL ?? "http://127.0.0.1:8000" },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2020",
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // Libraries change less often than the app: their own long-cached chunks.
        manualChunks: (id: string) =>
          id.includes("node_modules/echarts") || id.includes("node_modules/zrender") || id.includes("vue-echarts")
            ? "echarts"
            : id.includes("node_modules/element-plus") || id.includes("node_modules/@element-plus")
              ? "element-plus"
              : undefined,
      },
    },
  },
  test: {
    environment: "happy-dom",
    include: ["tests/unit/**/*.test.ts"],
  },
});
