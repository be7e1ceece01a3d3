/* KPI dashboard: draws the charts described in the page's JSON block (#dashboard-data,
 * written by analytics.presenters.charts.chart_data) with the vendored Chart.js, and sends a click on
 * a bar or point to the queue filtered to the cases behind it. A chart's links[dataset]
 * is a list of URLs (one per label) or, for the charts by day, one URL template whose
 * {after} and {before} come from bounds[day]. No inline script anywhere: the
 * Content-Security-Policy forbids it. */
(function () {
  "use strict";

  // One colour per reason code, the same on every day and every page.
  var REASON_COLORS = {
    crypto_not_released: "#1f5fbf",
    payment_not_received: "#e08a00",
    wrong_amount: "#7a5cc7",
    third_party_payment: "#c0262d",
    chargeback: "#0f8a7e",
    fraud_scam: "#8c1d5b",
    account_compromised: "#5b6b7f",
    other: "#a3adb9",
  };
  var PALETTE = ["#1f5fbf", "#e08a00", "#0f8a7e", "#c0262d", "#7a5cc7", "#5b6b7f"];
  var SERIES_COLORS = {
    success: "#0f8a7e",
    median: "#1f5fbf",
    p90: "#e08a00",
    sla_breaches: "#c0262d",
    backlog: "#5b6b7f",
    opened: "#1f5fbf",
    resolved: "#0f8a7e",
  };

  var units = { minutes: "min", hours: "h" };

  function formatValue(kind, value) {
    if (value === null || value === undefined) return "—";
    var text = Number.isInteger(value) ? String(value) : value.toFixed(1);
    if (kind === "pct") return text + "%";
    if (kind === "minutes" || kind === "hours") return text + " " + units[kind];
    return text;
  }

  function colorFor(spec, dataset, index) {
    if (spec.stacked && REASON_COLORS[dataset.key]) return REASON_COLORS[dataset.key];
    return SERIES_COLORS[dataset.key] || PALETTE[index % PALETTE.length];
  }

  function linkFor(spec, bounds, element) {
    var row = (spec.links || [])[element.datasetIndex];
    if (typeof row === "string") {
      var day = bounds[element.index];
      return day ? row.replace("{after}", day[0]).replace("{before}", day[1]) : null;
    }
    return row ? row[element.index] : null;
  }

  function build(canvas, spec, bounds) {
    var isBar = spec.type === "bar";
    if (spec.horizontal) {
      // One row of bars per label: the box grows with the labels (CSSOM, allowed by CSP).
      canvas.parentNode.style.height = Math.max(160, 70 + spec.labels.length * 30) + "px";
    }
    var datasets = spec.datasets.map(function (d, i) {
      var color = colorFor(spec, d, i);
      var line = (d.type || spec.type) === "line";
      return {
        label: d.label,
        data: d.data,
        type: d.type || spec.type,
        yAxisID: spec.horizontal ? undefined : d.yAxisID || "y",
        backgroundColor: line ? color : color + (spec.stacked ? "" : "cc"),
        borderColor: color,
        borderWidth: line ? 2 : 0,
        pointRadius: line ? 2.5 : 0,
        pointHoverRadius: 5,
        pointHitRadius: 10,
        tension: 0.2,
        spanGaps: false,
        order: line ? 0 : 1,
      };
    });
    var scales = {};
    if (spec.horizontal) {
      scales.x = { beginAtZero: true, ticks: { precision: 0 } };
      scales.y = { ticks: { autoSkip: false } };
    } else {
      scales.x = { stacked: !!spec.stacked, ticks: { maxRotation: 0, autoSkipPadding: 12 } };
      scales.y = {
        stacked: !!spec.stacked,
        beginAtZero: true,
        ticks: {
          precision: spec.y === "int" ? 0 : undefined,
          callback: function (value) {
            return formatValue(spec.y, value);
          },
        },
      };
      if (spec.y === "pct") scales.y.max = 100;
      if (datasets.some(function (d) { return d.yAxisID === "y2"; })) {
        scales.y2 = {
          position: "right",
          beginAtZero: true,
          grid: { drawOnChartArea: false },
          ticks: { precision: 0 },
        };
      }
    }
    return new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: spec.horizontal ? "y" : "x",
        // Bars: the segment under the pointer; lines: the day under the pointer.
        interaction: isBar ? { mode: "nearest", intersect: true } : { mode: "index", intersect: false },
        scales: scales,
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12, boxHeight: 12 } },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var raw = spec.horizontal ? ctx.parsed.x : ctx.parsed.y;
                var kind = ctx.dataset.yAxisID === "y2" ? "int" : spec.y;
                return ctx.dataset.label + ": " + formatValue(kind, raw);
              },
            },
          },
        },
        onHover: function (event, elements, chart) {
          var link = elements.length && linkFor(spec, bounds, elements[0]);
          chart.canvas.style.cursor = link ? "pointer" : "default";
        },
        onClick: function (event, elements) {
          if (!elements.length) return;
          var url = linkFor(spec, bounds, elements[0]);
          if (url) window.location.assign(url);
        },
      },
    });
  }

  // For tests and the curious: the queue URL behind element `index` of `dataset`.
  window.dashboardLink = function (chartKey, dataset, index) {
    var data = JSON.parse(document.getElementById("dashboard-data").textContent);
    return linkFor(data.charts[chartKey], data.bounds, { datasetIndex: dataset, index: index });
  };

  function init() {
    var source = document.getElementById("dashboard-data");
    if (source && typeof Chart !== "undefined") {
      var data = JSON.parse(source.textContent);
      units = data.units || units;
      // Text and grid in the page's own colours (light or dark, app.css's tokens).
      var style = getComputedStyle(document.documentElement);
      Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
      Chart.defaults.color = style.getPropertyValue("--muted").trim() || "#5b6677";
      Chart.defaults.borderColor = style.getPropertyValue("--line").trim() || "#dbe0e7";
      document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
        var spec = data.charts[canvas.dataset.chart];
        if (spec && spec.labels.length) build(canvas, spec, data.bounds);
      });
    }
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
