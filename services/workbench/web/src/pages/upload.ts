// Upload: files or a whole folder, dropped or chosen; more than one file makes a batch. Optional
// hints and checklist travel with every file. Each file's job is watched over SSE until it ends.
import { ApiError, TERMINAL, type Batch, type Checklist, type Job, call, checklists, get, upload, watch } from "../api";
import { clear, h } from "../dom";
import * as L from "../labels";
import { type PageContext, gradeBadge, jobLink } from "../page";

const ACCEPT = ".txt,.htm,.html,.docx,.pdf,.png,.jpg,.jpeg,.tif,.tiff";
const UPLOADS = 2;
const WATCHES = 3;

interface Row { file: File; path: string; status: HTMLElement; link: HTMLElement; bar: HTMLProgressElement }

// Uploads outlive the page: a clerk who opens a finished scorecard while the rest of a folder
// is still going loses nothing, and finds the progress here again on return. The container is
// made once and put back on every visit, so a box or an error that appears while the user is on
// another page is there too.
const results = h("div", { id: "results" });
let uploading = 0;
window.addEventListener("beforeunload", (ev) => {
  if (uploading > 0) ev.preventDefault();
});

export async function uploadPage({ app }: PageContext): Promise<void> {
  const loaded = await checklists().catch(() => ({ checklists: [] as Checklist[] }));
  const files: { file: File; path: string }[] = [];
  const list = h("ul", { class: "file-list", id: "file-list" });
  const fileInput = h("input", { type: "file", id: "file-input", multiple: true, accept: ACCEPT });
  const folderInput = h("input", { type: "file", id: "folder-input", multiple: true });
  folderInput.setAttribute("webkitdirectory", "");
  const issuer = h("input", { type: "text", id: "hint-issuer", name: "hints.issuer", placeholder: "如：某某县人民政府" });
  const year = h("input", { type: "number", id: "hint-year", name: "hints.year", min: 2000, max: 2100, placeholder: "如：2024" });
  const published = h("input", { type: "date", id: "hint-published", name: "hints.published_date" });
  const checklist = h(
    "select",
    { id: "checklist" },
    h("option", { value: "" }, "按报告年度自动选择"),
    (loaded.checklists ?? []).map((c) => h("option", { value: c.id }, `${c.title ?? c.id}（${c.firstYear}—${c.lastYear}${c.byYear ? "" : "，仅在指定时使用"}）`)),
  );
  const batchName = h("input", { type: "text", id: "batch-name", placeholder: "多个文件时作为批次名称" });
  const submit = h("button", { type: "submit", id: "submit", disabled: true }, "提交评估");

  const refresh = (): void => {
    clear(list);
    for (const f of files) list.appendChild(h("li", {}, `${f.path}（${Math.ceil(f.file.size / 1024)} KB）`));
    submit.disabled = files.length === 0;
    submit.textContent = files.length > 1 ? `提交 ${files.length} 个文件（作为一个批次）` : "提交评估";
  };
  const add = (incoming: { file: File; path: string }[]): void => {
    for (const f of incoming) if (!files.some((g) => g.path === f.path && g.file.size === f.file.size)) files.push(f);
    refresh();
  };
  fileInput.addEventListener("change", () => add(Array.from(fileInput.files ?? []).map((f) => ({ file: f, path: f.name }))));
  folderInput.addEventListener("change", () =>
    add(Array.from(folderInput.files ?? []).filter(wanted).map((f) => ({ file: f, path: f.webkitRelativePath || f.name }))),
  );

  const drop = h(
    "div",
    { class: "drop", id: "drop", tabindex: 0 },
    h("p", {}, "把报告文件或整个文件夹拖到这里"),
    h("p", { class: "muted" }, "支持 TXT、HTML（含 GBK 网页）、DOCX、PDF、扫描图片（PNG/JPEG/TIFF）"),
    h("p", {}, h("label", { class: "button" }, "选择文件", fileInput), " ", h("label", { class: "button" }, "选择文件夹", folderInput)),
  );
  drop.addEventListener("dragover", (ev) => {
    ev.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    drop.classList.remove("over");
    void dropped(ev.dataTransfer).then(add);
  });

  const form = h(
    "form",
    { class: "card", id: "upload-form" },
    h("h2", {}, "上传报告"),
    drop,
    list,
    h(
      "fieldset",
      {},
      h("legend", {}, "可选：平台已知的信息（提示）"),
      h("label", {}, "发布机关 ", issuer),
      h("label", {}, "报告年度 ", year),
      h("label", {}, "发布日期 ", published),
      h("label", {}, "评估清单 ", checklist),
      h("label", {}, "批次名称 ", batchName),
    ),
    submit,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    const chosen = files.splice(0, files.length);
    refresh();
    void run(chosen).catch((e) => results.prepend(h("p", { class: "error", role: "alert" }, e instanceof ApiError ? e.words : String(e))));
  });
  app.append(form, results);

  async function run(chosen: { file: File; path: string }[]): Promise<void> {
    const rows: Row[] = chosen.map(({ file, path }) => ({
      file,
      path,
      status: h("td", { class: "status" }, "等待上传"),
      link: h("td", {}),
      bar: h("progress", { max: 1, value: 0 }),
    }));
    // The box shows at once; a batch fills in its name and link once the server has made it.
    const title = h("h2", {}, chosen.length > 1 ? "批次：创建中…" : "评估进度");
    const box = h(
      "section",
      { class: "card" },
      title,
      h(
        "table",
        { class: "progress-table" },
        h("thead", {}, h("tr", {}, h("th", {}, "文件"), h("th", {}, "进度"), h("th", {}, "状态"), h("th", {}, "结果"))),
        h("tbody", {}, rows.map((r) => h("tr", { "data-file": r.path }, h("td", {}, r.path), h("td", {}, r.bar), r.status, r.link))),
      ),
    );
    results.prepend(box);
    let batch: Batch | undefined;
    if (chosen.length > 1) {
      try {
        batch = await call<Batch>("POST", "/v1/batches", {
          displayName: batchName.value.trim() || `上传于 ${new Date().toLocaleString("zh-CN", { hour12: false })}`,
          checklistId: checklist.value || undefined,
        });
      } catch (e) {
        title.textContent = "批次未能创建";
        for (const row of rows) refused(row, e, "未能提交");
        throw e;
      }
      box.id = `batch-${batch.id}`;
      title.textContent = `批次：${batch.displayName ?? batch.id}`;
      title.after(h("p", {}, h("a", { href: `#/batches/${encodeURIComponent(batch.id)}`, id: "batch-link" }, "查看批次排名与统计 →")));
    }
    // Upload everything first (a few at a time), then follow the jobs: the server queues them
    // all at once, and the browser's six connections per host are shared by uploads and watches.
    const submitted: { row: Row; job: Job }[] = [];
    let next = 0;
    uploading++;
    try {
      await Promise.all(Array.from({ length: Math.min(UPLOADS, rows.length) }, async () => {
        while (next < rows.length) {
          const row = rows[next++];
          const job = await submitOne(row, batch);
          if (job) submitted.push({ row, job });
        }
      }));
    } finally {
      uploading--;
    }
    let followed = 0;
    await Promise.all(Array.from({ length: Math.min(WATCHES, submitted.length) }, async () => {
      while (followed < submitted.length) {
        const { row, job } = submitted[followed++];
        await follow(row, job);
      }
    }));
  }

  async function submitOne(row: Row, batch?: Batch): Promise<Job | undefined> {
    const form = new FormData();
    form.append("file", row.file, row.file.name);
    // The path as the user chose it, so the jobs page can name the file later.
    form.append("labels.filename", fitBytes(row.path, 256));
    if (issuer.value.trim()) form.append("hints.issuer", issuer.value.trim());
    if (year.value.trim()) form.append("hints.year", year.value.trim());
    if (published.value) form.append("hints.published_date", published.value);
    if (checklist.value) form.append("checklist_id", checklist.value);
    if (batch) form.append("batch_id", batch.id);
    row.status.textContent = "上传中";
    try {
      const job = await upload(form);
      row.link.replaceChildren(jobLink(job.id, "评分卡"));
      show(row, job);
      return job;
    } catch (e) {
      refused(row, e, "未能提交");
      return undefined;
    }
  }

  async function follow(row: Row, job: Job): Promise<void> {
    if (TERMINAL.has(job.state ?? "")) return;
    try {
      await watch(job.id, (j) => show(row, j));
    } catch (e) {
      refused(row, e, "无法跟踪进度");
    }
  }
}

