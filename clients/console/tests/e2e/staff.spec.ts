// The committee staff's console: review (similar items side by side, merge, register on a double
// click once, decline by keyboard, bulk register with a failure per item), assignment (a key item
// with the server's field error, suggestions pre-filled, due date explained, bulk), requests waiting.
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { apiLogin, bearer, checkPage, GATEWAY, signIn, STAFF, until, type Session } from "./helpers";

test.describe.configure({ mode: "serial" });

const TAG = `试点${Date.now() % 100000}`;
const BASE =
  "建议在中心城区推进社区嵌入式养老服务设施建设，利用闲置厂房和老旧小区公共用房改建日间照料中心，" +
  "由街道统筹运营，引入专业机构提供助餐、助浴、康复护理服务，并对运营机构给予场地租金减免和运营补贴。";
const ids: Record<string, string> = {};
let member: Session;
let staff: Session;

async function file(request: APIRequestContext, key: string, title: string, content: string) {
  const sessions = await (await request.get(`${GATEWAY}/api/v1/bodies/${member.account.body_id}/sessions`, { headers: bearer(member) })).json();
  const list = sessions.items;
  const session = list[list.length - 1];
  const draft = await request.post(`${GATEWAY}/api/v1/proposals`, {
    headers: bearer(member),
    data: { title: `关于${title}的建议（${TAG}）`, content, session_id: session.id, kind: "individual" },
  });
  expect(draft.status(), await draft.text()).toBe(201);
  const id = (await draft.json()).id;
  const submitted = await request.post(`${GATEWAY}/api/v1/proposals/${id}/submit`, { headers: bearer(member) });
  expect(submitted.status(), await submitted.text()).toBe(200);
  ids[key] = id;
}

async function status(request: APIRequestContext, key: string): Promise<string> {
  return (await (await request.get(`${GATEWAY}/api/v1/proposals/${ids[key]}`, { headers: bearer(staff) })).json()).status;
}

function row(page: Page, key: string) {
  return page.getByTestId(`open-${ids[key]}`);
}

async function pick(page: Page, key: string) {
  await page.locator("tr", { has: row(page, key) }).locator(".el-checkbox").click();
}

test.beforeAll(async ({ request }) => {
  member = await apiLogin(request, "w005");
  staff = await apiLogin(request, STAFF);
  await file(request, "a", "推进社区嵌入式养老服务设施建设", BASE);
  await file(request, "b", "加快社区养老服务设施建设", `${BASE.slice(0, 60)}同时加强养老护理员队伍培训。`);
  await file(request, "c", "完善城市排水防涝体系", "建议系统排查易涝点，加快雨污分流改造，建设调蓄池和海绵城市设施。");
  await file(request, "d", "加强中小学心理健康教育", "建议每所中小学配备专职心理教师，建立学生心理健康档案和家校协同机制。");
  await file(request, "e", "设立商业广告", "本人公司的产品质量好，建议政府采购。");
  await file(request, "f", "推广新能源公交车", "建议三年内将公交车全部更换为新能源车辆，并配套建设充电场站。");
});

