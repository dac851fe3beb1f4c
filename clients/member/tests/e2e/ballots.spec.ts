// 民主测评: staff open a ballot (API), a member elector votes once in the app, sees that they voted,
// and sees the results once staff close it and publish them.
import { expect, test } from "@playwright/test";
import { apiLogin, bearer, checkScreen, GATEWAY, signIn, STAFF } from "./helpers";

const VOTER = process.env.MEMBER_BALLOT ?? "w012";
const OTHERS = ["w013", "w014", "w015", "w016"]; // the secret ballot needs 5 electors and 5 votes

test("a member votes once in an assembly evaluation and sees the published result", async ({ page, request }) => {
  const staff = await apiLogin(request, STAFF);
  const body = staff.account.body_id!;
  // Registered, then handled like any item: the demo's 建议案 (c01) is with its units by now, so
  // every status from registration on counts (a ballot refuses only declined, withdrawn, merged).
  const params = new URLSearchParams({ body_id: body, kind: "plenary", limit: "1" });
  for (const s of ["registered", "assigned", "replied", "evaluated", "closed", "rehandling"]) params.append("status", s);
  const plenary = await request.get(`${GATEWAY}/api/v1/proposals`, { params, headers: bearer(staff) });
  expect(plenary.status(), await plenary.text()).toBe(200);
  const item = (await plenary.json()).items[0] as { id: string; session_id: string; title: string };
  expect(item, "the demo has a registered plenary recommendation").toBeTruthy();
  const voter = await apiLogin(request, VOTER);
  const others = await Promise.all(OTHERS.map((u) => apiLogin(request, u)));
  const title = `${item.title.slice(0, 40)} 民主测评（${String(Date.now()).slice(-6)}）`;
  const opened = await request.post(`${GATEWAY}/api/v1/ballots`, {
    headers: bearer(staff),
    data: {
      body_id: body,
      session_id: item.session_id,
      proposal_id: item.id,
      title,
      member_ids: [voter, ...others].map((s) => s.account.member_id),
    },
  });
  expect(opened.status(), await opened.text()).toBe(201);
  const ballot = (await opened.json()) as { id: string };

  await signIn(page, VOTER);
  await expect(page.getByRole("heading", { name: /您好/ })).toBeVisible();
  await page.goto("ballots");
  const card = page.getByTestId("ballot").filter({ hasText: title });
  await expect(card).toContainText("进行中");
  // The radio's name starts with its icon's glyph: "满意" alone, not 基本满意 / 不满意.
  await card.getByRole("radio", { name: /\s满意$/ }).click();
  await checkScreen(page, "18-ballot-open");
  await card.getByRole("button", { name: "投票" }).click();
  await expect(card).toContainText("已投票");
  await expect(card.getByRole("button", { name: "投票" })).toHaveCount(0);
  // Once only: a second vote (another tab, a replay with a new key) is refused.
  const twice = await request.post(`${GATEWAY}/api/v1/ballots/${ballot.id}/votes`, {
    headers: { ...bearer(voter), "Accept-Language": "zh-CN" },
    data: { option: "unsatisfied" },
  });
  expect(twice.status()).toBe(409);
  expect((await twice.json()).code).toBe("already_voted");

  const options = ["satisfied", "basically_satisfied", "basically_satisfied", "unsatisfied"];
  for (const [i, s] of others.entries()) {
    const r = await request.post(`${GATEWAY}/api/v1/ballots/${ballot.id}/votes`, {
      headers: bearer(s),
      data: { option: options[i] },
    });
    expect(r.status(), await r.text()).toBe(201);
  }
  const closed = await request.post(`${GATEWAY}/api/v1/ballots/${ballot.id}/close`, { headers: bearer(staff) });
  expect(closed.status(), await closed.text()).toBeLessThan(300);

  await page.reload();
  await expect(card).toContainText("已结束");
  await expect(card).toContainText("测评结果");
  // 2 满意 + 2 基本满意 of 5 votes: 80% satisfaction; every elector voted.
  await expect(card).toContainText("满意：2");
  await expect(card).toContainText("不满意：1");
  await expect(card).toContainText("满意率 80");
  await checkScreen(page, "19-ballot-results");
});
