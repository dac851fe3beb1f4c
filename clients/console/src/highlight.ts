// The passages two items share, marked in one of them: runs of at least `min` characters that occur
// in both texts (after dropping whitespace and punctuation from the comparison), so a reviewer sees
// at a glance what made the items similar.
export interface Segment {
  text: string;
  match: boolean;
}

const SKIP = /[\s，。、；：？！“”‘’（）《》【】,.;:?!'"()[\]-]/;

export function sharedSegments(text: string, other: string, min = 6): Segment[] {
  if (!text) return [];
  const grams = new Set<string>();
  const plain = Array.from(other).filter((c) => !SKIP.test(c)).join("");
  for (let i = 0; i + min <= plain.length; i++) grams.add(plain.slice(i, i + min));
  // Positions of text's comparable characters, to map matches back onto the original text.
  const chars = Array.from(text);
  const index: number[] = [];
  chars.forEach((c, i) => {
    if (!SKIP.test(c)) index.push(i);
  });
  const comparable = index.map((i) => chars[i]).join("");
  const marked = new Array<boolean>(chars.length).fill(false);
  for (let i = 0; i + min <= comparable.length; i++) {
    if (grams.has(comparable.slice(i, i + min))) {
      for (let j = i; j < i + min; j++) marked[index[j]] = true;
    }
  }
  const out: Segment[] = [];
  chars.forEach((c, i) => {
    const last = out[out.length - 1];
    if (last && last.match === marked[i]) last.text += c;
    else out.push({ text: c, match: marked[i] });
  });
  return out;
}
