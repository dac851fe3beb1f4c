import { defineConfig } from "@playwright/test";

// Run by tests/e2e/test_console.py against a real stack with the demo data (GATEWAY_URL); Debian's
// chromium, never a downloaded browser; a desk's screen. Screenshots: docs/screens/console/.
const gateway = process.env.GATEWAY_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  testDir: "tests/e2e",
  timeout: 240_000,
  expect: { timeout: 30_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [["list"]],
  outputDir: process.env.PLAYWRIGHT_OUTPUT_DIR ?? "test-results",
  use: {
    baseURL: `${gateway}/console/`,
    viewport: { width: 1440, height: 900 },
    locale: "zh-CN",
    timezoneId: "Asia/Shanghai",
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" },
    trace: "off",
    testIdAttribute: "data-test",
  },
});
