// A batch: the ranking (sorted and filtered in the page), its statistics as charts, and the
// CSV/XLSX export the API produces. Also the list of the tenant's batches.
import { ApiError, type Batch, type BatchRow, type BatchSummary, download, get } from "../api";
import { bars, disposeCharts, pie } from "../charts";
import { clear, fmt, h, pct, section, table } from "../dom";
import * as L from "../labels";
import { type PageContext, gradeBadge, jobLink, when } from "../page";

export async function batchesPage({ app }: PageContext): Promise<void> {
  const page = await get<{ batches?: Batch[] }>("/v1/batches?page_size=100");
  const rows = (page.batches ?? []).map((b) => [
    h("a", { href: `#/batches/${encodeURIComponent(b.id)}` }, b.displayName || b.id),
    String(b.total ?? 0),
    `${b.counts?.succeeded ?? 0} / ${b.counts?.failed ?? 0} / ${(b.counts?.queued ?? 0) + (b.counts?.running ?? 0)}`,
    when(b.createTime),
  ]);
  app.appendChild(section("批次", rows.length
    ? table(["批次", "报告数", "完成 / 失败 / 进行中", "创建时间"], rows, { id: "batches" })
    : h("p", { class: "muted" }, "还没有批次。在上传页一次提交多个文件即生成批次。")));
}

type Key = "order" | "rank" | "score" | "issuer" | "level" | "year" | "published" | "findings";

/** What the user chose on the page, kept while a running batch is redrawn. */
interface View { level: string; grade: string; ontime: string; finding: string; sortKey: Key; ascending: boolean }

export async function batchPage({ app, signal }: PageContext, id: string): Promise<void> {
  const path = `/v1/batches/${encodeURIComponent(id)}`;
  // The server's order first: highest score first, ranked within each level.
  const view: View = { level: "", grade: "", ontime: "", finding: "", sortKey: "order", ascending: true };
  let summary = await get<BatchSummary>(`${path}/summary`);
  drawBatch(app, path, id, summary, view);
  // A batch still running: redraw as reports come in, until none is waiting.
  while (pending(summary) > 0 && !signal.aborted) {
    await new Promise((ok) => setTimeout(ok, 2000));
    if (signal.aborted) return;
    summary = await get<BatchSummary>(`${path}/summary`);
    if (signal.aborted) return;
    disposeCharts();
    clear(app);
    drawBatch(app, path, id, summary, view);
  }
}

