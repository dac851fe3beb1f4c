import AxeBuilder from "@axe-core/playwright";
import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const GATEWAY = process.env.GATEWAY_URL ?? "http://127.0.0.1:8000";
export const PASSWORD = process.env.DEMO_PASSWORD ?? "demo-pass-2026";
export const LEAD = process.env.MEMBER_LEAD ?? "w003";
export const COSIGNER = process.env.MEMBER_COSIGNER ?? "w004";
export const STAFF = process.env.STAFF_USER ?? "cppcc-staff";
export const UNIT = process.env.UNIT_USER ?? "unit-zjj";
const SCREENS = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..", "docs", "screens", "member");

/** Signs in through the app's own form. */
export async function signIn(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.goto("login");
  await page.locator("#username").fill(username);
  await page.locator("#password").fill(password);
  // exact: the page also has 首次登录？激活账号 (the first-time button).
  await page.getByRole("button", { name: "登录", exact: true }).click();
}

/**
 * Checks one screen as a member sees it: no serious or critical axe violation, every touch target
 * at least 44 px, and saves its picture to docs/screens/member/<name>.png.
 */
export async function checkScreen(page: Page, name: string): Promise<void> {
  await page.waitForLoadState("networkidle");
  // A toast is a passing message: the screen is judged once it has gone.
  await expect(page.locator(".van-toast:visible")).toHaveCount(0, { timeout: 10_000 });
  await page.evaluate(() => document.fonts.ready);
  const axe = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`),
    `${name}: accessibility`,
  ).toEqual([]);
  const small = await page.evaluate(() => {
    const selector =
      'button, a[href], [role="button"], [role="radio"], [role="checkbox"], [role="tab"], .van-tabbar-item, .van-cell--clickable';
    return Array.from(document.querySelectorAll<HTMLElement>(selector))
      .filter((el) => {
        const r = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        return r.width > 0 && r.height > 0 && style.visibility !== "hidden" && !el.closest("[aria-hidden=true]");
      })
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.height < 44 || r.width < 44;
      })
      .map((el) => `${el.tagName.toLowerCase()}.${el.className} "${(el.textContent ?? "").trim().slice(0, 12)}" ${Math.round(el.getBoundingClientRect().width)}x${Math.round(el.getBoundingClientRect().height)}`);
  });
  expect(small, `${name}: touch targets under 44 px`).toEqual([]);
  mkdirSync(SCREENS, { recursive: true });
  // The phone's screen as the member sees it (a full-page picture would float the tab bar mid-page).
  await page.screenshot({ path: join(SCREENS, `${name}.png`), animations: "disabled" });
}

export interface Session {
  token: string;
  account: { id: string; member_id: string | null; unit_id: string | null; body_id: string | null };
}

export async function apiLogin(request: APIRequestContext, username: string): Promise<Session> {
  const r = await request.post(`${GATEWAY}/api/v1/auth/login`, { data: { username, password: PASSWORD } });
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
