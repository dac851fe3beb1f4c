// The console's routes: the sign-in page, then the shell with each section's routes, which live
// in their own files (router/<section>.ts) so each section is edited on its own.
import { createRouter, createWebHistory, type RouteLocationRaw, type RouteRecordNormalized } from "vue-router";
import type { Role } from "../api";
import { useAuth } from "../stores/auth";
import { adminRoutes } from "./admin";
import { CONSOLE_ROLES } from "./meta";
import { staffRoutes } from "./staff";
import { supervisionRoutes } from "./supervision";
import { unitRoutes } from "./unit";

export const router = createRouter({
  history: createWebHistory("/console/"),
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  routes: [
    { path: "/login", name: "login", component: () => import("../views/LoginView.vue"), meta: { public: true } },
    {
      path: "/",
      component: () => import("../layouts/ShellLayout.vue"),
      children: [
        { path: "", name: "home", component: () => import("../views/HomeView.vue") },
        { path: "forbidden", name: "forbidden", component: () => import("../views/ForbiddenView.vue") },
        ...staffRoutes,
        ...unitRoutes,
        ...supervisionRoutes,
        ...adminRoutes,
        { path: ":rest(.*)*", name: "not-found", component: () => import("../views/NotFoundView.vue") },
      ],
    },
  ],
});

export function allowed(route: { meta: { roles?: Role[] } }, role: Role | null): boolean {
  if (!role || !CONSOLE_ROLES.includes(role)) return false;
  return !route.meta.roles || route.meta.roles.includes(role);
}

/** The menu entries a role sees, in section and menu order. */
export function menuFor(routes: RouteRecordNormalized[], role: Role | null): RouteRecordNormalized[] {
  const sections = ["staff", "unit", "supervision", "admin"];
  return routes
    .filter((r) => r.meta.menu && r.name && allowed(r, role))
    .sort(
      (a, b) =>
        sections.indexOf(a.meta.section ?? "") - sections.indexOf(b.meta.section ?? "") ||
        (a.meta.order ?? 0) - (b.meta.order ?? 0),
    );
}

/** Where a role starts: its first menu entry. */
export function landingFor(role: Role | null): RouteLocationRaw {
  const first = menuFor(router.getRoutes(), role)[0];
  return first?.name ? { name: first.name } : { name: "forbidden" };
}

router.beforeEach((to) => {
  const auth = useAuth();
  if (to.meta.public) return to.name === "login" && auth.signedIn && allowed(to, auth.role) ? landingFor(auth.role) : true;
  if (!auth.signedIn) return { name: "login", query: { redirect: to.fullPath } };
  if (to.name === "home") return landingFor(auth.role);
  // A page of another role's section (e.g. a unit typing a staff URL) is refused here; the API
  // refuses the data too.
  if (to.name !== "forbidden" && !to.matched.every((r) => allowed(r, auth.role))) return { name: "forbidden" };
  return true;
});
