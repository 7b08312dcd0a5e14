// The workbench's shell: hash routes (the server serves one page), the API-key prompt when the
// server asks for a key, and the page in view. Every page builds its DOM from text nodes.
import "./style.css";
import { ApiError, apiKey, checklists } from "./api";
import { disposeCharts } from "./charts";
import { clear, h } from "./dom";
import { batchPage, batchesPage } from "./pages/batch";
import { historyPage } from "./pages/history";
import { jobsPage } from "./pages/jobs";
import { scorecardPage } from "./pages/scorecard";
import { uploadPage } from "./pages/upload";

import type { PageContext } from "./page";

type Page = (ctx: PageContext, ...params: string[]) => Promise<void>;

const ROUTES: [RegExp, Page, string][] = [
  [/^#?\/?$/, uploadPage, "upload"],
  [/^#\/jobs$/, jobsPage, "jobs"],
  [/^#\/jobs\/([^/]+)$/, scorecardPage, "jobs"],
  [/^#\/batches$/, batchesPage, "batches"],
  [/^#\/batches\/([^/]+)$/, batchPage, "batches"],
  [/^#\/issuers\/([^/]+)$/, historyPage, "batches"],
];

const app = document.getElementById("app") as HTMLElement;
let current: AbortController | undefined;

async function route(): Promise<void> {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  disposeCharts();
  clear(app);
  delete app.dataset.ready;
  const hash = location.hash || "#/";
  const found = ROUTES.find(([re]) => re.test(hash));
  document.querySelectorAll<HTMLElement>("[data-nav]").forEach((a) => {
    a.classList.toggle("active", a.dataset.nav === found?.[2]);
  });
  if (!found) {
    app.appendChild(h("p", { class: "error" }, "没有这个页面。"));
    return;
  }
  const [re, page] = found;
  const params = (re.exec(hash) ?? []).slice(1).map(decodeURIComponent);
  try {
    await page({ app, signal: controller.signal }, ...params);
  } catch (e) {
    if (controller.signal.aborted) return;
    app.appendChild(h("p", { class: "error", role: "alert" }, e instanceof ApiError ? e.words : `出错了：${String(e)}`));
  }
}

/** Asks for the API key; kept in this tab's sessionStorage only. */
function askKey(reason: string): void {
  current?.abort();
  disposeCharts();
  clear(app);
  const input = h("input", { type: "password", id: "api-key", autocomplete: "off", required: true, size: 40 });
  const form = h(
    "form",
    { class: "card key-form" },
    h("h2", {}, "需要 API 密钥"),
    h("p", {}, reason),
    h("label", { for: "api-key" }, "API 密钥："),
    input,
    h("button", { type: "submit" }, "确定"),
    h("p", { class: "muted" }, "密钥只保存在本浏览器标签页中（sessionStorage），关闭标签页即清除。"),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    apiKey.set(input.value);
    showAuth();
    void start();
  });
  app.appendChild(form);
  input.focus();
}

function showAuth(): void {
  const box = document.getElementById("auth-state") as HTMLElement;
  clear(box);
  if (apiKey.get()) {
    box.append(
      "已使用 API 密钥 ",
      h("button", { type: "button", class: "link", onclick: () => { apiKey.clear(); showAuth(); void start(); } }, "清除"),
    );
  }
}

/** Probes the API once: a 401 means the server has an auth file and wants a key. */
async function start(): Promise<void> {
  try {
    await checklists();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      askKey(apiKey.get() ? "密钥无效，请重新输入。" : "本服务配置了访问控制，请输入您的 API 密钥。");
      return;
    }
  }
  await route();
}

window.addEventListener("hashchange", () => void route());
window.addEventListener("fazhi:unauthenticated", () => askKey("密钥无效或已过期，请重新输入。"));
showAuth();
void start();
