// The REST face of fazhi, as the workbench calls it: same origin, the proto3 JSON mapping
// (default values are omitted, enums are names), errors as google.rpc.Status. The API key, when
// the server asks for one, lives in this tab's sessionStorage only and travels in the
// Authorization header — never in a URL.

const KEY = "fazhi.apiKey";

export interface Evidence { quote?: string; start?: number; end?: number; section?: string }
export interface PartResult { id: string; title?: string; present?: boolean; evidence?: Evidence[]; detectedBy?: string }
export type Coverage = "COVERAGE_UNSPECIFIED" | "ABSENT" | "MENTIONED" | "SUBSTANTIVE";
export interface ItemResult { id: string; title?: string; status?: Coverage; score?: number; evidence?: Evidence[] }
export interface AreaResult { id: string; title?: string; score?: number; status?: Coverage; items?: ItemResult[] }
export interface Metric { id: string; name?: string; value?: number; unit?: string; quote?: string; start?: number; end?: number }
export interface Finding { code: string; severity?: "INFO" | "WARNING" | "ERROR"; message?: string; evidence?: Evidence[]; rule?: string }
export interface Timeliness { deadline?: string; publishedDate?: string; status?: string; rule?: string; dateSource?: string }
export interface ReportInfo {
  kind?: string; title?: string; issuer?: string; level?: string; year?: number; publishedDate?: string;
  documentNumber?: string; charCount?: number; addressee?: string; notReportReason?: string;
  issuerSource?: string; yearSource?: string; publishedDateSource?: string;
  issuerBasis?: string; issuerEvidence?: Evidence;
}
export interface Breakdown {
  parts?: number; partsMax?: number; coverage?: number; coverageMax?: number; concreteness?: number;
  concretenessMax?: number; timeliness?: number; timelinessMax?: number; penalties?: number;
}
export interface SimilarReport {
  jobId?: string; issuer?: string; year?: number; title?: string; share?: number; sharedSentences?: number;
  sameIssuer?: boolean; passages?: { passage?: Evidence; other?: Evidence }[];
}
export interface TextQuality { score?: number; low?: boolean; ocr?: boolean; ocrConfidence?: number; ocrPages?: number; ocrPagesTotal?: number }
export interface Assessment {
  contentSha256?: string; checklistId?: string; checklistVersion?: string; engineVersion?: string;
  report?: ReportInfo; score?: number; grade?: string; requiredParts?: PartResult[]; areas?: AreaResult[];
  metrics?: Metric[]; timeliness?: Timeliness; findings?: Finding[]; normalizedText?: string;
  breakdown?: Breakdown; concreteness?: { sentences?: number; concreteSentences?: number; ratio?: number };
  similarReports?: SimilarReport[]; textQuality?: TextQuality; decode?: { mediaType?: string; encoding?: string };
}
export type JobState = "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
export interface Job {
  id: string; state?: JobState; createTime?: string; updateTime?: string; attempts?: number;
  errorMessage?: string; errorCode?: string; contentSha256?: string; deduplicated?: boolean;
  labels?: Record<string, string>; checklistId?: string; batchId?: string;
  progress?: { stage?: string; done?: number; total?: number };
}
export interface Checklist { id: string; title?: string; version?: string; firstYear?: number; lastYear?: number; byYear?: boolean }
export interface Batch {
  id: string; displayName?: string; createTime?: string; total?: number; checklistId?: string;
  counts?: { queued?: number; running?: number; succeeded?: number; failed?: number; cancelled?: number };
}
export interface BatchRow {
  jobId: string; title?: string; issuer?: string; level?: string; year?: number; score?: number; grade?: string;
  rank?: number; parts?: Record<string, boolean>; areas?: Record<string, Coverage>; timeliness?: string;
  publishedDate?: string; errors?: number; warnings?: number; infos?: number; findingCodes?: string[];
  kind?: string; checklistId?: string; deadline?: string;
}
export interface BatchStatistics {
  count?: number; meanScore?: number; medianScore?: number; grades?: { grade: string; count?: number }[];
  onTimeRate?: number; dated?: number; late?: { jobId: string; issuer?: string; publishedDate?: string; deadline?: string }[];
  partPresence?: Record<string, number>; areaSubstantive?: Record<string, number>;
  topFindings?: { code: string; reports?: number }[]; ungraded?: number;
}
export interface BatchSummary { batch?: Batch; rows?: BatchRow[]; statistics?: BatchStatistics }
export interface Comparison {
  baseJobId?: string; jobId?: string; baseYear?: number; year?: number; baseScore?: number; score?: number;
  scoreDelta?: number; partsGained?: string[]; partsLost?: string[];
  areasNewlySubstantive?: { id: string; title?: string }[]; areasDropped?: { id: string; title?: string }[];
  metrics?: { id: string; name?: string; unit?: string; baseValue?: number; value?: number; hasBase?: boolean; hasValue?: boolean }[];
  findingsNew?: string[]; findingsResolved?: string[]; comparable?: boolean; note?: string;
}

