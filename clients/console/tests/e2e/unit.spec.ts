// The handling units' workbench (承办单位): the inbox, bulk acknowledgement, an assignment's desk
// (contact records, a reply refused by the body's rule and then given, commitments), rehandling,
// and another unit's item refused through the UI and the URL. Independent of the other specs: it
// files and assigns its own items (a congress suggestion to 市体育局 with 市应急管理局 co-handling)
// through the API, and reads demo data no other spec changes (c04's rehandling by 洪山区水务和湖泊局).
import { expect, request as requests, test, type APIRequestContext, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { apiLogin, bearer, GATEWAY, screenshot, signIn, signOut, until, type Session } from "./helpers";

const LEAD = "unit-tyj";
const CO = "unit-yjj";
const OTHER = "unit-swj";
const REHANDLED = "unit-hs-sw";
const stamp = `${Date.now() % 1_000_000}`;
const FIRST = `关于推进学校体育场馆向社会开放的建议（${stamp}）`;
const SECOND = `关于完善全民健身设施管理的建议（${stamp}）`;

interface Made {
  proposalId: string;
  leadAssignment: string;
  coAssignment: string;
}
let made: Made[] = [];
let api: APIRequestContext;
let staff: Session;
let rulesBefore: Record<string, unknown> | null = null;
let bodyId = "";

/** axe on the section's own content (#main: no serious or critical violation), then the picture.
 * The shell around it (menu, header) is the shell spec's to check. */
async function checkPage(page: Page, name: string): Promise<void> {
  await page.waitForLoadState("networkidle");
  await page.evaluate(() => document.fonts.ready);
  const axe = await new AxeBuilder({ page })
    .include("#main")
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  const bad = axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`),
    `${name}: accessibility`,
  ).toEqual([]);
  await screenshot(page, name);
}

/** An Element Plus input or textarea by its data-test (the attribute lands on the native control). */
function field(page: Page, id: string) {
  return page.locator(`textarea[data-test="${id}"], input[data-test="${id}"], [data-test="${id}"] textarea, [data-test="${id}"] input`).first();
}

interface Page<T> {
  items: T[];
}

async function ok<T>(response: import("@playwright/test").APIResponse): Promise<T> {
  expect(response.ok(), `${response.url()}: ${response.status()} ${await response.text()}`).toBe(true);
  return (await response.json()) as T;
}

/** A congress suggestion filed by a deputy, registered and assigned (lead and co) by the staff. */
async function assignedItem(title: string, deputy: Session, units: Record<string, string>): Promise<Made> {
  const sessions = (await ok<Page<{ id: string }>>(await api.get(`${GATEWAY}/api/v1/bodies/${bodyId}/sessions`))).items;
  const categories = (
    await ok<Page<{ id: string; active?: boolean }>>(await api.get(`${GATEWAY}/api/v1/bodies/${bodyId}/categories`))
  ).items.filter((c) => c.active !== false);
  const draft = {
    session_id: sessions[sessions.length - 1].id,
    kind: "suggestion",
    title,
    content: "建议：一是推动具备条件的中小学体育场馆在课余时间和节假日向社会开放；二是完善场馆开放的安全管理和保险机制。",
    category_id: categories[0].id,
  };
  const item = await ok<{ id: string }>(
    await api.post(`${GATEWAY}/api/v1/proposals`, { data: draft, headers: bearer(deputy) }),
  );
  await ok(await api.post(`${GATEWAY}/api/v1/proposals/${item.id}/submit`, { headers: bearer(deputy) }));
  await ok(await api.post(`${GATEWAY}/api/v1/proposals/${item.id}/register`, { headers: bearer(staff) }));
  await until<{ status: string }>(api, `/handling/proposals/${item.id}`, bearer(staff), (v) => v.status === "awaiting_assignment");
  const body = { units: [{ unit_id: units.TYJ, role: "lead" }, { unit_id: units.YJJ, role: "co" }] };
  const sent = await ok<{ id: string; role: string }[]>(
    await api.post(`${GATEWAY}/api/v1/proposals/${item.id}/assignments`, { data: body, headers: bearer(staff) }),
  );
  return {
    proposalId: item.id,
    leadAssignment: sent.find((a) => a.role === "lead")!.id,
    coAssignment: sent.find((a) => a.role === "co")!.id,
  };
}

test.beforeAll(async () => {
  api = await requests.newContext();
  staff = await apiLogin(api, "npc-staff");
  bodyId = staff.account.body_id!;
  const deputy = await apiLogin(api, "d005");
  const units: Record<string, string> = {};
  for (const u of (await ok<Page<{ id: string; code: string }>>(await api.get(`${GATEWAY}/api/v1/units?limit=200`))).items) {
    units[u.code] = u.id;
  }
  made = [await assignedItem(FIRST, deputy, units), await assignedItem(SECOND, deputy, units)];
  // The congress requires a recorded contact before a suggestion's reply (its own rule row for the
  // kind, put back afterwards): the reply editor must say so when the unit forgets.
  const path = `${GATEWAY}/api/v1/bodies/${bodyId}/handling-rules?kind=suggestion`;
  const current = await api.get(path);
  rulesBefore = await ok(current);
  const { body_id: _b, kind: _k, ...values } = rulesBefore as Record<string, unknown>;
  await ok(
    await api.put(path, {
      data: { ...values, contact_required: true },
      headers: { ...bearer(staff), "If-Match": current.headers()["etag"] ?? "*" },
    }),
  );
});

test.afterAll(async () => {
  if (rulesBefore) {
    const { body_id: _b, kind: _k, ...values } = rulesBefore;
    await api.put(`${GATEWAY}/api/v1/bodies/${bodyId}/handling-rules?kind=suggestion`, {
      data: values,
      headers: bearer(staff),
    });
  }
  await api.dispose();
});

test("a unit acknowledges in bulk, records a contact and replies; the body's rule is said when unmet", async ({ page }) => {
  await signIn(page, LEAD);
  await expect(page).toHaveURL(/\/console\/unit\/inbox/);
  const rows = page.getByTestId("inbox-row");
  const first = rows.filter({ hasText: FIRST });
  const second = rows.filter({ hasText: SECOND });
  await expect(first).toBeVisible();
  await expect(first).toContainText("主办");
  await expect(first).toContainText("待签收");
  await expect(first).toContainText("个工作日");
  // The due date's explanation, opened with the keyboard.
  await first.locator("summary").focus();
  await page.keyboard.press("Enter");
  await expect(first.locator("details ol li").first()).toBeVisible();
  await checkPage(page, "unit-inbox");

  // Both selected (with the keyboard: Space on each checkbox) and acknowledged at once.
  await first.getByRole("checkbox").focus();
  await page.keyboard.press("Space");
  await second.getByRole("checkbox").focus();
  await page.keyboard.press("Space");
  await expect(page.getByTestId("acknowledge-selected")).toHaveText(/签收所选（2）/);
  await page.getByTestId("acknowledge-selected").click();
  await expect(page.getByTestId("acknowledge-result")).toContainText("成功 2 件，失败 0 件");
  await expect(first).toContainText("办理中");
  await expect(second).toContainText("办理中");

  // The desk, opened from the inbox.
  await first.getByTestId("inbox-title").click();
  await expect(page.getByTestId("desk-title")).toHaveText(FIRST);
  await expect(page.getByTestId("item-text")).toContainText("体育场馆");
  await expect(page.getByTestId("handlers")).toContainText("市体育局");
  await expect(page.getByTestId("handlers")).toContainText("市应急管理局");
  await expect(page.getByTestId("contact-rule")).toBeVisible();

  // A reply before any contact: refused, and the rule said in words.
  await page.getByTestId("outcome-B").check();
  await field(page, "reply-text").fill("已将具备条件的中小学体育场馆在节假日向社会开放纳入年度全民健身工作计划。");
  await field(page, "commitment-text-0").fill("年底前完成首批 30 所学校场馆开放");
  await page.getByTestId("commitment-date-0").fill("2027-06-30");
  await page.getByTestId("send-reply").click();
  const refused = page.getByTestId("reply-refused");
  await expect(refused).toContainText("答复前须与提案人沟通联系");
  await checkPage(page, "unit-desk-reply-refused");

  // A contact recorded with the keyboard only.
  await page.getByTestId("contact-kind-visit").focus();
  await page.keyboard.press("Space");
  await field(page, "record-text").focus();
  await page.keyboard.type("走访提案代表，听取对场馆开放时段和安全管理的意见。");
  await page.getByTestId("save-record").focus();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("record")).toHaveCount(1);
  await expect(page.getByTestId("record")).toContainText("走访");
  await expect(page.getByTestId("contact-rule")).toHaveCount(0);

  // The same reply again: given.
  await page.getByTestId("send-reply").click();
  await expect(page.getByTestId("reply")).toContainText("B 类");
  await expect(page.getByTestId("reply")).toContainText("年底前完成首批 30 所学校场馆开放");
  // How the reply answers each of the proposal's numbered suggestions: shown to the unit.
  await expect(page.getByTestId("coverage-row")).toHaveCount(2);
  await expect(page.getByTestId("coverage-row").first()).toContainText("第1条：推动具备条件的中小学体育场馆");
  await expect(page.getByTestId("coverage-row").first()).toContainText("已回应");
  await expect(page.getByTestId("coverage-row").nth(1)).toContainText("第2条：完善场馆开放的安全管理和保险机制");
  await expect(page.getByTestId("coverage-row").nth(1)).toContainText("未提及");
  await expect(page.getByTestId("coverage-note")).toBeVisible();
  await expect(page.getByTestId("desk-status")).toHaveText("已答复");
  await checkPage(page, "unit-desk");

  // The promise is on the unit's commitments, and is marked done.
  await page.getByTestId("menu-unit-commitments").click();
  const promise = page.getByTestId("commitment-row").filter({ hasText: "年底前完成首批 30 所学校场馆开放" });
  await expect(promise).toBeVisible();
  await expect(promise).toContainText("2027-06-30");
  await checkPage(page, "unit-commitments");
  await promise.getByTestId("mark-done").click();
  await page.getByRole("button", { name: "确定" }).click();
  await expect(page.getByTestId("commitments-message")).toHaveText("已标记完成");
  await expect(promise).toHaveCount(0); // the list shows the open ones
  await page.getByTestId("commitments-done").click();
  await expect(page.getByTestId("commitment-row").filter({ hasText: "年底前完成首批 30 所学校场馆开放" })).toContainText("完成");
});

test("the co-handler sees the lead and sends its opinion; the lead reads it", async ({ page }) => {
  await signIn(page, CO);
  await page.goto(`unit/assignments/${made[1].coAssignment}`);
  await expect(page.getByTestId("desk-title")).toHaveText(SECOND);
  await expect(page.getByTestId("handlers")).toContainText("市体育局");
  await expect(page.getByTestId("reply-section")).toContainText("协办意见报送主办单位");
  await page.getByTestId("record-kind-opinion").check();
  await field(page, "record-text").fill("建议将场馆开放纳入应急避难场所建设统筹考虑。");
  await page.getByTestId("save-record").click();
  await expect(page.getByTestId("record")).toContainText("协办意见");
  await checkPage(page, "unit-desk-co-handler");

  await signOut(page);
  await signIn(page, LEAD);
  await page.goto(`unit/assignments/${made[1].leadAssignment}`);
  await expect(page.getByTestId("opinion")).toContainText("应急避难场所");
  await expect(page.getByTestId("opinion")).toContainText("市应急管理局");
});

test("rehandling: what the member said, the new due date and the second reply", async ({ page }) => {
  await signIn(page, REHANDLED);
  await page.getByTestId("filter-rehandling").click();
  const row = page.getByTestId("inbox-row").filter({ hasText: "第 2 轮" }).first();
  await expect(row).toBeVisible();
  await row.getByTestId("inbox-title").click();
  const section = page.getByTestId("rehandling");
  await expect(section).toContainText("重新办理");
  await expect(page.getByTestId("member-said").first()).toContainText("办理结果：不满意");
  await expect(section).toContainText("上次答复");
  await expect(page.getByTestId("reply-section")).toContainText("第二次答复");
  await expect(page.getByTestId("reply").filter({ hasText: "经重新办理" })).toBeVisible();
  await checkPage(page, "unit-rehandling");
});

test("a unit never sees another unit's item, through the UI or by its address", async ({ page }) => {
  await signIn(page, OTHER);
  await page.getByTestId("filter-all").click();
  await expect(page.getByTestId("inbox-row").first()).toBeVisible();
  await expect(page.getByTestId("inbox-row").filter({ hasText: stamp })).toHaveCount(0);
  await page.goto(`unit/assignments/${made[0].leadAssignment}`);
  await expect(page.getByTestId("desk-not-found")).toContainText("无权查看或内容不存在");
  await expect(page.locator("body")).not.toContainText(FIRST);
  await checkPage(page, "unit-not-found");
  // The API refuses the data too, as if it did not exist.
  const other = await apiLogin(api, OTHER);
  const r = await api.get(`${GATEWAY}/api/v1/assignments/${made[0].leadAssignment}`, { headers: bearer(other) });
  expect(r.status()).toBe(404);
});

test("staff send back a reply that skips a suggestion; the unit sees why and can reply again", async ({ page }) => {
  await signIn(page, "npc-staff");
  await page.getByTestId("menu-staff-replies").click();
  const row = page.getByTestId("reply-items").locator("tr").filter({ hasText: FIRST });
  await expect(row).toBeVisible();
  await row.getByRole("button", { name: "查看答复" }).click();
  const reply = page.getByTestId("staff-reply").filter({ hasText: "体育场馆" });
  await expect(reply.getByTestId("staff-coverage")).toContainText("未提及");
  await reply.getByTestId("send-back").click();
  // The suggestion the reply does not mention is ticked from its coverage; the reason is required.
  await expect(page.getByTestId("unanswered-2").locator("input")).toBeChecked();
  await expect(page.getByTestId("unanswered-1").locator("input")).not.toBeChecked();
  await page.getByTestId("send-back-submit").click();
  await expect(page.getByText("请填写退回理由")).toBeVisible();
  await field(page, "send-back-reason").fill("答复未回应第二条建议（场馆开放的安全管理和保险机制），请补充后重新答复。");
  await page.mouse.move(0, 0); // the dialog as it stands, not the button under the pointer (hover)
  await checkPage(page, "staff-send-back-dialog");
  await page.getByTestId("send-back-submit").click();
  await expect(page.getByRole("dialog")).toBeHidden();
  await expect(reply.getByTestId("sent-back")).toContainText("已退回");
  await expect(reply.getByTestId("sent-back")).toContainText("未回应的建议：第 2 条");
  await expect(reply.getByTestId("send-back")).toHaveCount(0);
  await checkPage(page, "staff-replies-sent-back");

  await signOut(page);
  await signIn(page, LEAD);
  await page.goto(`unit/assignments/${made[0].leadAssignment}`);
  await expect(page.getByTestId("sent-back")).toContainText("已退回");
  await expect(page.getByTestId("sent-back-reason")).toContainText("场馆开放的安全管理和保险机制");
  await expect(page.getByTestId("reply-form")).toBeVisible();
  await checkPage(page, "unit-desk-sent-back");
});
