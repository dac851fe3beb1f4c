// The installable app: after one visit its service worker has the app shell, and the app opens
// with no network at all (the member sees the app and its own offline messages, not the browser's).
import { expect, test } from "@playwright/test";

test.use({ serviceWorkers: "allow" });

test("the app shell opens offline after a first visit", async ({ page, context }) => {
  await page.goto("login");
  await expect(page.getByRole("heading", { name: "委员登录" })).toBeVisible();
  const manifest = await page.evaluate(async () => {
    const link = document.querySelector<HTMLLinkElement>('link[rel="manifest"]');
    return link ? ((await (await fetch(link.href)).json()) as { start_url: string; display: string }) : null;
  });
  expect(manifest).toMatchObject({ start_url: "/m/", display: "standalone" });
  // The worker is installed, has precached the shell and controls the page.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((ok) => navigator.serviceWorker.addEventListener("controllerchange", ok, { once: true }));
    }
  });
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole("heading", { name: "委员登录" })).toBeVisible();
  // Another of the app's addresses, never visited: the shell answers it too (the worker's fallback).
  await page.goto("search");
  await expect(page.getByText("提案查询")).toBeVisible();
  await context.setOffline(false);
});
