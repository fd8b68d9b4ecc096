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
          axes: [{}, { label: "jobs/s" }],
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

document.addEventListener("DOMContentLoaded", () => {
  startThroughputChart();
});
