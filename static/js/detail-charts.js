/* Chart builders for the customer detail page, registered with charts.js (which draws and redraws them).
 *
 * "timeseries": {"unit", "x": [epoch ms, read as UTC], "datasets": [{"label", "data": [y, ...]}], "yTitle"}
 *   drawn on a linear axis with Chart.js decimation (LTTB), so a year of half hours stays smooth. A
 *   dataset of a few marks gives "points": [[x, y], ...] instead of "data", and may set "showLine",
 *   "pointStyle", "pointRadius" and "order".
 * "heatmap": {"unit", "dates": ["YYYY-MM-DD"], "slots": ["HH:MM" x 48], "values": [[48 per date]],
 *   "scaleMin", "scaleMax"} drawn with chartjs-chart-matrix: time of day down, date across.
 */
(function () {
  "use strict";

  var charts = window.dashboardCharts;
  if (!charts) { return; }

  var DAY_MS = 24 * 3600 * 1000;
  // Light to dark; app.css draws the same stops in the heatmap's legend.
  var HEAT_STOPS = [[255, 247, 188], [254, 196, 79], [236, 112, 20], [204, 46, 38], [103, 0, 13]];

  function number(value, digits) {
    return Number(value).toLocaleString(undefined, { maximumFractionDigits: digits });
  }

  function utcDate(ms, withTime) {
    var options = { timeZone: "UTC", day: "numeric", month: "short" };
    if (withTime) { options.hour = "2-digit"; options.minute = "2-digit"; options.hour12 = false; }
    return new Date(ms).toLocaleString(undefined, options);
  }

  function fullDateTime(ms) {
    return new Date(ms).toLocaleString(undefined, { timeZone: "UTC", weekday: "short", day: "numeric", month: "short",
                                                    year: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
  }

  function timeseriesConfig(spec) {
    var xs = spec.x || [];
    var span = xs.length ? xs[xs.length - 1] - xs[0] : 0;
    var datasets = spec.datasets.map(function (dataset, index) {
      var colour = dataset.color || charts.palette[index % charts.palette.length];
      // parsing: false needs the internal {x, y} form; x ascending, as decimation requires.
      var points = dataset.points
        ? dataset.points.map(function (point) { return { x: point[0], y: point[1] }; })
        : dataset.data.map(function (y, i) { return { x: xs[i], y: y }; });
      return {
        label: dataset.label, data: points,
        borderColor: colour, backgroundColor: colour + "33", borderWidth: 1,
        pointRadius: dataset.pointRadius || 0, pointStyle: dataset.pointStyle || "circle",
        showLine: dataset.showLine !== false, order: dataset.order || 0,
        pointHoverRadius: (dataset.pointRadius || 0) + 3, fill: false, tension: 0, indexAxis: "x",
      };
    });
    return {
      type: "line",
      data: { datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, parsing: false, normalized: true,
        interaction: { mode: "nearest", axis: "x", intersect: false },
        scales: {
          x: {
            type: "linear", min: xs[0], max: xs[xs.length - 1],
            ticks: { maxRotation: 0, autoSkip: true, callback: function (value) { return utcDate(value, span < 3 * DAY_MS); } },
          },
          y: { beginAtZero: true, title: { display: true, text: spec.yTitle || spec.unit } },
        },
        plugins: {
          decimation: { enabled: true, algorithm: "lttb", samples: 600 },
          legend: { position: "bottom" },
          tooltip: { callbacks: {
            title: function (items) { return items.length ? fullDateTime(items[0].parsed.x) : ""; },
            label: function (ctx) { return ctx.dataset.label + ": " + number(ctx.parsed.y, 3) + " " + spec.unit; },
          } },
        },
      },
    };
  }

  function heatColour(value, low, high) {
    var t = high > low ? Math.min(1, Math.max(0, (value - low) / (high - low))) : 0.5;
    var position = t * (HEAT_STOPS.length - 1);
    var index = Math.min(HEAT_STOPS.length - 2, Math.floor(position));
    var f = position - index;
    var a = HEAT_STOPS[index], b = HEAT_STOPS[index + 1];
    return "rgb(" + [0, 1, 2].map(function (k) { return Math.round(a[k] + (b[k] - a[k]) * f); }).join(",") + ")";
  }

  function heatmapConfig(spec) {
    var points = [];
    spec.values.forEach(function (day, d) {
      day.forEach(function (wh, s) {
        if (wh !== null) { points.push({ x: spec.dates[d], y: spec.slots[s], v: wh }); }
      });
    });
    var low = spec.scaleMin, high = spec.scaleMax;
    var columns = Math.max(1, spec.dates.length), rows = Math.max(1, spec.slots.length);
    return {
      type: "matrix",
      data: { datasets: [{
        label: "Half-hourly reading (" + spec.unit + ")",
        data: points,
        borderWidth: 0,
        backgroundColor: function (ctx) { return ctx.raw ? heatColour(ctx.raw.v, low, high) : "transparent"; },
        // +0.5 px closes the hairline gaps antialiasing would leave between neighbouring cells.
        width: function (ctx) { var area = ctx.chart.chartArea; return area ? area.width / columns + 0.5 : 0; },
        height: function (ctx) { var area = ctx.chart.chartArea; return area ? area.height / rows + 0.5 : 0; },
      }] },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          x: {
            type: "category", labels: spec.dates, offset: true, grid: { display: false },
            ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12, callback: function (value) {
              return utcDate(Date.parse(this.getLabelForValue(value)), false);
            } },
          },
          y: {
            type: "category", labels: spec.slots, offset: true, reverse: false, grid: { display: false },
            ticks: { autoSkip: false, callback: function (value, index) {
              return index % 4 === 0 ? this.getLabelForValue(value) : null;
            } },
          },
        },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: {
            title: function () { return ""; },
            label: function (ctx) {
              return ctx.raw.x + " " + ctx.raw.y + ": " + number(ctx.raw.v, 1) + " " + spec.unit;
            },
          } },
        },
      },
    };
  }

  charts.builders.timeseries = timeseriesConfig;
  charts.builders.heatmap = heatmapConfig;
})();
