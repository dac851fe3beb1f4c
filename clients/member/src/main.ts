import { createPinia } from "pinia";
import { createApp } from "vue";
// Function-style Vant APIs are not seen by the component resolver: their styles by hand.
import "vant/es/toast/style";
import "vant/es/dialog/style";
import "vant/es/notify/style";
import { showFailToast } from "vant";
import App from "./App.vue";
import { useTokens } from "./api";
import { i18n, t } from "./i18n";
import { router } from "./router";
import { useAuth } from "./stores/auth";
import { useDrafts } from "./stores/drafts";
import "./style.css";

const app = createApp(App);
app.use(createPinia()).use(i18n).use(router);

const auth = useAuth();
useTokens({
  access: () => auth.saved?.access ?? null,
  refresh: () => auth.refresh(),
  ended: () => {
    if (!auth.signedIn) return;
    auth.forget("ended");
    void router.push({ name: "login", query: { redirect: router.currentRoute.value.fullPath } });
  },
});

// Nothing unexpected leaves a blank screen: it is said in a toast and the page stays.
app.config.errorHandler = (err) => {
  console.error(err);
  showFailToast({ message: err instanceof Error && err.message ? err.message : t("errors.unknown"), duration: 3000 });
};

const drafts = useDrafts();
window.addEventListener("online", () => {
  if (auth.signedIn) void drafts.sync();
});

app.mount("#app");
