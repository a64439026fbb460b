// The script of a ksim report or comparison (reports/report.js, inlined by ksim). It draws the
// charts from window.KSIM_DATA with ECharts, and runs the pod picker and the event search.
// It uses no network and no storage, and writes nothing but the page.
(function () {
  "use strict";
  var D = window.KSIM_DATA || {};
  var unit = D.unit || { name: "s", seconds: 1 };
  var specs = D.charts || [];
  var instances = {};
  var api = { ready: false, instances: instances, drawAll: drawAll, specs: specs };
  window.ksimReport = api;

  function $(id) { return document.getElementById(id); }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // fmtTime prints seconds of simulated time: "45s", "1.25s", "12m30s", "1d2h5m".
  function fmtTime(sec) {
    if (sec < 60 && Math.round(sec) !== sec) { return (Math.round(sec * 1000) / 1000) + "s"; }
    var s = Math.round(sec), out = "";
    var d = Math.floor(s / 86400); s -= d * 86400;
    var h = Math.floor(s / 3600); s -= h * 3600;
    var m = Math.floor(s / 60); s -= m * 60;
    if (d) { out += d + "d"; }
    if (h) { out += h + "h"; }
    if (m) { out += m + "m"; }
    if (s || !out) { out += s + "s"; }
    return out;
  }

  function fmtNum(v) {
    if (v === null || v === undefined || (typeof v === "number" && isNaN(v))) { return "–"; }
    return String(Math.round(v * 1000) / 1000);
  }

  // ---- charts ----

  function timeTooltip(o) {
    o.tooltip = o.tooltip || {};
    o.tooltip.formatter = function (params) {
      if (!params || !params.length) { return ""; }
      var lines = ["t = " + esc(fmtTime(params[0].value[0] * unit.seconds))];
      for (var i = 0; i < params.length; i++) {
        var p = params[i];
        // A third value is the series' own value where the second is a stacked sum.
        lines.push(p.marker + esc(p.seriesName) + ": " + fmtNum(p.value.length > 2 ? p.value[2] : p.value[1]));
      }
      return lines.join("<br>");
    };
  }

  function prepareHeat(spec) {
    var o = spec.option, rows = spec.heat.rows, data = [];
    for (var r = 0; r < rows.length; r++) {
      var row = rows[r];
      for (var c = 0; c < row.length; c++) {
        if (row[c] >= 0) { data.push([c, r, row[c]]); }
      }
    }
    o.series[0].data = data;
    o.series[0].progressive = 0; // draw every cell at once: a few hundred thousand at most
    o.series[1].data = spec.heat.events || [];
    var xs = o.xAxis[0].data, ys = o.yAxis[0].data;
    o.tooltip = {
      trigger: "item",
      formatter: function (p) {
        if (p.seriesType === "heatmap") {
          return esc(ys[p.value[1]]) + "<br>from " + esc(xs[p.value[0]]) + ": " + p.value[2] + " %";
        }
        return esc(p.value[2]);
      }
    };
  }

  function eventPoints(match) {
    var ev = D.events, per = [];
    for (var k = 0; k < ev.kinds.length; k++) { per.push([]); }
    for (var i = 0; i < ev.rows.length; i++) {
      var row = ev.rows[i];
      if (match && !match(row)) { continue; }
      per[row[1]].push([row[0] / unit.seconds, row[1], i]);
    }
    return per;
  }

  function prepareEvents(spec) {
    var o = spec.option, per = eventPoints(null);
    for (var k = 0; k < o.series.length; k++) {
      o.series[k].data = per[k] || [];
      o.series[k].large = per[k] && per[k].length > 2000;
    }
    o.tooltip = {
      trigger: "item",
      formatter: function (p) {
        var row = D.events.rows[p.value[2]];
        return esc(fmtTime(row[0])) + " · " + esc(D.events.kinds[row[1]]) + "<br><b>" + esc(row[2]) + "</b><br>" + esc(row[3]);
      }
    };
  }

  function draw(spec) {
    if (instances[spec.id]) { return; }
    var el = $(spec.id);
    if (!el) { return; }
    var o = spec.option;
    if (spec.kind === "heat") {
      prepareHeat(spec);
    } else if (spec.kind === "events") {
      prepareEvents(spec);
    } else if (!spec.kind) {
      timeTooltip(o);
    }
    var c = echarts.init(el, null, { renderer: "canvas" });
    c.setOption(o);
    if (spec.group) { c.group = spec.group; }
    instances[spec.id] = c;
  }

  function drawAll() {
    if (typeof echarts === "undefined") { return 0; }
    for (var i = 0; i < specs.length; i++) { draw(specs[i]); }
    return Object.keys(instances).length;
  }

  function setupCharts() {
    if (typeof echarts === "undefined") {
      $("no-echarts").hidden = false;
      return;
    }
    var groups = {};
    for (var i = 0; i < specs.length; i++) {
      if (specs[i].group) { groups[specs[i].group] = true; }
    }
    Object.keys(groups).forEach(function (g) { echarts.connect(g); });
    // A long page draws its charts as they come into view, so that it opens at once.
    if (specs.length > 24 && "IntersectionObserver" in window) {
      var byId = {};
      specs.forEach(function (s) { byId[s.id] = s; });
      var io = new IntersectionObserver(function (entries) {
        entries.forEach(function (e) {
          if (e.isIntersecting) { draw(byId[e.target.id]); io.unobserve(e.target); }
        });
      }, { rootMargin: "600px 0px" });
      specs.forEach(function (s) { var el = $(s.id); if (el) { io.observe(el); } });
      window.addEventListener("beforeprint", drawAll);
    } else {
      drawAll();
    }
    window.addEventListener("resize", function () {
      Object.keys(instances).forEach(function (id) { instances[id].resize(); });
    });
  }

  // ---- the pod picker ----

  function setupExplain() {
    var ex = D.explain, pick = $("explain-pick"), filter = $("explain-filter");
    if (!ex || !ex.attempts || !ex.attempts.length || !pick) { return; }
    function label(a) {
      return fmtTime(a.t) + "  " + a.pod + (a.node ? "  → " + a.node : "  ✗ not placed");
    }
    function fill() {
      var q = filter.value.toLowerCase(), first = -1, html = [];
      for (var i = 0; i < ex.attempts.length; i++) {
        var l = label(ex.attempts[i]);
        if (q && l.toLowerCase().indexOf(q) < 0) { continue; }
        if (first < 0) { first = i; }
        html.push('<option value="' + i + '">' + esc(l) + "</option>");
      }
      pick.innerHTML = html.join("");
      if (first >= 0) { pick.value = String(first); show(first); }
    }
    pick.addEventListener("change", function () { show(+pick.value); });
    filter.addEventListener("input", fill);
    fill();
  }

  function show(i) {
    var ex = D.explain, a = ex.attempts[i];
    var head = "<b>" + esc(a.pod) + "</b> at " + esc(fmtTime(a.t)) + ": ";
    head += a.node ? "bound to <b>" + esc(a.node) + "</b>." : "not placed: " + esc(a.reason || "") ;
    if (a.pre) { head += " Rejected before filtering: " + esc(a.pre) + "."; }
    var feasible = 0, rejected = {}, notEval = 0;
    var filterCols = [], scoreCols = [];
    a.rows.forEach(function (r) {
      if (r[1]) { feasible++; }
      if (r[3] >= 0) { notEval++; }
      r[5].forEach(function (f) {
        if (filterCols.indexOf(f[0]) < 0) { filterCols.push(f[0]); }
        if (f[1] === 1) { rejected[f[0]] = (rejected[f[0]] || 0) + 1; }
      });
      r[6].forEach(function (s) { if (scoreCols.indexOf(s[0]) < 0) { scoreCols.push(s[0]); } });
    });
    var rej = Object.keys(rejected).map(function (p) { return rejected[p] + " by " + ex.plugins[p]; });
    head += "<br>" + a.rows.length + " nodes: " + feasible + " feasible" + (rej.length ? ", rejected " + rej.join(", ") : "") +
      (notEval ? ", " + notEval + " not evaluated" : "") + ". Filtering started at node index " + a.start +
      " looking for " + a.find + " feasible nodes.";
    $("explain-head").innerHTML = head;

    var rows = a.rows.map(function (r, k) { return { r: r, k: k }; });
    function rank(x) { return x.r[2] ? 0 : x.r[1] ? 1 : x.r[3] < 0 ? 2 : 3; }
    rows.sort(function (x, y) {
      return rank(x) - rank(y) || (rank(x) === 1 ? y.r[4] - x.r[4] : 0) || x.k - y.k;
    });
    var h = ["<thead><tr><th>node</th><th>verdict</th>"];
    filterCols.forEach(function (p) { h.push("<th>filter " + esc(ex.plugins[p]) + "</th>"); });
    scoreCols.forEach(function (p) { h.push("<th>score " + esc(ex.plugins[p]) + "</th>"); });
    h.push("<th>total</th></tr></thead><tbody>");
    rows.forEach(function (x) {
      var r = x.r, verdict;
      if (r[2]) { verdict = "★ chosen"; }
      else if (r[1]) { verdict = "feasible"; }
      else if (r[3] >= 0) { verdict = "not evaluated: " + esc(ex.texts[r[3]]); }
      else {
        var by = r[5].filter(function (f) { return f[1] === 1; })[0];
        verdict = "rejected" + (by ? " by " + esc(ex.plugins[by[0]]) : "");
      }
      h.push('<tr class="' + (r[2] ? "chosen" : "") + '"><td>' + esc(ex.nodes[r[0]]) + "</td><td>" + verdict + "</td>");
      filterCols.forEach(function (p) {
        var f = r[5].filter(function (v) { return v[0] === p; })[0];
        if (!f) { h.push('<td class="none"></td>'); return; }
        if (f[1] === 0) { h.push('<td class="ok">✓</td>'); return; }
        if (f[1] === 2) { h.push('<td class="skip">skipped</td>'); return; }
        var why = f.slice(2).map(function (t) { return esc(ex.texts[t]); }).join("; ");
        h.push('<td class="bad">✗ ' + why + "</td>");
      });
      scoreCols.forEach(function (p) {
        var s = r[6].filter(function (v) { return v[0] === p; })[0];
        if (!s) { h.push('<td class="none"></td>'); return; }
        h.push('<td class="n" title="raw ' + s[1] + ", normalized " + s[2] + " × weight " + s[3] + '">' + s[4] + "</td>");
      });
      h.push('<td class="n">' + (r[1] && r[6].length ? r[4] : "") + "</td></tr>");
    });
    h.push("</tbody>");
    $("explain-table").innerHTML = h.join("");
  }

  // ---- the event timeline ----

  function setupEvents() {
    var ev = D.events, search = $("events-search");
    if (!ev || !ev.rows || !search) { return; }
    var boxes = Array.prototype.slice.call(document.querySelectorAll(".events-kind"));
    var tbody = document.querySelector("#events-table tbody"), more = $("events-more");
    var limit = 500, timer = null;
    function matcher() {
      var q = search.value.toLowerCase().trim(), on = {};
      boxes.forEach(function (b) { on[b.value] = b.checked; });
      return function (row) {
        var kind = ev.kinds[row[1]];
        if (on[kind] === false) { return false; }
        if (!q) { return true; }
        return (fmtTime(row[0]) + " " + kind + " " + row[2] + " " + row[3]).toLowerCase().indexOf(q) >= 0;
      };
    }
    function render() {
      var match = matcher(), html = [], n = 0;
      for (var i = 0; i < ev.rows.length; i++) {
        var row = ev.rows[i];
        if (!match(row)) { continue; }
        n++;
        if (n <= limit) {
          html.push("<tr><td>" + esc(fmtTime(row[0])) + "</td><td>" + esc(ev.kinds[row[1]]) + "</td><td>" +
            esc(row[2]) + "</td><td>" + esc(row[3]) + "</td></tr>");
        }
      }
      tbody.innerHTML = html.join("");
      $("events-count").textContent = n + " of " + ev.rows.length + " entries match" + (n > limit ? "; the table shows the first " + limit : "");
      more.hidden = n <= limit;
      var c = instances["events-chart"];
      if (c) {
        var per = eventPoints(match);
        c.setOption({ series: per.map(function (d) { return { data: d, large: d.length > 2000 }; }) });
      }
    }
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { limit = 500; render(); }, 120);
    });
    boxes.forEach(function (b) { b.addEventListener("change", function () { limit = 500; render(); }); });
    more.addEventListener("click", function () { limit += 500; render(); });
    render();
  }

  setupCharts();
  setupExplain();
  setupEvents();
  api.ready = true;
})();
