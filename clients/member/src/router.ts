import { createRouter, createWebHistory } from "vue-router";
import { useAuth } from "./stores/auth";

export const router = createRouter({
  history: createWebHistory("/m/"),
  // A new screen starts at its top; back and forward return to where the member was.
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  routes: [
    { path: "/login", name: "login", component: () => import("./views/LoginView.vue"), meta: { public: true } },
    { path: "/activate", name: "activate", component: () => import("./views/ActivateView.vue"), meta: { public: true } },
    { path: "/", name: "home", component: () => import("./views/HomeView.vue"), meta: { tab: "home" } },
    { path: "/mine", name: "mine", component: () => import("./views/MyItemsView.vue"), meta: { tab: "mine" } },
    { path: "/draft/new", name: "draft-new", component: () => import("./views/DraftView.vue"), meta: { tab: "write" } },
    { path: "/draft/:id", name: "draft", component: () => import("./views/DraftView.vue"), props: true },
    { path: "/invitations", name: "invitations", component: () => import("./views/InvitationsView.vue") },
    { path: "/items/:id", name: "item", component: () => import("./views/ItemView.vue"), props: true, meta: { public: true } },
    {
      path: "/items/:id/rate/:unitId",
      name: "rate",
      component: () => import("./views/RateView.vue"),
      props: true,
    },
    { path: "/ballots", name: "ballots", component: () => import("./views/BallotsView.vue") },
    { path: "/search", name: "search", component: () => import("./views/SearchView.vue"), meta: { tab: "search", public: true } },
    { path: "/account", name: "account", component: () => import("./views/AccountView.vue"), meta: { tab: "account" } },
    { path: "/account/password", name: "password", component: () => import("./views/PasswordView.vue") },
    { path: "/:rest(.*)*", redirect: "/" },
  ],
});

router.beforeEach((to) => {
  const auth = useAuth();
  if (!to.meta.public && !auth.signedIn) return { name: "login", query: { redirect: to.fullPath } };
  if ((to.name === "login" || to.name === "activate") && auth.signedIn) return { name: "home" };
  return true;
});
