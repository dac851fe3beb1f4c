// Supervision, statistics, assembly evaluations (ballots) and the leaders' view. Owned by that section.
import type { RouteRecordRaw } from "vue-router";
import "./meta";

export const supervisionRoutes: RouteRecordRaw[] = [
  {
    path: "supervision/boards",
    name: "supervision-boards",
    component: () => import("../views/supervision/BoardsView.vue"),
    meta: { roles: ["staff", "leader", "admin"], section: "supervision", menu: "supervision.menu.boards", order: 1 },
  },
  {
    path: "supervision/key-items",
    name: "supervision-key-items",
    component: () => import("../views/supervision/KeyItemsView.vue"),
    meta: { roles: ["staff", "leader", "admin"], section: "supervision", menu: "supervision.menu.keyItems", order: 2 },
  },
  {
    path: "supervision/statistics",
    name: "supervision-statistics",
    component: () => import("../views/supervision/StatisticsView.vue"),
    meta: { roles: ["staff", "leader", "admin"], section: "supervision", menu: "supervision.menu.statistics", order: 3 },
  },
  {
    path: "supervision/ballots",
    name: "supervision-ballots",
    component: () => import("../views/supervision/BallotsView.vue"),
    meta: { roles: ["staff", "admin"], section: "supervision", menu: "supervision.menu.ballots", order: 4 },
  },
];
