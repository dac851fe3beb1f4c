// The hard paths: offline drafts, a revoked sign-in, an expired token mid-form, a server error.
import { expect, test } from "@playwright/test";
import { apiLogin, bearer, checkScreen, GATEWAY, signIn } from "./helpers";

const MEMBER = process.env.MEMBER_OTHER ?? "w006";

test("a draft written offline is kept and filed once back online", async ({ page, context, request }) => {
  const title = `关于完善社区养老服务的建议（${String(Date.now()).slice(-6)}）`;
  await signIn(page, MEMBER);
  await expect(page.getByRole("heading", { name: /您好/ })).toBeVisible();
  await page.getByRole("tab", { name: "写提案" }).click();
  await expect(page.getByTestId("field-session")).not.toContainText("请选择");
  await page.locator("#draft-title").fill(title);
  await page.locator("#draft-content").fill("建议增加社区食堂和日间照料中心。");
  await context.setOffline(true);
  await page.getByRole("button", { name: "保存草稿" }).click();
  await expect(page.getByText("当前离线，草稿已保存在本机，联网后自动上传")).toBeVisible();
  expect(await page.evaluate(() => JSON.parse(localStorage.getItem("member.offlineDrafts") ?? "[]").length)).toBe(1);
  await context.setOffline(false);
  await expect
    .poll(() => page.evaluate(() => JSON.parse(localStorage.getItem("member.offlineDrafts") ?? "[]").length), { timeout: 30_000 })
    .toBe(0);
  const me = await apiLogin(request, MEMBER);
  const drafts = await request.get(`${GATEWAY}/api/v1/proposals`, {
    params: { status: "draft", proposer: me.account.member_id!, limit: 100 },
    headers: bearer(me),
  });
  expect((await drafts.json()).items.filter((p: { title: string }) => p.title === title)).toHaveLength(1);
});

test("an expired token is refreshed silently and the typed text is kept", async ({ page }) => {
  const title = `关于加强校园周边交通安全的建议（${String(Date.now()).slice(-6)}）`;
  await signIn(page, MEMBER);
  await expect(page.getByRole("heading", { name: /您好/ })).toBeVisible();
  await page.goto("draft/new");
  await expect(page.getByTestId("field-session")).not.toContainText("请选择");
  await page.locator("#draft-title").fill(title);
  await page.locator("#draft-content").fill("建议在学校周边增设减速带和护学岗。");
  // The access token has expired by the time the member taps save: the first answer is a 401.
  let refused = 0;
  await page.route("**/api/v1/proposals", async (route) => {
    if (route.request().method() === "POST" && refused === 0) {
      refused++;
      await route.fulfill({
        status: 401,
        contentType: "application/problem+json",
        body: JSON.stringify({ type: "about:blank", title: "Unauthorized", status: 401, code: "unauthorized", detail: "token expired" }),
      });
      return;
    }
    await route.continue();
  });
  const refreshed = page.waitForResponse((r) => r.url().endsWith("/api/v1/auth/refresh") && r.status() === 200);
  await page.getByRole("button", { name: "保存草稿" }).click();
  await refreshed;
  await expect(page).toHaveURL(/\/m\/draft\/[0-9a-f-]{36}$/);
  await expect(page.locator("#draft-title")).toHaveValue(title);
  expect(refused).toBe(1);
});

test("a revoked sign-in returns to the sign-in page with a clear message, and keeps the form", async ({ page, request }) => {
  await signIn(page, MEMBER);
  await expect(page.getByRole("heading", { name: /您好/ })).toBeVisible();
  await page.goto("draft/new");
  await expect(page.getByTestId("field-session")).not.toContainText("请选择");
  const title = "关于规范共享单车停放的建议";
  await page.locator("#draft-title").fill(title);
  // Signed out elsewhere (an administrator or another device ends this sign-in).
  const refresh = await page.evaluate(() => JSON.parse(localStorage.getItem("member.auth")!).refresh as string);
  const out = await request.post(`${GATEWAY}/api/v1/auth/logout`, { data: { refresh_token: refresh } });
  expect(out.status(), await out.text()).toBeLessThan(300);
  await page.locator("#draft-content").fill("建议划定停放区域。");
  await page.getByRole("button", { name: "保存草稿" }).click();
  await expect(page).toHaveURL(/\/m\/login/);
  await expect(page.getByRole("status")).toContainText("登录已失效");
  await checkScreen(page, "14-session-ended");
  // Signing in again brings the typed text back.
  await page.locator("#username").fill(MEMBER);
  await page.locator("#password").fill(process.env.DEMO_PASSWORD ?? "demo-pass-2026");
  await page.getByRole("button", { name: "登录", exact: true }).click();
  await expect(page).toHaveURL(/\/m\/draft\/new$/);
  await expect(page.locator("#draft-title")).toHaveValue(title);
});

