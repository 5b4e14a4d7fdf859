"use strict";
// jmlwatch dashboard: fetches /api/v1/dashboard and renders it; refreshes
// every 5 s. With a token configured, open the page as /#token=SECRET.
(function () {
  var token = "";
  var m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    token = decodeURIComponent(m[1]);
    try { sessionStorage.setItem("jmlwatch-token", token); } catch (e) { /* storage off */ }
  } else {
    try { token = sessionStorage.getItem("jmlwatch-token") || ""; } catch (e) { token = ""; }
  }
  var chart = null;

  function el(id) { return document.getElementById(id); }

  function duration(sec) {
    var s = Math.max(0, Math.round(sec));
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), mi = Math.floor(s % 3600 / 60);
    if (d > 0) return d + "d " + h + "h";
    if (h > 0) return h + "h " + mi + "m";
    return mi + "m";
  }

  function when(t) { return t ? t.replace("T", " ").replace(/\.\d+/, "").replace("Z", " UTC") : ""; }

  function row(cells, classes) {
    var tr = document.createElement("tr");
    cells.forEach(function (c, i) {
      var td = document.createElement("td");
      td.textContent = c;
      if (classes && classes[i]) td.className = classes[i];
      tr.appendChild(td);
    });
    return tr;
  }

  function fill(tableId, rows, empty, width) {
    var tb = el(tableId).tBodies[0];
    tb.replaceChildren();
    if (rows.length === 0) {
      var tr = document.createElement("tr"), td = document.createElement("td");
      td.colSpan = width; td.className = "empty"; td.textContent = empty;
      tr.appendChild(td); tb.appendChild(tr);
      return;
    }
    rows.forEach(function (r) { tb.appendChild(r); });
  }

  function pct(c) {
    if (!c || c.ratio === null) return "no steps due";
    return (100 * c.ratio).toFixed(1) + "% (" + c.within + "/" + c.due + ")";
  }

  function render(d) {
    el("status").textContent = "as of " + when(d.now) + (d.clock_source === "event" ? " (event time)" : " (wall time)");
    el("open-cases").textContent = d.open_cases;
    el("open-steps").textContent = d.open_steps;
    el("overdue-steps").textContent = d.overdue_steps;
    el("unowned").textContent = d.unowned_accounts;
    fill("stalled", d.stalled.map(function (s) {
      return row([s.worker_id, s.kind, s.system, s.action, s.target, s.tier, when(s.deadline), duration(s.overdue_seconds)],
        [null, null, null, null, null, null, null, "overdue"]);
    }), "No overdue steps.", 8);
    var byKind = {};
    d.compliance.forEach(function (c) { (byKind[c.kind] = byKind[c.kind] || {})[c.window_days] = c; });
    fill("compliance", Object.keys(byKind).map(function (k) {
      return row([k, pct(byKind[k][7]), pct(byKind[k][30])]);
    }), "No data.", 3);
    fill("open", d.open.map(function (c) {
      return row([c.case_id, c.worker_id, c.kind, when(c.effective_at), String(c.steps), String(c.open_steps), String(c.overdue_steps)]);
    }), "No open cases.", 7);
    renderChart(d.latency);
  }

  function renderChart(lat) {
    if (typeof Chart === "undefined") return;
    var colors = { joiner: "#2e7d32", mover: "#1565c0", leaver: "#c62828", nhi: "#6a1b9a" };
    var datasets = Object.keys(lat.counts).map(function (k) {
      return { label: k, data: lat.counts[k], backgroundColor: colors[k] || "#555" };
    });
    if (chart) {
      chart.data.labels = lat.buckets;
      chart.data.datasets = datasets;
      chart.update("none");
      return;
    }
    chart = new Chart(el("latency-chart"), {
      type: "bar",
      data: { labels: lat.buckets, datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { x: { stacked: true, title: { display: true, text: "latency (completed_at - effective_at)" } },
                  y: { stacked: true, beginAtZero: true, title: { display: true, text: "steps" } } }
      }
    });
  }

  function showError(msg) {
    var e = el("error");
    e.textContent = msg;
    e.hidden = !msg;
  }

  function refresh() {
    var headers = { "Accept": "application/json" };
    if (token) headers["Authorization"] = "Bearer " + token;
    fetch("api/v1/dashboard", { headers: headers, cache: "no-store" }).then(function (r) {
      if (r.status === 401) {
        showError("This server needs a token: open the page as /#token=YOUR_TOKEN.");
        return null;
      }
      return r.json().then(function (body) {
        if (!r.ok) {
          showError((body && body.error && body.error.message) || ("HTTP " + r.status));
          return null;
        }
        return body;
      });
    }).then(function (d) {
      if (d) { showError(""); render(d); document.body.setAttribute("data-loaded", "true"); }
    }).catch(function (err) {
      showError("Cannot reach jmlwatch: " + err.message);
    });
  }

  refresh();
  setInterval(refresh, 5000);
})();
