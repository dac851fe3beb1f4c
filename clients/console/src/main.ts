import { createPinia } from "pinia";
import { createApp } from "vue";
// Function-style Element Plus APIs are not seen by the component resolver: their styles by hand.
import "element-plus/es/components/message/style/css";
import "element-plus/es/components/message-box/style/css";
import { ElMessage } from "element-plus";
import App from "./App.vue";
import { useTokens } from "./api";
import { i18n, t } from "./i18n";
import { router } from "./router";
import { useAuth } from "./stores/auth";
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

// Nothing unexpected leaves a blank screen: it is said in a message and the page stays.
app.config.errorHandler = (err) => {
  console.error(err);
  ElMessage.error({ message: err instanceof Error && err.message ? err.message : t("errors.unknown"), duration: 4000 });
};

app.mount("#app");