test("a server error is said in words, never a blank screen", async ({ page }) => {
  await signIn(page, MEMBER);
  await expect(page.getByRole("heading", { name: /您好/ })).toBeVisible();
  await page.route("**/api/v1/proposals?**", (route) =>
    route.fulfill({
      status: 503,
      contentType: "application/problem+json",
      body: JSON.stringify({ type: "about:blank", title: "Service Unavailable", status: 503, code: "upstream_unavailable" }),
    }),
  );
  await page.getByRole("tab", { name: "我的提案" }).click();
  await expect(page.getByRole("alert")).toContainText("服务暂时不可用，请稍后重试。（503）");
  await expect(page.getByRole("button", { name: "重试" })).toBeVisible();
  await checkScreen(page, "15-server-error");
});

test("a member changes their password: the current one is checked, the new one signs in", async ({ page, request }) => {
  const member = process.env.MEMBER_PASSWORD_CHANGE ?? "w010";
  const old = process.env.DEMO_PASSWORD ?? "demo-pass-2026";
  const fresh = "a-new-password-2026";
  await signIn(page, member);
  await expect(page.getByRole("heading", { name: /您好/ })).toBeVisible();
  await page.goto("account/password");
  await page.locator("#old-password").fill("not-the-password");
  await page.locator("#new-password").fill("short");
  await page.locator("#confirm-password").fill("shorter");
  await page.getByRole("button", { name: "确认修改" }).click();
  await expect(page.getByText("新密码至少 12 位，且不能与当前密码相同")).toBeVisible();
  await expect(page.getByText("两次输入的新密码不一致")).toBeVisible();
  await page.locator("#new-password").fill(fresh);
  await page.locator("#confirm-password").fill(fresh);
  await page.getByRole("button", { name: "确认修改" }).click();
  // Said once, beside the field the server named.
  await expect(page.getByText("当前密码不正确。")).toHaveCount(1);
  await expect(page.locator(".van-field__error-message", { hasText: "当前密码不正确。" })).toBeVisible();
  await expect(page.getByTestId("form-error")).toHaveCount(0);
  await checkScreen(page, "16-change-password");
  await page.locator("#old-password").fill(old);
  await page.getByRole("button", { name: "确认修改" }).click();
  await expect(page).toHaveURL(/\/m\/account$/);
  // The new password signs in; put the old one back so the demo data stays as documented.
  const r = await request.post(`${GATEWAY}/api/v1/auth/login`, { data: { username: member, password: fresh } });
  expect(r.status()).toBe(200);
  const token = (await r.json()).access_token as string;
  const back = await request.post(`${GATEWAY}/api/v1/auth/password`, {
    data: { old_password: fresh, new_password: old },
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(back.status(), await back.text()).toBe(204);
});

test("an imported member's first sign-in with the activation code staff gave them", async ({ page, request }) => {
  const staff = await apiLogin(request, process.env.STAFF_USER ?? "cppcc-staff");
  const body = staff.account.body_id!;
  const code = `T${String(Date.now()).slice(-6)}`;
  // Staff import one member from CSV, then make the accounts of the members who have none.
  const imported = await request.post(`${GATEWAY}/api/v1/bodies/${body}/members/import`, {
    headers: { ...bearer(staff), "Content-Type": "text/csv" },
    data: `姓名,编号\n新委员,${code}\n`,
  });
  expect(imported.status(), await imported.text()).toBe(200);
  const made = await request.post(`${GATEWAY}/api/v1/bodies/${body}/member-accounts`, { headers: bearer(staff) });
  expect(made.status(), await made.text()).toBe(201);
  const account = (await made.json()).created.find((a: { username: string }) => a.username === code.toLowerCase());
  expect(account?.activation_code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);

  await page.goto("login");
  await page.getByTestId("first-time").click();
  await expect(page).toHaveURL(/\/m\/activate$/);
  await page.locator("#activate-username").fill(account.username);
  await page.locator("#activate-code").fill("AAAA-BBBB-CCCC");
  await page.locator("#activate-password").fill("my-own-password-2026");
  await page.locator("#activate-confirm").fill("my-own-password-2026");
  await page.getByRole("button", { name: "激活并登录" }).click();
  // The server's own sentence, in Chinese, once (a wrong name gets the same answer, so not just
  // "激活码不正确"), and the field it names is marked.
  await expect(page.getByTestId("activate-error")).toHaveText("激活码与账号不匹配，请核对后重新输入。");
  await expect(page.locator(".van-field--error")).toHaveCount(1);
  await expect(page.locator(".van-field--error #activate-code")).toHaveCount(1);
  await expect(page.getByText("激活码与账号不匹配")).toHaveCount(1);
  await checkScreen(page, "17-activate");
  await page.locator("#activate-code").fill(account.activation_code.toLowerCase());
  await page.getByRole("button", { name: "激活并登录" }).click();
  await expect(page.getByRole("heading", { name: /新委员，您好/ })).toBeVisible();
  // Used once: the same code is refused, and the password now signs in.
  const again = await request.post(`${GATEWAY}/api/v1/auth/activate`, {
    data: { username: account.username, code: account.activation_code, new_password: "another-password-2026" },
    headers: { "Accept-Language": "zh-CN" },
  });
  expect(again.status()).toBe(422);
  expect((await again.json()).title).toBe("激活码已使用");
  const signIn2 = await request.post(`${GATEWAY}/api/v1/auth/login`, {
    data: { username: account.username, password: "my-own-password-2026" },
  });
  expect(signIn2.status()).toBe(200);
});

test("after submission the similar items are shown and the member may still withdraw", async ({ page, request }) => {
  const title = `关于解决老旧小区停车难问题的建议（${String(Date.now()).slice(-6)}）`;
  await signIn(page, MEMBER);
  await expect(page.getByRole("heading", { name: /您好/ })).toBeVisible();
  await page.getByRole("tab", { name: "写提案" }).click();
  await expect(page.getByTestId("field-session")).not.toContainText("请选择");
  await page.locator("#draft-title").fill(title);
  await page.locator("#draft-content").fill("老旧小区停车位严重不足，建议挖潜建设立体停车库，错时共享机关单位停车场，缓解停车难。");
  await page.getByTestId("submit").click();
  await page.getByRole("dialog").getByRole("button", { name: "提交" }).click();
  // Filed: the similar items, the item's status, and the choice to go on or to withdraw.
  await expect(page.getByText(/提交成功/)).toBeVisible();
  await expect(page.getByTestId("similar").locator(".van-cell").first()).toBeVisible();
  await expect(page.getByTestId("submitted-status")).toHaveText("已提交");
  await expect(page.getByTestId("go-on")).toBeVisible();
  await expect(page.getByTestId("withdraw-hint")).toContainText("可以在立案前撤回");
  // Asked first; cancelling changes nothing.
  await page.getByTestId("withdraw").click();
  // (The toast of the draft saved before submission is a dialog too: the confirmation is the one asking.)
  const dialog = page.getByRole("dialog").filter({ hasText: "确定撤回吗？" });
  await expect(dialog).toContainText("撤回后本提案不再审查办理，也不能恢复。确定撤回吗？");
  await dialog.getByRole("button", { name: "取消" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("submitted-status")).toHaveText("已提交");
  await page.getByTestId("withdraw").click();
  await dialog.getByRole("button", { name: "撤回提案" }).click();
  await expect(page.getByTestId("submitted-status")).toHaveText("已撤回");
  await expect(page.getByTestId("withdraw")).toHaveCount(0);
  await expect(page.getByTestId("withdrawn-note")).toHaveText("本提案已撤回，不再审查办理。");
  await checkScreen(page, "20-submitted-withdrawn");
  // The service agrees, and the item page says so.
  const me = await apiLogin(request, MEMBER);
  const found = await request.get(`${GATEWAY}/api/v1/proposals`, {
    params: { proposer: me.account.member_id!, limit: 100, q: title.slice(0, 12) },
    headers: bearer(me),
  });
  const item = ((await found.json()).items as { id: string; title: string; status: string }[]).find((p) => p.title === title);
  expect(item?.status).toBe("withdrawn");
  await page.getByTestId("go-on").click();
  await expect(page).toHaveURL(new RegExp(`/m/items/${item!.id}$`));
  await expect(page.locator(".chip")).toHaveText("已撤回");
});

test("a cosign invitation past its deadline shows as expired and can no longer be accepted", async ({ browser, page, request }) => {
  const cosigner = process.env.MEMBER_EXPIRING ?? "w007";
  const title = `关于规范校外培训机构收费的建议（${String(Date.now()).slice(-6)}）`;
  const lead = await apiLogin(request, MEMBER);
  const invited = await apiLogin(request, cosigner);
  // A joint draft in one of the body's sessions, its invitation due in a few seconds.
  const any = await request.get(`${GATEWAY}/api/v1/proposals`, {
    params: { body_id: lead.account.body_id!, limit: 1 },
    headers: bearer(lead),
  });
  const [existing] = (await any.json()).items as { session_id: string }[];
  const drafted = await request.post(`${GATEWAY}/api/v1/proposals`, {
    headers: bearer(lead),
    data: { session_id: existing!.session_id, kind: "joint", title, content: "建议明确收费标准，推行预收费资金监管。" },
  });
  expect(drafted.status(), await drafted.text()).toBe(201);
  const id = (await drafted.json()).id as string;
  const deadline = new Date(Date.now() + 25_000);
  const sent = await request.post(`${GATEWAY}/api/v1/proposals/${id}/cosigners`, {
    headers: bearer(lead),
    data: { member_ids: [invited.account.member_id], deadline: deadline.toISOString() },
  });
  expect(sent.status(), await sent.text()).toBe(200);

  // Before the deadline the invitation is open...
  await signIn(page, cosigner);
  await expect(page.getByRole("heading", { name: /您好/ })).toBeVisible();
  await page.goto("invitations");
  const card = page.getByTestId("invitation").filter({ hasText: title });
  await expect(card.getByTestId("accept")).toBeVisible();
  // ... and once it has passed, the card says so where it stands: no buttons, the deadline given.
  await page.waitForTimeout(Math.max(deadline.getTime() - Date.now(), 0));
  await expect(card.getByTestId("invitation-expired")).toHaveText("已过期", { timeout: 10_000 });
  await expect(card.getByTestId("accept")).toHaveCount(0);
  await expect(card.getByRole("button")).toHaveCount(0);
  await expect(card.getByTestId("expired-note")).toContainText("不能再同意联名");
  // A fresh load shows the same, listed after the open ones.
  await page.reload();
  await expect(card.getByTestId("invitation-expired")).toBeVisible();
  await expect(card.getByTestId("accept")).toHaveCount(0);
  await card.scrollIntoViewIfNeeded();
  await checkScreen(page, "21-invitation-expired");
  // The service refuses a late answer, in Chinese, and the item keeps no cosigner.
  const late = await request.post(`${GATEWAY}/api/v1/proposals/${id}/cosign`, {
    headers: { ...bearer(invited), "Accept-Language": "zh-CN" },
    data: { accept: true },
  });
  expect(late.status()).toBe(409);
  expect(await late.json()).toMatchObject({ code: "invitation_expired", title: "邀请已过期" });

  // The lead sees the invitation as expired too.
  const leadContext = await browser.newContext();
  const leadPage = await leadContext.newPage();
  await signIn(leadPage, MEMBER);
  await expect(leadPage.getByRole("heading", { name: /您好/ })).toBeVisible();
  await leadPage.goto(`draft/${id}`);
  await expect(leadPage.getByTestId("cosigners")).toContainText("已过期");
  await expect(leadPage.getByTestId("cosign-expired")).toBeVisible();
  await leadContext.close();
});
