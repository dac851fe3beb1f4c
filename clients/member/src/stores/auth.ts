// The sign-in: tokens kept in localStorage so a reload stays signed in; one refresh at a time.
import { defineStore } from "pinia";
import { api, call, type Schemas } from "../api";

const KEY = "member.auth";

interface Saved {
  access: string;
  refresh: string;
  account: Schemas["AccountPublic"];
}

function load(): Saved | null {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? "null") as Saved | null;
  } catch {
    return null;
  }
}

export const useAuth = defineStore("auth", {
  state: () => ({ saved: load(), endedReason: "" as "" | "ended" | "signedOut" }),
  getters: {
    signedIn: (s) => s.saved !== null,
    account: (s) => s.saved?.account ?? null,
    memberId: (s) => s.saved?.account.member_id ?? null,
    bodyId: (s) => s.saved?.account.body_id ?? null,
  },
  actions: {
    keep(tokens: Schemas["TokenResponse"]) {
      this.saved = { access: tokens.access_token, refresh: tokens.refresh_token, account: tokens.account };
      localStorage.setItem(KEY, JSON.stringify(this.saved));
      this.endedReason = "";
    },
    forget(reason: "" | "ended" | "signedOut") {
      this.saved = null;
      this.endedReason = reason;
      localStorage.removeItem(KEY);
    },
    async login(username: string, password: string) {
      const tokens = await call(api.POST("/api/v1/auth/login", { body: { username, password } }));
      this.keep(tokens);
    },
    /** First sign-in with an activation code: sets the password and signs in (POST /auth/activate). */
    async activate(username: string, code: string, newPassword: string) {
      const tokens = await call(api.POST("/api/v1/auth/activate", { body: { username, code, new_password: newPassword } }));
      this.keep(tokens);
    },
    async logout() {
      const refresh = this.saved?.refresh;
      if (refresh) {
        try {
          await call(api.POST("/api/v1/auth/logout", { body: { refresh_token: refresh } }));
        } catch {
          // signed out here either way; the server forgets the refresh token when it expires
        }
      }
      this.forget("signedOut");
    },
    /** A new access token from the refresh token; false when the sign-in has ended. */
    async refresh(): Promise<boolean> {
      inflight ??= (async () => {
        const refresh = this.saved?.refresh;
        if (!refresh) return false;
        try {
          const tokens = await call(api.POST("/api/v1/auth/refresh", { body: { refresh_token: refresh } }));
          this.keep(tokens);
          return true;
        } catch {
          return false;
        }
      })().finally(() => {
        inflight = null;
      });
      return inflight;
    },
  },
});

let inflight: Promise<boolean> | null = null;
