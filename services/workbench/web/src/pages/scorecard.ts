// One report's scorecard beside its text. Every verdict that quotes the report is a reference;
// its quotes are <mark>s in the text. Clicking a verdict scrolls to its marks; clicking a mark
// lists the verdicts that cite it.
import { type Assessment, type Evidence, type Job, TERMINAL, get, watch } from "../api";
import { radar } from "../charts";
import { clear, fmt, h, pct, section, table } from "../dom";
import * as L from "../labels";
import { type Span, markText, refsAt } from "../marks";
import { type PageContext, gradeBadge, jobLink, when } from "../page";

interface Verdict { label: string; el: HTMLElement }

const SEVERITY_ORDER = ["ERROR", "WARNING", "INFO"];

export async function scorecardPage({ app, signal }: PageContext, id: string): Promise<void> {
  const path = `/v1/jobs/${encodeURIComponent(id)}`;
  let job = await get<Job>(path);
  if (!TERMINAL.has(job.state ?? "")) {
    const status = h("p", { class: "muted", id: "job-status" }, `任务 ${id}：${L.state(job.state)}`);
    app.appendChild(status);
    job = await watch(id, (j) => {
      const p = j.progress;
      status.textContent = `任务 ${id}：${L.state(j.state)}${p?.stage ? `（${L.stage(p.stage)} ${p.done ?? 0}/${p.total || "?"}）` : ""}`;
    }, signal);
    clear(app);
  }
  if (job.state !== "SUCCEEDED") {
    app.appendChild(
      h("section", { class: "card" }, h("h2", {}, `任务 ${id}`),
        h("p", { class: job.state === "FAILED" ? "error" : "muted", role: "alert" },
          `${L.state(job.state)}${job.errorMessage ? `：${job.errorMessage}` : ""}${job.errorCode ? `（${job.errorCode}）` : ""}`)),
    );
    return;
  }
  const a = await get<Assessment>(`${path}/assessment`);
  if (signal.aborted) return;
  // Marks for `scripts/measure-workbench`: from the assessment in hand to the page painted.
  performance.mark("fazhi:assessment");
  render(app, job, a, signal);
  requestAnimationFrame(() => setTimeout(() => {
    performance.measure("fazhi:scorecard", "fazhi:assessment");
    app.dataset.ready = "scorecard";
  }));
}

/** A value the platform supplied (hints win over the document; HINT_DISAGREES says where they differ). */
function byPlatform(source?: string): HTMLElement | null {
  return source === "hints" ? h("small", { class: "muted", title: "由提交平台提供" }, "（平台提供）") : null;
}

