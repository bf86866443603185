// The analytics pages' charts, drawn from the tables already in the page: a
// <table data-chart="line|bar" data-series="key key"> gets a canvas above it, with one
// line (or bar set) per column named in data-series (each <th data-key>), labelled by
// the first column's text and valued by each cell's data-value (raw numbers, not the
// French-formatted text). The table stays: it is the figures for people, screen readers
// and pages without scripts. Chart.js (static/vendor) is loaded once per page, on the
// first page that has a chart, also when htmx's boost swaps the body in.
(function () {
  "use strict";

  var COLOURS = ["#0b6e4f", "#1f5f99", "#b3261e", "#8a5a00", "#5b6570"];
  var script = document.currentScript;
  var library = script && script.getAttribute("data-chart-library");

  function columnIndex(table, key) {
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) {
      if (heads[i].getAttribute("data-key") === key) {
        return i;
      }
    }
    return -1;
  }

  function readTable(table, kind) {
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var labels = rows.map(function (row) { return row.cells[0].textContent.trim(); });
    var keys = (table.getAttribute("data-series") || "").split(" ").filter(Boolean);
    var datasets = keys.map(function (key, n) {
      var index = columnIndex(table, key);
      var colour = COLOURS[n % COLOURS.length];
      return {
        label: table.tHead.rows[0].cells[index].textContent.trim(),
        data: rows.map(function (row) {
          var raw = row.cells[index].getAttribute("data-value");
          return raw === "" || raw === null ? null : Number(raw);
        }),
        borderColor: colour,
        backgroundColor: colour,
        borderWidth: 2,
        // Series that often coincide (served = issued) stay both visible.
        borderDash: kind === "line" && n === 1 ? [6, 4] : [],
        order: -n, // later series drawn over earlier ones (a dashed line over a solid)
        pointRadius: rows.length > 40 ? 0 : 3,
        spanGaps: true
      };
    });
    return { labels: labels, datasets: datasets };
  }

  function draw(table) {
    var kind = table.getAttribute("data-chart");
    var data = readTable(table, kind);
    // One day is a point, not a line: its table says it all.
    if (data.labels.length < (kind === "line" ? 2 : 1)) {
      return;
    }
    var figure = document.createElement("figure");
    figure.className = "chart chart-" + kind;
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", table.getAttribute("data-title") || "");
    figure.appendChild(canvas);
    var wrap = table.closest(".table-wrap") || table;
    wrap.parentNode.insertBefore(figure, wrap);
    table.setAttribute("data-drawn", "");
    new window.Chart(canvas, {
      type: kind,
      data: data,
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: {
            display: data.datasets.length > 1,
            position: "bottom",
            reverse: true // the table's order again (`order` above reversed it)
          }
        },
        scales: {
          x: { ticks: { autoSkip: true, maxRotation: 0 } },
          y: { beginAtZero: true, ticks: { precision: 0 } }
        }
      }
    });
  }

  function drawAll() {
    // Charts of a page boosted away: their canvases are gone, free them.
    Object.keys(window.Chart.instances).forEach(function (id) {
      var chart = window.Chart.instances[id];
      if (!chart.canvas.isConnected) {
        chart.destroy();
      }
    });
    var tables = document.querySelectorAll("table[data-chart]:not([data-drawn])");
    Array.prototype.forEach.call(tables, draw);
  }

  function start() {
    if (!document.querySelector("table[data-chart]")) {
      return;
    }
    if (window.Chart) {
      drawAll();
      return;
    }
    var loader = document.createElement("script");
    loader.src = library;
    loader.onload = drawAll;
    document.head.appendChild(loader);
  }

  // Going back to a boosted page restores a copy of its body that htmx kept, where a
  // canvas would come back blank: leave the tables bare in that copy, draw again after.
  function clear() {
    Array.prototype.forEach.call(document.querySelectorAll("figure.chart"), function (figure) {
      var chart = window.Chart && window.Chart.getChart(figure.querySelector("canvas"));
      if (chart) {
        chart.destroy();
      }
      figure.remove();
    });
    Array.prototype.forEach.call(document.querySelectorAll("table[data-drawn]"), function (table) {
      table.removeAttribute("data-drawn");
    });
  }

  // This script runs again with each boosted page that has it: listen once.
  if (!window.smartqueueCharts) {
    window.smartqueueCharts = true;
    document.addEventListener("htmx:beforeHistorySave", clear);
    document.addEventListener("htmx:historyRestore", start);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
