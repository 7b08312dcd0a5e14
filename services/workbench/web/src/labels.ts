// Chinese names for the API's enum values and codes, as the text scorecard words them.

const LEVELS: Record<string, string> = {
  province: "省级", city: "市级", county: "县级", district: "区级", zone: "开发区/新区",
  township: "乡镇", street: "街道", department: "部门",
};
const STATES: Record<string, string> = {
  QUEUED: "排队中", RUNNING: "评估中", SUCCEEDED: "已完成", FAILED: "失败", CANCELLED: "已取消",
};
const COVERAGE: Record<string, string> = { SUBSTANTIVE: "有实质内容", MENTIONED: "仅提及", ABSENT: "未涉及" };
const SEVERITY: Record<string, string> = { ERROR: "错误", WARNING: "警告", INFO: "提示" };
const TIMELY: Record<string, string> = { ON_TIME: "按时", LATE: "逾期", UNKNOWN: "无法判断" };
const KINDS: Record<string, string> = { report: "年度报告", not_report: "不是年度报告" };
const STAGES: Record<string, string> = { ocr: "文字识别" };
const DATE_SOURCES: Record<string, string> = { document: "报告正文", hints: "平台提供的提示" };
const ISSUER_BASES: Record<string, string> = {
  title: "标题", signature: "落款", published_by: "发布机构", source_line: "来源", opening: "正文开头", hints: "平台提供",
};

const pick = (map: Record<string, string>, key: string | undefined, empty = "—"): string =>
  key ? map[key] ?? key : empty;

export const level = (l?: string): string => pick(LEVELS, l);
export const state = (s?: string): string => pick(STATES, s);
export const coverage = (c?: string): string => pick(COVERAGE, c, COVERAGE.ABSENT);
export const severity = (s?: string): string => pick(SEVERITY, s);
export const timely = (t?: string): string => pick(TIMELY, t, TIMELY.UNKNOWN);
export const kind = (k?: string): string => pick(KINDS, k);
export const stage = (s?: string): string => pick(STAGES, s, "");
export const dateSource = (s?: string): string => pick(DATE_SOURCES, s, "");
export const issuerBasis = (s?: string): string => pick(ISSUER_BASES, s, "");
export const LEVEL_KEYS = Object.keys(LEVELS);
export const STATE_KEYS = Object.keys(STATES);

/** Area id "10" → "十" (the 纲要 numbers its areas in Chinese). */
export function cnNum(id: string): string {
  const n = Number(id);
  const d = "〇一二三四五六七八九";
  if (!Number.isInteger(n) || n < 1 || n > 99) return id;
  if (n < 10) return d[n];
  return `${n >= 20 ? d[Math.floor(n / 10)] : ""}十${n % 10 ? d[n % 10] : ""}`;
}
