// The tenant's jobs, newest first, filtered by state, with cancel for those not yet finished.
import { ApiError, type Job, call, get } from "../api";
import { clear, h } from "../dom";
import * as L from "../labels";
import { type PageContext, jobLink, when } from "../page";

export async function jobsPage({ app }: PageContext): Promise<void> {
  const filter = h("select", { id: "state-filter" }, h("option", { value: "" }, "全部状态"), L.STATE_KEYS.map((s) => h("option", { value: s }, L.state(s))));
  const body = h("tbody", {});
  const more = h("button", { type: "button", id: "more", hidden: true }, "更多");
  const message = h("p", { class: "error", role: "alert" });
  let token = "";

  const load = async (reset: boolean): Promise<void> => {
    if (reset) {
      clear(body);
      token = "";
    }
    const q = new URLSearchParams({ page_size: "50" });
    if (filter.value) q.set("state", filter.value);
    if (token) q.set("page_token", token);
    const page = await get<{ jobs?: Job[]; nextPageToken?: string }>(`/v1/jobs?${q}`);
    for (const job of page.jobs ?? []) body.appendChild(row(job));
    token = page.nextPageToken ?? "";
    more.hidden = !token;
    if (reset && !(page.jobs ?? []).length) body.appendChild(h("tr", {}, h("td", { colspan: 6, class: "muted" }, "没有任务。")));
  };

  const row = (job: Job): HTMLTableRowElement => {
    const state = h("td", { "data-state": job.state ?? "" }, L.state(job.state));
    const cancel = h("button", { type: "button", class: "cancel" }, "取消");
    cancel.addEventListener("click", () => {
      cancel.disabled = true;
      call<Job>("POST", `/v1/jobs/${encodeURIComponent(job.id)}:cancel`)
        .then((j) => (state.textContent = L.state(j.state)))
        .catch((e) => {
          message.textContent = e instanceof ApiError ? `取消失败：${e.words}` : String(e);
          cancel.disabled = false;
        });
    });
    const open = job.state === "QUEUED" || job.state === "RUNNING";
    return h("tr", { "data-job": job.id },
      h("td", {}, jobLink(job.id)),
      state,
      h("td", {}, job.labels?.filename ?? ""),
      h("td", {}, job.batchId ? h("a", { href: `#/batches/${encodeURIComponent(job.batchId)}` }, job.batchId) : ""),
      h("td", {}, when(job.createTime)),
      h("td", {}, job.state === "FAILED" ? h("span", { class: "error" }, `${job.errorMessage ?? ""}（${job.errorCode ?? ""}）`) : open ? cancel : ""),
    );
  };

  filter.addEventListener("change", () => void load(true).catch(fail));
  more.addEventListener("click", () => void load(false).catch(fail));
  const fail = (e: unknown): void => {
    message.textContent = e instanceof ApiError ? e.words : String(e);
  };
  app.appendChild(
    h("section", { class: "card" }, h("h2", {}, "任务"), h("p", {}, h("label", {}, "状态 ", filter)), message,
      h("table", { id: "jobs" }, h("thead", {}, h("tr", {}, ["任务", "状态", "文件", "批次", "提交时间", ""].map((c) => h("th", {}, c)))), body), more),
  );
  await load(true);
}
