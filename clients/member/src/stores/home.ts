// The home screen's counts, worked out from the member's lists.
import type { Proposal } from "../api";

export interface HomeCounts {
  invitations: number;
  toRate: number;
  drafts: number;
}

/** Invitations to answer: drafts where this member's invitation is still open. */
export function openInvitations(items: Proposal[], memberId: string, now: Date = new Date()): Proposal[] {
  return items.filter(
    (p) =>
      p.status === "draft" &&
      p.lead_member_id !== memberId &&
      p.cosigners.some((c) => c.member_id === memberId && c.status === "invited" && new Date(c.deadline) >= now),
  );
}

export function homeCounts(mine: Proposal[], visibleDrafts: Proposal[], memberId: string, now: Date = new Date()): HomeCounts {
  return {
    invitations: openInvitations(visibleDrafts, memberId, now).length,
    toRate: mine.filter((p) => p.status === "replied" && p.lead_member_id === memberId).length,
    drafts: mine.filter((p) => p.status === "draft" && p.lead_member_id === memberId).length,
  };
}
