// Prints the built app's sizes: every JS and CSS file gzipped, and the JS the first screen loads
// (the entry and the chunks index.html preloads). A figure for the bench, not a test.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const gz = (file) => gzipSync(readFileSync(join(dist, file))).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

const assets = readdirSync(join(dist, "assets")).filter((f) => /\.(js|css)$/.test(f));
const html = readFileSync(join(dist, "index.html"), "utf8");
const firstJs = [...html.matchAll(/(?:src|href)="\/m\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
// The sign-in screen's own chunk loads straight after the entry.
const loginChunk = assets.find((f) => f.startsWith("LoginView") && f.endsWith(".js"));
if (loginChunk) firstJs.push(`assets/${loginChunk}`);
let total = 0;
for (const f of assets.sort()) {
  const size = gz(`assets/${f}`);
  total += size;
  console.log(`  ${f.padEnd(40)} ${kb(size).padStart(10)} gzipped`);
}
const first = firstJs.reduce((sum, f) => sum + gz(f), 0);
console.log(`member app: all JS+CSS ${kb(total)} gzipped; first screen JS ${kb(first)} gzipped (target <= 150 KB)`);
