// The home screen's counts, worked out from the member's lists.
import type { ProposalListItem } from "../api";

export interface HomeCounts {
  invitations: number;
  toRate: number;
  drafts: number;
}

/** Invitations to answer: drafts where this member's invitation is still open. */
export function openInvitations(items: ProposalListItem[], memberId: string, now: Date = new Date()): ProposalListItem[] {
  return items.filter(
    (p) =>
      p.status === "draft" &&
      p.lead_member_id !== memberId &&
      p.cosigners.some((c) => c.member_id === memberId && c.status === "invited" && new Date(c.deadline) >= now),
  );
}

/**
 * The invitations page: this member's unanswered invitations on drafts, those still open first
 * (soonest deadline first), then those whose deadline has passed, shown as expired and no longer
 * answerable (the server refuses them: invitation_expired).
 */
export function listedInvitations(
  items: ProposalListItem[],
  memberId: string,
  now: Date = new Date(),
): { item: ProposalListItem; deadline: string; expired: boolean }[] {
  const listed = items.flatMap((p) => {
    const mine = p.cosigners.find((c) => c.member_id === memberId && c.status === "invited");
    if (p.status !== "draft" || p.lead_member_id === memberId || !mine) return [];
    return [{ item: p, deadline: mine.deadline, expired: new Date(mine.deadline) < now }];
  });
  const at = (d: string) => new Date(d).getTime();
  return listed.sort((a, b) =>
    a.expired !== b.expired ? (a.expired ? 1 : -1) : a.expired ? at(b.deadline) - at(a.deadline) : at(a.deadline) - at(b.deadline),
  );
}

export function homeCounts(mine: ProposalListItem[], visibleDrafts: ProposalListItem[], memberId: string, now: Date = new Date()): HomeCounts {
  return {
    invitations: openInvitations(visibleDrafts, memberId, now).length,
    toRate: mine.filter((p) => p.status === "replied" && p.lead_member_id === memberId).length,
    drafts: mine.filter((p) => p.status === "draft" && p.lead_member_id === memberId).length,
  };
}