function refused(row: Row, e: unknown, what: string): void {
  row.status.textContent = `${what}：${e instanceof ApiError ? e.words : String(e)}`;
  row.status.classList.add("error");
  row.bar.value = 0;
}

function show(row: Row, job: Job): void {
  const p = job.progress;
  let text = L.state(job.state);
  if (job.state === "RUNNING" && p?.stage) text += `（${L.stage(p.stage)} ${p.done ?? 0}/${p.total || "?"} 页）`;
  if (job.deduplicated) text += "（相同内容，沿用已有结果）";
  if (job.state === "FAILED") text += `：${job.errorMessage ?? ""}${job.errorCode ? `（${job.errorCode}）` : ""}`;
  row.status.textContent = text;
  row.status.dataset.state = job.state ?? "";
  row.status.classList.toggle("error", job.state === "FAILED");
  const share = TERMINAL.has(job.state ?? "") ? 1 : p?.total ? 0.2 + (0.8 * (p.done ?? 0)) / p.total : job.state === "RUNNING" ? 0.5 : 0.1;
  row.bar.value = share;
  if (job.state === "SUCCEEDED") void grade(row, job.id);
}

async function grade(row: Row, id: string): Promise<void> {
  try {
    const a = await get<{ score?: number; grade?: string }>(`/v1/jobs/${encodeURIComponent(id)}/assessment`);
    row.link.replaceChildren(jobLink(id, "评分卡"), " ", gradeBadge(a.grade), ` ${(a.score ?? 0).toFixed(1)} 分`);
  } catch {
    // The link to the scorecard stays; it will say why.
  }
}

/** The longest prefix of `s` within `max` UTF-8 bytes (label values are bounded in bytes). */
function fitBytes(s: string, max: number): string {
  const enc = new TextEncoder();
  let out = "";
  for (const ch of s) {
    if (enc.encode(out + ch).length > max) break;
    out += ch;
  }
  return out;
}

function wanted(f: File): boolean {
  return /\.(txt|htm|html|docx|pdf|png|jpe?g|tiff?)$/i.test(f.name);
}

/** Files of a drop, walking dropped folders (webkitGetAsEntry) to every report inside. */
async function dropped(dt: DataTransfer | null): Promise<{ file: File; path: string }[]> {
  if (!dt) return [];
  const out: { file: File; path: string }[] = [];
  const entries = Array.from(dt.items)
    .map((i) => i.webkitGetAsEntry?.())
    .filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return Array.from(dt.files).map((f) => ({ file: f, path: f.name }));
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail));
      if (wanted(file) || prefix === "") out.push({ file, path: prefix + file.name });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
        if (batch.length === 0) break;
        for (const e of batch) await walk(e, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const e of entries) await walk(e, "");
  return out;
}
