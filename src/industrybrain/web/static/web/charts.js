/* Charts from server data: <div data-chart="ID"> + {{ data|json_script:"ID" }}, drawn with ECharts.
 * Data: {categories: [...], yAxes: [{name}], series: [{name, type, data, yAxisIndex}], selected: {name: bool}}
 * No network access: ECharts is served locally (vendor/echarts). */
(function () {
  "use strict";
  var charts = [];

  function numberFormat(value) {
    if (value === null || value === undefined || value === "-") { return "—"; }
    return Number(value).toLocaleString("zh-CN", {maximumFractionDigits: 2});
  }

  function init(el) {
    var source = document.getElementById(el.dataset.chart);
    if (!source || typeof echarts === "undefined") { return; }
    var cfg = JSON.parse(source.textContent);
    var axes = cfg.yAxes && cfg.yAxes.length ? cfg.yAxes : [{name: ""}];
    var chart = echarts.init(el, null, {renderer: "canvas"});
    chart.setOption({
      color: ["#0d6efd", "#6ea8fe", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#adb5bd",
              "#d63384", "#0dcaf0", "#ffc107", "#6c757d"],
      tooltip: {trigger: "axis", valueFormatter: numberFormat},
      legend: {type: "scroll", top: 0, selected: cfg.selected || {}},
      grid: {left: 70, right: axes.length > 1 ? 70 : 24, top: 48, bottom: 28},
      xAxis: {type: "category", data: cfg.categories},
      yAxis: axes.map(function (axis, i) {
        return {type: "value", name: axis.name, splitLine: {show: i === 0},
                axisLabel: {formatter: function (v) { return Number(v).toLocaleString("zh-CN"); }}};
      }),
      series: cfg.series.map(function (s) {
        return {name: s.name, type: s.type || "line", yAxisIndex: s.yAxisIndex || 0, data: s.data,
                connectNulls: false, barMaxWidth: 28, symbolSize: 6};
      })
    });
    charts.push(chart);
  }

  document.querySelectorAll("[data-chart]").forEach(init);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
