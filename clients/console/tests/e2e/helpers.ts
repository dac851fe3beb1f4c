// Shared helpers of the console's browser specs: sign in, check a page (axe: no serious or critical
// violation) and save its picture to docs/screens/console/<name>.png, talk to the API directly.
import AxeBuilder from "@axe-core/playwright";
import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const GATEWAY = process.env.GATEWAY_URL ?? "http://127.0.0.1:8000";
export const PASSWORD = process.env.DEMO_PASSWORD ?? "demo-pass-2026";
export const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD ?? "";
export const STAFF = "cppcc-staff";
export const LEADER = "cppcc-leader";
export const UNIT = "unit-swj";
export const ADMIN = "admin";
const SCREENS = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..", "docs", "screens", "console");

/** Signs in through the console's own form and waits for the shell. */
export async function signIn(page: Page, username: string, password?: string): Promise<void> {
  await page.goto("login");
  await page.locator("#username").fill(username);
  await page.locator("#password").fill(password ?? (username === ADMIN ? ADMIN_PASSWORD : PASSWORD));
  await page.getByRole("button", { name: "登录" }).click();
  await expect(page.getByTestId("who")).toBeVisible();
}

/** Signs out and waits for the sign-in page: until the sign-out has ended (it tells the gateway
 * first), the console still holds the session and would send the sign-in page on to the desk. */
export async function signOut(page: Page): Promise<void> {
  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/console\/login/);
}

/** No serious or critical axe violation on the page as it is now. */
export async function checkA11y(page: Page, name: string): Promise<void> {
  await page.waitForLoadState("networkidle");
  await page.evaluate(() => document.fonts.ready);
  // Dialogs and messages fade in: axe measures contrast mid-fade unless the transitions have ended.
  // (Only finite ones: a spinner turns forever.)
  await page.evaluate(() =>
    Promise.allSettled(
      document
        .getAnimations()
        .filter((a) => a.effect?.getComputedTiming().endTime !== Infinity)
        .map((a) => a.finished),
    ),
  );
  // A passing message (el-message) fades in and out on its own clock: measured mid-fade it is
  // faint. Its colours are the theme's (4.5:1, src/style.css); the page is what is checked.
  const axe = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .exclude(".el-message")
    .analyze();
  const bad = axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`),
    `${name}: accessibility`,
  ).toEqual([]);
}

/** Saves the page's picture to docs/screens/console/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENS, { recursive: true });
  // A passing message is not part of the page.
  await expect(page.locator(".el-message:visible")).toHaveCount(0, { timeout: 10_000 });
  await page.screenshot({ path: join(SCREENS, `${name}.png`), animations: "disabled" });
}

/** Both: axe, then the picture. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await checkA11y(page, name);
  await screenshot(page, name);
}

export interface Session {
  token: string;
  account: { id: string; role: string; member_id: string | null; unit_id: string | null; body_id: string | null };
}

export async function apiLogin(request: APIRequestContext, username: string, password?: string): Promise<Session> {
  const r = await request.post(`${GATEWAY}/api/v1/auth/login`, {
    data: { username, password: password ?? (username === ADMIN ? ADMIN_PASSWORD : PASSWORD) },
  });
  expect(r.status(), await r.text()).toBe(200);
  const body = await r.json();
  return { token: body.access_token, account: body.account };
}

export function bearer(s: Session): Record<string, string> {
  return { Authorization: `Bearer ${s.token}` };
}

/** Polls a GET until `check` holds (events travel through Kafka between the services). */
export async function until<T>(
  request: APIRequestContext,
  path: string,
  headers: Record<string, string>,
  check: (body: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await request.get(`${GATEWAY}/api/v1${path}`, { headers });
    if (r.ok()) {
      const body = (await r.json()) as T;
      if (check(body)) return body;
    }
    if (Date.now() > end) throw new Error(`waited too long for ${path}: ${r.status()} ${await r.text()}`);
    await new Promise((ok) => setTimeout(ok, 500));
  }
}
