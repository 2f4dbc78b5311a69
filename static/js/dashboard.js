/* KPI dashboard charts. Reads the numbers from the JSON element "dashboard-data" (written by
   json_script) and draws them with ECharts when the library is loaded; without it the page
   keeps its tables, which always show the same numbers. No inline script: CSP-safe. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof window.echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);

  function percent(value) {
    return value === null || value === undefined ? null : Math.round(value * 1000) / 10;
  }

  function bar(labels, values) {
    return {
      grid: {left: 8, right: 8, top: 16, bottom: 8, containLabel: true},
      tooltip: {trigger: "axis"},
      xAxis: {type: "category", data: labels, axisLabel: {interval: 0, rotate: labels.length > 6 ? 30 : 0}},
      yAxis: {type: "value", minInterval: 1},
      series: [{type: "bar", data: values}]
    };
  }

  var options = {
    trend: {
      grid: {left: 8, right: 8, top: 40, bottom: 8, containLabel: true},
      tooltip: {trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; }},
      legend: {top: 0},
      xAxis: {type: "category", data: data.trend.months},
      yAxis: {type: "value", max: 100, axisLabel: {formatter: "{value}%"}},
      series: data.trend.series.map(function (s) {
        return {name: s.name, type: "line", connectNulls: false, data: s.values.map(percent)};
      })
    },
    category: bar(data.category.labels, data.category.values),
    channel: bar(data.channel.labels, data.channel.values),
    department: bar(data.department.labels, data.department.values)
  };

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var option = options[element.getAttribute("data-chart")];
    if (!option) {
      return;
    }
    element.style.height = element.getAttribute("data-chart") === "trend" ? "340px" : "280px";
    var chart = window.echarts.init(element);
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
}());