test("review: similar items side by side, merge, register once, decline, bulk register", async ({ page, request }) => {
  await signIn(page, STAFF);
  await expect(page).toHaveURL(/staff\/review/);
  await page.getByTestId("filter-q").fill(TAG);
  await page.keyboard.press("Enter");
  await expect(row(page, "f")).toBeVisible();
  await checkPage(page, "staff-review");

  // A beside its similar item B, the shared passages marked in both.
  await row(page, "a").click();
  await expect(page.getByTestId(`similar-${ids.b}`)).toBeVisible();
  await page.getByTestId(`similar-${ids.b}`).click();
  await expect(page.getByTestId("compared").locator("mark").first()).toBeVisible();
  await expect(page.getByTestId("current-content").locator("mark").first()).toBeVisible();
  await checkPage(page, "staff-review-similar");

  // Merge by keyboard (M): A stays, B is merged, and B's proposer is told.
  await page.locator("body").click({ position: { x: 5, y: 890 } });
  await page.keyboard.press("m");
  const merge = page.getByTestId("merge-dialog");
  await expect(merge.getByTestId("merge-told")).toContainText("加快社区养老服务设施建设");
  await checkPage(page, "staff-review-merge");
  await merge.getByTestId("merge-submit").click();
  await expect(row(page, "b")).toHaveCount(0);
  expect(await status(request, "b")).toBe("merged");

  // Register on a double click: one registration, the next item untouched.
  await page.getByTestId("register").dblclick();
  await expect(row(page, "a")).toHaveCount(0);
  expect(await status(request, "a")).toBe("registered");
  for (const k of ["c", "d", "e", "f"]) expect(await status(request, k)).toBe("submitted");
  await expect(page.locator(".el-message--error")).toHaveCount(0);

  // Decline E by keyboard, the note required before sending.
  await row(page, "e").click();
  await page.locator("body").click({ position: { x: 5, y: 890 } });
  await page.keyboard.press("d");
  const decline = page.getByTestId("decline-dialog");
  await decline.getByTestId("decline-submit").click();
  await expect(decline.locator(".el-form-item__error")).toHaveText("请填写说明");
  await decline.locator("#decline-note").fill("属于商业推介，不符合提案要求。");
  await decline.getByTestId("decline-submit").click();
  await expect(row(page, "e")).toHaveCount(0);
  expect(await status(request, "e")).toBe("declined");

  // Bulk register C, D and F; F is withdrawn by its proposer meanwhile: two done, one said why not.
  await pick(page, "c");
  await pick(page, "d");
  await pick(page, "f");
  const withdrawn = await request.post(`${GATEWAY}/api/v1/proposals/${ids.f}/withdraw`, { headers: bearer(member), data: {} });
  expect(withdrawn.status(), await withdrawn.text()).toBe(200);
  await page.getByTestId("bulk-register").click();
  const bulk = page.getByTestId("bulk-dialog");
  await expect(bulk.getByTestId("bulk-table")).toContainText("完善城市排水防涝体系");
  await bulk.getByTestId("bulk-run").click();
  await expect(bulk.getByTestId("bulk-summary")).toHaveText("完成：成功 2 件，失败 1 件");
  await expect(bulk.getByTestId("bulk-table")).toContainText("失败");
  await checkPage(page, "staff-review-bulk");
  expect(await status(request, "c")).toBe("registered");
  expect(await status(request, "d")).toBe("registered");
});

test("assignment: a key item, suggestions pre-filled, due date explained, bulk to the same units", async ({ page, request }) => {
  for (const k of ["a", "c", "d"]) {
    await until(request, `/proposals/${ids[k]}/routing-suggestions`, bearer(staff), (s: { items: unknown[] }) => s.items.length > 0);
  }
  await signIn(page, STAFF);
  await page.getByTestId("menu-staff-assignment").click();
  await page.getByTestId("filter-q").fill(TAG);
  await page.keyboard.press("Enter");
  await expect(row(page, "d")).toBeVisible();
  await row(page, "a").click();
  await expect(page.getByTestId("suggestions").locator("li").first()).toBeVisible();
  await expect(page.getByTestId("line-0")).toBeVisible();
  await checkPage(page, "staff-assignment");
  // Key (registered items only): a leader's name too long for the server is said next to the
  // field; then a good one, shown on the item.
  await page.getByTestId("key").click();
  const key = page.getByTestId("key-dialog");
  await key.getByTestId("key-leader").fill("市政府副市长".repeat(10));
  await key.getByTestId("key-submit").click();
  await expect(key.locator(".el-form-item__error")).toBeVisible();
  await expect(key.locator(".el-form-item__error")).not.toHaveText("");
  await checkPage(page, "staff-assignment-key-error");
  await key.getByTestId("key-leader").fill("市政府副市长 王强");
  await key.getByTestId("key-submit").click();
  await expect(page.getByTestId("key-tag")).toContainText("王强");
  expect((await (await request.get(`${GATEWAY}/api/v1/proposals/${ids.a}`, { headers: bearer(staff) })).json()).key).toBe(true);

  await page.getByTestId("assign").dblclick();
  await expect(page.getByTestId("sent")).toBeVisible();
  await expect(page.getByTestId("due-rule").locator("li").first()).toBeVisible();
  await checkPage(page, "staff-assignment-sent");
  const sent = (await (await request.get(`${GATEWAY}/api/v1/proposals/${ids.a}/assignments`, { headers: bearer(staff) })).json()).items;
  expect(sent.length).toBeGreaterThan(0);

  await pick(page, "c");
  await pick(page, "d");
  await page.getByTestId("bulk-assign").click();
  const bulk = page.getByTestId("bulk-assign-dialog");
  await bulk.getByTestId("bulk-run").click();
  await expect(bulk.getByTestId("bulk-summary")).toHaveText("完成：成功 2 件，失败 0 件");
  await checkPage(page, "staff-assignment-bulk");
  for (const k of ["c", "d"]) {
    const units = (await (await request.get(`${GATEWAY}/api/v1/proposals/${ids[k]}/assignments`, { headers: bearer(staff) })).json()).items;
    expect(units.map((u: { unit_id: string }) => u.unit_id).sort()).toEqual(sent.map((u: { unit_id: string }) => u.unit_id).sort());
  }
});

