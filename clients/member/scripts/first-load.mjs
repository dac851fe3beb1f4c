// The members' app's first load on a throttled phone, for the bench (tests/bench/bench.py; never a
// test): Debian's chromium at 390x844 with Chromium's CPU x4 slowdown and DevTools' "Fast 3G"
// (562.5 ms latency, 1.44 Mbit/s down, 675 kbit/s up) set over CDP, a cold cache, a signed-in member.
// Prints one JSON line: the time from navigation start to the home screen's greeting, per run, and the
// JavaScript the browser fetched for it, gzipped (the files from dist, as a server would send them).
//
//   GATEWAY_URL=http://127.0.0.1:8000 MEMBER_USERNAME=… MEMBER_PASSWORD=… RUNS=3 node scripts/first-load.mjs
import { chromium } from "@playwright/test";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const gateway = process.env.GATEWAY_URL ?? "http://127.0.0.1:8000";
const runs = Number(process.env.RUNS ?? "3");
const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const FAST_3G = { offline: false, latency: 562.5, downloadThroughput: (1.6 * 1024 * 1024 * 0.9) / 8, uploadThroughput: (750 * 1024 * 0.9) / 8 };

const login = await fetch(`${gateway}/api/v1/auth/login`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ username: process.env.MEMBER_USERNAME, password: process.env.MEMBER_PASSWORD }),
});
if (!login.ok) throw new Error(`sign-in failed: ${login.status} ${await login.text()}`);
const tokens = await login.json();
const saved = JSON.stringify({ access: tokens.access_token, refresh: tokens.refresh_token, account: tokens.account });

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" });
const times = [];
let jsFiles = [];
try {
  for (let i = 0; i < runs; i++) {
    // A new context each time: no cache, no storage, no service worker from an earlier run.
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: "zh-CN",
      serviceWorkers: "block",
    });
    await context.addInitScript((value) => localStorage.setItem("member.auth", value), saved);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    await cdp.send("Network.emulateNetworkConditions", FAST_3G);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
    await page.goto(`${gateway}/m/`, { waitUntil: "commit" });
    // Milliseconds since the navigation started, by the page's own clock, checked every frame.
    const shown = await page.waitForFunction(
      () => {
        const greeting = [...document.querySelectorAll("h1")].find((h) => h.textContent?.includes("您好"));
        return greeting && greeting.getBoundingClientRect().height > 0 ? performance.now() : false;
      },
      null,
      { polling: "raf", timeout: 60_000 },
    );
    times.push(await shown.jsonValue());
    jsFiles = await page.evaluate(() =>
      performance
        .getEntriesByType("resource")
        .map((e) => new URL(e.name).pathname)
        .filter((p) => p.startsWith("/m/") && p.endsWith(".js")),
    );
    await context.close();
  }
} finally {
  await browser.close();
}
const gz = (path) => {
  const file = join(dist, path.replace(/^\/m\//, ""));
  return existsSync(file) ? gzipSync(readFileSync(file)).length : 0;
};
const jsGzipBytes = [...new Set(jsFiles)].reduce((sum, p) => sum + gz(p), 0);
const sorted = [...times].sort((a, b) => a - b);
console.log(
  JSON.stringify({
    home_ms: sorted[Math.floor(sorted.length / 2)],
    runs_ms: times.map((t) => Math.round(t)),
    js_gzip_bytes: jsGzipBytes,
    js_files: [...new Set(jsFiles)],
  }),
);
