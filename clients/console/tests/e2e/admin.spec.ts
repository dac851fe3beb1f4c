// Administration: the body's rules edited in two tabs (the second save is refused and said as
// "someone changed this, reload"), a members' CSV checked row by row before anything is written,
// accounts with an activation code, API keys issued once.
import { expect, test } from "@playwright/test";
import { ADMIN, apiLogin, bearer, checkPage, GATEWAY, signIn, STAFF } from "./helpers";

test.describe.configure({ mode: "serial" });

test("two staff editing the same rules: the second save says someone changed them, and reloads", async ({ browser, request }) => {
  const staff = await apiLogin(request, STAFF);
  const rulesUrl = `${GATEWAY}/api/v1/bodies/${staff.account.body_id}/handling-rules`;
  const before = await (await request.get(rulesUrl, { headers: bearer(staff) })).json();

  const first = await (await browser.newContext()).newPage();
  const second = await (await browser.newContext()).newPage();
  for (const tab of [first, second]) {
    await signIn(tab, STAFF);
    await tab.goto("admin/rules");
    await expect(tab.getByTestId("handling-form")).toBeVisible();
  }
  await checkPage(first, "admin-rules");

  const dueSoon = (tab: typeof first) => tab.getByTestId("rule-due_soon_days").locator("input");
  await dueSoon(first).fill(String(before.due_soon_days + 1));
  await first.getByTestId("save-handling").click();
  await expect(first.locator(".el-message--success")).toContainText("已保存");

  await dueSoon(second).fill(String(before.due_soon_days + 2));
  await second.getByTestId("save-handling").click();
  const box = second.locator(".el-message-box");
  await expect(box).toContainText("此内容已被他人修改，请刷新后再编辑");
  await checkPage(second, "admin-rules-stale");
  await box.getByRole("button", { name: "刷新" }).click();
  await expect(dueSoon(second)).toHaveValue(String(before.due_soon_days + 1)); // the first tab's value, not lost
  const saved = await (await request.get(rulesUrl, { headers: bearer(staff) })).json();
  expect(saved.due_soon_days).toBe(before.due_soon_days + 1);

  // Put the demo's value back (the other specs read due dates made with it).
  const tag = (await request.get(rulesUrl, { headers: bearer(staff) })).headers().etag;
  const { body_id: _b, kind: _k, ...rules } = saved;
  const restored = await request.put(rulesUrl, {
    headers: { ...bearer(staff), "If-Match": tag },
    data: { ...rules, due_soon_days: before.due_soon_days },
  });
  expect(restored.status(), await restored.text()).toBe(200);
});

test("a members' CSV: every bad row shown before anything is written, then the good file imported", async ({ page, request }) => {
  const staff = await apiLogin(request, STAFF);
  const code = `T${Date.now() % 100000}`;
  const membersOf = async () =>
    (await (await request.get(`${GATEWAY}/api/v1/bodies/${staff.account.body_id}/members?limit=200`, { headers: bearer(staff) })).json()).items as { code: string }[];

  await signIn(page, STAFF);
  await page.goto("admin/import");
  await expect(page.getByTestId("admin-import")).toBeVisible();
  const header = "姓名,界别,党派团体,联系电话,电子邮箱,编号";
  const good = `测试委员,经济界,,13907100000,test-${code}@example.cn,${code}`;
  await page.getByTestId("import-text").fill(`${header}\n${good}\n,经济界,,12,not-an-address,${code}B\n`);
  await page.getByTestId("import-check").click();
  await expect(page.getByTestId("bad-rows")).toBeVisible();
  await expect(page.getByTestId("bad-rows").locator("tbody tr").first()).toContainText("3");
  await expect(page.getByTestId("import-run")).toBeDisabled();
  await checkPage(page, "admin-import-preview");
  expect((await membersOf()).some((m) => m.code === code)).toBe(false); // the check wrote nothing

  await page.getByTestId("import-text").fill(`${header}\n${good}\n`);
  await page.getByTestId("import-check").click();
  await expect(page.getByTestId("import-run")).toBeEnabled();
  await page.getByTestId("import-run").click();
  await expect(page.locator(".el-message--success")).toBeVisible();
  expect((await membersOf()).some((m) => m.code === code)).toBe(true);
});

test("accounts with a new activation code, and an API key shown once", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto("admin/accounts");
  await expect(page.getByTestId("accounts").locator("tbody tr").first()).toBeVisible();
  await checkPage(page, "admin-accounts");
  await page.getByTestId("new-code").first().click();
  await expect(page.getByTestId("activation-code")).not.toBeEmpty();
  await checkPage(page, "admin-accounts-code");
  await page.keyboard.press("Escape");

  await page.goto("admin/api-keys");
  await expect(page.getByTestId("admin-api-keys")).toBeVisible();
  await checkPage(page, "admin-api-keys");
  // A key without a name or scope is refused beside the fields; then issued, its secret shown once.
  await page.getByTestId("new-key").click();
  const dialog = page.getByRole("dialog", { name: "新建密钥" });
  await dialog.getByRole("button", { name: "保存" }).click();
  await expect(dialog.locator(".el-form-item__error").first()).toBeVisible();
  await dialog.getByLabel("使用系统").fill(`督查系统 ${Date.now() % 100000}`);
  await dialog.getByRole("checkbox", { name: "读取提案" }).check();
  await dialog.getByRole("button", { name: "保存" }).click();
  await expect(page.getByTestId("issued-key")).not.toBeEmpty();
  await checkPage(page, "admin-api-key-issued");
});
