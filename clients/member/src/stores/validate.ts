// The draft form's checks, run before anything is sent (the server checks again).
import { charCount } from "../format";

export interface DraftForm {
  body_id: string;
  session_id: string;
  kind: string;
  category_id: string;
  group_name: string;
  title: string;
  content: string;
}

export const TITLE_MAX = 200;
export const CONTENT_MAX = 20000;

/** Field → locale key of the message; empty when the form may be sent. */
export function validateDraft(form: DraftForm): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!form.session_id) errors.session_id = "draft.required.session";
  if (!form.kind) errors.kind = "draft.required.kind";
  if (!form.title.trim()) errors.title = "draft.required.title";
  if (!form.content.trim()) errors.content = "draft.required.content";
  if ((form.kind === "group" || form.kind === "plenary") && !form.group_name.trim()) errors.group_name = "draft.required.groupName";
  if (charCount(form.title) > TITLE_MAX) errors.title = "draft.required.title";
  if (charCount(form.content) > CONTENT_MAX) errors.content = "draft.required.content";
  return errors;
}
