// Helpers of the unit section's views: the zh-CN words for a refusal, days left, outcome labels.
import { ApiError } from "../../api";
import { t, te } from "../../i18n";

/** The refusal in words: the unit section's text for its code, else the shared message. */
export function refusal(error: ApiError | null): string {
  if (!error) return "";
  const key = `unit.errors.${error.code}`;
  return te(key) ? t(key) : error.message;
}

/** "12 个工作日" / "已超期 3 个工作日" / "今日到期"; empty when not open. */
export function daysLeft(n: number | null | undefined): string {
  if (n === null || n === undefined) return "";
  if (n < 0) return t("unit.inbox.overdueDays", { n: -n });
  if (n === 0) return t("unit.inbox.dueToday");
  return t("unit.inbox.leftDays", { n });
}

export function leftClass(n: number | null | undefined): string {
  if (n === null || n === undefined) return "";
  if (n < 0) return "badge badge-danger";
  if (n <= 10) return "badge badge-warning";
  return "badge badge-ok";
}

/** An outcome class in words: the body's own label when it has one, else ours, else its code. */
export function outcomeLabel(code: string, labels: { code: string; label: string }[] = []): string {
  const own = labels.find((l) => l.code === code);
  if (own) return `${code} 类：${own.label}`;
  const key = `unit.outcomes.${code}`;
  return te(key) ? t(key) : code;
}

export function todayInShanghai(): string {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
  return parts; // en-CA formats as YYYY-MM-DD
}
