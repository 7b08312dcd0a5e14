// What every page gets, and the small pieces several pages show.
import { h } from "./dom";

export interface PageContext {
  app: HTMLElement;
  /** Aborted when the user leaves the page: watches and timers stop. */
  signal: AbortSignal;
}

export function gradeBadge(grade?: string): HTMLElement {
  const g = grade || "N/A";
  return h("span", { class: `grade grade-${/^[A-E]$/.test(g) ? g : "na"}`, "data-grade": g }, g);
}

export function jobLink(id: string, text?: string): HTMLAnchorElement {
  return h("a", { href: `#/jobs/${encodeURIComponent(id)}` }, text || id);
}

export function when(ts?: string): string {
  if (!ts) return "—";
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? ts : d.toLocaleString("zh-CN", { hour12: false });
}
