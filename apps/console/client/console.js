// The console's page behaviour beyond htmx: the jobs chart (uPlot) and the aggregator's waterfall.
// Loaded from the worker's own assets; no inline scripts, so the CSP needs no nonce.

/** Draws jobs finished per second into #throughput, refreshed every 5 s while the page is open. */
function startThroughputChart() {
  const box = document.getElementById("throughput");
  if (box === null || typeof uPlot === "undefined") return;
  let plot = null;
  const size = () => ({ width: Math.max(280, box.clientWidth), height: 220 });
  async function refresh() {
    const response = await fetch(box.dataset.src, { headers: { accept: "application/json" } });
    if (!response.ok) return;
    const data = await response.json();
    const series = [data.seconds, data.succeeded, data.failed];
    box.dataset.points = String(
      data.succeeded.reduce((a, b) => a + b, 0) + data.failed.reduce((a, b) => a + b, 0),
    );
    if (plot === null) {
      plot = new uPlot(
        {
          ...size(),
          scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
          // At least 70 px per time label, so a 375 px wide chart's do not run together; 2-minute
          // ticks added to uPlot's steps, else a 5-minute window at that width gets a single label.
          axes: [
            { space: 70, incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600] },
            { label: "jobs/s" },
          ],
          series: [
            {},
            { label: "succeeded", stroke: "#146c2e", fill: "rgba(20,108,46,0.15)" },
            { label: "failed, dead or cancelled", stroke: "#b3261e" },
          ],
        },
        series,
        box,
      );
    } else {
      plot.setData(series);
    }
  }
  refresh().catch(() => {});
  setInterval(() => refresh().catch(() => {}), 5000);
  window.addEventListener("resize", () => plot?.setSize(size()));
}

/** What one bar's row says in words, for its label and for screen readers. */
function describeBar(bar) {
  const parts = [
    bar.ok
      ? `${bar.status ?? "ok"}`
      : bar.error === "circuit_open"
        ? "breaker open"
        : bar.error === "timeout"
          ? "timed out"
          : (bar.error ?? "failed"),
  ];
  if (bar.error === "http" && bar.status !== undefined) parts[0] = `http ${bar.status}`;
  parts.push(`${bar.start}-${bar.end} ms`);
  if (bar.attempts !== undefined)
    parts.push(`${bar.attempts} attempt${bar.attempts === 1 ? "" : "s"}`);
  if (bar.cached) parts.push("cached");
  return parts.join(", ");
}

/** Draws the waterfall from the console's NDJSON lines as they arrive. */
function waterfall(box, status) {
  let scale = 1;
  let deadline = null;
  const rows = new Map();
  const area = document.createElement("div");
  area.className = "wf-area";
  const deadlineMark = document.createElement("div");
  deadlineMark.className = "wf-deadline";
  deadlineMark.hidden = true;
  function layout() {
    const ends = [...rows.values()].map((row) => row.bar?.end ?? 0);
    scale = Math.max(1, deadline ?? 0, ...ends) * 1.05;
    for (const row of rows.values()) {
      if (row.bar === undefined) continue;
      row.fill.style.left = `${(row.bar.start / scale) * 100}%`;
      row.fill.style.width = `${((row.bar.end - row.bar.start) / scale) * 100}%`;
    }
    if (deadline !== null) {
      deadlineMark.hidden = false;
      deadlineMark.style.left = `calc(30% + 8px + (70% - 8px) * ${deadline / scale})`;
    }
  }
  return (line) => {
    if (line.start) {
      box.replaceChildren(area);
      area.replaceChildren(deadlineMark);
      deadline = line.start.deadlineMs;
      if (deadline !== null) {
        deadlineMark.innerHTML = "";
        const label = document.createElement("span");
        label.textContent = `deadline ${deadline} ms`;
        deadlineMark.append(label);
      }
      for (const id of line.start.ids) {
        const row = document.createElement("div");
        row.className = "wf-row";
        row.dataset.id = id;
        const label = document.createElement("div");
        label.className = "wf-label";
        label.textContent = `${id}: waiting`;
        const track = document.createElement("div");
        track.className = "wf-track";
        const fill = document.createElement("div");
        fill.className = "wf-bar";
        fill.hidden = true;
        track.append(fill);
        row.append(label, track);
        area.append(row);
        rows.set(id, { row, label, fill, bar: undefined });
      }
      box.hidden = false;
      status.textContent = `Running ${line.start.ids.length} upstream call(s)…`;
      layout();
    } else if (line.bar) {
      const row = rows.get(line.bar.id);
      if (row === undefined) return;
      row.bar = line.bar;
      row.fill.hidden = false;
      row.fill.classList.toggle("failed", !line.bar.ok);
      row.fill.classList.toggle("cached", line.bar.cached === true);
      row.row.dataset.state = line.bar.ok ? "ok" : (line.bar.error ?? "failed");
      row.row.dataset.start = String(line.bar.start);
      row.row.dataset.end = String(line.bar.end);
      row.label.textContent = `${line.bar.id}: ${describeBar(line.bar)}`;
      layout();
    } else if (line.done) {
      const d = line.done;
      status.textContent = `Done: ${d.succeeded} of ${d.total} succeeded, ${d.failed} failed, ${d.durationMs} ms.`;
      box.dataset.done = "true";
    }
  };
}

