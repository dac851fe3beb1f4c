// The shell: sign-in, the menu by role, another role's page refused.
import { expect, test } from "@playwright/test";
import { checkPage, LEADER, signIn, signOut, STAFF, UNIT } from "./helpers";

test("the sign-in page, and a wrong password said in words", async ({ page }) => {
  await page.goto("login");
  await checkPage(page, "login");
  await page.locator("#username").fill(STAFF);
  await page.locator("#password").fill("not-the-password");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("login-error")).toHaveText("账号或密码错误。");
});

test("each role sees its own sections; a unit typing a staff address is refused", async ({ page }) => {
  await signIn(page, STAFF);
  await expect(page.getByTestId("menu-staff-review")).toBeVisible();
  await expect(page.getByTestId("menu-unit-inbox")).toHaveCount(0);
  await signOut(page);

  await signIn(page, LEADER);
  await expect(page.getByTestId("menu-supervision-boards")).toBeVisible();
  await expect(page.getByTestId("menu-staff-review")).toHaveCount(0);
  await signOut(page);

  await signIn(page, UNIT);
  await expect(page.getByTestId("menu-unit-inbox")).toBeVisible();
  await expect(page.getByTestId("menu-staff-review")).toHaveCount(0);
  await page.goto("staff/review");
  await expect(page.getByTestId("forbidden")).toBeVisible();
});
