// A joint item's whole life in the members' app, against the real stack: drafted and cosigned in
// two browsers, submitted, registered and assigned by staff and replied by a unit (through the
// API), rated unsatisfied, and handled again.
import { expect, test } from "@playwright/test";
import { apiLogin, bearer, checkScreen, COSIGNER, GATEWAY, LEAD, signIn, STAFF, UNIT, until } from "./helpers";

test.describe.configure({ mode: "serial" });

test("a joint item from draft to rehandling", async ({ browser, request }) => {
  const stamp = String(Date.now()).slice(-6);
  const title = `关于在老旧小区加装电梯的建议（${stamp}）`;
  const lead = await browser.newContext();
  const page = await lead.newPage();

  // A wrong password says so, in Chinese, next to the form.
  await signIn(page, LEAD, "not-the-password");
  await expect(page.getByTestId("login-error")).toHaveText("账号或密码错误。");
  await checkScreen(page, "01-sign-in-wrong-password");
  await signIn(page, LEAD);
  await expect(page.getByRole("heading", { name: /您好/ })).toBeVisible();
  await expect(page.getByTestId("count-drafts")).not.toContainText("–");
  await checkScreen(page, "02-home");

  // Draft: nothing is sent while a field is missing.
  await page.getByRole("tab", { name: "写提案" }).click();
  await expect(page.getByTestId("field-session")).not.toContainText("请选择");
  await page.getByTestId("field-kind").click();
  await page.getByRole("button", { name: "联名提案" }).click();
  await page.getByRole("button", { name: "确定" }).click();
  await page.getByRole("button", { name: "保存草稿" }).click();
  await expect(page.getByText("请填写案由")).toBeVisible();
  await expect(page.getByText("请填写正文")).toBeVisible();
  await page.getByTestId("field-category").click();
  await page.getByRole("button", { name: "城市建设" }).click();
  await page.getByRole("button", { name: "确定" }).click();
  await page.locator("#draft-title").fill(title);
  await expect(page.getByTestId("title-count")).toHaveText(`${Array.from(title).length} / 200`);
  await page.locator("#draft-content").fill("建议简化加装电梯审批流程，设立专项补贴，建立居民协商机制，解决老年人出行难题。");
  await expect(page.getByTestId("content-count")).toHaveText("39 / 20000");
  // The category picker fades out: judged once its sheet and overlay have left the page.
  await expect(page.locator(".van-popup--bottom:visible, .van-overlay:visible")).toHaveCount(0);
  // Typing scrolled the form: the picture shows the screen from its title bar.
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    document.scrollingElement?.scrollTo(0, 0);
    document.querySelector("main")?.scrollTo(0, 0);
  });
  await expect.poll(() => page.evaluate(() => window.scrollY)).toBe(0);
  await checkScreen(page, "03-draft");
  // A double tap files one draft (the button is busy and the Idempotency-Key is the same).
  await page.getByRole("button", { name: "保存草稿" }).dblclick();
  await expect(page).toHaveURL(/\/m\/draft\/[0-9a-f-]{36}$/);
  const id = page.url().split("/").pop()!;
  const leadApi = await apiLogin(request, LEAD);
  const mine = await request.get(`${GATEWAY}/api/v1/proposals`, {
    params: { status: "draft", proposer: leadApi.account.member_id!, limit: 100 },
    headers: bearer(leadApi),
  });
  expect((await mine.json()).items.filter((p: { title: string }) => p.title === title)).toHaveLength(1);

  // Invite the cosigner by searching the body's members.
  await page.getByRole("button", { name: "邀请联名" }).click();
  await page.getByRole("searchbox").fill(COSIGNER.toUpperCase());
  await page.getByRole("checkbox").first().click();
  await page.getByTestId("send-invites").click();
  await expect(page.getByTestId("cosign-invited")).toBeVisible();
  await checkScreen(page, "04-draft-invited");

  // The cosigner, in another browser, accepts before the deadline.
  const other = await browser.newContext();
  const cosignerPage = await other.newPage();
  await signIn(cosignerPage, COSIGNER);
  await expect(cosignerPage.getByTestId("count-invitations")).not.toContainText("–");
  await cosignerPage.goto("invitations");
  const invitation = cosignerPage.getByTestId("invitation").filter({ hasText: title });
  await expect(invitation).toBeVisible();
  await checkScreen(cosignerPage, "05-invitations");
  await invitation.getByTestId("accept").click();
  await expect(cosignerPage.getByText("已同意联名")).toBeVisible();
  await other.close();

  // The lead sees the answer and submits; similar items are shown.
  await page.reload();
  await expect(page.getByTestId("cosign-accepted")).toBeVisible();
  await page.getByTestId("submit").click();
  await page.getByRole("dialog").getByRole("button", { name: "提交" }).click();
  await expect(page.getByTestId("similar")).toBeAttached();
  await expect(page.getByText(/提交成功/)).toBeVisible();
  await checkScreen(page, "06-submitted-similar");

  // Staff register and assign; the unit acknowledges and replies (API).
  const staff = await apiLogin(request, STAFF);
  const unit = await apiLogin(request, UNIT);
  const registered = await request.post(`${GATEWAY}/api/v1/proposals/${id}/register`, { headers: bearer(staff) });
  expect(registered.status(), await registered.text()).toBe(200);
  await until(request, `/handling/proposals/${id}`, bearer(staff), (v: { status: string }) => v.status === "awaiting_assignment");
  const assigned = await request.post(`${GATEWAY}/api/v1/proposals/${id}/assignments`, {
    headers: bearer(staff),
    data: { units: [{ unit_id: unit.account.unit_id, role: "lead" }] },
  });
  expect(assigned.status(), await assigned.text()).toBe(200);
  const [assignment] = (await assigned.json()) as { id: string }[];
  await until(request, `/proposals/${id}`, bearer(leadApi), (v: { status: string }) => v.status === "assigned");
  const ack = await request.post(`${GATEWAY}/api/v1/assignments/${assignment!.id}/acknowledge`, { headers: bearer(unit) });
  expect(ack.status(), await ack.text()).toBe(200);
  const replied = await request.post(`${GATEWAY}/api/v1/assignments/${assignment!.id}/reply`, {
    headers: bearer(unit),
    data: {
      text: "已将该小区纳入明年加装电梯计划，并简化审批流程。",
      outcome: "B",
      commitments: [{ text: "2027 年 6 月前完成加装", target_date: "2027-06-30" }],
    },
  });
  expect(replied.status(), await replied.text()).toBe(201);
  await until(request, `/proposals/${id}`, bearer(leadApi), (v: { status: string }) => v.status === "replied");
  await until(request, `/proposals/${id}/evaluations`, bearer(leadApi), () => true);

  // The item page: number, units with due dates, the reply's outcome class in words, commitments.
  await page.goto(`items/${id}`);
  await expect(page.getByTestId("number")).not.toHaveText("未编号");
  await expect(page.getByTestId("units")).toContainText("办理期限");
  await expect(page.getByTestId("outcome")).toContainText("B 类：所提问题正在解决或列入计划逐步解决");
  await expect(page.getByText("2027 年 6 月前完成加装")).toBeVisible();
  await checkScreen(page, "07-item-replied");

  // Rated unsatisfied: the unit handles it again, with a new due date.
  // The days left to rate: the evaluation service's closing day on its working-day calendar.
  type RatingWindow = { round: number; open: boolean; window_closes_on: string; working_days_left: number };
  const window = await until(request, `/proposals/${id}/rating-window`, bearer(leadApi), (w: RatingWindow) => w.round === 1 && w.open);
  const [, month, day] = window.window_closes_on.split("-").map(Number);
  await page.getByTestId("rate").click();
  await expect(page.getByTestId("window")).toHaveText(
    `测评截止：${month}月${day}日（还剩 ${window.working_days_left} 个工作日）`,
  );
  await page.getByRole("button", { name: "提交测评" }).click();
  await expect(page.getByTestId("form-error")).toHaveText("请完成三项测评");
  await page.getByTestId("rate-contact").getByRole("radio", { name: /\s满意$/ }).click();
  await page.getByTestId("rate-attitude").getByRole("radio", { name: "基本满意" }).click();
  await page.getByTestId("rate-result").getByRole("radio", { name: "不满意" }).click();
  await expect(page.getByTestId("unsatisfied-note")).toBeVisible();
  await checkScreen(page, "08-rate");
  await page.getByRole("button", { name: "提交测评" }).click();
  await expect(page).toHaveURL(new RegExp(`/m/items/${id}$`));
  await until(request, `/proposals/${id}`, bearer(leadApi), (v: { status: string }) => v.status === "rehandling");
  await until(request, `/proposals/${id}/assignments`, bearer(leadApi), (v: { items: { round: number }[] }) =>
    v.items.some((a) => a.round === 2),
  );
  await page.reload();
  await expect(page.getByTestId("rehandling")).toContainText("重新办理中，办理期限");
  await checkScreen(page, "09-item-rehandling");

  // My items, filtered by status chip.
  await page.getByRole("tab", { name: "我的提案" }).click();
  await expect(page.locator(".item-cell").first()).toBeVisible();
  await expect(page.locator(".item-cell").filter({ hasText: title })).toContainText("重新办理");
  await checkScreen(page, "10-my-items");

  // Public search (Chinese full text) and any public item.
  await page.getByRole("tab", { name: "查询" }).click();
  await page.getByRole("searchbox").fill("停车");
  await page.getByRole("searchbox").press("Enter");
  await expect(page.locator(".item-cell").first()).toBeVisible();
  await checkScreen(page, "11-search");
  await page.locator(".item-cell").first().click();
  await expect(page.getByTestId("timeline")).toBeVisible();

  // Assembly evaluations and the account page.
  await page.goto("ballots");
  await expect(page.locator(".van-nav-bar__title")).toHaveText("民主测评");
  await page.waitForLoadState("networkidle");
  await checkScreen(page, "12-ballots");
  await page.getByRole("tab", { name: /我的$/ }).click();
  await checkScreen(page, "13-account");
  await page.getByTestId("sign-out").click();
  await page.getByRole("dialog").getByRole("button", { name: "退出登录" }).click();
  await expect(page.getByText("您已退出登录。")).toBeVisible();
  await lead.close();
});