/** Runs a form's call through the console worker and feeds the waterfall line by line. */
function startAggregator() {
  const box = document.getElementById("waterfall");
  const status = document.getElementById("waterfall-status");
  if (box === null || status === null) return;
  for (const form of document.querySelectorAll("#run-view, #run-request")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      delete box.dataset.done;
      status.textContent = "Starting…";
      const draw = waterfall(box, status);
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new URLSearchParams(new FormData(form)),
          headers: { accept: "application/x-ndjson" },
        });
        if (!response.ok) {
          const problem = await response.json().catch(() => ({}));
          const errors = (problem.errors ?? [])
            .map((e) => `${e.parameter ?? e.pointer ?? ""} ${e.detail}`)
            .join("; ");
          // The detail repeats the errors in one sentence: show one or the other, not both.
          status.textContent = `Refused (${response.status}): ${errors || problem.detail || problem.title || ""}`;
          return;
        }
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffered = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffered += value;
          const lines = buffered.split("\n");
          buffered = lines.pop();
          for (const text of lines) if (text.trim() !== "") draw(JSON.parse(text));
        }
        if (buffered.trim() !== "") draw(JSON.parse(buffered));
      } catch (error) {
        status.textContent = `The run stopped: ${error.message}`;
      }
    });
  }
}

/**
 * Keeps keyboard focus across htmx swaps. htmx puts focus back on an element with the focused
 * one's id; when there is none, or it is now disabled (Cancel job becomes Retry job or
 * "Cancelling…", the last table page has no Next page), focus would drop to <body>. It goes to the
 * first enabled control of the new content instead, else to the new content itself.
 */
function keepFocusAcrossSwaps() {
  let pending = null;
  document.addEventListener("htmx:before:swap", (event) => {
    const target = event.detail.ctx?.target;
    const active = document.activeElement;
    pending =
      target?.id && active && active !== document.body && target.contains(active)
        ? target.id
        : null;
  });
  document.addEventListener("htmx:after:settle", () => {
    const targetId = pending;
    pending = null;
    if (targetId === null) return;
    if (document.activeElement !== null && document.activeElement !== document.body) return;
    const region = document.getElementById(targetId);
    if (region === null) return;
    const control = region.querySelector("button:not([disabled]), a[href], [tabindex]");
    if (control !== null) return control.focus();
    if (!region.hasAttribute("tabindex")) region.setAttribute("tabindex", "-1");
    region.focus();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  keepFocusAcrossSwaps();
  startThroughputChart();
  startAggregator();
});