function render(app: HTMLElement, job: Job, a: Assessment, signal: AbortSignal): void {
  const verdicts = new Map<string, Verdict>();
  const spans: Span[] = [];
  const popover = h("div", { class: "popover", id: "mark-popover", hidden: true });
  let marked: ReturnType<typeof markText> | undefined;

  /** A verdict that cites evidence: registered, its quotes queued as marks, itself clickable. */
  const cite = (ref: string, label: string, el: HTMLElement, evidence: Evidence[]): HTMLElement => {
    const usable = evidence.filter((e) => (e.end ?? 0) > (e.start ?? 0));
    verdicts.set(ref, { label, el });
    el.dataset.verdict = ref;
    for (const e of usable) spans.push({ start: e.start ?? 0, end: e.end ?? 0, ref });
    if (usable.length) {
      el.classList.add("cites");
      el.tabIndex = 0;
      el.title = "点击定位原文";
      const go = (): void => focusRef(ref);
      el.addEventListener("click", go);
      el.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter") go();
      });
    }
    return el;
  };

  const focusRef = (ref: string): void => {
    document.querySelectorAll("mark.active, .verdict-active").forEach((m) => m.classList.remove("active", "verdict-active"));
    const marks = marked?.byRef.get(ref) ?? [];
    marks.forEach((m) => m.classList.add("active"));
    verdicts.get(ref)?.el.classList.add("verdict-active");
    marks[0]?.scrollIntoView({ block: "center" });
  };

  const r = a.report ?? {};
  const quote = (e: Evidence): HTMLElement => h("q", {}, e.quote ?? "");

  /** The issuer, with where it was read: a click lights the line (a removed 发布机构 field has no
   *  place in the text, so its line is the tooltip). */
  const issuer = (): HTMLElement => {
    const basis = r.issuerBasis && r.issuerBasis !== "hints" ? h("small", { class: "muted" }, `（据${L.issuerBasis(r.issuerBasis)}）`) : byPlatform(r.issuerSource);
    const el = h("span", { id: "issuer", title: r.issuerEvidence?.quote ?? "" }, r.issuer ?? "", basis);
    return cite("issuer", `发文机关（据${L.issuerBasis(r.issuerBasis) || "—"}）`, el, r.issuerEvidence ? [r.issuerEvidence] : []);
  };

  // Header
  const header = h(
    "section",
    { class: "card head" },
    h("div", { class: "score-box" }, gradeBadge(a.grade), h("span", { class: "score", id: "score" }, fmt(a.score)), h("span", { class: "muted" }, " / 100")),
    h("h1", { id: "report-title" }, r.title || "（无标题）"),
    h(
      "p",
      { class: "meta" },
      [r.issuer && issuer(), h("span", {}, L.level(r.level)),
        r.year ? h("span", {}, `${r.year} 年度`, byPlatform(r.yearSource)) : null,
        r.documentNumber && h("span", {}, r.documentNumber),
        r.publishedDate && h("span", {}, `发布 ${r.publishedDate}`, byPlatform(r.publishedDateSource)),
        h("span", {}, L.kind(r.kind)), r.charCount ? h("span", {}, `${r.charCount} 字`) : null],
    ),
    r.notReportReason ? h("p", { class: "error" }, `不是年度报告：${r.notReportReason}`) : null,
    h(
      "p",
      { class: "muted" },
      `任务 ${job.id} · ${when(job.updateTime)} · 清单 ${a.checklistId ?? "—"} ${a.checklistVersion ?? ""} · 引擎 ${a.engineVersion ?? ""}`,
      a.textQuality?.ocr ? ` · 文字识别 ${a.textQuality.ocrPages ?? 0}/${a.textQuality.ocrPagesTotal ?? 0} 页，置信度 ${pct(a.textQuality.ocrConfidence)}` : "",
    ),
    h(
      "p",
      { class: "no-print" },
      h("button", { type: "button", id: "print", onclick: () => window.print() }, "打印 / 存为 PDF"),
      " ",
      r.issuer ? h("a", { href: `#/issuers/${encodeURIComponent(r.issuer)}` }, "历年对比") : null,
      " ",
      job.batchId ? h("a", { href: `#/batches/${encodeURIComponent(job.batchId)}` }, "所在批次") : null,
    ),
  );

  const b = a.breakdown ?? {};
  const breakdown = section(
    "得分构成",
    table(["项目", "得分", "满分"], [
      ["法定内容（第二十五条）", fmt(b.parts), fmt(b.partsMax)],
      ["纲要任务覆盖", fmt(b.coverage), fmt(b.coverageMax)],
      ["内容具体程度", fmt(b.concreteness), fmt(b.concretenessMax)],
      ["按时公开", fmt(b.timeliness), fmt(b.timelinessMax)],
      ["扣分", b.penalties ? `−${fmt(b.penalties)}` : "0", ""],
    ], { id: "breakdown" }),
  );

  const parts = section(
    "法定内容（督察规定第二十五条）",
    h(
      "ul",
      { class: "parts", id: "parts" },
      (a.requiredParts ?? []).map((p) =>
        cite(`part:${p.id}`, `法定内容：${p.title ?? p.id}`,
          h("li", { class: p.present ? "present" : "absent", "data-part": p.id },
            h("span", { class: "tick" }, p.present ? "✓ 有" : "✗ 无"), " ", h("strong", {}, p.title ?? p.id),
            (p.evidence ?? []).slice(0, 2).map((e) => h("div", { class: "quote" }, quote(e)))),
          p.present ? p.evidence ?? [] : []),
      ),
    ),
  );

  const radarBox = h("div", { class: "chart radar", id: "radar" });
  const areas = section(
    "纲要领域",
    radarBox,
    (a.areas ?? []).map((area) =>
      h(
        "details",
        { class: `area ${area.status ?? ""}`, "data-area": area.id },
        h("summary", {}, `${L.cnNum(area.id)}、${area.title ?? ""}`, " ", h("span", { class: `cov ${area.status ?? "ABSENT"}` }, L.coverage(area.status)), ` ${fmt(area.score)}`),
        h(
          "ul",
          {},
          (area.items ?? []).map((it) =>
            cite(`item:${area.id}/${it.id}`, `纲要任务：${it.title ?? it.id}`,
              h("li", { "data-item": it.id }, h("span", { class: `cov ${it.status ?? "ABSENT"}` }, L.coverage(it.status)), " ", it.title ?? it.id,
                (it.evidence ?? []).slice(0, 1).map((e) => h("div", { class: "quote" }, quote(e)))),
              it.evidence ?? []),
          ),
        ),
      ),
    ),
  );

  const metrics = section(
    "报告中的数据",
    (a.metrics ?? []).length === 0
      ? h("p", { class: "muted" }, "未识别到指标数据。")
      : h(
          "table",
          { id: "metrics" },
          h("thead", {}, h("tr", {}, h("th", {}, "指标"), h("th", {}, "数值"), h("th", {}, "原文"))),
          h("tbody", {}, (a.metrics ?? []).map((m, i) =>
            cite(`metric:${i}`, `数据：${m.name ?? m.id}`,
              h("tr", {}, h("td", {}, m.name ?? m.id), h("td", { class: "num" }, `${fmt(m.value, 2)}${m.unit ?? ""}`), h("td", {}, h("q", {}, m.quote ?? ""))),
              [{ quote: m.quote, start: m.start, end: m.end }]),
          )),
        ),
  );

  const t = a.timeliness ?? {};
  const timeliness = section(
    "按时公开",
    h("p", { id: "timeliness", "data-status": t.status ?? "UNKNOWN" }, h("strong", {}, L.timely(t.status)),
      `　发布日期 ${t.publishedDate || "未知"}${t.dateSource ? `（来自${L.dateSource(t.dateSource)}）` : ""}　截止 ${t.deadline || "—"}`),
    t.rule ? h("p", { class: "muted" }, `依据：${t.rule}`) : null,
  );

  const findings = section(
    "发现的问题",
    (a.findings ?? []).length === 0
      ? h("p", { class: "muted" }, "无。")
      : h("ul", { class: "findings", id: "findings" },
          [...(a.findings ?? [])]
            .map((f, i) => ({ f, i }))
            .sort((x, y) => SEVERITY_ORDER.indexOf(x.f.severity ?? "INFO") - SEVERITY_ORDER.indexOf(y.f.severity ?? "INFO"))
            .map(({ f, i }) =>
              cite(`finding:${i}`, `${L.severity(f.severity)}：${f.code}`,
                h("li", { class: `sev-${f.severity ?? "INFO"}`, "data-code": f.code },
                  h("span", { class: "sev" }, L.severity(f.severity)), " ", h("code", {}, f.code), " ", f.message ?? "",
                  f.rule ? h("div", { class: "muted" }, `依据：${f.rule}`) : null),
                f.evidence ?? []),
            )),
  );

  const similar = (a.similarReports ?? []).length
    ? section(
        "与其他报告相似的段落",
        (a.similarReports ?? []).map((s, si) =>
          h("div", { class: "similar" },
            h("p", {}, s.jobId ? jobLink(s.jobId, s.title || s.jobId) : s.title ?? "",
              `　${s.issuer ?? ""} ${s.year ?? ""}　相同句子 ${s.sharedSentences ?? 0} 句，占本报告 ${pct(s.share)}${s.sameIssuer ? "（同一机关）" : ""}`),
            h("table", { class: "side-by-side" },
              h("thead", {}, h("tr", {}, h("th", {}, "本报告"), h("th", {}, "另一报告"))),
              h("tbody", {}, (s.passages ?? []).map((p, pi) =>
                h("tr", {},
                  cite(`similar:${si}/${pi}`, `相似段落（${s.issuer ?? s.jobId ?? ""}）`, h("td", {}, h("q", {}, p.passage?.quote ?? "")), p.passage ? [p.passage] : []),
                  h("td", {}, h("q", {}, p.other?.quote ?? ""))))))),
        ),
      )
    : null;

  const panel = h("div", { class: "verdicts" }, header, breakdown, parts, areas, metrics, timeliness, findings, similar);
  marked = markText(a.normalizedText ?? "", spans, (m) => m.addEventListener("click", (ev) => {
    ev.stopPropagation();
    showPopover(m);
  }));
  const doc = h("div", { class: "document" }, h("h2", {}, "报告原文（证据已标出）"), marked.root, popover);
  // The popover goes away with Escape or a click anywhere else.
  doc.addEventListener("click", (ev) => {
    if (!popover.contains(ev.target as Node)) popover.hidden = true;
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") popover.hidden = true;
  }, { signal });
  app.appendChild(h("div", { class: "scorecard", id: "scorecard" }, panel, doc));

  function showPopover(mark: HTMLElement): void {
    clear(popover);
    popover.append(h("strong", {}, "引用此处的结论："));
    const ul = h("ul", {});
    for (const ref of refsAt(mark)) {
      const v = verdicts.get(ref);
      if (!v) continue;
      ul.appendChild(h("li", {}, h("button", { type: "button", class: "link", onclick: () => {
        v.el.scrollIntoView({ block: "center" });
        focusRef(ref);
        popover.hidden = true;
      } }, v.label)));
    }
    popover.append(ul, h("button", { type: "button", class: "link", onclick: () => (popover.hidden = true) }, "关闭"));
    popover.hidden = false;
    const box = mark.getBoundingClientRect();
    const host = doc.getBoundingClientRect();
    popover.style.top = `${box.bottom - host.top + doc.scrollTop + 4}px`;
    popover.style.left = `${Math.max(0, box.left - host.left)}px`;
  }

  const areaList = a.areas ?? [];
  if (areaList.length) {
    radar(radarBox, areaList.map((x) => ({ name: L.cnNum(x.id), value: x.score ?? 0 })));
  }
}
