-- SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
-- wrk script for the L7 benches: after the run, prints the error counts and the latency distribution (microseconds at percentiles 0..100) for a CDF.
-- Only done() is defined, so wrk keeps its fast path (no per-request Lua).

local points = { 0.1, 0.5 }
for p = 1, 99 do points[#points + 1] = p end
for _, p in ipairs({ 99.5, 99.9, 99.99 }) do points[#points + 1] = p end

done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("sl_summary requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
		summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout))
	io.write(string.format("sl_cdf 0 %d\n", latency.min))
	for _, p in ipairs(points) do
		io.write(string.format("sl_cdf %g %d\n", p, latency:percentile(p)))
	end
	io.write(string.format("sl_cdf 100 %d\n", latency.max))
end
