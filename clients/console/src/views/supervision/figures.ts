// Pure computations and wording of the supervision and statistics pages (tested by Vitest).

/** 剩余工作日 in words: "剩 3 个工作日", "今日到期", "超期 5 个工作日". */
export function daysLeftText(left: number): string {
  if (left > 0) return `剩 ${left} 个工作日`;
  if (left === 0) return "今日到期";
  return `超期 ${-left} 个工作日`;
}

/** The tag's colour for days left: overdue red, within 3 working days orange, else plain. */
export function daysLeftType(left: number): "danger" | "warning" | "info" {
  if (left < 0) return "danger";
  if (left <= 3) return "warning";
  return "info";
}

export interface Rate {
  numerator: number;
  denominator: number;
  rate?: number | null;
  percent?: string | null;
}

/** A rate as "95.0%（19/20）", or "—" when nothing was counted. */
export function rateText(rate: Rate | null | undefined): string {
  if (!rate || !rate.denominator) return "—";
  const pct = rate.percent ?? `${((rate.rate ?? rate.numerator / rate.denominator) * 100).toFixed(1)}%`;
  return `${pct}（${rate.numerator}/${rate.denominator}）`;
}

/** A weight 0..1 as a whole percentage ("40%"). */
export function weightText(weight: number | null | undefined): string {
  if (weight === null || weight === undefined) return "—";
  return `${Math.round(weight * 100)}%`;
}

/** Do the weights add up to 100% (to the hundredth)? */
export function weightsComplete(weights: Record<string, number>): boolean {
  const sum = Object.values(weights).reduce((a, b) => a + b, 0);
  return Math.abs(sum - 1) < 0.005;
}

/** A score 0..1 as points out of 100 with one decimal ("87.5"). */
export function scoreText(score: number | null | undefined): string {
  if (score === null || score === undefined) return "—";
  return (score * 100).toFixed(1);
}

/** Breakdown objects {name: {filed, registered}} as chart series, largest first. */
export function breakdownSeries(
  by: Record<string, { filed: number; registered: number }>,
  label: (key: string) => string = (k) => k,
): { names: string[]; filed: number[]; registered: number[] } {
  const rows = Object.entries(by).sort((a, b) => b[1].registered - a[1].registered || a[0].localeCompare(b[0]));
  return {
    names: rows.map(([k]) => label(k)),
    filed: rows.map(([, v]) => v.filed),
    registered: rows.map(([, v]) => v.registered),
  };
}

/** Turnout (参评率) in words: "已参评 12 / 36 人（33.3%）". */
export function turnoutText(voters: number | null | undefined, eligible: number): string {
  const n = voters ?? 0;
  const pct = eligible ? ((n / eligible) * 100).toFixed(1) : "0.0";
  return `已参评 ${n} / ${eligible} 人（${pct}%）`;
}

/** The file name of a downloaded annual report. */
export function reportFileName(bodyName: string, sessionName: string, format: string): string {
  const safe = `${bodyName}${sessionName}提案办理情况通报`.replace(/[\\/:*?"<>|\s]+/g, "");
  return `${safe}.${format}`;
}

/** A CSV file's lines by their row number (the header is row 1), for showing the bad rows as written. */
export function csvLines(text: string): Map<number, string> {
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);
  const out = new Map<number, string>();
  lines.forEach((line, i) => out.set(i + 1, line));
  return out;
}