/** A refused call, in words: the server's message and its machine reason. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly reason: string) {
    super(message);
  }
  get words(): string {
    return this.reason ? `${this.message}（${this.reason}）` : this.message;
  }
}

let checklistCache: Promise<{ checklists?: Checklist[] }> | undefined;

export const apiKey = {
  get: (): string => sessionStorage.getItem(KEY) ?? "",
  set: (k: string): void => {
    checklistCache = undefined;
    sessionStorage.setItem(KEY, k.trim());
  },
  clear: (): void => {
    checklistCache = undefined;
    sessionStorage.removeItem(KEY);
  },
};

/** The loaded checklists, asked once per key (the shell's probe and the upload page share it). */
export function checklists(): Promise<{ checklists?: Checklist[] }> {
  checklistCache ??= get<{ checklists?: Checklist[] }>("/v1/checklists").catch((e) => {
    checklistCache = undefined;
    throw e;
  });
  return checklistCache;
}

function headers(extra: Record<string, string> = {}): Headers {
  const hd = new Headers(extra);
  const key = apiKey.get();
  if (key) hd.set("Authorization", `Bearer ${key}`);
  return hd;
}

async function refusal(resp: Response): Promise<ApiError> {
  let message = `${resp.status} ${resp.statusText}`;
  let reason = "";
  try {
    const body = await resp.json();
    if (typeof body.message === "string") message = body.message;
    for (const d of body.details ?? []) if (typeof d.reason === "string") reason = d.reason;
  } catch {
    // Not a google.rpc.Status body: the status line says what there is to say.
  }
  if (resp.status === 401) window.dispatchEvent(new Event("fazhi:unauthenticated"));
  return new ApiError(resp.status, message, reason);
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: headers(), credentials: "omit" };
  if (body !== undefined) {
    init.headers = headers({ "Content-Type": "application/json" });
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  if (!resp.ok) throw await refusal(resp);
  return (await resp.json()) as T;
}

export const get = <T>(path: string): Promise<T> => call<T>("GET", path);

/** Uploads one file; a tenant over its rate is answered 429 with Retry-After, which is obeyed. */
export async function upload(form: FormData): Promise<Job> {
  for (let attempt = 1; ; attempt++) {
    const resp = await fetch("/v1/jobs:upload", { method: "POST", headers: headers(), body: form, credentials: "omit" });
    if (resp.ok) return (await resp.json()) as Job;
    const wait = Number(resp.headers.get("Retry-After"));
    if (resp.status !== 429 || !(wait > 0) || attempt >= 8) throw await refusal(resp);
    await new Promise((ok) => setTimeout(ok, Math.min(wait, 60) * 1000));
  }
}

/** A file the server produces (batch exports), saved through a blob: the key stays in a header. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const resp = await fetch(path, { headers: headers(), credentials: "omit" });
  if (!resp.ok) throw await refusal(resp);
  const name = /filename="([^"]+)"/.exec(resp.headers.get("Content-Disposition") ?? "")?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await resp.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const TERMINAL: ReadonlySet<string> = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);

/**
 * `GET /v1/jobs/{id}:watch` read as Server-Sent Events through fetch (EventSource cannot send
 * the Authorization header). Calls `onJob` for every version until the job ends, then resolves
 * with the last one.
 */
export async function watch(id: string, onJob: (job: Job) => void, signal?: AbortSignal): Promise<Job> {
  const resp = await fetch(`/v1/jobs/${encodeURIComponent(id)}:watch`, {
    headers: headers({ Accept: "text/event-stream" }),
    credentials: "omit",
    signal,
  });
  if (!resp.ok || !resp.body) throw await refusal(resp);
  const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let last: Job | undefined;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut: number;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length === 0) continue;
      if (event === "error") {
        let message = data.join("\n");
        try {
          message = JSON.parse(message).message ?? message;
        } catch {
          // A plain-text error event.
        }
        throw new ApiError(0, message, "WATCH_ENDED");
      }
      if (event === "job") {
        last = JSON.parse(data.join("\n")) as Job;
        onJob(last);
      }
    }
  }
  if (!last) throw new ApiError(0, "任务状态流在给出结果前结束", "WATCH_ENDED");
  return last;
}
