// What the forms choose from: bodies, their sessions, categories and members (cached per visit).
import { defineStore } from "pinia";
import { allPages, api, call, type Schemas } from "../api";

export const useContext = defineStore("context", {
  state: () => ({
    bodies: [] as Schemas["BodyPublic"][],
    sessions: {} as Record<string, Schemas["SessionPublic"][]>,
    categories: {} as Record<string, Schemas["CategoryPublic"][]>,
    members: {} as Record<string, Schemas["MemberPublic"][]>,
  }),
  actions: {
    async loadBodies() {
      if (!this.bodies.length)
        this.bodies = await allPages((cursor) => call(api.GET("/api/v1/bodies", { params: { query: { cursor } } })));
      return this.bodies;
    },
    async loadBody(bodyId: string) {
      if (!this.sessions[bodyId]) {
        const [sessions, categories] = await Promise.all([
          allPages((cursor) =>
            call(api.GET("/api/v1/bodies/{body_id}/sessions", { params: { path: { body_id: bodyId }, query: { cursor } } })),
          ),
          allPages((cursor) =>
            call(
              api.GET("/api/v1/bodies/{body_id}/categories", { params: { path: { body_id: bodyId }, query: { cursor } } }),
            ),
          ),
        ]);
        this.sessions[bodyId] = sessions;
        this.categories[bodyId] = categories.filter((c) => c.active);
      }
    },
    async loadMembers(bodyId: string) {
      if (!this.members[bodyId]) {
        this.members[bodyId] = await allPages((cursor) =>
          call(
            api.GET("/api/v1/bodies/{body_id}/members", {
              params: { path: { body_id: bodyId }, query: { limit: 200, cursor } },
            }),
          ),
        );
      }
      return this.members[bodyId];
    },
    sessionName(sessionId: string): string {
      for (const list of Object.values(this.sessions)) {
        const s = list.find((x) => x.id === sessionId);
        if (s) return s.name;
      }
      return "";
    },
  },
});
