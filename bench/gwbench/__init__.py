"""clawgate's benchmark harness (issue 7): a fast fake upstream, process control and /proc figures, wrk
and Python load clients, and the report. Run it with `bench/run`; `python -m gwbench --help` (with `bench/` on
`sys.path`) lists the knobs."""