function drawBatch(app: HTMLElement, path: string, id: string, summary: BatchSummary, view: View): void {
  const b = summary.batch ?? { id };
  const rows = summary.rows ?? [];
  const stats = summary.statistics ?? {};

  const level = h("select", { id: "filter-level" }, h("option", { value: "" }, "全部层级"), uniq(rows.map((r) => r.level ?? "")).map((l) => h("option", { value: l }, L.level(l))));
  const grade = h("select", { id: "filter-grade" }, h("option", { value: "" }, "全部等级"), uniq(rows.map((r) => r.grade || "N/A")).map((g) => h("option", { value: g }, g)));
  const ontime = h("select", { id: "filter-timely" }, h("option", { value: "" }, "是否按时：全部"), ["ON_TIME", "LATE", "UNKNOWN"].map((t) => h("option", { value: t }, L.timely(t))));
  const finding = h("select", { id: "filter-finding" }, h("option", { value: "" }, "全部问题"), uniq(rows.flatMap((r) => r.findingCodes ?? [])).map((c) => h("option", { value: c }, c)));
  const body = h("tbody", {});
  const count = h("span", { class: "muted", id: "shown" });
  level.value = view.level;
  grade.value = view.grade;
  ontime.value = view.ontime;
  finding.value = view.finding;

  const value = (r: BatchRow, k: Key): string | number => {
    switch (k) {
      case "order": return rows.indexOf(r);
      case "rank": return r.rank ?? Number.MAX_SAFE_INTEGER;
      case "score": return r.score ?? 0;
      case "issuer": return r.issuer ?? "";
      case "level": return r.level ?? "";
      case "year": return r.year ?? 0;
      case "published": return r.publishedDate ?? "";
      case "findings": return (r.errors ?? 0) * 1000 + (r.warnings ?? 0);
    }
  };
  const draw = (): void => {
    Object.assign(view, { level: level.value, grade: grade.value, ontime: ontime.value, finding: finding.value });
    clear(body);
    const shown = rows
      .filter((r) => !level.value || r.level === level.value)
      .filter((r) => !grade.value || (r.grade || "N/A") === grade.value)
      .filter((r) => !ontime.value || (r.timeliness ?? "UNKNOWN") === ontime.value)
      .filter((r) => !finding.value || (r.findingCodes ?? []).includes(finding.value))
      .sort((x, y) => {
        const a = value(x, view.sortKey), c = value(y, view.sortKey);
        const o = typeof a === "number" && typeof c === "number" ? a - c : String(a).localeCompare(String(c), "zh-CN");
        return view.ascending ? o : -o;
      });
    for (const r of shown) {
      body.appendChild(h("tr", { "data-job": r.jobId },
        h("td", { class: "num" }, r.rank ? String(r.rank) : "—"),
        h("td", {}, jobLink(r.jobId, r.title || r.jobId)),
        h("td", {}, r.issuer ? h("a", { href: `#/issuers/${encodeURIComponent(r.issuer)}` }, r.issuer) : "—"),
        h("td", {}, L.level(r.level)),
        h("td", { class: "num" }, r.year ? String(r.year) : "—"),
        h("td", { class: "num score" }, fmt(r.score)),
        h("td", {}, gradeBadge(r.grade)),
        h("td", {}, `${L.timely(r.timeliness)}${r.publishedDate ? `（${r.publishedDate}）` : ""}`),
        h("td", {}, `${r.errors ?? 0} / ${r.warnings ?? 0}`),
      ));
    }
    count.textContent = `显示 ${shown.length} / ${rows.length} 份`;
  };
  const heads: [string, Key | null][] = [["同层级名次", "rank"], ["报告", null], ["发布机关", "issuer"], ["层级", "level"], ["年度", "year"], ["得分", "score"], ["等级", null], ["按时公开", "published"], ["错误 / 警告", "findings"]];
  const head = h("tr", {}, heads.map(([label, key]) => {
    if (!key) return h("th", {}, label);
    const th = h("th", { class: "sortable", "data-sort": key, tabindex: 0 }, label);
    th.addEventListener("click", () => {
      view.ascending = view.sortKey === key ? !view.ascending : key === "rank" || key === "issuer" || key === "level";
      view.sortKey = key;
      draw();
    });
    return th;
  }));
  [level, grade, ontime, finding].forEach((s) => s.addEventListener("change", draw));

  const error = h("p", { class: "error", role: "alert" });
  const exportButton = (format: "csv" | "xlsx", label: string): HTMLButtonElement =>
    h("button", { type: "button", id: `export-${format}`, onclick: () => {
      const q = new URLSearchParams({ format });
      if (level.value) q.set("level", level.value);
      download(`${path}:export?${q}`, `batch-${id}.${format}`).catch((e) => (error.textContent = e instanceof ApiError ? e.words : String(e)));
    } }, label);

  const gradesBox = h("div", { class: "chart", id: "chart-grades" });
  const timelyBox = h("div", { class: "chart", id: "chart-timely" });
  const areasBox = h("div", { class: "chart wide", id: "chart-areas" });
  app.append(
    h("section", { class: "card" },
      h("h1", {}, `批次：${b.displayName || b.id}`),
      h("p", { class: "muted" }, `${b.total ?? rows.length} 份报告 · 创建于 ${when(b.createTime)}${pending(summary) ? ` · 仍有 ${pending(summary)} 份在评估` : ""}`),
      h("p", { class: "no-print" }, exportButton("xlsx", "下载 Excel（XLSX）"), " ", exportButton("csv", "下载 CSV"), " ", h("button", { type: "button", onclick: () => window.print() }, "打印")),
      error),
    section("统计",
      h("p", { id: "stats" }, `平均分 ${fmt(stats.meanScore)} · 中位数 ${fmt(stats.medianScore)} · 按时公开率 ${pct(stats.onTimeRate)}（有日期 ${stats.dated ?? 0} 份）· 未评等级 ${stats.ungraded ?? 0} 份`),
      h("div", { class: "charts" },
        h("figure", {}, gradesBox, h("figcaption", {}, "等级分布")),
        h("figure", {}, timelyBox, h("figcaption", {}, "按时公开")),
        h("figure", { class: "wide" }, areasBox, h("figcaption", {}, "各纲要领域有实质内容的报告比例（%）"))),
      (stats.topFindings ?? []).length ? table(["常见问题", "报告数"], (stats.topFindings ?? []).map((f) => [h("code", {}, f.code), String(f.reports ?? 0)])) : null),
    section("排名",
      h("p", { class: "muted" }, "默认按层级分组、组内按得分从高到低；点击表头可按该列排序。"),
      h("p", { class: "filters no-print" }, level, " ", grade, " ", ontime, " ", finding, " ", count),
      h("table", { id: "ranking" }, h("thead", {}, head), body)),
  );
  draw();

  const grades = stats.grades ?? [];
  bars(gradesBox, grades.map((g) => g.grade), grades.map((g) => g.count ?? 0), " 份");
  const dated = stats.dated ?? 0;
  const onTime = Math.round((stats.onTimeRate ?? 0) * dated);
  pie(timelyBox, [
    { name: "按时", value: onTime, color: "#1e7b34" },
    { name: "逾期", value: dated - onTime, color: "#b4232a" },
    { name: "无法判断", value: Math.max(0, (stats.count ?? rows.length) - dated), color: "#999999" },
  ]);
  // Keys are "checklist:area"; a batch judged by one checklist shows bare area numbers.
  const areaKeys = Object.keys(stats.areaSubstantive ?? {}).map((k) => {
    const cut = k.lastIndexOf(":");
    return { key: k, checklist: cut < 0 ? "" : k.slice(0, cut), area: cut < 0 ? k : k.slice(cut + 1) };
  }).sort((x, y) => x.checklist.localeCompare(y.checklist) || Number(x.area) - Number(y.area));
  const several = new Set(areaKeys.map((k) => k.checklist)).size > 1;
  bars(
    areasBox,
    areaKeys.map((k) => (several ? `${k.checklist} ${L.cnNum(k.area)}` : L.cnNum(k.area))),
    areaKeys.map((k) => Math.round((stats.areaSubstantive?.[k.key] ?? 0) * 1000) / 10),
    "%",
  );
}

function pending(s: BatchSummary): number {
  const c = s.batch?.counts ?? {};
  return (c.queued ?? 0) + (c.running ?? 0);
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs.filter((x) => x))].sort();
}
