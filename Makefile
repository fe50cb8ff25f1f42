# scalingo.cloud developer commands. Everything they install goes to a folder outside the checkout:
# $(SCALINGO_DEV_HOME), by default $${XDG_CACHE_HOME:-$$HOME/.cache}/scalingo-cloud-dev.
#
#   make demo                  run examples/demo.yml against the bundled simulator
#   make bench                 run the performance benchmark against the simulator (in the demo's
#                              virtual environment); BENCH_ARGS=--quick for the short run, see
#                              README.md, section "Benchmarks"
#   make test                  run every test (what CI runs); MATRIX=2.19 for one ansible-core line,
#                              STAGES='sanity-*,ansible-lint' for some stages, KEEP_WORK=1 to keep
#                              the work folder
#   make matrix                show the ansible-core lines and the Pythons found for them
#   make lock                  re-pin hacking/requirements/*.txt from the *.in files
#   make clean                 remove $(SCALINGO_DEV_HOME)
#
# See docs/developing.md, section "Test harness".

PYTHON ?= python3
MATRIX ?=
STAGES ?=
BENCH_ARGS ?=

.PHONY: help demo bench test matrix lock clean

help:
	@sed -n '1,/^$$/p' Makefile

demo:
	$(PYTHON) hacking/harness.py demo

bench:
	$(PYTHON) benchmarks/run.py $(BENCH_ARGS)

test:
	$(PYTHON) hacking/harness.py test --matrix "$(MATRIX)" --stages "$(STAGES)"

matrix:
	$(PYTHON) hacking/harness.py matrix

lock:
	$(PYTHON) hacking/harness.py lock

clean:
	$(PYTHON) hacking/harness.py clean
