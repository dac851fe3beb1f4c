// Display helpers: dates in the body's zone, counts of characters, days left.
const TZ = "Asia/Shanghai";

export function formatDate(value: string | null | undefined): string {
  if (!value) return "";
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value; // calendar dates stay as they are
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  return new Intl.DateTimeFormat("zh-CN", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(d)
    .replace(/\//g, "-");
}

export function formatDateTime(value: string | null | undefined): string {
  if (!value) return "";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  const parts = new Intl.DateTimeFormat("zh-CN", {
    timeZone: TZ,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).formatToParts(d);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}`;
}

/** Characters as a reader counts them: a Chinese character or an emoji is one. */
export function charCount(text: string): number {
  return Array.from(text).length;
}

/** A calendar date (YYYY-MM-DD) as month and day, the way the app's language writes it (12月15日). */
export function formatMonthDay(value: string, locale = "zh-CN"): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return value;
  const day = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!));
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", month: "long", day: "numeric" }).format(day);
}

/** Whole calendar days from today (in the body's zone) to a date; negative when past. */
export function daysUntil(date: string, now: Date = new Date()): number {
  const today = formatDate(now.toISOString());
  const a = Date.UTC(+today.slice(0, 4), +today.slice(5, 7) - 1, +today.slice(8, 10));
  const b = Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10));
  return Math.round((b - a) / 86_400_000);
}

/** Chip colour per status (Vant tag types). */
export function statusTone(status: string): "primary" | "success" | "warning" | "danger" | "default" {
  switch (status) {
    case "draft":
      return "default";
    case "declined":
    case "withdrawn":
      return "danger";
    case "replied":
    case "rehandling":
      return "warning";
    case "evaluated":
    case "closed":
      return "success";
    default:
      return "primary";
  }
}