test("requests waiting: an adjustment refused, an extension approved", async ({ page, request }) => {
  const units = await (await request.get(`${GATEWAY}/api/v1/units?limit=200`, { headers: bearer(staff) })).json();
  const list: { id: string; code: string }[] = units.items;
  const [c] = (await (await request.get(`${GATEWAY}/api/v1/proposals/${ids.c}/assignments`, { headers: bearer(staff) })).json()).items;
  const [d] = (await (await request.get(`${GATEWAY}/api/v1/proposals/${ids.d}/assignments`, { headers: bearer(staff) })).json()).items;
  const unitOf = (id: string) => `unit-${list.find((u) => u.id === id)!.code.toLowerCase()}`;
  const cUnit = await apiLogin(request, unitOf(c.unit_id));
  const asked = await request.post(`${GATEWAY}/api/v1/assignments/${c.id}/adjustment-requests`, {
    headers: bearer(cUnit),
    data: { reason: `不属于本单位职责（${TAG}）` },
  });
  expect(asked.status(), await asked.text()).toBe(201);
  const dUnit = await apiLogin(request, unitOf(d.unit_id));
  const later = new Date(new Date(d.due_date).getTime() + 30 * 86400_000).toISOString().slice(0, 10);
  const extension = await request.post(`${GATEWAY}/api/v1/assignments/${d.id}/extensions`, {
    headers: bearer(dUnit),
    data: { due_date: later, reason: `需跨部门协调（${TAG}）` },
  });
  expect(extension.status(), await extension.text()).toBe(201);
  const adjustmentId = (await asked.json()).id;
  const extensionId = (await extension.json()).id;

  await signIn(page, STAFF);
  await page.getByTestId("menu-staff-requests").click();
  await expect(page.getByTestId(`refuse-${adjustmentId}`)).toBeVisible();
  await checkPage(page, "staff-requests");
  await page.getByTestId(`refuse-${adjustmentId}`).click();
  await page.locator("#decision-note").fill("请按职责继续办理。");
  await page.getByTestId("decision-submit").click();
  await expect(page.getByTestId(`refuse-${adjustmentId}`)).toHaveCount(0);

  await page.getByRole("tab", { name: /延期申请/ }).click();
  await page.getByTestId(`approve-${extensionId}`).click();
  await page.getByTestId("decision-submit").dblclick();
  await expect(page.getByTestId(`approve-${extensionId}`)).toHaveCount(0);
  const after = await (await request.get(`${GATEWAY}/api/v1/assignments/${d.id}`, { headers: bearer(staff) })).json();
  expect(after.due_date).toBe(later);
});
