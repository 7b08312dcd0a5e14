// The document text with every evidence quote as a <mark> at its offsets. Offsets count Unicode
// scalar values (the API's contract), so the text is indexed by code point, not UTF-16 unit.
// Ranges that nest become nested marks, so a quote's outermost mark holds exactly its text;
// a range that crosses another is cut at the crossing and continues in a sibling mark.

export interface Span { start: number; end: number; ref: string }

export interface Marked {
  root: HTMLElement;
  /** Marks by verdict reference, in document order. */
  byRef: Map<string, HTMLElement[]>;
}

interface Open { span: Span; el: HTMLElement }

export function markText(text: string, spans: Span[], onMark: (mark: HTMLElement) => void): Marked {
  const chars = Array.from(text);
  const n = chars.length;
  const queue = spans
    .filter((s) => Number.isInteger(s.start) && Number.isInteger(s.end) && s.start >= 0 && s.end > s.start && s.start < n)
    .map((s) => ({ ...s, end: Math.min(s.end, n) }))
    .sort((a, b) => a.start - b.start || b.end - a.end || a.ref.localeCompare(b.ref));
  const root = document.createElement("div");
  root.className = "doc-text";
  const byRef = new Map<string, HTMLElement[]>();
  const stack: Open[] = [];
  let pos = 0;
  const parent = (): HTMLElement => (stack.length ? stack[stack.length - 1].el : root);
  const emit = (upTo: number): void => {
    if (upTo > pos) parent().appendChild(document.createTextNode(chars.slice(pos, upTo).join("")));
    pos = Math.max(pos, upTo);
  };
  const closeUntil = (at: number): void => {
    while (stack.length && stack[stack.length - 1].span.end <= at) {
      emit(stack[stack.length - 1].span.end);
      stack.pop();
    }
  };
  let i = 0;
  while (i < queue.length) {
    const s = queue[i++];
    closeUntil(s.start);
    emit(s.start);
    const top = stack[stack.length - 1];
    let span = s;
    if (top && s.end > top.span.end) {
      // Crossing: keep the part inside the open mark, queue the rest to start where it ends.
      span = { ...s, end: top.span.end };
      const rest = { ...s, start: top.span.end };
      let j = i;
      while (j < queue.length && (queue[j].start < rest.start || (queue[j].start === rest.start && queue[j].end >= rest.end))) j++;
      queue.splice(j, 0, rest);
    }
    const el = document.createElement("mark");
    el.dataset.ref = span.ref;
    onMark(el);
    parent().appendChild(el);
    stack.push({ span, el });
    const list = byRef.get(span.ref) ?? [];
    list.push(el);
    byRef.set(span.ref, list);
  }
  closeUntil(n);
  emit(n);
  return { root, byRef };
}

/** The verdicts that cite the text at a mark: its own and every enclosing mark's. */
export function refsAt(mark: HTMLElement): string[] {
  const refs: string[] = [];
  for (let el: HTMLElement | null = mark; el && el.tagName === "MARK"; el = el.parentElement) {
    if (el.dataset.ref && !refs.includes(el.dataset.ref)) refs.push(el.dataset.ref);
  }
  return refs;
}
