# scalingo.cloud developer commands, on nox and antsibull-nox (noxfile.py, antsibull-nox.toml). They install
# nox and antsibull-nox (hacking/requirements/nox.txt) in a virtual environment under $(SCALINGO_DEV_HOME),
# by default $${XDG_CACHE_HOME:-$$HOME/.cache}/scalingo-cloud-dev; nox keeps the sessions' environments in .nox/.
#
#   make demo                  run examples/demo.yml against the bundled simulator (nox -s demo)
#   make bench                 run the performance benchmark against the simulator (in the demo's
#                              virtual environment); BENCH_ARGS=--quick for the short run, see
#                              README.md, section "Benchmarks"
#   make test                  run every test (what CI runs: the default nox sessions, two at a time);
#                              SESSIONS='sanity-2.19 units-2.19' for some sessions, KEEP_WORK=1 to keep the logs
#   make nox ARGS='-l'         run nox with these arguments (ARGS='-s integration-2.19 -- scalingo_env')
#   make lock                  re-pin hacking/requirements/*.txt from the *.in files (nox -s lock)
#   make clean                 remove $(SCALINGO_DEV_HOME) and .nox/
#
# See docs/developing.md, section "Test sessions".

PYTHON ?= python3
SESSIONS ?=
ARGS ?=
BENCH_ARGS ?=

.PHONY: help demo bench test nox lock clean

help:
	@sed -n '1,/^$$/p' Makefile

demo:
	$(PYTHON) hacking/ci.py nox -s demo

bench:
	$(PYTHON) hacking/ci.py nox -s bench -- $(BENCH_ARGS)

test:
	$(PYTHON) hacking/ci.py test --sessions "$(SESSIONS)"

nox:
	$(PYTHON) hacking/ci.py nox $(ARGS)

lock:
	$(PYTHON) hacking/ci.py nox -s lock

clean:
	$(PYTHON) hacking/ci.py clean
