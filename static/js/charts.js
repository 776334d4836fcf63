/* Draws every Chart.js chart on the page, and redraws after each htmx swap or history restore.
 *
 * A chart is a <canvas data-chart-source="ID"> beside a <script type="application/json" id="ID">
 * written by Django's json_script. The JSON is {"type", "unit", "labels", "datasets", "xTitle",
 * "yTitle", "y2Title"}; a dataset with "yAxisID": "y2" is drawn against a second axis on the right,
 * and one with "dates" (a compared period's) names each point's own date in its tooltip.
 */
(function () {
  "use strict";

  var PALETTE = ["#1f6feb", "#e8590c", "#2f9e44", "#ae3ec9", "#f08c00", "#0c8599", "#c2255c", "#5c7cfa"];

  function readSpec(canvas) {
    var source = document.getElementById(canvas.dataset.chartSource);
    return source ? JSON.parse(source.textContent) : null;
  }

  function axisTitle(text) {
    return { display: Boolean(text), text: text || "" };
  }

  function numberFormat(value) {
    return Number(value).toLocaleString(undefined, { maximumFractionDigits: 2 });
  }

  function lineOrBarConfig(spec) {
    var usesSecondAxis = spec.datasets.some(function (d) { return d.yAxisID === "y2"; });
    var datasets = spec.datasets.map(function (dataset, index) {
      var colour = dataset.color || PALETTE[index % PALETTE.length];
      return Object.assign(
        { borderColor: colour, backgroundColor: colour + "33", pointRadius: spec.labels.length > 60 ? 0 : 2,
          borderWidth: 2, tension: 0.2, fill: false },
        dataset
      );
    });
    var scales = {
      x: { title: axisTitle(spec.xTitle), ticks: { maxRotation: 0, autoSkip: true } },
      y: { beginAtZero: true, title: axisTitle(spec.yTitle || spec.unit) },
    };
    if (usesSecondAxis) {
      scales.y2 = { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
                    title: axisTitle(spec.y2Title || spec.unit) };
    }
    return {
      type: spec.type || "line",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, normalized: true,
        interaction: { mode: "index", intersect: false },
        scales: scales,
        plugins: {
          // The legend follows the spec's dataset order, whatever each dataset's drawing `order`.
          legend: { position: "bottom", labels: { sort: function (a, b) { return a.datasetIndex - b.datasetIndex; } } },
          tooltip: { callbacks: { label: function (ctx) {
            // A compared period's series is drawn against this period's labels: its own dates say when it was.
            var when = ctx.dataset.dates ? " (" + ctx.dataset.dates[ctx.dataIndex] + ")" : "";
            return ctx.dataset.label + when + ": " + numberFormat(ctx.parsed.y) + " " + (ctx.dataset.unit || spec.unit || "");
          } } },
        },
      },
    };
  }

  var builders = { line: lineOrBarConfig, bar: lineOrBarConfig };

  function draw(canvas) {
    var spec = readSpec(canvas);
    var existing = window.Chart.getChart(canvas);
    if (existing) { existing.destroy(); }
    if (!spec) { return; }
    var build = builders[spec.type || "line"];
    if (!build) { return; }
    new window.Chart(canvas, build(spec));
  }

  function drawAll(root) {
    if (!window.Chart) { return; }
    (root || document).querySelectorAll("canvas[data-chart-source]").forEach(draw);
  }

  window.dashboardCharts = { builders: builders, drawAll: drawAll, palette: PALETTE };
  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
  document.addEventListener("htmx:historyRestore", function () { drawAll(document); });
})();
