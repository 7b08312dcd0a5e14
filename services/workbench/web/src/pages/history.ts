// One issuer's reports year by year, and what changed between two of them (CompareAssessments).
import { type BatchRow, type Comparison, get } from "../api";
import { line } from "../charts";
import { fmt, h, section, table } from "../dom";
import * as L from "../labels";
import { type PageContext, gradeBadge, jobLink } from "../page";

export async function historyPage({ app }: PageContext, issuer: string): Promise<void> {
  const history = await get<{ issuer?: string; reports?: BatchRow[] }>(`/v1/issuers/${encodeURIComponent(issuer)}/history`);
  const reports = [...(history.reports ?? [])].sort((a, b) => (a.year ?? 0) - (b.year ?? 0));
  const chartBox = h("div", { class: "chart wide", id: "chart-history" });
  const compareBox = h("div", { id: "comparison" });
  app.append(
    h("section", { class: "card" }, h("h1", {}, `${issuer}：历年报告`)),
    section("得分走势", reports.length ? chartBox : h("p", { class: "muted" }, "没有这个机关的报告。"),
      table(["年度", "报告", "得分", "等级", "按时公开"], reports.map((r) => [
        r.year ? String(r.year) : "—", jobLink(r.jobId, r.title || r.jobId), fmt(r.score), gradeBadge(r.grade), L.timely(r.timeliness),
      ]), { id: "history" })),
    compareBox,
  );
  if (reports.length) line(chartBox, reports.map((r) => String(r.year ?? "?")), reports.map((r) => r.score ?? 0));
  // The latest report against the latest one of an earlier year (an issuer may have several
  // versions of one year's report).
  const cur = reports[reports.length - 1];
  const base = [...reports].reverse().find((r) => (r.year ?? 0) < (cur?.year ?? 0));
  if (cur && base) {
    const c = await get<Comparison>(`/v1/jobs/${encodeURIComponent(cur.jobId)}:compare?base_job_id=${encodeURIComponent(base.jobId)}`);
    compareBox.appendChild(section(`${c.baseYear ?? "?"} → ${c.year ?? "?"} 的变化`,
      c.comparable === false ? h("p", { class: "muted" }, c.note ?? "两份报告所用清单不同，仅供参考。") : null,
      h("p", {}, `得分 ${fmt(c.baseScore)} → ${fmt(c.score)}（${(c.scoreDelta ?? 0) >= 0 ? "+" : ""}${fmt(c.scoreDelta ?? 0)}）`),
      list("新增法定内容", c.partsGained), list("缺失的法定内容", c.partsLost),
      list("新有实质内容的领域", (c.areasNewlySubstantive ?? []).map((x) => `${L.cnNum(x.id)}、${x.title ?? ""}`)),
      list("不再有实质内容的领域", (c.areasDropped ?? []).map((x) => `${L.cnNum(x.id)}、${x.title ?? ""}`)),
      list("新出现的问题", c.findingsNew), list("已解决的问题", c.findingsResolved),
      (c.metrics ?? []).length ? table(["指标", String(c.baseYear ?? "上年"), String(c.year ?? "本年")], (c.metrics ?? []).map((m) => [
        m.name ?? m.id, m.hasBase ? `${fmt(m.baseValue, 2)}${m.unit ?? ""}` : "—", m.hasValue ? `${fmt(m.value, 2)}${m.unit ?? ""}` : "—",
      ])) : null));
  }
}

function list(title: string, items?: string[]): HTMLElement | null {
  if (!items?.length) return null;
  return h("p", {}, h("strong", {}, `${title}：`), items.join("、"));
}
