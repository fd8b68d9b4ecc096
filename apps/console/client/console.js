// The console's page behaviour beyond htmx: the jobs chart (uPlot) and the aggregator's waterfall.
// Loaded from the worker's own assets; no inline scripts, so the CSP needs no nonce.

