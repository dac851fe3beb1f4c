// Supervision: the boards by unit and by supervising leader with working days left, a reminder run
// by staff, the key items with seed 002's plan as phases and tasks, the year's statistics with
// charts and the annual report downloaded, an assembly ballot opened (turnout only) and closed
// (results); the supervising leader reads the same, without the staff's actions.
import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { apiLogin, bearer, checkPage, GATEWAY, LEADER, signIn, STAFF, until } from "./helpers";

test.describe.configure({ mode: "serial" });

test("boards: overdue by unit and by leader, days left, a reminder run", async ({ page }) => {
  await signIn(page, STAFF);
  await page.getByTestId("menu-supervision-boards").click();
  await expect(page.getByTestId("board-by-unit").locator("tbody tr").first()).toBeVisible();
  await expect(page.getByTestId("board-rows").getByTestId("days-left").first()).toContainText("工作日");
  await checkPage(page, "supervision-boards");
  await page.getByRole("tab", { name: "按督办领导" }).click();
  await expect(page.getByTestId("board-by-leader").locator("tbody tr").first()).toBeVisible();

  await page.getByTestId("remind").click();
  await page.locator(".el-message-box").getByRole("button", { name: "确定" }).click();
  await expect(page.locator(".el-message").first()).toBeVisible();
});

test("key items: seed 002's plan as phases and tasks", async ({ page }) => {
  await signIn(page, STAFF);
  await page.getByTestId("menu-supervision-key-items").click();
  await expect(page.getByTestId("key-items")).toContainText("关于加快武汉新城建设");
  await expect(page.getByTestId("plan")).toContainText("武政办〔2024〕28号");
  await expect(page.getByTestId("phases")).toContainText("办理落实阶段");
  await expect(page.getByTestId("plan-tasks").locator("tbody tr")).toHaveCount(24);
  await checkPage(page, "supervision-key-items");
});

test("statistics: the year's figures in charts, the unit ranking, the annual report downloaded", async ({ page }) => {
  await signIn(page, STAFF);
  await page.getByTestId("menu-supervision-statistics").click();
  await expect(page.getByTestId("reply-rate")).toContainText("%");
  for (const chart of ["chart-category", "chart-kind", "chart-outcomes", "chart-units"]) {
    await expect(page.getByTestId(chart).locator("canvas")).toBeVisible();
  }
  await expect(page.getByTestId("ranking").locator("tbody tr").first()).toBeVisible();
  await checkPage(page, "supervision-statistics");

  const [xlsx] = await Promise.all([page.waitForEvent("download"), page.getByTestId("report-xlsx").click()]);
  expect(xlsx.suggestedFilename()).toMatch(/\.xlsx$/);
  expect(readFileSync(await xlsx.path()).subarray(0, 2).toString()).toBe("PK"); // a zip: a workbook
  const [csv] = await Promise.all([page.waitForEvent("download"), page.getByTestId("report-csv").click()]);
  expect(readFileSync(await csv.path(), "utf8")).toContain("承办单位,交办件数");
});

test("an assembly ballot: opened on a plenary item, turnout only while open, results once closed", async ({ page, request }) => {
  await signIn(page, STAFF);
  await page.getByTestId("menu-supervision-ballots").click();
  await page.getByTestId("open-ballot").click();
  await page.getByTestId("ballot-item").click();
  await page.getByRole("option", { name: /关于加快武汉新城建设/ }).click();
  await page.getByTestId("ballot-title").fill("1号建议案办理情况测评");
  await page.getByTestId("ballot-submit").click();
  await expect(page.getByTestId("ballot-status")).toHaveText("进行中");
  await expect(page.getByTestId("turnout")).toBeVisible();
  await expect(page.getByTestId("turnout-only")).toBeVisible();
  await expect(page.getByTestId("results")).toHaveCount(0);

  // Five members vote from their phones (results are published from five votes on); the page
  // follows the turnout, never the tally, while the ballot is open.
  const staff = await apiLogin(request, STAFF);
  const open = await until(request, `/ballots?body_id=${staff.account.body_id}`, bearer(staff), (p: { items: { id: string; status: string; title: string }[] }) =>
    p.items.some((b) => b.status === "open" && b.title === "1号建议案办理情况测评"),
  );
  const ballot = open.items.find((b) => b.status === "open" && b.title === "1号建议案办理情况测评")!;
  for (const [n, option] of ["satisfied", "satisfied", "satisfied", "basically_satisfied", "unsatisfied"].entries()) {
    const member = await apiLogin(request, `w00${n + 1}`);
    const vote = await request.post(`${GATEWAY}/api/v1/ballots/${ballot.id}/votes`, {
      headers: { ...bearer(member), "Idempotency-Key": crypto.randomUUID() },
      data: { option },
    });
    expect(vote.status(), await vote.text()).toBe(201);
  }
  await expect(page.getByTestId("turnout")).toContainText("已参评 5 /");
  await expect(page.getByTestId("results")).toHaveCount(0);
  await checkPage(page, "supervision-ballot-open");

  await page.getByTestId("close-ballot").click();
  await page.locator(".el-message-box").getByRole("button", { name: "确定" }).click();
  await expect(page.getByTestId("results")).toContainText("满意");
  await checkPage(page, "supervision-ballot-closed");
});

test("the supervising leader reads the boards, key items and statistics, without the staff's actions", async ({ page }) => {
  await signIn(page, LEADER);
  await page.getByTestId("menu-supervision-boards").click();
  await expect(page.getByTestId("board-by-unit").locator("tbody tr").first()).toBeVisible();
  await expect(page.getByTestId("remind")).toHaveCount(0);
  await page.getByTestId("menu-supervision-key-items").click();
  await expect(page.getByTestId("phases")).toBeVisible();
  await page.getByTestId("menu-supervision-statistics").click();
  await expect(page.getByTestId("chart-category").locator("canvas")).toBeVisible();
  await checkPage(page, "supervision-leader-statistics");
});
