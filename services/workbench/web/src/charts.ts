// ECharts with only what the workbench draws (radar, bars, pie) on the canvas renderer, so the
// bundle stays small. Charts are resized with the window and disposed with their page.
import * as echarts from "echarts/core";
import { BarChart, LineChart, PieChart, RadarChart } from "echarts/charts";
import { GridComponent, LegendComponent, RadarComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([RadarChart, BarChart, PieChart, LineChart, RadarComponent, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

const live = new Set<echarts.ECharts>();
window.addEventListener("resize", () => live.forEach((c) => c.resize()));

/** Disposes every chart of the page being left. */
export function disposeCharts(): void {
  live.forEach((c) => c.dispose());
  live.clear();
}

function chart(el: HTMLElement, option: echarts.EChartsCoreOption): echarts.ECharts {
  const c = echarts.init(el, undefined, { renderer: "canvas" });
  c.setOption(option);
  live.add(c);
  el.dataset.chart = "ready";
  return c;
}

const RED = "#b4232a";

/** One axis per 纲要 area, each area's score as a share of 100. */
export function radar(el: HTMLElement, areas: { name: string; value: number }[]): echarts.ECharts {
  return chart(el, {
    animation: false,
    tooltip: { trigger: "item" },
    radar: {
      indicator: areas.map((a) => ({ name: a.name, max: 100 })),
      radius: "62%",
      axisName: { color: "#333", fontSize: 11 },
    },
    series: [
      {
        type: "radar",
        name: "纲要领域",
        data: [{ value: areas.map((a) => Math.round(a.value * 10) / 10), name: "得分率" }],
        areaStyle: { color: "rgba(180,35,42,0.25)" },
        lineStyle: { color: RED },
        itemStyle: { color: RED },
      },
    ],
  });
}

export function bars(el: HTMLElement, names: string[], values: number[], unit = ""): echarts.ECharts {
  return chart(el, {
    animation: false,
    tooltip: { trigger: "axis", valueFormatter: (v: unknown) => `${v}${unit}` },
    grid: { left: 40, right: 16, top: 16, bottom: 60 },
    xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 6 ? 40 : 0, fontSize: 11 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", data: values, itemStyle: { color: RED } }],
  });
}

export function pie(el: HTMLElement, parts: { name: string; value: number; color: string }[]): echarts.ECharts {
  return chart(el, {
    animation: false,
    tooltip: { trigger: "item" },
    legend: { bottom: 0 },
    series: [{
      type: "pie",
      radius: ["40%", "68%"],
      data: parts.filter((p) => p.value > 0).map((p) => ({ name: p.name, value: p.value, itemStyle: { color: p.color } })),
      label: { formatter: "{b}：{c} 份" },
    }],
  });
}

export function line(el: HTMLElement, names: string[], values: number[]): echarts.ECharts {
  return chart(el, {
    animation: false,
    tooltip: { trigger: "axis" },
    grid: { left: 40, right: 16, top: 16, bottom: 30 },
    xAxis: { type: "category", data: names },
    yAxis: { type: "value", min: 0, max: 100 },
    series: [{ type: "line", data: values, itemStyle: { color: RED }, lineStyle: { color: RED } }],
  });
}
